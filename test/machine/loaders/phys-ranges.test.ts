import { describe, expect, it } from 'vitest';
import { e820Map } from '../../../machine/loaders/e820.ts';
import { PhysRanges } from '../../../machine/loaders/phys-ranges.ts';
import { isConfigError } from '../../../src/util/errors.ts';

describe('e820Map', () => {
  it('is the usual PC map', () => {
    expect(e820Map(1 << 20)).toEqual([
      { base: 0, length: 0x9fc00, type: 1 },
      { base: 0x9fc00, length: 0x400, type: 2 },
      { base: 0xf0000, length: 0x10000, type: 2 },
    ]);
    expect(e820Map(0xe0000000)[3]).toEqual({ base: 0x100000, length: 0xe0000000 - 0x100000, type: 1 });
  });
});

describe('PhysRanges', () => {
  it('places lowest-first around taken ranges, honouring alignment and the preferred address', () => {
    const r = new PhysRanges(4 << 20);
    expect(r.place(0x100, 16, 'a', 0x500, 0x9fc00, 0x9000)).toBe(0x9000);
    expect(r.place(0x100, 16, 'b', 0x500)).toBe(0x500);
    expect(r.place(0x1000, 0x1000, 'c', 0x500)).toBe(0x1000);
    expect(r.place(0x100, 16, 'd', 0x8f80, 0x9fc00, 0x8f80)).toBe(0x9100);
    expect(r.place(0x1000, 0x1000, 'e', 0x9f000)).toBe(0x100000);
  });
  it('places high below a limit and around taken ranges', () => {
    const r = new PhysRanges(4 << 20);
    expect(r.placeHigh(0x1800, 0x1000, 'x', 0x100000, 4 << 20)).toBe((4 << 20) - 0x2000);
    expect(r.placeHigh(0x1000, 0x1000, 'y', 0x100000, 4 << 20)).toBe((4 << 20) - 0x3000);
  });
  it('reports what does not fit or overlaps', () => {
    const r = new PhysRanges(2 << 20);
    const message = (f: () => void): string => {
      try {
        f();
      } catch (e) {
        expect(isConfigError(e)).toBe(true);
        return (e as Error).message;
      }
      return '';
    };
    expect(message(() => r.claim(0x1000, 0x300000, 'kernel'))).toBe('kernel [0x1000, 0x300000) does not fit in 2048 KiB of RAM');
    expect(message(() => r.claim(0x400, 0x600, 'kernel'))).toBe(
      'kernel [0x400, 0x600) overlaps the interrupt vector table and BIOS data area [0x0, 0x500)',
    );
    expect(message(() => r.place(0x200000, 16, 'initrd', 0x100000))).toBe('no room for initrd (2097152 bytes) between 0x100000 and 0x200000');
  });
});
