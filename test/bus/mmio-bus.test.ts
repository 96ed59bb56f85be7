import { describe, expect, it } from 'vitest';
import { MmioBus } from '../../src/bus/mmio-bus.ts';
import type { MmioDevice } from '../../src/bus/mmio-bus.ts';

const dev = (value: number): MmioDevice => ({ mmioRead: () => value, mmioWrite: () => {} });

describe('MMIO bus', () => {
  it('gives devices offsets from their base; unclaimed addresses read all ones', () => {
    const bus = new MmioBus();
    const seen: number[] = [];
    bus.register(0xfec00000, 0x1000, { mmioRead: (o) => (seen.push(o), 7), mmioWrite: () => {} });
    expect(bus.read(0xfec00010, 4)).toBe(7);
    expect(seen).toEqual([0x10]);
    expect(bus.read(0xfebfffff, 1)).toBe(0xff);
    expect(bus.read(0xfec01000, 4)).toBe(0xffffffff);
  });

  it('tells whether a range is free before a register would refuse it', () => {
    const bus = new MmioBus();
    bus.register(0x1000, 0x1000, dev(1), 'a');
    bus.register(0x4000, 0x1000, dev(2), 'b');
    expect(bus.isFree(0, 0x1000)).toBe(true);
    expect(bus.isFree(0, 0x1001)).toBe(false);
    expect(bus.isFree(0x1fff, 1)).toBe(false);
    expect(bus.isFree(0x2000, 0x2000)).toBe(true);
    expect(bus.isFree(0x2000, 0x2001)).toBe(false);
    expect(bus.isFree(0, 2 ** 32)).toBe(false);
    expect(bus.isFree(0xfffff000, 0x1000)).toBe(true);
    expect(bus.isFree(0xfffff000, 0x1001)).toBe(false);
    expect(bus.isFree(0x100, 0)).toBe(false);
    expect(() => bus.register(0x1800, 0x1000, dev(3), 'c')).toThrow('overlaps a');
    bus.unregister(0x1000);
    expect(bus.isFree(0x1800, 0x1000)).toBe(true);
    expect(bus.read(0x1800, 4)).toBe(0xffffffff);
    expect(bus.read(0x4000, 4)).toBe(2);
  });
});
