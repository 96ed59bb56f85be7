/**
 * One base address register of a function: its space (I/O or 32-bit memory), its size, the bits it
 * shows in configuration space, how its address decodes, and the window the bus maps (the device's
 * handler, with the MSI-X table and PBA laid over it where they live in this BAR).
 *
 * The window sees offsets relative to the BAR's base. An access that runs past the end of the BAR
 * or straddles the edge of an overlay is split into bytes; bytes past the end read 0xFF and drop
 * writes. A BAR without a handler (an MSI-X-only BAR) reads 0 outside its overlays.
 */
import type { MmioDevice } from '../../src/bus/mmio-bus.ts';
import type { PortDevice } from '../../src/bus/io-bus.ts';
import {
  PCI_BAR_SPACE_IO,
  PCI_BAR_SPACE_MEMORY,
  PCI_BASE_ADDRESS_IO_MASK,
  PCI_BASE_ADDRESS_MEM_MASK,
  PCI_BASE_ADDRESS_MEM_PREFETCH,
  PCI_BASE_ADDRESS_SPACE_IO,
  PCI_COMMAND_IO,
  PCI_COMMAND_MEMORY,
} from './pci-regs.ts';

/** What a device gives a BAR: reads and writes at offsets from the BAR's base, of 1, 2 or 4 bytes. */
export interface PciBarHandler {
  read(offset: number, size: number): number;
  write(offset: number, size: number, value: number): void;
}

/** A part of a BAR served by someone other than the BAR's handler (the MSI-X table, the PBA). */
interface Overlay {
  readonly start: number;
  readonly end: number;
  readonly handler: PciBarHandler;
}

/** An access that straddles the edge of an overlay: split into bytes. */
const STRADDLES = 'straddles';

function sizeMask(size: number): number {
  return size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
}

export class PciBar implements PortDevice, MmioDevice {
  readonly index: number;
  /** PCI_BAR_SPACE_IO or PCI_BAR_SPACE_MEMORY. */
  readonly space: number;
  /** Bytes (a power of two). */
  readonly size: number;
  /** Read-only low bits of the register: the space bit, the memory type and prefetchable bits. */
  readonly flags: number;
  /** Writable address bits of the register: everything above the size. */
  readonly addressMask: number;
  private readonly handler: PciBarHandler | null;
  private readonly overlays: Overlay[] = [];

  constructor(index: number, space: number, size: number, handler: PciBarHandler | null, prefetchable: boolean) {
    this.index = index;
    this.space = space;
    this.size = size;
    this.handler = handler;
    const io = space === PCI_BAR_SPACE_IO;
    this.flags = io ? PCI_BASE_ADDRESS_SPACE_IO : prefetchable ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0;
    this.addressMask = (~(size - 1) & (io ? PCI_BASE_ADDRESS_IO_MASK : PCI_BASE_ADDRESS_MEM_MASK)) >>> 0;
  }

  /** Lay `handler` over [start, end) of the BAR (offsets passed on relative to start). */
  addOverlay(start: number, end: number, handler: PciBarHandler): void {
    this.overlays.push({ start, end, handler });
  }

  /** True when [start, end) overlaps an overlay already laid. */
  overlaps(start: number, end: number): boolean {
    return this.overlays.some((o) => start < o.end && o.start < end);
  }

  /**
   * Where the BAR decodes, given its register value and the command register, or -1 when it does
   * not: decoding off for its space, address 0 (never a valid assignment, as QEMU), an I/O range
   * past port 0xFFFF, or a memory range that reaches 0xFFFFFFFF (the value left by sizing, as QEMU
   * treats all-ones).
   */
  decode(register: number, command: number): number {
    const address = (register & this.addressMask) >>> 0;
    if (address === 0) return -1;
    if (this.space === PCI_BAR_SPACE_IO) {
      if ((command & PCI_COMMAND_IO) === 0 || address + this.size > 0x10000) return -1;
      return address;
    }
    if ((command & PCI_COMMAND_MEMORY) === 0 || address + this.size > 0xffffffff) return -1;
    return address;
  }

  get isMemory(): boolean {
    return this.space === PCI_BAR_SPACE_MEMORY;
  }

  // ---- The window the bus maps ----

  /** The overlay holding all of [offset, end), null for none, or SPLIT_OVERLAY when one is straddled. */
  private overlayFor(offset: number, end: number): Overlay | null | typeof STRADDLES {
    for (const o of this.overlays) {
      if (offset >= o.start && end <= o.end) return o;
      if (offset < o.end && o.start < end) return STRADDLES;
    }
    return null;
  }

  read(offset: number, size: number): number {
    if (offset + size <= this.size) {
      const o = this.overlayFor(offset, offset + size);
      if (o !== STRADDLES) {
        const v = o !== null ? o.handler.read(offset - o.start, size) : this.handler === null ? 0 : this.handler.read(offset, size);
        return (v & sizeMask(size)) >>> 0;
      }
    }
    let value = 0;
    for (let i = 0; i < size; i++) {
      const b = offset + i < this.size ? this.read(offset + i, 1) : 0xff;
      value |= b << (i * 8);
    }
    return value >>> 0;
  }

  write(offset: number, size: number, value: number): void {
    if (offset + size <= this.size) {
      const o = this.overlayFor(offset, offset + size);
      if (o !== STRADDLES) {
        value = (value & sizeMask(size)) >>> 0;
        if (o !== null) o.handler.write(offset - o.start, size, value);
        else this.handler?.write(offset, size, value);
        return;
      }
    }
    for (let i = 0; i < size; i++) {
      if (offset + i < this.size) this.write(offset + i, 1, (value >>> (i * 8)) & 0xff);
    }
  }

  ioRead(offset: number, size: number): number {
    return this.read(offset, size);
  }
  ioWrite(offset: number, size: number, value: number): void {
    this.write(offset, size, value);
  }
  mmioRead(offset: number, size: number): number {
    return this.read(offset, size);
  }
  mmioWrite(offset: number, size: number, value: number): void {
    this.write(offset, size, value);
  }
}
