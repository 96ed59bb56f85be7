import { describe, expect, it } from 'vitest';
import { PciFunction } from '../../../devices/pci/pci-function.ts';
import { bench, cfgRead, cfgWrite, RegisterFile, TestDevice } from './pci-harness.ts';
import type { Bench } from './pci-harness.ts';

const DEV = 1 << 3;
const TABLE = 0xe0000000;
const PBA = TABLE + 0x800;

/** A plugged test device with decoding and bus mastering on and its MSI-X BAR at TABLE. */
function setup() {
  const b = bench();
  const dev = new TestDevice();
  b.host.plug(1, dev.fn);
  cfgWrite(b, DEV, 0x14, 4, TABLE);
  cfgWrite(b, DEV, 0x04, 2, 0x0006);
  const cap = dev.fn.msix!.capOffset;
  return { b, dev, cap };
}

function program(b: Bench, vector: number, address: number, data: number): void {
  const e = TABLE + vector * 16;
  b.mem.writeSlow(e, 4, address);
  b.mem.writeSlow(e + 4, 4, 0);
  b.mem.writeSlow(e + 8, 4, data);
}

const setMasked = (b: Bench, vector: number, masked: boolean) => b.mem.writeSlow(TABLE + vector * 16 + 12, 4, masked ? 1 : 0);
const control = (b: Bench, cap: number, value: number) => cfgWrite(b, DEV, cap + 2, 2, value);

describe('MSI-X', () => {
  it('describes its table and PBA in the capability; only enable and function mask are writable', () => {
    const { b, cap } = setup();
    expect(cfgRead(b, DEV, cap, 4)).toBe(0x00030011 | (cfgRead(b, DEV, cap + 1, 1) << 8));
    expect(cfgRead(b, DEV, cap + 4, 4)).toBe(0x00000001);
    expect(cfgRead(b, DEV, cap + 8, 4)).toBe(0x00000801);
    control(b, cap, 0xffff);
    expect(cfgRead(b, DEV, cap + 2, 2)).toBe(0xc003);
    cfgWrite(b, DEV, cap + 4, 4, 0xffffffff);
    expect(cfgRead(b, DEV, cap + 4, 4)).toBe(0x00000001);
    // QEMU's exclusive BAR: 4 KiB, table at 0, PBA at 2 KiB.
    cfgWrite(b, DEV, 0x14, 4, 0xffffffff);
    expect(cfgRead(b, DEV, 0x14, 4)).toBe(0xfffff000);
  });

  it('starts with every vector masked and nothing pending', () => {
    const { b } = setup();
    for (let v = 0; v < 4; v++) {
      expect(b.mem.readSlow(TABLE + v * 16 + 12, 4)).toBe(1);
      expect(b.mem.readSlow(TABLE + v * 16, 4)).toBe(0);
    }
    expect(b.mem.readSlow(PBA, 4)).toBe(0);
    expect(b.mem.readSlow(PBA + 4, 4)).toBe(0);
  });

  it('sends an unmasked vector when MSI-X is enabled', () => {
    const { b, dev, cap } = setup();
    program(b, 2, 0xfee00000, 0x4031);
    setMasked(b, 2, false);
    control(b, cap, 0x8000);
    dev.fn.notify(2);
    dev.fn.notify(2);
    expect(b.msi.messages).toEqual([
      [0xfee00000, 0x4031],
      [0xfee00000, 0x4031],
    ]);
    expect(b.mem.readSlow(PBA, 4)).toBe(0);
  });

  it('keeps a masked vector pending and sends it when unmasked', () => {
    const { b, dev, cap } = setup();
    program(b, 1, 0xfee01000, 0x41);
    control(b, cap, 0x8000);
    dev.fn.notify(1);
    dev.fn.notify(1);
    expect(b.msi.messages).toEqual([]);
    expect(b.mem.readSlow(PBA, 1)).toBe(0x02);
    setMasked(b, 1, false);
    expect(b.msi.messages).toEqual([[0xfee01000, 0x41]]);
    expect(b.mem.readSlow(PBA, 1)).toBe(0);
    setMasked(b, 1, false);
    expect(b.msi.messages.length).toBe(1);
  });

  it('holds every vector pending under the function mask and sends them when it clears', () => {
    const { b, dev, cap } = setup();
    program(b, 0, 0xfee00000, 0x30);
    program(b, 3, 0xfee00000, 0x33);
    setMasked(b, 0, false);
    setMasked(b, 3, false);
    control(b, cap, 0xc000);
    dev.fn.notify(3);
    dev.fn.notify(0);
    expect(b.msi.messages).toEqual([]);
    expect(b.mem.readSlow(PBA, 4)).toBe(0x09);
    control(b, cap, 0x8000);
    expect(b.msi.messages).toEqual([
      [0xfee00000, 0x30],
      [0xfee00000, 0x33],
    ]);
    expect(b.mem.readSlow(PBA, 4)).toBe(0);
  });

  it('counts a disabled MSI-X as masked, as QEMU: the vector waits and goes when enabled', () => {
    const { b, dev, cap } = setup();
    program(b, 0, 0xfee00000, 0x30);
    setMasked(b, 0, false);
    dev.fn.notify(0);
    expect(b.msi.messages).toEqual([]);
    expect(b.mem.readSlow(PBA, 1)).toBe(1);
    control(b, cap, 0x8000);
    expect(b.msi.messages).toEqual([[0xfee00000, 0x30]]);
  });

  it('sends nothing without bus mastering or with an address above 4 GiB', () => {
    const { b, dev, cap } = setup();
    program(b, 0, 0xfee00000, 0x30);
    setMasked(b, 0, false);
    control(b, cap, 0x8000);
    cfgWrite(b, DEV, 0x04, 2, 0x0002);
    dev.fn.notify(0);
    b.mem.writeSlow(TABLE + 4, 4, 1);
    cfgWrite(b, DEV, 0x04, 2, 0x0006);
    dev.fn.notify(0);
    expect(b.msi.messages).toEqual([]);
    expect(b.mem.readSlow(PBA, 1)).toBe(0);
    dev.fn.notify(4);
    dev.fn.notify(-1);
    dev.fn.notify(1.5);
    expect(b.mem.readSlow(PBA, 4)).toBe(0);
  });

  it('takes aligned dword table writes only; reads work at any size; read-only bits stay 0', () => {
    const { b } = setup();
    b.mem.writeSlow(TABLE, 4, 0xfee0100f);
    expect(b.mem.readSlow(TABLE, 4)).toBe(0xfee0100c);
    b.mem.writeSlow(TABLE + 12, 4, 0xfffffffe);
    expect(b.mem.readSlow(TABLE + 12, 4)).toBe(0);
    b.mem.writeSlow(TABLE + 8, 2, 0xffff);
    b.mem.writeSlow(TABLE + 9, 1, 0xff);
    b.mem.writeSlow(TABLE + 10, 4, 0xffffffff);
    expect(b.mem.readSlow(TABLE + 8, 4)).toBe(0);
    expect(b.mem.readSlow(TABLE + 1, 1)).toBe(0x10);
    expect(b.mem.readSlow(TABLE + 2, 2)).toBe(0xfee0);
    expect(b.mem.readSlow(TABLE + 1, 4)).toBe(0x00fee010);
    // The PBA is read-only; past the table and PBA the BAR reads 0.
    b.mem.writeSlow(PBA, 4, 0xffffffff);
    expect(b.mem.readSlow(PBA, 4)).toBe(0);
    expect(b.mem.readSlow(TABLE + 0x40, 4)).toBe(0);
    expect(b.mem.readSlow(TABLE + 0xffc, 4)).toBe(0);
  });

  it('shares a BAR with the device handler: table and PBA over it, edges split into bytes', () => {
    const b = bench();
    const regs = new RegisterFile(0x1000);
    const fn = new PciFunction({ vendorId: 0x8086, deviceId: 0x10d3, classCode: 0x020000, interruptPin: 1 });
    fn.defineMemoryBar(0, 0x1000, regs);
    fn.addMsix(2, { tableBar: 0, tableOffset: 0x100, pbaBar: 0, pbaOffset: 0x200 });
    b.host.plug(2, fn);
    cfgWrite(b, 2 << 3, 0x10, 4, 0xe0000000);
    cfgWrite(b, 2 << 3, 0x04, 2, 0x0006);
    b.mem.writeSlow(0xe0000000 + 0xfc, 4, 0x11223344);
    expect(regs.log).toEqual(['wfc/4=11223344']);
    b.mem.writeSlow(0xe0000000 + 0x100, 4, 0xfee00000);
    expect(regs.log.length).toBe(1);
    // A dword across the start of the table: bytes, the first one from the device.
    expect(b.mem.readSlow(0xe0000000 + 0xff, 4)).toBe(0xe0000011);
    expect(regs.log).toEqual(['wfc/4=11223344', 'rff/1']);
    expect(b.mem.readSlow(0xe0000000 + 0x20c, 4)).toBe(0);
    expect(regs.log.at(-1)).toBe('r20c/4');
  });

  it('masks every vector and forgets pending bits and messages on reset', () => {
    const { b, dev, cap } = setup();
    program(b, 0, 0xfee00000, 0x30);
    setMasked(b, 0, false);
    dev.fn.notify(1);
    control(b, cap, 0x8000);
    b.host.reset();
    expect(dev.fn.msix!.table.every((x, i) => x === ((i & 15) === 12 ? 1 : 0))).toBe(true);
    expect(dev.fn.msix!.pba.every((x) => x === 0)).toBe(true);
    expect(dev.fn.msix!.enabled).toBe(false);
  });
});
