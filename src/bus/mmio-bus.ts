/**
 * The MMIO bus: sorted, non-overlapping ranges of guest-physical addresses, each owned by a device
 * that sees offsets relative to its base. Reads of unclaimed addresses return all ones; writes are
 * dropped.
 */
import { WiringError } from '../util/errors.ts';

export interface MmioDevice {
  mmioRead(offset: number, size: number): number;
  mmioWrite(offset: number, size: number, value: number): void;
}

/** A physical address range a device answers, as the board maps it (PcBoard.plug). */
export interface MmioRange {
  readonly base: number;
  readonly size: number;
  readonly device: MmioDevice;
  readonly name: string;
}

interface Range {
  readonly base: number;
  readonly end: number; // exclusive
  readonly device: MmioDevice;
  readonly name: string;
}

export class MmioBus {
  private ranges: Range[] = [];
  private last: Range | null = null;

  /** Claim [base, base + length). Overlapping an existing range is a wiring error. */
  register(base: number, length: number, device: MmioDevice, name = 'mmio'): void {
    const end = base + length;
    if (length <= 0 || base < 0 || end > 2 ** 32) throw new WiringError(`${name}: bad MMIO range`);
    for (const r of this.ranges) {
      if (base < r.end && r.base < end) {
        throw new WiringError(
          `${name} [0x${base.toString(16)}, 0x${end.toString(16)}) overlaps ${r.name} [0x${r.base.toString(16)}, 0x${r.end.toString(16)})`,
        );
      }
    }
    this.ranges.push({ base, end, device, name });
    this.ranges.sort((a, b) => a.base - b.base);
    this.last = null;
  }

  /**
   * True when [base, base + length) lies inside the 32-bit space and overlaps no registered range,
   * so that a caller with guest-chosen addresses (PCI BARs) can decide before register() refuses.
   */
  isFree(base: number, length: number): boolean {
    const end = base + length;
    if (length <= 0 || base < 0 || end > 2 ** 32) return false;
    for (const r of this.ranges) if (base < r.end && r.base < end) return false;
    return true;
  }

  /** Release the range that starts at base (PCI BARs move). */
  unregister(base: number): void {
    this.ranges = this.ranges.filter((r) => r.base !== base);
    this.last = null;
  }

  private find(addr: number): Range | null {
    const last = this.last;
    if (last !== null && addr >= last.base && addr < last.end) return last;
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.ranges[mid]!;
      if (addr < r.base) hi = mid - 1;
      else if (addr >= r.end) lo = mid + 1;
      else return (this.last = r);
    }
    return null;
  }

  isMapped(addr: number): boolean {
    return this.find(addr >>> 0) !== null;
  }

  read(addr: number, size: number): number {
    addr >>>= 0;
    const r = this.find(addr);
    if (r === null) return size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
    return r.device.mmioRead(addr - r.base, size);
  }

  write(addr: number, size: number, value: number): void {
    addr >>>= 0;
    const r = this.find(addr);
    if (r !== null) r.device.mmioWrite(addr - r.base, size, value);
  }
}
