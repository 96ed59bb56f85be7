import { describe, expect, it } from 'vitest';
import { bench, cfgRead, cfgWrite, confadd, TestDevice } from './pci-harness.ts';

describe('configuration mechanism #1', () => {
  it('passes Linux pci_check_type1: a byte at 0xCFB is not CONFADD, a dword is kept', () => {
    const b = bench();
    b.io.write(0xcfb, 1, 0x01);
    const saved = b.io.read(0xcf8, 4);
    b.io.write(0xcf8, 4, 0x80000000);
    expect(b.io.read(0xcf8, 4)).toBe(0x80000000);
    b.io.write(0xcf8, 4, saved);
    expect(b.io.read(0xcf8, 4)).toBe(saved);
    expect(b.resets()).toBe(0);
  });

  it('keeps CONFADD bits 31 and 23:2 only (30:24 and 1:0 read 0)', () => {
    const b = bench();
    b.io.write(0xcf8, 4, 0xffffffff);
    expect(b.io.read(0xcf8, 4)).toBe(0x80fffffc);
    b.io.write(0xcf8, 4, 0x7f000003);
    expect(b.io.read(0xcf8, 4)).toBe(0);
  });

  it('sends byte accesses at 0xCF9 to the reset control register, and never a dword to CONFADD', () => {
    const b = bench();
    b.io.write(0xcf8, 4, 0x80000400 | (0x06 << 8));
    b.io.write(0xcf8, 2, 0x0600);
    expect(b.resets()).toBe(0);
    b.io.write(0xcf9, 1, 0x02);
    expect(b.io.read(0xcf9, 1)).toBe(0x02);
    expect(b.rcr.rcr).toBe(0x02);
    b.io.write(0xcf9, 1, 0x06);
    expect(b.resets()).toBe(1);
    // The word and byte accesses did not change CONFADD; the reset register reads all ones elsewhere.
    expect(b.io.read(0xcf8, 4)).toBe(0x80000600);
    expect(b.io.read(0xcf8, 2)).toBe(0xffff);
    expect(b.io.read(0xcfa, 1)).toBe(0xff);
  });

  it('without a legacy device, non-dword CONFADD accesses read all ones and write nothing', () => {
    const b = bench({ legacy: false });
    b.io.write(0xcf9, 1, 0x06);
    expect(b.resets()).toBe(0);
    expect(b.io.read(0xcf9, 1)).toBe(0xff);
    expect(b.io.read(0xcf8, 2)).toBe(0xffff);
    expect(b.io.read(0xcf8, 4)).toBe(0);
  });

  it('shows the i440FX host bridge at 00:00.0, which Linux pci_sanity_check accepts', () => {
    const b = bench();
    expect(cfgRead(b, 0, 0x00, 4)).toBe(0x12378086);
    expect(cfgRead(b, 0, 0x0a, 2)).toBe(0x0600);
    expect(cfgRead(b, 0, 0x08, 1)).toBe(0x02);
    expect(cfgRead(b, 0, 0x0e, 1)).toBe(0x00);
    expect(cfgRead(b, 0, 0x2c, 4)).toBe(0x11001af4);
    expect(cfgRead(b, 0, 0x3d, 1)).toBe(0);
    expect(cfgRead(b, 0, 0x10, 4)).toBe(0);
    cfgWrite(b, 0, 0x10, 4, 0xffffffff);
    expect(cfgRead(b, 0, 0x10, 4)).toBe(0);
  });

  it('reads CONFDATA at every byte offset and size inside the dword', () => {
    const b = bench();
    b.io.write(0xcf8, 4, confadd(0, 0));
    expect(b.io.read(0xcfc, 1)).toBe(0x86);
    expect(b.io.read(0xcfd, 1)).toBe(0x80);
    expect(b.io.read(0xcfe, 1)).toBe(0x37);
    expect(b.io.read(0xcff, 1)).toBe(0x12);
    expect(b.io.read(0xcfc, 2)).toBe(0x8086);
    expect(b.io.read(0xcfd, 2)).toBe(0x3780);
    expect(b.io.read(0xcfe, 2)).toBe(0x1237);
    // A dword at 0xCFD runs past CONFDATA: its last byte comes from port 0xD00 (nothing there).
    expect(b.io.read(0xcfd, 4)).toBe(0xff123780);
  });

  it('reads all ones from absent functions, other buses and with the enable bit clear; writes go nowhere', () => {
    const b = bench();
    const dev = new TestDevice();
    b.host.plug(3, dev.fn);
    for (const size of [1, 2, 4]) {
      const ones = size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
      expect(cfgRead(b, 5 << 3, 0, size)).toBe(ones);
      expect(cfgRead(b, (3 << 3) | 1, 0, size)).toBe(ones);
      b.io.write(0xcf8, 4, 0x80010000 | (3 << 11));
      expect(b.io.read(0xcfc, size)).toBe(ones);
      b.io.write(0xcf8, 4, 3 << 11);
      expect(b.io.read(0xcfc, size)).toBe(ones);
    }
    b.io.write(0xcf8, 4, (3 << 11) | 0x3c);
    b.io.write(0xcfc, 1, 0x0b);
    expect(cfgRead(b, 3 << 3, 0x3c, 1)).toBe(0);
    expect(cfgRead(b, 3 << 3, 0, 4)).toBe(0x10421af4);
  });

  it('sets the multi-function bit of function 0 when a slot has more functions', () => {
    const b = bench();
    const f0 = new TestDevice();
    const f2 = new TestDevice({ deviceId: 0x1043 });
    b.host.plug(4, f0.fn);
    expect(cfgRead(b, 4 << 3, 0x0e, 1)).toBe(0x00);
    b.host.plug(4, f2.fn, 2);
    expect(cfgRead(b, 4 << 3, 0x0e, 1)).toBe(0x80);
    expect(cfgRead(b, (4 << 3) | 2, 0x0e, 1)).toBe(0x00);
    expect(cfgRead(b, (4 << 3) | 2, 0x02, 2)).toBe(0x1043);
    expect(cfgRead(b, (4 << 3) | 1, 0x00, 2)).toBe(0xffff);
    // The bit survives a reset.
    b.host.reset();
    expect(cfgRead(b, 4 << 3, 0x0e, 1)).toBe(0x80);
  });

  it('refuses slot 0, taken places and functions plugged twice', () => {
    const b = bench();
    const dev = new TestDevice();
    expect(() => b.host.plug(0, dev.fn)).toThrow('not a free place');
    expect(() => b.host.plug(32, dev.fn)).toThrow('not a free place');
    expect(() => b.host.plug(1, dev.fn, 8)).toThrow('not a free place');
    b.host.plug(1, dev.fn);
    expect(() => b.host.plug(1, new TestDevice().fn)).toThrow('taken');
    expect(() => b.host.plug(2, dev.fn)).toThrow('plugged twice');
  });
});
