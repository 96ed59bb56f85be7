import { describe, expect, it } from 'vitest';
import { pirqOf } from '../../../devices/pci/pci-intx-router.ts';
import { bench, cfgRead, cfgWrite, TestDevice } from './pci-harness.ts';

describe('PCI INTx routing', () => {
  it('swizzles slot and pin onto PIRQ A-D as the PIIX does, and PIRQs onto IRQs 10, 10, 11, 11', () => {
    expect([1, 2, 3, 4, 5].map((slot) => pirqOf(slot, 1))).toEqual([0, 1, 2, 3, 0]);
    expect([1, 2, 3, 4].map((pin) => pirqOf(1, pin))).toEqual([0, 1, 2, 3]);
    expect(pirqOf(2, 4)).toBe(0);
    const b = bench();
    expect([1, 2, 3, 4].map((slot) => b.host.router.irqOf(slot, 1))).toEqual([10, 10, 11, 11]);
    expect(b.host.router.irqOf(3, 2)).toBe(11);
    expect(b.host.router.irqOf(3, 3)).toBe(10);
  });

  it('raises the routed IRQ with the INTx request and shows it in status bit 3', () => {
    const b = bench();
    const dev = new TestDevice({ interruptPin: 2 });
    b.host.plug(3, dev.fn);
    dev.fn.setIntx(1);
    // Slot 3, INTB#: PIRQD, IRQ 11.
    expect(b.irq.events.map((e) => [e.pin, e.level])).toEqual([[11, 1]]);
    expect(cfgRead(b, 3 << 3, 0x06, 2) & 0x8).toBe(0x8);
    expect(cfgRead(b, 3 << 3, 0x3d, 1)).toBe(2);
    dev.fn.setIntx(1);
    dev.fn.setIntx(0);
    expect(b.irq.events.map((e) => [e.pin, e.level])).toEqual([
      [11, 1],
      [11, 0],
    ]);
    expect(cfgRead(b, 3 << 3, 0x06, 2) & 0x8).toBe(0);
  });

  it('holds a shared line high while any function routed to it asserts', () => {
    const b = bench();
    const a = new TestDevice();
    const c = new TestDevice();
    const other = new TestDevice();
    b.host.plug(1, a.fn); // PIRQA -> 10
    b.host.plug(2, c.fn); // PIRQB -> 10
    b.host.plug(3, other.fn); // PIRQC -> 11
    a.fn.setIntx(1);
    c.fn.setIntx(1);
    other.fn.setIntx(1);
    a.fn.setIntx(0);
    expect(b.irq.level(10)).toBe(1);
    expect(b.host.router.pirqLevel(0)).toBe(0);
    expect(b.host.router.pirqLevel(1)).toBe(1);
    c.fn.setIntx(0);
    other.fn.setIntx(0);
    expect(b.irq.events.map((e) => [e.pin, e.level])).toEqual([
      [10, 1],
      [11, 1],
      [10, 0],
      [11, 0],
    ]);
  });

  it('deasserts the output while INTx disable is set, and reasserts it when cleared', () => {
    const b = bench();
    const dev = new TestDevice();
    b.host.plug(1, dev.fn);
    dev.fn.setIntx(1);
    cfgWrite(b, 1 << 3, 0x05, 1, 0x04);
    expect(b.irq.level(10)).toBe(0);
    expect(cfgRead(b, 1 << 3, 0x06, 1) & 0x8).toBe(0x8);
    dev.fn.setIntx(0);
    dev.fn.setIntx(1);
    expect(b.irq.events.length).toBe(2);
    cfgWrite(b, 1 << 3, 0x05, 1, 0x00);
    expect(b.irq.level(10)).toBe(1);
    expect(b.irq.events.length).toBe(3);
  });

  it('uses no INTx while MSI-X is enabled', () => {
    const b = bench();
    const dev = new TestDevice();
    b.host.plug(1, dev.fn);
    const ctrl = dev.fn.msix!.capOffset + 3;
    dev.fn.setIntx(1);
    cfgWrite(b, 1 << 3, ctrl, 1, 0x80);
    expect(b.irq.level(10)).toBe(0);
    dev.fn.setIntx(0);
    dev.fn.setIntx(1);
    expect(b.irq.level(10)).toBe(0);
    cfgWrite(b, 1 << 3, ctrl, 1, 0x00);
    expect(b.irq.level(10)).toBe(1);
  });

  it('lowers the lines of every function on reset', () => {
    const b = bench();
    const dev = new TestDevice();
    b.host.plug(1, dev.fn);
    dev.fn.setIntx(1);
    b.host.reset();
    expect(b.irq.level(10)).toBe(0);
    expect(dev.fn.intxRequest).toBe(0);
  });

  it('ignores functions without an interrupt pin', () => {
    const b = bench();
    const dev = new TestDevice({ interruptPin: 0 });
    b.host.plug(1, dev.fn);
    dev.fn.setIntx(1);
    expect(b.irq.events).toEqual([]);
    expect(dev.fn.intxOutput).toBe(0);
  });
});
