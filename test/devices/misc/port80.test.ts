import { describe, expect, it } from 'vitest';
import { IoBus } from '../../../src/bus/io-bus.ts';
import { Port80 } from '../../../devices/misc/port80.ts';
import { roundTrip } from '../helpers.ts';

describe('port80', () => {
  it('keeps the last POST code and reads all ones', () => {
    const dev = new Port80();
    const bus = new IoBus();
    bus.register(0x80, 1, dev);
    bus.write(0x80, 1, 0x42);
    expect(dev.lastCode).toBe(0x42);
    expect(bus.read(0x80, 1)).toBe(0xff);
    const fresh = new Port80();
    roundTrip(dev, fresh, '/machine/port80');
    expect(fresh.lastCode).toBe(0x42);
  });
});
