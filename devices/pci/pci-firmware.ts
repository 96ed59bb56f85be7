/**
 * What firmware does to the PCI bus before a kernel starts (godwit starts kernels directly, so the
 * machine runs this at every boot, after the reset): SeaBIOS's pciinit.c, reduced to bus 0.
 *
 * assignResources: size every BAR through configuration space (write all ones, read the mask back,
 * restore), then assign I/O BARs upwards from 0xC000 and memory BARs downwards from the IOAPIC at
 * 0xFEC00000, largest first so each is aligned to its size (memory BARs take at least a page), in
 * devfn and BAR order among equals; write the interrupt line of every function with a pin from the
 * fixed routing; enable I/O and memory decoding, and bus mastering on every function but the host
 * bridge (SeaBIOS leaves bus mastering to drivers; Linux's virtio driver sets it anyway).
 *
 * mpTableIrqs: the PCI interrupt-source entries of the MP table (machine/firmware/mp-table.ts
 * `pciIrqs`): one per slot and pin in use, [slot, pin (1 = INTA#), IOAPIC pin]. The IOAPIC pin is
 * the ISA IRQ number (10 or 11), as SeaBIOS writes it; the table should then leave out the ISA
 * entries of those IRQs, as SeaBIOS does (BUILD_PCI_IRQS).
 */
import { ConfigError } from '../../src/util/errors.ts';
import type { PciHost } from './pci-host.ts';
import {
  PCI_BASE_ADDRESS_0,
  PCI_BASE_ADDRESS_IO_MASK,
  PCI_BASE_ADDRESS_MEM_MASK,
  PCI_BASE_ADDRESS_SPACE_IO,
  PCI_COMMAND,
  PCI_COMMAND_IO,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  PCI_DEVICE_MEM_MIN,
  PCI_INTERRUPT_LINE,
  PCI_INTERRUPT_PIN,
  PCI_IO_WINDOW_BASE,
  PCI_IO_WINDOW_END,
  PCI_MEM_WINDOW_BASE,
  PCI_MEM_WINDOW_END,
  PCI_NUM_BARS,
} from './pci-regs.ts';

interface Region {
  readonly devfn: number;
  readonly bar: number;
  /** Address space taken: the BAR's size, or a page for small memory BARs. */
  readonly size: number;
}

/** The size a BAR reports when sized (0: no BAR), and whether it is an I/O BAR. */
function sizeBar(host: PciHost, devfn: number, bar: number): { size: number; io: boolean } {
  const reg = PCI_BASE_ADDRESS_0 + 4 * bar;
  const old = host.readConfig(devfn, reg, 4);
  host.writeConfig(devfn, reg, 4, 0xffffffff);
  const mask = host.readConfig(devfn, reg, 4);
  host.writeConfig(devfn, reg, 4, old);
  const io = (old & PCI_BASE_ADDRESS_SPACE_IO) !== 0;
  const bits = (mask & (io ? PCI_BASE_ADDRESS_IO_MASK : PCI_BASE_ADDRESS_MEM_MASK)) >>> 0;
  return { size: bits === 0 ? 0 : (~bits + 1) >>> 0, io };
}

/** Largest first; equal sizes in devfn, then BAR order. */
function bySize(a: Region, b: Region): number {
  return b.size - a.size || a.devfn - b.devfn || a.bar - b.bar;
}

export function assignResources(host: PciHost): void {
  const io: Region[] = [];
  const mem: Region[] = [];
  for (const [devfn] of host.functions) {
    // Decoding off while BARs are sized and moved, as firmware and Linux do.
    const command = host.readConfig(devfn, PCI_COMMAND, 2);
    host.writeConfig(devfn, PCI_COMMAND, 2, command & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
    for (let bar = 0; bar < PCI_NUM_BARS; bar++) {
      const { size, io: isIo } = sizeBar(host, devfn, bar);
      if (size === 0) continue;
      if (isIo) io.push({ devfn, bar, size });
      else mem.push({ devfn, bar, size: Math.max(size, PCI_DEVICE_MEM_MIN) });
    }
  }
  io.sort(bySize);
  mem.sort(bySize);

  const ioSum = io.reduce((n, r) => n + r.size, 0);
  if (PCI_IO_WINDOW_BASE + ioSum > PCI_IO_WINDOW_END) {
    throw new ConfigError(`PCI devices need ${ioSum} I/O ports; 0x${PCI_IO_WINDOW_BASE.toString(16)}-0xffff holds ${PCI_IO_WINDOW_END - PCI_IO_WINDOW_BASE}`);
  }
  const memSum = mem.reduce((n, r) => n + r.size, 0);
  const align = mem[0]?.size ?? 1;
  const memBase = Math.floor((PCI_MEM_WINDOW_END - memSum) / align) * align;
  if (memBase < PCI_MEM_WINDOW_BASE) {
    throw new ConfigError(`PCI devices need ${memSum} bytes of memory space; the PCI hole below the IOAPIC is too small`);
  }

  let next = PCI_IO_WINDOW_BASE;
  for (const r of io) {
    host.writeConfig(r.devfn, PCI_BASE_ADDRESS_0 + 4 * r.bar, 4, next);
    next += r.size;
  }
  next = memBase;
  for (const r of mem) {
    host.writeConfig(r.devfn, PCI_BASE_ADDRESS_0 + 4 * r.bar, 4, next);
    next += r.size;
  }

  for (const [devfn, fn] of host.functions) {
    const pin = host.readConfig(devfn, PCI_INTERRUPT_PIN, 1);
    if (pin >= 1 && pin <= 4) host.writeConfig(devfn, PCI_INTERRUPT_LINE, 1, host.router.irqOf(devfn >>> 3, pin));
    const command = host.readConfig(devfn, PCI_COMMAND, 2);
    const enable = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | (fn === host.hostBridge ? 0 : PCI_COMMAND_MASTER);
    host.writeConfig(devfn, PCI_COMMAND, 2, command | enable);
  }
}

/** MP table PCI interrupt sources: [slot, pin (1 = INTA#), IOAPIC pin], one per slot and pin, sorted. */
export function mpTableIrqs(host: PciHost): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (const [devfn, fn] of host.functions) {
    const slot = devfn >>> 3;
    const pin = fn.interruptPin;
    if (pin === 0 || out.some(([s, p]) => s === slot && p === pin)) continue;
    out.push([slot, pin, host.router.irqOf(slot, pin)]);
  }
  return out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}
