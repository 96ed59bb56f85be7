/**
 * A PCI function: a type 0 header (identity, command, status, interrupt line and pin) in 256 bytes
 * of configuration space, up to six 32-bit BARs with handlers, capabilities chained from 0x34,
 * optional MSI-X, and its INTx request.
 *
 * A device builds its function (identity, BARs, capabilities, extra writable bytes) and hands it to
 * the bus, which seals the definition and gives it its only outside capabilities: an INTx output
 * and an MSI sink. The function never holds the bus; the bus maps its BARs after configuration
 * writes, resets and loads.
 *
 * Guest writes go through the masks (pci-config-space.ts): the command register takes I/O, memory,
 * bus master, SERR and INTx disable; the status error bits are write-1-to-clear; cache line size
 * and interrupt line are read-write; BARs take their address bits; everything else is read-only.
 * Bytes of 0x40-0xFF outside capabilities read 0 and are read-only (QEMU makes them writable
 * scratch; real functions do not). The INTx output is the request (status bit 3) unless INTx
 * disable is set or MSI-X is enabled.
 */
import { WiringError } from '../../src/util/errors.ts';
import type { Visitable, Visitor } from '../../src/visit/visitor.ts';
import { PciBar, type PciBarHandler } from './pci-bar.ts';
import { isValidConfigAccess, PciConfigSpace } from './pci-config-space.ts';
import { Msix, msixPbaBytes, type MsiSink } from './pci-msix.ts';
import {
  PCI_BAR_IO_MAX_SIZE,
  PCI_BAR_IO_MIN_SIZE,
  PCI_BAR_MEM_MAX_SIZE,
  PCI_BAR_MEM_MIN_SIZE,
  PCI_BAR_SPACE_IO,
  PCI_BAR_SPACE_MEMORY,
  PCI_BASE_ADDRESS_0,
  PCI_CACHE_LINE_SIZE,
  PCI_CAP_ID_MSIX,
  PCI_CLASS_PROG,
  PCI_COMMAND,
  PCI_COMMAND_INTX_DISABLE,
  PCI_COMMAND_IO,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  PCI_COMMAND_SERR,
  PCI_DEVICE_ID,
  PCI_HEADER_TYPE,
  PCI_HEADER_TYPE_MULTI_FUNCTION,
  PCI_INTERRUPT_LINE,
  PCI_INTERRUPT_PIN,
  PCI_MSIX_BIR_MASK,
  PCI_MSIX_CAP_LENGTH,
  PCI_MSIX_ENTRY_SIZE,
  PCI_MSIX_FLAGS,
  PCI_MSIX_FLAGS_ENABLE,
  PCI_MSIX_FLAGS_MASKALL,
  PCI_MSIX_MAX_VECTORS,
  PCI_MSIX_PBA,
  PCI_MSIX_TABLE,
  PCI_NUM_BARS,
  PCI_REVISION_ID,
  PCI_STATUS,
  PCI_STATUS_INTERRUPT,
  PCI_STATUS_W1C,
  PCI_SUBDEVICE_ID_QEMU,
  PCI_SUBSYSTEM_ID,
  PCI_SUBSYSTEM_VENDOR_ID,
  PCI_SUBVENDOR_ID_REDHAT_QUMRANET,
  PCI_VENDOR_ID,
} from './pci-regs.ts';

export interface PciIdentity {
  readonly vendorId: number;
  readonly deviceId: number;
  /** 24 bits: base class << 16 | sub-class << 8 | programming interface. */
  readonly classCode: number;
  readonly revision?: number;
  /** Default: QEMU's 0x1AF4 / 0x1100. */
  readonly subsystemVendorId?: number;
  readonly subsystemId?: number;
  /** 0 none (default), 1..4 INTA#..INTD#. */
  readonly interruptPin?: number;
}

/** A device's view of configuration accesses to its function (QEMU's config_read/config_write). */
export interface PciConfigHooks {
  /** Before the bytes of a read are taken: refresh device-owned bytes. */
  configRead?(offset: number, size: number): void;
  /** After a write went through the masks and the function's own effects. */
  configWrite?(offset: number, size: number, value: number): void;
}

/** What the bus gives a function when it is plugged. */
export interface PciFunctionWiring {
  /** The function's INTx output level (already gated by INTx disable and MSI-X). */
  setIntx(level: number): void;
  readonly msi: MsiSink;
}

/** Where MSI-X's table and PBA live: BAR numbers and 8-byte-aligned offsets inside them. */
export interface MsixLayout {
  readonly tableBar: number;
  readonly tableOffset: number;
  readonly pbaBar: number;
  readonly pbaOffset: number;
}

const isPowerOfTwo = (n: number) => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
const hex = (n: number) => `0x${n.toString(16)}`;
const fits = (v: number, bits: number) => Number.isInteger(v) && v >= 0 && v < 2 ** bits;

/** True when [offset, offset + size) covers byte `at`. */
export function coversByte(offset: number, size: number, at: number): boolean {
  return at >= offset && at < offset + size;
}

export class PciFunction implements Visitable {
  private readonly space = new PciConfigSpace();
  /** Configuration space as the guest reads it; a device may change bytes it marked dynamic. */
  readonly config: Uint8Array = this.space.bytes;
  private readonly bars: (PciBar | null)[] = new Array<PciBar | null>(PCI_NUM_BARS).fill(null);
  private msixState: Msix | null = null;
  private readonly hooks: PciConfigHooks;
  private wiring: PciFunctionWiring | null = null;
  /** The INTx output last driven (derived from configuration space). */
  private intxOut = 0;

  constructor(id: PciIdentity, hooks: PciConfigHooks = {}) {
    const pin = id.interruptPin ?? 0;
    const subVendor = id.subsystemVendorId ?? PCI_SUBVENDOR_ID_REDHAT_QUMRANET;
    const subId = id.subsystemId ?? PCI_SUBDEVICE_ID_QEMU;
    if (!fits(id.vendorId, 16) || id.vendorId === 0xffff) throw new WiringError(`PCI vendor id ${hex(id.vendorId)} is not valid`);
    if (!fits(id.deviceId, 16) || !fits(id.classCode, 24) || !fits(id.revision ?? 0, 8) || !fits(subVendor, 16) || !fits(subId, 16) || !fits(pin, 3) || pin > 4) {
      throw new WiringError(`PCI function ${hex(id.vendorId)}:${hex(id.deviceId)}: bad device id, class, revision, subsystem or interrupt pin`);
    }
    this.hooks = hooks;
    const s = this.space;
    s.set(PCI_VENDOR_ID, 2, id.vendorId);
    s.set(PCI_DEVICE_ID, 2, id.deviceId);
    s.set(PCI_REVISION_ID, 1, id.revision ?? 0);
    s.set(PCI_CLASS_PROG, 3, id.classCode);
    s.set(PCI_SUBSYSTEM_VENDOR_ID, 2, subVendor);
    s.set(PCI_SUBSYSTEM_ID, 2, subId);
    s.set(PCI_INTERRUPT_PIN, 1, pin);
    s.setWmask(PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
    s.setWmask(PCI_CACHE_LINE_SIZE, 1, 0xff);
    s.setWmask(PCI_INTERRUPT_LINE, 1, 0xff);
    s.w1cmask[PCI_STATUS] = PCI_STATUS_W1C & 0xff;
    s.w1cmask[PCI_STATUS + 1] = PCI_STATUS_W1C >>> 8;
    s.dynamic[PCI_STATUS] = PCI_STATUS_INTERRUPT;
  }

  private checkUnsealed(what: string): void {
    if (this.space.sealed) {
      throw new WiringError(`PCI function ${hex(this.space.get16(PCI_VENDOR_ID))}:${hex(this.space.get16(PCI_DEVICE_ID))}: ${what} after it was plugged`);
    }
  }

  // ---- Definition (before the function is plugged) ----

  /** An I/O BAR of `size` ports (a power of two, 4 to 65536). */
  defineIoBar(index: number, size: number, handler: PciBarHandler): PciBar {
    if (!isPowerOfTwo(size) || size < PCI_BAR_IO_MIN_SIZE || size > PCI_BAR_IO_MAX_SIZE) {
      throw new WiringError(`I/O BAR ${index}: size ${size} is not a power of two from 4 to 65536`);
    }
    return this.defineBar(new PciBar(index, PCI_BAR_SPACE_IO, size, handler, false));
  }

  /** A 32-bit memory BAR of `size` bytes (a power of two, 16 bytes to 2 GiB); `handler` null reads 0. */
  defineMemoryBar(index: number, size: number, handler: PciBarHandler | null, prefetchable = false): PciBar {
    if (!isPowerOfTwo(size) || size < PCI_BAR_MEM_MIN_SIZE || size > PCI_BAR_MEM_MAX_SIZE) {
      throw new WiringError(`memory BAR ${index}: size ${size} is not a power of two from 16 bytes to 2 GiB`);
    }
    return this.defineBar(new PciBar(index, PCI_BAR_SPACE_MEMORY, size, handler, prefetchable));
  }

  private defineBar(bar: PciBar): PciBar {
    this.checkUnsealed(`BAR ${bar.index} defined`);
    const i = bar.index;
    if (!Number.isInteger(i) || i < 0 || i >= PCI_NUM_BARS || this.bars[i] !== null) {
      throw new WiringError(`BAR ${i} is not a free BAR number (0-5)`);
    }
    this.bars[i] = bar;
    this.space.set(PCI_BASE_ADDRESS_0 + 4 * i, 4, bar.flags);
    this.space.setWmask(PCI_BASE_ADDRESS_0 + 4 * i, 4, bar.addressMask);
    return bar;
  }

  /**
   * A capability of `length` bytes (id and next pointer included), chained at the end of the list
   * from 0x34, at `offset` or the first free dword from 0x40; read-only until setWriteMask.
   * Returns its offset.
   */
  addCapability(id: number, length: number, offset?: number): number {
    this.checkUnsealed(`capability ${hex(id)} added`);
    return this.space.addCapability(id, length, offset);
  }

  /**
   * Definition bytes of a capability's body (a vendor capability's fields): `size` bytes (1, 2 or 4)
   * of `value` at `offset`, which must lie inside a capability added before. They are read-only to
   * the guest unless setWriteMask says otherwise, and part of the reset image.
   */
  defineConfig(offset: number, size: number, value: number): void {
    this.checkUnsealed('configuration bytes defined');
    this.space.defineBytes(offset, size, value);
  }

  /** Make bits of `length` bytes from `offset` writable (registers inside a capability). */
  setWriteMask(offset: number, length: number, mask = 0xff): void {
    this.checkUnsealed('a write mask set');
    this.space.setWriteMask(offset, length, mask);
  }

  /** Read-only bits of `length` bytes from `offset` that the device changes itself (a loaded state keeps them). */
  markDynamic(offset: number, length: number, mask = 0xff): void {
    this.checkUnsealed('dynamic bytes marked');
    this.space.markDynamic(offset, length, mask);
  }

  /**
   * MSI-X with `vectors` vectors whose table and PBA live in memory BARs already defined, laid over
   * their handlers there. Vectors start masked. The capability goes at `capOffset` when given (a
   * device copying another's layout), else at the first free dword from 0x40.
   */
  addMsix(vectors: number, layout: MsixLayout, capOffset?: number): Msix {
    this.checkUnsealed('MSI-X added');
    if (this.msixState !== null) throw new WiringError('MSI-X added twice');
    if (!Number.isInteger(vectors) || vectors < 1 || vectors > PCI_MSIX_MAX_VECTORS) {
      throw new WiringError(`MSI-X with ${vectors} vectors (1 to 2048)`);
    }
    const tableBytes = vectors * PCI_MSIX_ENTRY_SIZE;
    const pbaBytes = msixPbaBytes(vectors);
    const { tableBar, tableOffset, pbaBar, pbaOffset } = layout;
    const place = (n: number, offset: number, bytes: number, what: string): PciBar => {
      const bar = this.bars[n];
      if (bar === undefined || bar === null || !bar.isMemory) throw new WiringError(`MSI-X ${what}: BAR ${n} is not a memory BAR`);
      if (!Number.isInteger(offset) || offset < 0 || (offset & PCI_MSIX_BIR_MASK) !== 0 || offset + bytes > bar.size || bar.overlaps(offset, offset + bytes)) {
        throw new WiringError(`MSI-X ${what} at ${hex(offset)} (${bytes} bytes) does not fit 8-byte aligned and free in BAR ${n}`);
      }
      return bar;
    };
    const tableIn = place(tableBar, tableOffset, tableBytes, 'table');
    const pbaIn = place(pbaBar, pbaOffset, pbaBytes, 'PBA');
    if (tableIn === pbaIn && tableOffset < pbaOffset + pbaBytes && pbaOffset < tableOffset + tableBytes) {
      throw new WiringError('MSI-X table and PBA overlap');
    }
    const cap = this.space.addCapability(PCI_CAP_ID_MSIX, PCI_MSIX_CAP_LENGTH, capOffset);
    const msix = new Msix(this.config, cap, vectors, (lo, hi, data) => this.sendMsi(lo, hi, data));
    tableIn.addOverlay(tableOffset, tableOffset + tableBytes, { read: (o, n) => msix.tableRead(o, n), write: (o, n, v) => msix.tableWrite(o, n, v) });
    pbaIn.addOverlay(pbaOffset, pbaOffset + pbaBytes, { read: (o, n) => msix.pbaRead(o, n), write: () => {} });
    this.space.set(cap + PCI_MSIX_FLAGS, 2, vectors - 1);
    this.space.set(cap + PCI_MSIX_TABLE, 4, tableOffset | tableBar);
    this.space.set(cap + PCI_MSIX_PBA, 4, pbaOffset | pbaBar);
    this.space.setWmask(cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
    this.msixState = msix;
    return msix;
  }

  /**
   * MSI-X in a memory BAR of its own, as QEMU's msix_init_exclusive_bar: 4 KiB with the table at 0
   * and the PBA at 2 KiB, or (past 128 vectors) the PBA right after the table in a larger BAR. The
   * capability goes at `capOffset` when given (see addMsix).
   */
  addMsixExclusiveBar(vectors: number, bar: number, capOffset?: number): Msix {
    const tableBytes = vectors * PCI_MSIX_ENTRY_SIZE;
    let size = 0x1000;
    let pbaOffset = size / 2;
    if (tableBytes > pbaOffset) {
      pbaOffset = tableBytes;
      while (size < tableBytes + msixPbaBytes(vectors)) size *= 2;
    }
    this.defineMemoryBar(bar, size, null);
    return this.addMsix(vectors, { tableBar: bar, tableOffset: 0, pbaBar: bar, pbaOffset }, capOffset);
  }

  // ---- What the device uses at run time ----

  get msix(): Msix | null {
    return this.msixState;
  }

  bar(index: number): PciBar | null {
    return this.bars[index] ?? null;
  }

  get command(): number {
    return this.space.get16(PCI_COMMAND);
  }

  get busMaster(): boolean {
    return (this.command & PCI_COMMAND_MASTER) !== 0;
  }

  get interruptPin(): number {
    return this.space.get8(PCI_INTERRUPT_PIN);
  }

  /** The device's INTx request (status bit 3). */
  get intxRequest(): number {
    return (this.space.get8(PCI_STATUS) & PCI_STATUS_INTERRUPT) !== 0 ? 1 : 0;
  }

  /** The INTx output: the request, unless INTx is disabled, MSI-X is enabled, or there is no pin. */
  get intxOutput(): number {
    if (this.intxRequest === 0 || this.interruptPin === 0) return 0;
    if ((this.command & PCI_COMMAND_INTX_DISABLE) !== 0) return 0;
    return this.msixState !== null && this.msixState.enabled ? 0 : 1;
  }

  /** Assert (1) or deassert (0) the device's INTx request. */
  setIntx(level: number): void {
    if (level) this.config[PCI_STATUS]! |= PCI_STATUS_INTERRUPT;
    else this.config[PCI_STATUS]! &= ~PCI_STATUS_INTERRUPT;
    this.updateIntx();
  }

  /** Signal MSI-X vector `vector` (nothing without MSI-X). */
  notify(vector: number): void {
    this.msixState?.notify(vector);
  }

  private updateIntx(): void {
    const out = this.intxOutput;
    if (out === this.intxOut) return;
    this.intxOut = out;
    this.wiring?.setIntx(out);
  }

  /** An MSI is a memory write: none without bus mastering, none above 4 GiB (QEMU's bus-master address space). */
  private sendMsi(addressLo: number, addressHi: number, data: number): void {
    if (addressHi !== 0 || !this.busMaster || this.wiring === null) return;
    this.wiring.msi.signalMsi(addressLo, data);
  }

  // ---- What the bus uses ----

  /** Plugging: fix the definition (the reset image) and take the bus's wiring. */
  attach(wiring: PciFunctionWiring): void {
    if (this.wiring !== null) throw new WiringError('PCI function plugged twice');
    this.space.seal();
    this.wiring = wiring;
  }

  /** Header type bit 7, on function 0 of a slot with other functions (the bus sets it). */
  setMultiFunction(on: boolean): void {
    this.space.setFixedBits(PCI_HEADER_TYPE, PCI_HEADER_TYPE_MULTI_FUNCTION, on);
  }

  /** A configuration read of 1, 2 or 4 bytes within one dword (anything else reads all ones). */
  configRead(offset: number, size: number): number {
    if (!isValidConfigAccess(offset, size)) return size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
    this.hooks.configRead?.(offset, size);
    return this.space.read(offset, size);
  }

  /** A configuration write of 1, 2 or 4 bytes within one dword, through the masks (anything else is dropped). */
  configWrite(offset: number, size: number, value: number): void {
    if (!isValidConfigAccess(offset, size)) return;
    const msix = this.msixState;
    const wasMasked = msix !== null && msix.functionMasked;
    this.space.write(offset, size, value);
    if (msix !== null && coversByte(offset, size, msix.capOffset + PCI_MSIX_FLAGS + 1)) msix.controlWritten(wasMasked);
    this.updateIntx();
    this.hooks.configWrite?.(offset, size, value);
  }

  /** Power-on state: the reset image, MSI-X masked and empty, INTx deasserted (driven low if it was high). */
  reset(): void {
    this.space.reset();
    this.msixState?.reset();
    this.updateIntx();
  }

  /** After a load: take the INTx output from the loaded state without driving it; returns it. */
  restoreIntx(): number {
    this.intxOut = this.intxOutput;
    return this.intxOut;
  }

  /**
   * Configuration space (256 bytes) and, with MSI-X, its table and PBA. Loading keeps the read-only
   * bits of the definition (identity, BAR flags, capability layout), whatever the saved bytes say:
   * only writable, write-1-to-clear and dynamic bits come from the state.
   */
  visit(v: Visitor): void {
    this.space.seal();
    v.u8Array('config', this.config);
    const msix = this.msixState;
    if (msix !== null) v.struct('msix', () => msix.visit(v));
    if (v.mode === 'load') this.space.keepDefinition();
  }
}
