import { describe, expect, it } from 'vitest';
import { IO_16, IO_32, IO_8, IoBus } from '../../../src/bus/io-bus.ts';
import { PiixRcr } from '../../../devices/misc/piix-rcr.ts';
import { PCI_CONFIG_ADDRESS_PORT } from '../../../src/hw/pc-layout.ts';
import { roundTrip } from '../helpers.ts';

function setup() {
  let resets = 0;
  const dev = new PiixRcr(() => resets++);
  const bus = new IoBus();
  bus.register(PCI_CONFIG_ADDRESS_PORT, 4, dev, IO_8 | IO_16 | IO_32);
  return { dev, bus, resets: () => resets };
}

describe('piix reset control register (0xCF9)', () => {
  it('keeps the reset type bit, and a write with bit 2 resets (hard or soft, as QEMU)', () => {
    const { bus, resets } = setup();
    expect(bus.read(0xcf9, 1)).toBe(0);
    bus.write(0xcf9, 1, 0xff & ~0x04);
    expect(bus.read(0xcf9, 1)).toBe(0x02);
    expect(resets()).toBe(0);
    bus.write(0xcf9, 1, 0x06);
    expect(resets()).toBe(1);
    expect(bus.read(0xcf9, 1)).toBe(0x02);
    bus.write(0xcf9, 1, 0x04);
    expect(resets()).toBe(2);
    bus.write(0xcf9, 1, 0x00);
    expect(bus.read(0xcf9, 1)).toBe(0);
  });

  it('answers byte accesses only: a dword to CONFADD (0xCF8) never reaches it', () => {
    const { bus, resets } = setup();
    bus.write(0xcf8, 4, 0x80000400 | (0x06 << 8));
    bus.write(0xcf8, 2, 0x0600);
    bus.write(0xcf9, 2, 0x0006);
    expect(resets()).toBe(0);
    expect(bus.read(0xcf8, 4)).toBe(0xffffffff);
    expect(bus.read(0xcf8, 1)).toBe(0xff);
    expect(bus.read(0xcfb, 1)).toBe(0xff);
    expect(bus.read(0xcf9, 1)).toBe(0);
  });

  it('round-trips its register, and resets to 0', () => {
    const a = setup();
    a.bus.write(0xcf9, 1, 0x02);
    const b = setup();
    expect(roundTrip(a.dev, b.dev, '/machine/rcr')['rcr']).toBe(2);
    expect(b.bus.read(0xcf9, 1)).toBe(2);
    b.dev.reset();
    expect(b.bus.read(0xcf9, 1)).toBe(0);
  });
});
