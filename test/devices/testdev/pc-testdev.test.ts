import { describe, expect, it } from 'vitest';
import { IoBus } from '../../../src/bus/io-bus.ts';
import { PcTestdev } from '../../../devices/testdev/pc-testdev.ts';
import { RecordingSink, roundTrip } from '../helpers.ts';

function setup() {
  const sink = new RecordingSink();
  const dev = new PcTestdev(sink);
  const bus = new IoBus();
  bus.map(dev.portRanges());
  return { sink, dev, bus };
}

describe('pc-testdev', () => {
  it('0xE0 is a 32-bit scratch register with byte lanes; 0xE8 aliases it bytewise', () => {
    const { bus } = setup();
    bus.write(0xe0, 4, 0x12345678);
    expect(bus.read(0xe0, 4)).toBe(0x12345678);
    expect(bus.read(0xe1, 1)).toBe(0x56);
    expect(bus.read(0xe2, 2)).toBe(0x1234);
    bus.write(0xe3, 1, 0xab);
    expect(bus.read(0xe0, 4)).toBe(0xab345678);
    expect(bus.read(0xe8, 4)).toBe(0xab345678);
    bus.write(0xe9, 1, 0x00);
    expect(bus.read(0xe0, 4)).toBe(0xab340078);
    bus.write(0xe4, 4, 0x1000); // flush page: no effect
    expect(bus.read(0xe0, 4)).toBe(0xab340078);
  });

  it('0x2000 + n drives ISA IRQ n and reads its level back', () => {
    const { sink, bus } = setup();
    bus.write(0x2000 + 10, 1, 1);
    expect(sink.level(10)).toBe(1);
    expect(bus.read(0x2000 + 10, 1)).toBe(1);
    bus.write(0x2000 + 10, 1, 0);
    expect(sink.level(10)).toBe(0);
    bus.write(0x2000 + 3, 1, 0x80);
    expect(sink.level(3)).toBe(1);
    bus.write(0x2000 + 23, 1, 1);
    expect(sink.level(23)).toBe(1);
  });

  it('round-trips the scratch value and line levels, without driving the lines again', () => {
    const a = setup();
    a.bus.write(0xe0, 4, 0xdeadbeef);
    a.bus.write(0x2005, 1, 1);
    const b = setup();
    roundTrip(a.dev, b.dev, '/machine/peripheral/testdev');
    b.dev.postLoad();
    expect(b.bus.read(0xe0, 4)).toBe(0xdeadbeef);
    expect(b.sink.level(5)).toBe(0); // the controllers' loaded state already records the level
    expect(b.bus.read(0x2005, 1)).toBe(1);
  });
});
