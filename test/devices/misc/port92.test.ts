import { describe, expect, it } from 'vitest';
import { IoBus } from '../../../src/bus/io-bus.ts';
import { Port92 } from '../../../devices/misc/port92.ts';
import { roundTrip } from '../helpers.ts';

describe('port92', () => {
  it('drives A20 from bit 1, resets on bit 0, reads back without bit 0', () => {
    const a20: boolean[] = [];
    let resets = 0;
    const dev = new Port92(
      (e) => a20.push(e),
      () => resets++,
    );
    const bus = new IoBus();
    bus.register(0x92, 1, dev);
    bus.write(0x92, 1, 0x02);
    expect(a20).toEqual([true]);
    expect(bus.read(0x92, 1)).toBe(0x02);
    bus.write(0x92, 1, 0x03);
    expect(resets).toBe(1);
    expect(bus.read(0x92, 1)).toBe(0x02);
    bus.write(0x92, 1, 0x00);
    expect(a20).toEqual([true, true, false]);
    bus.write(0x92, 1, 0x02);

    const seen: boolean[] = [];
    const fresh = new Port92(
      (e) => seen.push(e),
      () => {},
    );
    roundTrip(dev, fresh, '/machine/port92');
    fresh.postLoad();
    expect(seen).toEqual([true]);
    expect(fresh.ioRead(0, 1)).toBe(0x02);
  });
});
