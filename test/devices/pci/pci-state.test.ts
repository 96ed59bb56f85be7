import { describe, expect, it } from 'vitest';
import type { PciFunction } from '../../../devices/pci/pci-function.ts';
import { assignResources } from '../../../devices/pci/pci-firmware.ts';
import type { StateObject } from '../../../src/qom/object.ts';
import { describeState } from '../../../src/visit/describe-visitor.ts';
import { loadState } from '../../../src/visit/input-visitor.ts';
import { saveState } from '../../../src/visit/output-visitor.ts';
import type { StateNode } from '../../../src/visit/state-tree.ts';
import type { Visitor } from '../../../src/visit/visitor.ts';
import { roundTrip } from '../helpers.ts';
import { bench, cfgRead, cfgWrite, TestDevice } from './pci-harness.ts';

/** A peripheral as the lead's devices will be: an object whose state holds its function's. */
class Peripheral implements StateObject {
  readonly typeName = 'test-pci';
  readonly stateVersion = 1;
  readonly dev: TestDevice;
  constructor(dev: TestDevice) {
    this.dev = dev;
  }
  get fn(): PciFunction {
    return this.dev.fn;
  }
  visit(v: Visitor): void {
    v.struct('pci', () => this.dev.fn.visit(v));
  }
}

/** Two test devices in slots 1 and 2 (both on IRQ 10), resources assigned. */
function machine() {
  const b = bench();
  const one = new Peripheral(new TestDevice());
  const two = new Peripheral(new TestDevice());
  b.host.plug(1, one.fn);
  b.host.plug(2, two.fn);
  return { b, one, two };
}

function busy() {
  const m = machine();
  const { b, one, two } = m;
  assignResources(b.host);
  // Device one: MSI-X on, vector 1 unmasked, vector 2 masked with a pending notification.
  const table = cfgRead(b, 1 << 3, 0x14, 4);
  b.mem.writeSlow(table + 16, 4, 0xfee00000);
  b.mem.writeSlow(table + 24, 4, 0x51);
  b.mem.writeSlow(table + 28, 4, 0);
  b.mem.writeSlow(table + 32, 4, 0xfee01000);
  b.mem.writeSlow(table + 40, 4, 0x52);
  cfgWrite(b, 1 << 3, one.fn.msix!.capOffset + 3, 1, 0x80);
  one.fn.notify(2);
  // Device two: INTx asserted (IRQ 10 high).
  two.fn.setIntx(1);
  cfgWrite(b, 2 << 3, 0x0c, 1, 0x10);
  b.io.write(0xcf8, 4, 0x80000810);
  return m;
}

const save = (o: StateObject, path: string): StateNode => saveState(o, path);

describe('PCI state', () => {
  it('round-trips the host (CONFADD, host bridge) and a function with MSI-X', () => {
    const a = busy();
    const fresh = machine();
    roundTrip(a.b.host, fresh.b.host, '/machine/pci');
    roundTrip(a.one, fresh.one, '/machine/peripheral/one');
    roundTrip(a.two, fresh.two, '/machine/peripheral/two');
    const tree = save(a.b.host, '/machine/pci');
    expect(tree['confadd']).toBe(0x80000810);
    const schema = describeState(a.one);
    expect(JSON.stringify(schema)).toContain('table');
  });

  it('post-load maps the BARs again and re-derives line levels without driving them', () => {
    const a = busy();
    const fresh = machine();
    loadState(fresh.b.host, save(a.b.host, '/machine/pci'), '/machine/pci');
    loadState(fresh.one, save(a.one, '/p/one'), '/p/one');
    loadState(fresh.two, save(a.two, '/p/two'), '/p/two');
    expect(fresh.b.host.mappings).toEqual([]);
    fresh.b.host.postLoad();
    expect(fresh.b.io.read(0xcf8, 4)).toBe(0x80000810);
    const where = (m: { devfn: number; bar: { index: number }; address: number }[]) => m.map((x) => [x.devfn, x.bar.index, x.address]);
    expect(where([...fresh.b.host.mappings])).toEqual(where([...a.b.host.mappings]));
    expect(fresh.b.irq.calls).toEqual([]);
    expect(fresh.b.host.router.levelOf(10)).toBe(1);
    // The line is known to be high: lowering it drives the falling edge.
    fresh.two.fn.setIntx(0);
    expect(fresh.b.irq.calls).toEqual([[10, 0]]);
    // The pending vector waits for its unmask; the BARs answer at their old places.
    const table = cfgRead(fresh.b, 1 << 3, 0x14, 4);
    expect(fresh.b.mem.readSlow(table + 0x800, 4)).toBe(0x4);
    fresh.b.mem.writeSlow(table + 44, 4, 0);
    expect(fresh.b.msi.messages).toEqual([[0xfee01000, 0x52]]);
    fresh.one.fn.notify(1);
    expect(fresh.b.msi.messages.at(-1)).toEqual([0xfee00000, 0x51]);
  });

  it('keeps the definition\'s read-only bits whatever a loaded state says', () => {
    const a = busy();
    const tree = save(a.one, '/p');
    const pci = tree['pci'] as StateNode;
    const config = pci['config'] as number[];
    config[0] = 0x34; // vendor id
    config[0x0e] = 0x7f; // header type
    config[0x10] = 0xff; // I/O BAR flag bits
    config[0x06] = 0xff; // status: interrupt bit kept (dynamic), capability bit from the definition
    const msix = pci['msix'] as StateNode;
    (msix['table'] as number[])[12] = 0xff; // vector control reserved bits
    (msix['pba'] as number[])[7] = 0xff; // pending bits past vector 3
    const fresh = machine();
    loadState(fresh.one, tree, '/p');
    const fn = fresh.one.fn;
    expect(fn.configRead(0, 2)).toBe(0x1af4);
    expect(fn.configRead(0x0e, 1)).toBe(0);
    expect(fn.configRead(0x10, 1) & 0x3).toBe(0x1);
    expect(fn.configRead(0x06, 1)).toBe(0x18);
    expect(fn.msix!.table[12]).toBe(1);
    expect(fn.msix!.pba[7]).toBe(0);
  });

  it('refuses a state whose arrays have the wrong length', () => {
    const a = busy();
    const tree = save(a.one, '/p');
    ((tree['pci'] as StateNode)['config'] as number[]).pop();
    expect(() => loadState(machine().one, tree, '/p')).toThrow('/p.pci.config');
  });
});
