import { describe, expect, it } from 'vitest';
import { IoBus, IO_8, IO_16 } from '../../src/bus/io-bus.ts';
import type { PortDevice } from '../../src/bus/io-bus.ts';

function recorder(log: string[], value = 0x5a): PortDevice {
  return {
    ioRead: (o, s) => (log.push(`r${o}/${s}`), value),
    ioWrite: (o, s, v) => void log.push(`w${o}/${s}=${v.toString(16)}`),
  };
}

describe('port bus', () => {
  it('reads all ones from unmapped ports and drops writes', () => {
    const bus = new IoBus();
    expect(bus.read(0x1234, 1)).toBe(0xff);
    expect(bus.read(0x1234, 2)).toBe(0xffff);
    expect(bus.read(0x1234, 4)).toBe(0xffffffff);
    bus.write(0x1234, 4, 1);
  });

  it('gives devices offsets from their base and splits wider accesses into bytes', () => {
    const bus = new IoBus();
    const log: string[] = [];
    bus.register(0x3f8, 8, recorder(log), IO_8);
    expect(bus.read(0x3fa, 2)).toBe(0x5a5a);
    bus.write(0x3f9, 2, 0x1234);
    expect(log).toEqual(['r2/1', 'r3/1', 'w1/1=34', 'w2/1=12']);
  });

  it('passes word accesses to devices that take them, and splits at a device boundary', () => {
    const bus = new IoBus();
    const log: string[] = [];
    bus.register(0x100, 2, recorder(log, 0xbeef), IO_8 | IO_16);
    expect(bus.read(0x100, 2)).toBe(0xbeef);
    expect(bus.read(0x101, 2)).toBe(0xffef);
    expect(log).toEqual(['r0/2', 'r1/1']);
  });

  it('rejects overlapping registrations', () => {
    const bus = new IoBus();
    bus.register(0x60, 1, recorder([]));
    expect(() => bus.register(0x5f, 2, recorder([]))).toThrow('registered twice');
    expect(() => bus.register(0xffff, 2, recorder([]))).toThrow('outside');
  });

  it('tells whether a port range is free before a register would refuse it', () => {
    const bus = new IoBus();
    bus.register(0x60, 2, recorder([]));
    expect(bus.isFree(0x5e, 2)).toBe(true);
    expect(bus.isFree(0x5f, 2)).toBe(false);
    expect(bus.isFree(0x61, 1)).toBe(false);
    expect(bus.isFree(0x62, 0x100)).toBe(true);
    expect(bus.isFree(0xffff, 1)).toBe(true);
    expect(bus.isFree(0xffff, 2)).toBe(false);
    expect(bus.isFree(-1, 1)).toBe(false);
    expect(bus.isFree(0x100, 0)).toBe(false);
    bus.unregister(0x60, 2);
    expect(bus.isFree(0x5f, 2)).toBe(true);
  });
});
