import { describe, expect, it } from 'vitest';
import { IO_16, IO_8, IoBus } from '../../../src/bus/io-bus.ts';
import { FwCfg, fwCfgU16, fwCfgU64 } from '../../../devices/fw-cfg/fw-cfg.ts';
import { roundTrip } from '../helpers.ts';

function setup() {
  const items = new Map<number, Uint8Array>([
    [0x0003, fwCfgU64(128 * 1024 * 1024)],
    [0x0005, fwCfgU16(2)],
    [0x000f, fwCfgU16(4)],
  ]);
  const dev = new FwCfg(items);
  const bus = new IoBus();
  bus.register(0x510, 2, dev, IO_8 | IO_16);
  const readItem = (key: number, n: number) => {
    bus.write(0x510, 2, key);
    return Array.from({ length: n }, () => bus.read(0x511, 1));
  };
  return { dev, bus, readItem };
}

describe('fw_cfg', () => {
  it('answers the signature, id, RAM size and CPU counts', () => {
    const { readItem } = setup();
    expect(String.fromCharCode(...readItem(0x0000, 4))).toBe('QEMU');
    expect(readItem(0x0001, 4)).toEqual([1, 0, 0, 0]);
    expect(readItem(0x0003, 8)).toEqual([0, 0, 0, 8, 0, 0, 0, 0]);
    expect(readItem(0x0005, 2)).toEqual([2, 0]);
    expect(readItem(0x000f, 2)).toEqual([4, 0]);
  });

  it('reads past the end and unknown keys return 0; data writes are ignored', () => {
    const { bus, readItem } = setup();
    expect(readItem(0x0005, 4)).toEqual([2, 0, 0, 0]);
    expect(readItem(0x1234, 3)).toEqual([0, 0, 0]);
    bus.write(0x510, 2, 0x0000);
    bus.write(0x511, 1, 0x99);
    expect(bus.read(0x511, 1)).toBe(0x51);
  });

  it('round-trips selector and offset', () => {
    const a = setup();
    a.bus.write(0x510, 2, 0x0000);
    a.bus.read(0x511, 1);
    a.bus.read(0x511, 1);
    const b = setup();
    const tree = roundTrip(a.dev, b.dev, '/machine/fw_cfg');
    expect(tree['cur_entry']).toBe(0);
    expect(tree['cur_offset']).toBe(2);
    expect(b.bus.read(0x511, 1)).toBe(0x4d);
  });
});
