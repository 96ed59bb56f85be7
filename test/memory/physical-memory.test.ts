import { describe, expect, it } from 'vitest';
import { PhysicalMemory, PAGE_HOLE, PAGE_ROM } from '../../src/memory/physical-memory.ts';

describe('physical memory', () => {
  it('reads and writes RAM at any alignment, also across pages', () => {
    const m = new PhysicalMemory(1 << 20);
    m.write32(0x1ffe, 0x11223344);
    expect(m.read32(0x1ffe)).toBe(0x11223344);
    expect(m.read16(0x2000)).toBe(0x1122);
    m.write64(0x100, 0x0123456789abcdefn);
    expect(m.read64(0x100)).toBe(0x0123456789abcdefn);
  });

  it('drops writes to ROM pages and reads holes as all ones', () => {
    const m = new PhysicalMemory(1 << 20);
    m.load(0xf0000, Uint8Array.of(1, 2, 3));
    m.setPageKind(0xf0000, 0x10000, PAGE_ROM);
    m.setPageKind(0xa0000, 0x20000, PAGE_HOLE);
    m.write8(0xf0000, 9);
    expect(m.read8(0xf0000)).toBe(1);
    m.write8(0xa0000, 9);
    expect(m.read8(0xa0000)).toBe(0xff);
    expect(m.isRam(0x9f000, 0x2000)).toBe(false);
  });

  it('returns all ones beyond RAM and dispatches MMIO', () => {
    const m = new PhysicalMemory(1 << 20);
    expect(m.read32(0x200000)).toBe(0xffffffff);
    const log: string[] = [];
    m.mmio.register(0xfee00000, 0x1000, {
      mmioRead: (o, s) => (log.push(`r${o}/${s}`), 0x42),
      mmioWrite: (o, s, v) => void log.push(`w${o}/${s}=${v}`),
    });
    expect(m.readSlow(0xfee00020, 4)).toBe(0x42);
    m.writeSlow(0xfee000b0, 4, 0);
    expect(log).toEqual(['r32/4', 'w176/4=0']);
    expect(() => m.mmio.register(0xfee00800, 0x1000, { mmioRead: () => 0, mmioWrite: () => {} }, 'x')).toThrow('overlaps');
  });

  it('applies the A20 mask through setA20 and tells the CPU', () => {
    const m = new PhysicalMemory(2 << 20);
    let flushes = 0;
    m.onMapChange = () => flushes++;
    m.setA20(false);
    expect(m.a20Mask).toBe(~(1 << 20));
    expect(m.a20Enabled).toBe(false);
    m.setA20(true);
    expect(flushes).toBe(2);
  });

  it('rejects RAM sizes it cannot map', () => {
    expect(() => new PhysicalMemory(1000)).toThrow('RAM size');
    expect(() => new PhysicalMemory(0xe0001000)).toThrow('RAM size');
  });
});
