/**
 * Bookkeeping of guest-physical ranges while a loader places images: what is taken (the kernel, the
 * firmware areas), and where something new fits. Ranges are half-open [start, end).
 */
import { ConfigError } from '../../src/util/errors.ts';

export interface PhysRange {
  start: number;
  end: number;
  what: string;
}

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

export function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

export function alignDown(n: number, align: number): number {
  return Math.floor(n / align) * align;
}

function describe(r: PhysRange): string {
  return `${r.what} [${hex(r.start)}, ${hex(r.end)})`;
}

/** Areas no loader writes to: the real-mode IVT and BDA, the EBDA, VGA hole and BIOS area (MP table). */
export function firmwareRanges(): PhysRange[] {
  return [
    { start: 0, end: 0x500, what: 'the interrupt vector table and BIOS data area' },
    { start: 0x9fc00, end: 0x100000, what: 'the EBDA, VGA and BIOS area' },
  ];
}

export class PhysRanges {
  readonly ramBytes: number;
  private readonly taken: PhysRange[];

  constructor(ramBytes: number, taken: PhysRange[] = firmwareRanges()) {
    this.ramBytes = ramBytes;
    this.taken = [...taken];
  }

  /** The first taken range overlapping [start, end), or null. */
  overlap(start: number, end: number): PhysRange | null {
    for (const r of this.taken) if (start < r.end && r.start < end) return r;
    return null;
  }

  /** Mark [start, end) as taken; a ConfigError if it leaves RAM or overlaps something already there. */
  claim(start: number, end: number, what: string): void {
    if (end <= start) return;
    const range = { start, end, what };
    if (start < 0 || end > this.ramBytes) {
      throw new ConfigError(`${describe(range)} does not fit in ${Math.floor(this.ramBytes / 1024)} KiB of RAM`);
    }
    const other = this.overlap(start, end);
    if (other !== null) throw new ConfigError(`${describe(range)} overlaps ${describe(other)}`);
    this.taken.push(range);
  }

  /**
   * Find and claim `size` bytes aligned to `align` at or above `min` and ending at or below `max`
   * (default: the top of RAM). `preferred`, when free, wins. Lowest fit otherwise; a ConfigError if
   * nothing fits.
   */
  place(size: number, align: number, what: string, min = 0, max = this.ramBytes, preferred?: number): number {
    const top = Math.min(max, this.ramBytes);
    const fits = (start: number): boolean => start >= min && start + size <= top && this.overlap(start, start + size) === null;
    let found: number | null = null;
    if (preferred !== undefined && preferred % align === 0 && fits(preferred)) found = preferred;
    if (found === null) {
      const candidates = [alignUp(min, align), ...this.taken.map((r) => alignUp(r.end, align))].sort((a, b) => a - b);
      found = candidates.find(fits) ?? null;
    }
    if (found === null) {
      throw new ConfigError(`no room for ${what} (${size} bytes) between ${hex(min)} and ${hex(top)}`);
    }
    this.claim(found, found + size, what);
    return found;
  }

  /** Like place, but the highest fit (an initrd goes as high as it may). */
  placeHigh(size: number, align: number, what: string, min: number, max: number): number {
    const top = Math.min(max, this.ramBytes);
    const fits = (start: number): boolean => start >= min && start + size <= top && this.overlap(start, start + size) === null;
    const candidates = [alignDown(top - size, align), ...this.taken.map((r) => alignDown(r.start - size, align))]
      .sort((a, b) => b - a);
    const found = candidates.find(fits);
    if (found === undefined) {
      throw new ConfigError(`no room for ${what} (${size} bytes) between ${hex(min)} and ${hex(top)}`);
    }
    this.claim(found, found + size, what);
    return found;
  }
}
