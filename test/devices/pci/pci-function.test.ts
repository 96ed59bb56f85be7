import { describe, expect, it } from 'vitest';
import { PciFunction } from '../../../devices/pci/pci-function.ts';
import { PCI_CAP_ID_MSIX, PCI_CAP_ID_PM, PCI_CAP_ID_VNDR } from '../../../devices/pci/pci-regs.ts';
import { bench, cfgRead, cfgWrite, TestDevice } from './pci-harness.ts';

const DEV = 3 << 3;

function plugged() {
  const b = bench();
  const dev = new TestDevice();
  b.host.plug(3, dev.fn);
  return { b, dev };
}

describe('PCI function configuration space', () => {
  it('shows its identity, read-only whatever is written', () => {
    const { b } = plugged();
    for (let reg = 0; reg < 0x40; reg += 4) if (reg !== 0x04 && (reg < 0x10 || reg >= 0x28)) cfgWrite(b, DEV, reg, 4, 0xffffffff);
    expect(cfgRead(b, DEV, 0x00, 4)).toBe(0x10421af4);
    expect(cfgRead(b, DEV, 0x08, 4)).toBe(0x01800001);
    // Cache line size and interrupt line are read-write; latency timer, header type and BIST are not.
    expect(cfgRead(b, DEV, 0x0c, 4)).toBe(0x000000ff);
    expect(cfgRead(b, DEV, 0x28, 4)).toBe(0);
    expect(cfgRead(b, DEV, 0x2c, 4)).toBe(0x11001af4);
    expect(cfgRead(b, DEV, 0x30, 4)).toBe(0);
    expect(cfgRead(b, DEV, 0x3c, 4)).toBe(0x000001ff);
  });

  it('takes I/O, memory, bus master, SERR and INTx disable in the command register', () => {
    const { b, dev } = plugged();
    cfgWrite(b, DEV, 0x04, 2, 0xffff);
    expect(cfgRead(b, DEV, 0x04, 2)).toBe(0x0507);
    expect(dev.fn.busMaster).toBe(true);
    cfgWrite(b, DEV, 0x05, 1, 0x00);
    expect(cfgRead(b, DEV, 0x04, 2)).toBe(0x0007);
    cfgWrite(b, DEV, 0x04, 1, 0x00);
    expect(cfgRead(b, DEV, 0x04, 2)).toBe(0x0000);
  });

  it('clears status error bits written with 1 and keeps the rest read-only', () => {
    const { b, dev } = plugged();
    // Capabilities list (bit 4) is set: the device has MSI-X and a vendor capability.
    expect(cfgRead(b, DEV, 0x06, 2)).toBe(0x0010);
    dev.fn.config[0x07] = 0x20 | 0x80; // received master abort, detected parity error
    cfgWrite(b, DEV, 0x06, 2, 0x0000);
    expect(cfgRead(b, DEV, 0x06, 2)).toBe(0xa010);
    cfgWrite(b, DEV, 0x06, 2, 0x20ff);
    expect(cfgRead(b, DEV, 0x06, 2)).toBe(0x8010);
    // A dword write at 0x04 clears through the status half too.
    cfgWrite(b, DEV, 0x04, 4, 0x80000000);
    expect(cfgRead(b, DEV, 0x04, 4)).toBe(0x00100000);
  });

  it('chains capabilities from 0x34 in the order they were added', () => {
    const fn = new PciFunction({ vendorId: 0x8086, deviceId: 0x1234, classCode: 0x020000 });
    const a = fn.addCapability(PCI_CAP_ID_PM, 8);
    const c = fn.addCapability(PCI_CAP_ID_VNDR, 16, 0x80);
    const d = fn.addCapability(PCI_CAP_ID_VNDR, 6);
    fn.defineMemoryBar(0, 0x1000, null);
    fn.addMsix(2, { tableBar: 0, tableOffset: 0, pbaBar: 0, pbaOffset: 0x800 });
    expect([a, c, d]).toEqual([0x40, 0x80, 0x48]);
    const walk: [number, number][] = [];
    for (let at = fn.configRead(0x34, 1); at !== 0 && walk.length < 10; at = fn.configRead(at + 1, 1)) walk.push([at, fn.configRead(at, 1)]);
    expect(walk).toEqual([
      [0x40, PCI_CAP_ID_PM],
      [0x80, PCI_CAP_ID_VNDR],
      [0x48, PCI_CAP_ID_VNDR],
      [0x50, PCI_CAP_ID_MSIX],
    ]);
    expect(fn.configRead(0x06, 2) & 0x10).toBe(0x10);
    expect(() => fn.addCapability(PCI_CAP_ID_VNDR, 8, 0x84)).toThrow('does not fit');
    expect(() => fn.addCapability(PCI_CAP_ID_VNDR, 8, 0x3c)).toThrow('does not fit');
    expect(() => fn.addCapability(PCI_CAP_ID_VNDR, 8, 0x92)).toThrow('does not fit');
    expect(() => fn.addCapability(PCI_CAP_ID_VNDR, 0x100)).toThrow('does not fit');
  });

  it('keeps capability bytes read-only except where the device made them writable; 0x40-0xFF elsewhere reads 0', () => {
    const { b, dev } = plugged();
    const cap = dev.vendorCap;
    for (let reg = 0x40; reg < 0x100; reg += 4) cfgWrite(b, DEV, reg, 4, 0xa5a5a5a5);
    expect(cfgRead(b, DEV, cap, 2)).toBe(0x0009);
    expect(cfgRead(b, DEV, cap + 2, 2)).toBe(0);
    expect(cfgRead(b, DEV, cap + 4, 4)).toBe(0xa5a5a5a5);
    for (let reg = 0x40; reg < 0x100; reg += 4) {
      if (reg === cap + 4) continue;
      if (reg >= 0x40 && reg < 0x4c) continue; // MSI-X: id/next/control, table, PBA
      expect([reg, cfgRead(b, DEV, reg, 4) & (reg === cap ? 0xffff0000 : 0xffffffff)]).toEqual([reg, 0]);
    }
  });

  it('lets the device see configuration accesses through its hooks', () => {
    const b = bench();
    const seen: string[] = [];
    const fn = new PciFunction(
      { vendorId: 0x1af4, deviceId: 0x1000, classCode: 0xff0000 },
      {
        configRead: (o, s) => {
          seen.push(`r${o.toString(16)}/${s}`);
          fn.config[0x44] = 0x77;
        },
        configWrite: (o, s, v) => void seen.push(`w${o.toString(16)}/${s}=${v.toString(16)}`),
      },
    );
    const cap = fn.addCapability(PCI_CAP_ID_VNDR, 8);
    fn.markDynamic(cap + 4, 1);
    b.host.plug(2, fn);
    expect(cfgRead(b, 2 << 3, 0x44, 1)).toBe(0x77);
    cfgWrite(b, 2 << 3, 0x3e, 2, 0x1234);
    expect(seen).toEqual(['r44/1', 'w3e/2=1234']);
  });

  it('refuses definitions after it was plugged, and bad identities or BARs', () => {
    const { dev } = plugged();
    expect(() => dev.fn.addCapability(PCI_CAP_ID_VNDR, 4)).toThrow('after it was plugged');
    expect(() => dev.fn.defineIoBar(3, 16, dev.io)).toThrow('after it was plugged');
    expect(() => new PciFunction({ vendorId: 0xffff, deviceId: 0, classCode: 0 })).toThrow('vendor id');
    expect(() => new PciFunction({ vendorId: 1, deviceId: 0, classCode: 0x1000000 })).toThrow('bad device id');
    expect(() => new PciFunction({ vendorId: 1, deviceId: 0, classCode: 0, interruptPin: 5 })).toThrow('interrupt pin');
    const fn = new PciFunction({ vendorId: 1, deviceId: 2, classCode: 0 });
    expect(() => fn.defineIoBar(0, 2, dev.io)).toThrow('power of two');
    expect(() => fn.defineIoBar(0, 48, dev.io)).toThrow('power of two');
    expect(() => fn.defineMemoryBar(0, 8, null)).toThrow('power of two');
    expect(() => fn.defineMemoryBar(6, 16, null)).toThrow('free BAR');
    fn.defineMemoryBar(0, 16, null);
    expect(() => fn.defineMemoryBar(0, 16, null)).toThrow('free BAR');
    expect(() => fn.setWriteMask(0x40, 4)).toThrow('not inside a capability');
    expect(() => fn.addMsix(1, { tableBar: 1, tableOffset: 0, pbaBar: 0, pbaOffset: 0 })).toThrow('not a memory BAR');
    expect(() => fn.addMsix(1, { tableBar: 0, tableOffset: 4, pbaBar: 0, pbaOffset: 0 })).toThrow('does not fit');
    expect(() => fn.addMsix(1, { tableBar: 0, tableOffset: 0, pbaBar: 0, pbaOffset: 8 })).toThrow('overlap');
    expect(() => fn.addMsix(1, { tableBar: 0, tableOffset: 0, pbaBar: 0, pbaOffset: 16 })).toThrow('does not fit');
    expect(() => fn.addMsix(0, { tableBar: 0, tableOffset: 0, pbaBar: 0, pbaOffset: 16 })).toThrow('vectors');
  });

  it('ignores configuration accesses that cross a dword or leave the space', () => {
    const fn = new TestDevice().fn;
    expect(fn.configRead(0x03, 2)).toBe(0xffff);
    expect(fn.configRead(0xfe, 4)).toBe(0xffffffff);
    expect(fn.configRead(0x100, 1)).toBe(0xff);
    fn.configWrite(0x3b, 2, 0xffff);
    expect(fn.configRead(0x3c, 1)).toBe(0);
    expect(fn.configRead(0x00, 3)).toBe(0xffffff);
  });
});
