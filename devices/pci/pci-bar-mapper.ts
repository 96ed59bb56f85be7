/**
 * Puts the BARs that decode onto the port and MMIO buses, as a pure function of configuration
 * space: after any change the whole set is recomputed in a fixed order, so the result never depends
 * on the order in which the guest moved things (and post-load rebuilds it from the loaded bytes).
 *
 * Conflicts never throw and never reach the guest as errors; a BAR that cannot decode stays
 * unmapped until the conflict goes away:
 * - a range another device holds (the IOAPIC window, the serial port, CONFADD...) wins over a BAR,
 *   as QEMU gives the PCI address space a lower priority than the system's devices;
 * - between BARs, the lower device/function number and then the lower BAR number wins (two
 *   functions decoding one address is undefined on a real bus; QEMU leaves it to region order).
 * RAM needs no rule: the MMIO bus only sees addresses that are not RAM, so RAM shadows a BAR placed
 * over it, again as in QEMU, and the LAPIC window is served by the CPU before the bus.
 */
import type { IoBus } from '../../src/bus/io-bus.ts';
import { IO_8, IO_16, IO_32 } from '../../src/bus/io-bus.ts';
import type { MmioBus } from '../../src/bus/mmio-bus.ts';
import type { PciBar } from './pci-bar.ts';
import type { PciFunction } from './pci-function.ts';
import { PCI_BAR_SPACE_IO, PCI_BASE_ADDRESS_0, PCI_NUM_BARS } from './pci-regs.ts';

/** A BAR decoding at an address. */
export interface BarMapping {
  readonly devfn: number;
  readonly bar: PciBar;
  readonly address: number;
}

function sameMappings(a: readonly BarMapping[], b: readonly BarMapping[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.bar !== b[i]!.bar || a[i]!.address !== b[i]!.address) return false;
  return true;
}

export class PciBarMapper {
  private readonly io: IoBus;
  private readonly mmio: MmioBus;
  /** What the functions asked for last time, and what got mapped. */
  private wanted: BarMapping[] = [];
  private mapped: BarMapping[] = [];

  constructor(io: IoBus, mmio: MmioBus) {
    this.io = io;
    this.mmio = mmio;
  }

  /** The BARs on the buses now, in devfn and BAR order. */
  get mappings(): readonly BarMapping[] {
    return this.mapped;
  }

  /**
   * Recompute from `functions` (devfn, function) in devfn order. Nothing is touched when the
   * decoding BARs are the same as last time.
   */
  update(functions: readonly (readonly [number, PciFunction])[]): void {
    const wanted: BarMapping[] = [];
    for (const [devfn, fn] of functions) {
      const command = fn.command;
      for (let i = 0; i < PCI_NUM_BARS; i++) {
        const bar = fn.bar(i);
        if (bar === null) continue;
        const off = PCI_BASE_ADDRESS_0 + 4 * i;
        const register = (fn.config[off]! | (fn.config[off + 1]! << 8) | (fn.config[off + 2]! << 16) | (fn.config[off + 3]! << 24)) >>> 0;
        const address = bar.decode(register, command);
        if (address >= 0) wanted.push({ devfn, bar, address });
      }
    }
    if (sameMappings(wanted, this.wanted)) return;
    for (const m of this.mapped) {
      if (m.bar.space === PCI_BAR_SPACE_IO) this.io.unregister(m.address, m.bar.size);
      else this.mmio.unregister(m.address);
    }
    const mapped: BarMapping[] = [];
    for (const m of wanted) {
      const bar = m.bar;
      if (bar.space === PCI_BAR_SPACE_IO) {
        if (!this.io.isFree(m.address, bar.size)) continue;
        this.io.register(m.address, bar.size, bar, IO_8 | IO_16 | IO_32);
      } else {
        if (!this.mmio.isFree(m.address, bar.size)) continue;
        this.mmio.register(m.address, bar.size, bar, `pci ${m.devfn >>> 3}.${m.devfn & 7} BAR ${bar.index}`);
      }
      mapped.push(m);
    }
    this.wanted = wanted;
    this.mapped = mapped;
  }
}
