import { describe, expect, it } from 'vitest';
import { PciBar } from '../../../devices/pci/pci-bar.ts';
import { PCI_BAR_SPACE_IO, PCI_BAR_SPACE_MEMORY } from '../../../devices/pci/pci-regs.ts';
import { DEV_IO_SIZE, DEV_MEM_SIZE, IOAPIC_WINDOW, RAM_BYTES, SERIAL_PORT, TestDevice, bench, cfgRead, cfgWrite } from './pci-harness.ts';
import type { Bench } from './pci-harness.ts';

const DEV = 3 << 3;
const IO_ON = 0x1;
const MEM_ON = 0x2;

function plugged() {
  const b = bench();
  const dev = new TestDevice();
  b.host.plug(3, dev.fn);
  return { b, dev };
}

/** The BARs on the buses, as `devfn:bar@address`. */
function mapped(b: Bench): string[] {
  return b.host.mappings.map((m) => `${m.devfn}:${m.bar.index}@${m.address.toString(16)}`);
}

describe('PCI BARs', () => {
  it('read back their size mask and type bits after all ones are written (sizing)', () => {
    const { b } = plugged();
    expect(cfgRead(b, DEV, 0x10, 4)).toBe(0x00000001);
    expect(cfgRead(b, DEV, 0x14, 4)).toBe(0x00000000);
    expect(cfgRead(b, DEV, 0x18, 4)).toBe(0x00000008);
    for (const reg of [0x10, 0x14, 0x18, 0x1c, 0x20, 0x24]) cfgWrite(b, DEV, reg, 4, 0xffffffff);
    expect(cfgRead(b, DEV, 0x10, 4)).toBe(0xffffffc1);
    expect(cfgRead(b, DEV, 0x14, 4)).toBe(0xfffff000);
    expect(cfgRead(b, DEV, 0x18, 4)).toBe(0xffffc008);
    expect(cfgRead(b, DEV, 0x1c, 4)).toBe(0);
    expect(cfgRead(b, DEV, 0x24, 4)).toBe(0);
    // Byte writes reach the address bits above the size only.
    cfgWrite(b, DEV, 0x10, 1, 0x00);
    cfgWrite(b, DEV, 0x18, 1, 0xff);
    expect(cfgRead(b, DEV, 0x10, 4)).toBe(0xffffff01);
    expect(cfgRead(b, DEV, 0x18, 4)).toBe(0xffffc008);
  });

  it('decode on the buses once an address is written and decoding is on, and move with the address', () => {
    const { b, dev } = plugged();
    cfgWrite(b, DEV, 0x10, 4, 0xc040);
    cfgWrite(b, DEV, 0x18, 4, 0xe0004000);
    expect(mapped(b)).toEqual([]);
    expect(b.io.read(0xc040, 1)).toBe(0xff);
    cfgWrite(b, DEV, 0x04, 2, IO_ON | MEM_ON);
    expect(mapped(b)).toEqual(['24:0@c040', '24:2@e0004000']);
    b.io.write(0xc042, 2, 0xbeef);
    expect(dev.io.log).toEqual(['w2/2=beef']);
    expect(b.io.read(0xc042, 2)).toBe(0xbeef);
    b.mem.writeSlow(0xe0004100, 4, 0x12345678);
    expect(dev.mem.bytes[0x100]).toBe(0x78);
    expect(b.mem.readSlow(0xe0004102, 2)).toBe(0x1234);
    // Moving the BARs: the old addresses stop answering.
    cfgWrite(b, DEV, 0x10, 4, 0xd000);
    cfgWrite(b, DEV, 0x18, 4, 0xf0000000);
    expect(mapped(b)).toEqual(['24:0@d000', '24:2@f0000000']);
    expect(b.io.read(0xc042, 2)).toBe(0xffff);
    expect(b.io.read(0xd002, 2)).toBe(0xbeef);
    expect(b.mem.readSlow(0xe0004102, 2)).toBe(0xffff);
    expect(b.mem.readSlow(0xf0000102, 2)).toBe(0x1234);
  });

  it('stop decoding when decoding is turned off or the BAR is written for sizing', () => {
    const { b } = plugged();
    cfgWrite(b, DEV, 0x10, 4, 0xc040);
    cfgWrite(b, DEV, 0x18, 4, 0xe0004000);
    cfgWrite(b, DEV, 0x04, 2, IO_ON | MEM_ON);
    cfgWrite(b, DEV, 0x04, 2, MEM_ON);
    expect(mapped(b)).toEqual(['24:2@e0004000']);
    cfgWrite(b, DEV, 0x04, 2, IO_ON);
    expect(mapped(b)).toEqual(['24:0@c040']);
    cfgWrite(b, DEV, 0x04, 2, IO_ON | MEM_ON);
    cfgWrite(b, DEV, 0x10, 4, 0xffffffff);
    cfgWrite(b, DEV, 0x18, 4, 0xffffffff);
    expect(mapped(b)).toEqual([]);
    expect(b.mem.readSlow(0xffffc000, 4)).toBe(0xffffffff);
    cfgWrite(b, DEV, 0x10, 4, 0xc040);
    cfgWrite(b, DEV, 0x18, 4, 0xe0004000);
    expect(mapped(b)).toEqual(['24:0@c040', '24:2@e0004000']);
  });

  it('never decode at address 0 or past the top of their space', () => {
    const { b } = plugged();
    cfgWrite(b, DEV, 0x04, 2, IO_ON | MEM_ON);
    cfgWrite(b, DEV, 0x10, 4, 0);
    cfgWrite(b, DEV, 0x18, 4, 0);
    expect(mapped(b)).toEqual([]);
    cfgWrite(b, DEV, 0x10, 4, 0x10000);
    expect(mapped(b)).toEqual([]);
    cfgWrite(b, DEV, 0x10, 4, 0xffc0);
    expect(mapped(b)).toEqual(['24:0@ffc0']);
    // The last 16 KiB below 4 GiB is what a sized BAR holds: treated as unassigned.
    cfgWrite(b, DEV, 0x18, 4, 0xffffc000);
    cfgWrite(b, DEV, 0x18, 4, 0xffff8000);
    expect(mapped(b)).toEqual(['24:0@ffc0', '24:2@ffff8000']);
  });

  it('decode only inside their space: I/O below 0x10000, memory below the sizing pattern', () => {
    const io = new PciBar(0, PCI_BAR_SPACE_IO, 0x40, null, false);
    expect(io.decode(0xffc1, 0x1)).toBe(0xffc0);
    expect(io.decode(0x10001, 0x1)).toBe(-1);
    expect(io.decode(0xffc1, 0x2)).toBe(-1);
    const mem = new PciBar(2, PCI_BAR_SPACE_MEMORY, 0x4000, null, true);
    expect(mem.decode(0xffff8008, 0x2)).toBe(0xffff8000);
    expect(mem.decode(0xffffc008, 0x2)).toBe(-1);
    expect(mem.decode(0xe0004008, 0x1)).toBe(-1);
    expect(mem.decode(0x00000008, 0x2)).toBe(-1);
  });

  it('leave the IOAPIC window and other devices\' ports alone, and decode once moved off them', () => {
    const { b } = plugged();
    cfgWrite(b, DEV, 0x04, 2, IO_ON | MEM_ON);
    cfgWrite(b, DEV, 0x18, 4, IOAPIC_WINDOW);
    cfgWrite(b, DEV, 0x10, 4, SERIAL_PORT & ~0x3f);
    expect(mapped(b)).toEqual([]);
    expect(b.mem.readSlow(IOAPIC_WINDOW, 4)).toBe(0x11223344);
    expect(b.io.read(SERIAL_PORT, 1)).toBe(0x5a);
    // CONFADD and CONFDATA are ports like any other.
    cfgWrite(b, DEV, 0x10, 4, 0xcc0);
    expect(mapped(b)).toEqual([]);
    expect(b.io.read(0xcf8, 4)).toBe(0x80001810);
    cfgWrite(b, DEV, 0x18, 4, IOAPIC_WINDOW + 0x4000);
    cfgWrite(b, DEV, 0x10, 4, 0x1000);
    expect(mapped(b)).toEqual(['24:0@1000', '24:2@fec04000']);
    expect(b.mem.readSlow(IOAPIC_WINDOW, 4)).toBe(0x11223344);
  });

  it('lose to RAM where they overlap it, and decode past its end', () => {
    const { b, dev } = plugged();
    cfgWrite(b, DEV, 0x04, 2, MEM_ON);
    dev.mem.bytes.fill(0xab);
    const base = RAM_BYTES - 0x2000;
    b.mem.u8.fill(0x11, base, RAM_BYTES);
    cfgWrite(b, DEV, 0x18, 4, base);
    expect(mapped(b)).toEqual([`24:2@${base.toString(16)}`]);
    expect(b.mem.readSlow(base, 4)).toBe(0x11111111);
    expect(b.mem.readSlow(RAM_BYTES, 4)).toBe(0xabababab);
    expect(dev.mem.log).toEqual(['r2000/4']);
    b.mem.writeSlow(base, 4, 0);
    expect(dev.mem.log).toEqual(['r2000/4']);
  });

  it('resolve overlaps between BARs by device number whatever the order they moved in', () => {
    const b = bench();
    const low = new TestDevice();
    const high = new TestDevice();
    b.host.plug(2, low.fn);
    b.host.plug(5, high.fn);
    const L = 2 << 3;
    const H = 5 << 3;
    cfgWrite(b, H, 0x04, 2, IO_ON | MEM_ON);
    cfgWrite(b, L, 0x04, 2, IO_ON | MEM_ON);
    cfgWrite(b, H, 0x18, 4, 0xe0000000);
    expect(mapped(b)).toEqual(['40:2@e0000000']);
    // The lower device moves over it: it wins, the other one stops decoding.
    cfgWrite(b, L, 0x18, 4, 0xe0000000);
    expect(mapped(b)).toEqual(['16:2@e0000000']);
    b.mem.writeSlow(0xe0000000, 4, 7);
    expect(low.mem.bytes[0]).toBe(7);
    expect(high.mem.bytes[0]).toBe(0);
    // Inside one function the lower BAR wins: BAR 1 (MSI-X, 4 KiB) inside BAR 2 (16 KiB).
    cfgWrite(b, L, 0x14, 4, 0xe0001000);
    expect(mapped(b)).toEqual(['16:1@e0001000']);
    // The winners move away: the losers decode again.
    cfgWrite(b, L, 0x18, 4, 0xe0010000);
    expect(mapped(b)).toEqual(['16:1@e0001000', '16:2@e0010000']);
    cfgWrite(b, L, 0x14, 4, 0xe0020000);
    expect(mapped(b)).toEqual(['16:1@e0020000', '16:2@e0010000', '40:2@e0000000']);
    b.mem.writeSlow(0xe0000000, 4, 9);
    expect(high.mem.bytes[0]).toBe(9);
    // I/O BARs the same way.
    cfgWrite(b, H, 0x10, 4, 0xc000);
    cfgWrite(b, L, 0x10, 4, 0xc020);
    expect(mapped(b).filter((m) => m.includes(':0@'))).toEqual(['16:0@c000']);
  });

  it('split accesses that run past the end of the BAR: the bytes beyond read all ones', () => {
    const { b, dev } = plugged();
    cfgWrite(b, DEV, 0x04, 2, IO_ON | MEM_ON);
    cfgWrite(b, DEV, 0x18, 4, 0xe0000000);
    dev.mem.bytes.set([1, 2], DEV_MEM_SIZE - 2);
    expect(b.mem.readSlow(0xe0000000 + DEV_MEM_SIZE - 2, 4)).toBe(0xffff0201);
    b.mem.writeSlow(0xe0000000 + DEV_MEM_SIZE - 1, 4, 0xaabbccdd);
    expect(dev.mem.bytes[DEV_MEM_SIZE - 1]).toBe(0xdd);
    cfgWrite(b, DEV, 0x10, 4, 0xc000);
    dev.io.bytes[DEV_IO_SIZE - 1] = 0x42;
    expect(b.io.read(0xc000 + DEV_IO_SIZE - 1, 2)).toBe(0xff42);
  });
});
