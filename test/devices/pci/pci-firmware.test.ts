import { describe, expect, it } from 'vitest';
import { PciFunction } from '../../../devices/pci/pci-function.ts';
import { assignResources, mpTableIrqs } from '../../../devices/pci/pci-firmware.ts';
import { bench, cfgRead, RegisterFile, TestDevice } from './pci-harness.ts';

function bar(b: ReturnType<typeof bench>, devfn: number, n: number): number {
  return cfgRead(b, devfn, 0x10 + 4 * n, 4);
}

describe('PCI firmware step', () => {
  it('assigns I/O from 0xC000 and memory below the IOAPIC, largest first and aligned, and enables decoding', () => {
    const b = bench();
    const a = new TestDevice();
    const c = new TestDevice({ interruptPin: 3 });
    const big = new PciFunction({ vendorId: 0x1234, deviceId: 0x1111, classCode: 0x030000 });
    const bigRegs = new RegisterFile(0x100);
    big.defineMemoryBar(0, 0x100000, bigRegs);
    big.defineMemoryBar(3, 0x10, bigRegs);
    big.defineIoBar(5, 0x100, bigRegs);
    b.host.plug(2, a.fn);
    b.host.plug(4, big);
    b.host.plug(6, c.fn);
    assignResources(b.host);

    // I/O: 0x100 ports first, then the two 0x40-port BARs in devfn order.
    expect(bar(b, 4 << 3, 5)).toBe(0xc001);
    expect(bar(b, 2 << 3, 0)).toBe(0xc101);
    expect(bar(b, 6 << 3, 0)).toBe(0xc141);
    // Memory: 1 MiB + 2 x 16 KiB + 3 x 4 KiB (MSI-X BARs and the 16-byte BAR take a page) below 0xFEC00000.
    const memBase = Math.floor((0xfec00000 - (0x100000 + 2 * 0x4000 + 3 * 0x1000)) / 0x100000) * 0x100000;
    expect(bar(b, 4 << 3, 0)).toBe(memBase);
    expect(bar(b, 2 << 3, 2)).toBe(memBase + 0x100000 + 0x8);
    expect(bar(b, 6 << 3, 2)).toBe(memBase + 0x104000 + 0x8);
    expect(bar(b, 2 << 3, 1)).toBe(memBase + 0x108000);
    expect(bar(b, 4 << 3, 3)).toBe(memBase + 0x109000);
    expect(bar(b, 6 << 3, 1)).toBe(memBase + 0x10a000);
    // Every BAR decodes, nothing overlaps.
    expect(b.host.mappings.length).toBe(9);
    b.io.write(0xc002, 1, 0x77);
    expect(bigRegs.bytes[2]).toBe(0x77);
    b.mem.writeSlow(memBase + 0x100000 + 4, 4, 0xdeadbeef);
    expect(a.mem.bytes[4]).toBe(0xef);
    // Command: I/O, memory, bus master (not on the host bridge); interrupt lines from the routing.
    expect(cfgRead(b, 2 << 3, 0x04, 2)).toBe(0x0007);
    expect(cfgRead(b, 0, 0x04, 2)).toBe(0x0003);
    expect(cfgRead(b, 2 << 3, 0x3c, 1)).toBe(10);
    expect(cfgRead(b, 6 << 3, 0x3c, 1)).toBe(11); // slot 6 INTC#: PIRQ (6 + 3 - 2) & 3 = D
    expect(cfgRead(b, 4 << 3, 0x3c, 1)).toBe(0); // no pin: left alone
  });

  it('gives the same assignment every time, and again after a reset', () => {
    const run = () => {
      const b = bench();
      b.host.plug(3, new TestDevice().fn);
      b.host.plug(1, new TestDevice().fn);
      assignResources(b.host);
      const first = b.host.mappings.map((m) => `${m.devfn}:${m.bar.index}@${m.address}`);
      b.host.reset();
      expect(b.host.mappings).toEqual([]);
      assignResources(b.host);
      expect(b.host.mappings.map((m) => `${m.devfn}:${m.bar.index}@${m.address}`)).toEqual(first);
      return first;
    };
    expect(run()).toEqual(run());
  });

  it('refuses more than the windows hold', () => {
    const b = bench();
    for (let slot = 1; slot <= 3; slot++) {
      const fn = new PciFunction({ vendorId: 0x1234, deviceId: slot, classCode: 0 });
      fn.defineIoBar(1, 0x2000, new RegisterFile(0x2000));
      b.host.plug(slot, fn);
    }
    expect(() => assignResources(b.host)).toThrow('I/O ports');
    const m = bench();
    for (let slot = 1; slot <= 2; slot++) {
      const fn = new PciFunction({ vendorId: 0x1234, deviceId: slot, classCode: 0 });
      fn.defineMemoryBar(0, 0x10000000, null);
      m.host.plug(slot, fn);
    }
    expect(() => assignResources(m.host)).toThrow('memory space');
  });

  it('lists one MP table interrupt source per slot and pin in use', () => {
    const b = bench();
    b.host.plug(5, new TestDevice({ interruptPin: 2 }).fn);
    b.host.plug(1, new TestDevice().fn);
    b.host.plug(1, new TestDevice().fn, 1);
    b.host.plug(1, new TestDevice({ interruptPin: 4 }).fn, 2);
    b.host.plug(2, new TestDevice({ interruptPin: 0 }).fn);
    expect(mpTableIrqs(b.host)).toEqual([
      [1, 1, 10],
      [1, 4, 11],
      [5, 2, 10],
    ]);
  });
});
