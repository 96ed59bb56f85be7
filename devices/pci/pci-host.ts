/**
 * The PCI host: bus 0 behind an i440FX-like host bridge at 00:00.0, reached through configuration
 * mechanism #1, with the INTx router and the BAR mapper.
 *
 * Ports (registerPorts): CONFADD at 0xCF8-0xCFB and CONFDATA at 0xCFC-0xCFF, two port devices.
 * - CONFADD answers aligned dword accesses only, as the 440FX does. Every other access to
 *   0xCF8-0xCFB (a byte, a word) goes on to the `legacy` port device given in the wiring with its
 *   offset from 0xCF8: on the PC that is the PIIX3 reset control register (devices/misc/piix-rcr.ts),
 *   which answers a byte at 0xCF9 and nothing else. So a dword to 0xCF8 is never split into a byte
 *   write to 0xCF9, and a byte write to 0xCF9 still resets. Without `legacy` they read all ones.
 *   CONFADD keeps bits 31 and 23:2 (bits 30:24 and 1:0 read 0, as the specification says).
 * - CONFDATA: byte, word and dword accesses at any offset inside the dword reach the addressed
 *   register (register + port offset). With CONFADD's enable bit clear, another bus than 0, or an
 *   absent function, reads return all ones and writes are dropped.
 *
 * State (`/machine/pci`, type `i440fx-pcihost`): CONFADD and the host bridge's configuration space.
 * Other functions' state belongs to their devices. Post-load re-derives the BAR mappings and the
 * INTx line levels of every plugged function, driving no line.
 */
import type { IoBus, PortDevice } from '../../src/bus/io-bus.ts';
import { IO_8, IO_16, IO_32 } from '../../src/bus/io-bus.ts';
import type { MmioBus } from '../../src/bus/mmio-bus.ts';
import type { IrqSink } from '../../src/irq.ts';
import { PRIORITY_PCI, type StateObject } from '../../src/qom/object.ts';
import { WiringError } from '../../src/util/errors.ts';
import type { Visitor } from '../../src/visit/visitor.ts';
import { PciBarMapper } from './pci-bar-mapper.ts';
import { PciFunction } from './pci-function.ts';
import { PciIntxRouter } from './pci-intx-router.ts';
import type { MsiSink } from './pci-msix.ts';
import {
  CONFADD_BUS_SHIFT,
  CONFADD_DEVFN_SHIFT,
  CONFADD_ENABLE,
  CONFADD_MASK,
  CONFADD_REGISTER_MASK,
  I440FX_DEVICE_ID,
  I440FX_REVISION,
  I440FX_VENDOR_ID,
  PCI_BASE_ADDRESS_0,
  PCI_BASE_ADDRESS_END,
  PCI_CLASS_BRIDGE_HOST,
  PCI_COMMAND,
  PCI_DEVFNS,
  PCI_FUNCTIONS_PER_SLOT,
  PCI_SLOTS,
} from './pci-regs.ts';
import { PCI_CONFIG_ADDRESS_PORT, PCI_CONFIG_DATA_PORT } from '../../src/hw/pc-layout.ts';

export interface PciHostWiring {
  /** Where I/O BARs are mapped. */
  readonly io: IoBus;
  /** Where memory BARs are mapped. */
  readonly mmio: MmioBus;
  /** ISA/GSI lines the INTx router drives. */
  readonly irq: IrqSink;
  /** Where MSI-X messages go. */
  readonly msi: MsiSink;
  /** What non-dword accesses to 0xCF8-0xCFB reach (offset from 0xCF8): the reset control register. */
  readonly legacy?: PortDevice;
}

const allOnes = (size: number) => (size === 4 ? 0xffffffff : (1 << (size * 8)) - 1);

/** True when a configuration write to [offset, offset + size) can change where BARs decode. */
function touchesDecoding(offset: number, size: number): boolean {
  const end = offset + size;
  return (offset < PCI_BASE_ADDRESS_END && PCI_BASE_ADDRESS_0 < end) || (offset <= PCI_COMMAND && PCI_COMMAND < end);
}

export class PciHost implements StateObject {
  readonly typeName = 'i440fx-pcihost';
  readonly stateVersion = 1;
  /** After the interrupt controllers (whose loaded inputs it trusts), before the devices behind it. */
  readonly postLoadPriority = PRIORITY_PCI;
  /** The host bridge, 00:00.0. */
  readonly hostBridge: PciFunction;
  readonly router: PciIntxRouter;
  private readonly mapper: PciBarMapper;
  private readonly msi: MsiSink;
  private readonly legacy: PortDevice | null;
  private readonly slots: (PciFunction | null)[] = new Array<PciFunction | null>(PCI_DEVFNS).fill(null);
  /** Plugged functions in devfn order. */
  private plugged: [number, PciFunction][] = [];
  /** CONFADD. */
  confAddr = 0;
  /** CONFADD at 0xCF8 (four ports). */
  readonly addressPorts: PortDevice;
  /** CONFDATA at 0xCFC (four ports). */
  readonly dataPorts: PortDevice;

  constructor(wiring: PciHostWiring) {
    this.router = new PciIntxRouter(wiring.irq);
    this.mapper = new PciBarMapper(wiring.io, wiring.mmio);
    this.msi = wiring.msi;
    this.legacy = wiring.legacy ?? null;
    this.addressPorts = {
      ioRead: (offset, size) => this.addressRead(offset, size),
      ioWrite: (offset, size, value) => this.addressWrite(offset, size, value),
    };
    this.dataPorts = {
      ioRead: (offset, size) => this.configRead(this.confAddr, offset, size),
      ioWrite: (offset, size, value) => this.configWrite(this.confAddr, offset, size, value),
    };
    this.hostBridge = new PciFunction({
      vendorId: I440FX_VENDOR_ID,
      deviceId: I440FX_DEVICE_ID,
      revision: I440FX_REVISION,
      classCode: PCI_CLASS_BRIDGE_HOST,
    });
    this.plugAt(0, this.hostBridge);
  }

  /** Map CONFADD and CONFDATA (0xCF8-0xCFF); the legacy device must not be registered there. */
  registerPorts(io: IoBus): void {
    io.register(PCI_CONFIG_ADDRESS_PORT, 4, this.addressPorts, IO_8 | IO_16 | IO_32);
    io.register(PCI_CONFIG_DATA_PORT, 4, this.dataPorts, IO_8 | IO_16 | IO_32);
  }

  /** Plug `fn` as function `func` (0-7) of `slot` (1-31). Slot 0 holds the host bridge. */
  plug(slot: number, fn: PciFunction, func = 0): void {
    if (!Number.isInteger(slot) || slot < 1 || slot >= PCI_SLOTS || !Number.isInteger(func) || func < 0 || func >= PCI_FUNCTIONS_PER_SLOT) {
      throw new WiringError(`PCI slot ${slot} function ${func} is not a free place on bus 0 (slots 1-31, functions 0-7)`);
    }
    this.plugAt((slot << 3) | func, fn);
  }

  private plugAt(devfn: number, fn: PciFunction): void {
    if (this.slots[devfn] !== null) throw new WiringError(`PCI ${devfn >>> 3}.${devfn & 7} is taken`);
    fn.attach({ setIntx: (level) => this.router.setLevel(devfn, level), msi: this.msi });
    if (fn.interruptPin !== 0) this.router.connect(devfn, fn.interruptPin);
    this.slots[devfn] = fn;
    this.plugged = this.slots.flatMap((f, i) => (f === null ? [] : [[i, f] as [number, PciFunction]]));
    const first = devfn & ~7;
    const fn0 = this.slots[first];
    const others = this.slots.slice(first + 1, first + PCI_FUNCTIONS_PER_SLOT).some((f) => f !== null);
    fn0?.setMultiFunction(others);
  }

  /** The function at `devfn` (slot << 3 | function), or null. */
  functionAt(devfn: number): PciFunction | null {
    return this.slots[devfn] ?? null;
  }

  /** Plugged functions as [devfn, function], in devfn order. */
  get functions(): readonly (readonly [number, PciFunction])[] {
    return this.plugged;
  }

  /** The BARs on the buses now. */
  get mappings() {
    return this.mapper.mappings;
  }

  // ---- Configuration mechanism #1 ----

  private addressRead(offset: number, size: number): number {
    if (offset === 0 && size === 4) return this.confAddr >>> 0;
    return this.legacy !== null ? this.legacy.ioRead(offset, size) : allOnes(size);
  }

  private addressWrite(offset: number, size: number, value: number): void {
    if (offset === 0 && size === 4) this.confAddr = (value & CONFADD_MASK) >>> 0;
    else this.legacy?.ioWrite(offset, size, value);
  }

  /** The function a CONFADD value selects, or null (disabled, another bus, nothing there). */
  private selected(address: number): PciFunction | null {
    if ((address & CONFADD_ENABLE) === 0 || ((address >>> CONFADD_BUS_SHIFT) & 0xff) !== 0) return null;
    return this.slots[(address >>> CONFADD_DEVFN_SHIFT) & 0xff] ?? null;
  }

  /** A read through CONFDATA + `offset` with CONFADD = `address`. */
  configRead(address: number, offset: number, size: number): number {
    const fn = this.selected(address);
    if (fn === null) return allOnes(size);
    return fn.configRead((address & CONFADD_REGISTER_MASK) + offset, size);
  }

  /** A write through CONFDATA + `offset` with CONFADD = `address`; BARs remap when decoding may change. */
  configWrite(address: number, offset: number, size: number, value: number): void {
    const fn = this.selected(address);
    if (fn === null) return;
    const register = (address & CONFADD_REGISTER_MASK) + offset;
    fn.configWrite(register, size, value);
    if (touchesDecoding(register, size)) this.mapper.update(this.plugged);
  }

  /** Firmware and tests: configuration access to `devfn` on bus 0 without touching CONFADD. */
  readConfig(devfn: number, register: number, size: number): number {
    return this.configRead(CONFADD_ENABLE | (devfn << CONFADD_DEVFN_SHIFT) | (register & CONFADD_REGISTER_MASK), register & 3, size);
  }

  writeConfig(devfn: number, register: number, size: number, value: number): void {
    this.configWrite(CONFADD_ENABLE | (devfn << CONFADD_DEVFN_SHIFT) | (register & CONFADD_REGISTER_MASK), register & 3, size, value);
  }

  /** Power-on: CONFADD 0, every function reset (INTx lines driven low), no BAR mapped. */
  reset(): void {
    this.confAddr = 0;
    for (const [, fn] of this.plugged) fn.reset();
    this.mapper.update(this.plugged);
  }

  visit(v: Visitor): void {
    this.confAddr = (v.u32('confadd', this.confAddr) & CONFADD_MASK) >>> 0;
    v.struct('host_bridge', () => this.hostBridge.visit(v));
  }

  /** Every plugged function's state is loaded by now: re-derive INTx levels (silently) and BAR mappings. */
  postLoad(): void {
    this.router.restore((devfn) => this.slots[devfn]?.restoreIntx() ?? 0);
    this.mapper.update(this.plugged);
  }
}
