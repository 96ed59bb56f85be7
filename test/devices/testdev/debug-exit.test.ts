import { describe, expect, it } from 'vitest';
import { IO_16, IO_32, IO_8, IoBus } from '../../../src/bus/io-bus.ts';
import { DebugExit } from '../../../devices/testdev/debug-exit.ts';
import { roundTrip } from '../helpers.ts';

describe('isa-debug-exit', () => {
  it('exits with (v << 1) | 1 for every access width', () => {
    const codes: number[] = [];
    const dev = new DebugExit((c) => codes.push(c));
    const bus = new IoBus();
    bus.register(0xf4, 4, dev, IO_8 | IO_16 | IO_32);
    bus.write(0xf4, 1, 0x00);
    bus.write(0xf4, 1, 0x10);
    bus.write(0xf4, 2, 0x1234);
    bus.write(0xf4, 4, 0xffffffff);
    expect(codes).toEqual([1, 0x21, 0x2469, 0x1ffffffff]);
    expect(bus.read(0xf4, 1)).toBe(0xff);
  });

  it('round-trips an empty state', () => {
    const tree = roundTrip(new DebugExit(() => {}), new DebugExit(() => {}), '/machine/debug-exit');
    expect(Object.keys(tree)).toEqual([]);
  });
});
