/**
 * A hostile guest, property-based with a seeded generator: configuration writes of every size at
 * every offset through CONFADD/CONFDATA (to present, absent and other-bus functions), BARs thrown
 * onto RAM, each other, the IOAPIC and LAPIC windows, address 0 and the sizing pattern, BAR and
 * MSI-X table accesses of odd sizes and offsets, INTx and MSI-X notifications, resets, and
 * save/restore in the middle. After every step: nothing threw, configuration space equals a model
 * built from hand-written masks, the mapped BARs are exactly what the mapping rules give for that
 * model, the platform devices still answer, and the IRQ lines are the OR of the INTx outputs.
 */
import { describe, expect, it } from 'vitest';
import { PciFunction } from '../../../devices/pci/pci-function.ts';
import { PCI_BASE_ADDRESS_0 } from '../../../devices/pci/pci-regs.ts';
import { loadState } from '../../../src/visit/input-visitor.ts';
import { saveState } from '../../../src/visit/output-visitor.ts';
import type { StateNode } from '../../../src/visit/state-tree.ts';
import { bench, IOAPIC_WINDOW, RAM_BYTES, RegisterFile, Rng, SERIAL_PORT, TestDevice } from './pci-harness.ts';
import type { Bench } from './pci-harness.ts';

interface BarSpec {
  readonly index: number;
  readonly io: boolean;
  readonly size: number;
}

/** A function and what the guest should see in it. */
interface Model {
  readonly devfn: number;
  readonly fn: PciFunction;
  readonly bars: BarSpec[];
  readonly wmask: Uint8Array;
  readonly w1c: Uint8Array;
  readonly msixControl: number;
  readonly pin: number;
  /** Expected configuration space, and its reset value. */
  readonly exp: Uint8Array;
  readonly initial: Uint8Array;
}

/** Masks written out from the PCI specification for a function with these BARs and capabilities. */
function masks(bars: BarSpec[], msixControl: number, writable: [number, number][]) {
  const wmask = new Uint8Array(256);
  const w1c = new Uint8Array(256);
  wmask[0x04] = 0x07; // I/O, memory, bus master
  wmask[0x05] = 0x05; // SERR, INTx disable
  wmask[0x0c] = 0xff; // cache line size
  wmask[0x3c] = 0xff; // interrupt line
  w1c[0x07] = 0xf9; // parity, signalled/received target abort, received master abort, SERR, detected parity
  for (const b of bars) {
    const m = (~(b.size - 1) & (b.io ? 0xfffffffc : 0xfffffff0)) >>> 0;
    for (let i = 0; i < 4; i++) wmask[PCI_BASE_ADDRESS_0 + 4 * b.index + i] = m >>> (i * 8);
  }
  if (msixControl > 0) wmask[msixControl + 1] = 0xc0; // enable, function mask
  for (const [at, n] of writable) wmask.fill(0xff, at, at + n);
  return { wmask, w1c };
}

const TEST_BARS: BarSpec[] = [
  { index: 0, io: true, size: 0x40 },
  { index: 1, io: false, size: 0x1000 },
  { index: 2, io: false, size: 0x4000 },
];

function world() {
  const b = bench();
  const made: Omit<Model, 'exp' | 'initial'>[] = [];
  const addTest = (slot: number, func: number, pin: number) => {
    const dev = new TestDevice({ interruptPin: pin, deviceId: 0x1042 + slot });
    b.host.plug(slot, dev.fn, func);
    const msixControl = dev.fn.msix!.capOffset + 2;
    made.push({ devfn: (slot << 3) | func, fn: dev.fn, bars: TEST_BARS, msixControl, pin, ...masks(TEST_BARS, msixControl, [[dev.vendorCap + 4, 4]]) });
  };
  addTest(1, 0, 1);
  addTest(2, 0, 3);
  addTest(2, 3, 2);
  // A function whose MSI-X table and PBA sit inside the device's own BAR.
  const shared = new PciFunction({ vendorId: 0x8086, deviceId: 0x10d3, classCode: 0x020000, interruptPin: 1 });
  shared.defineMemoryBar(0, 0x1000, new RegisterFile(0x1000));
  shared.addMsix(3, { tableBar: 0, tableOffset: 0x100, pbaBar: 0, pbaOffset: 0x200 });
  b.host.plug(5, shared);
  const sharedBars: BarSpec[] = [{ index: 0, io: false, size: 0x1000 }];
  made.push({ devfn: 5 << 3, fn: shared, bars: sharedBars, msixControl: shared.msix!.capOffset + 2, pin: 1, ...masks(sharedBars, shared.msix!.capOffset + 2, []) });
  made.push({ devfn: 0, fn: b.host.hostBridge, bars: [], msixControl: 0, pin: 0, ...masks([], 0, []) });
  made.sort((x, y) => x.devfn - y.devfn);
  const models: Model[] = made.map((m) => ({ ...m, exp: m.fn.config.slice(), initial: m.fn.config.slice() }));
  return { b, models };
}

// ---- The mapping rules, stated again independently of devices/pci ----

const FOREIGN_IO: [number, number][] = [
  [SERIAL_PORT, 8],
  [0xcf8, 8],
];
const FOREIGN_MEM: [number, number][] = [[IOAPIC_WINDOW, 0x1000]];

const get32 = (a: Uint8Array, i: number) => (a[i]! | (a[i + 1]! << 8) | (a[i + 2]! << 16) | (a[i + 3]! << 24)) >>> 0;

function expectedMappings(models: Model[]): string[] {
  const taken: { io: boolean; base: number; end: number }[] = [
    ...FOREIGN_IO.map(([base, n]) => ({ io: true, base, end: base + n })),
    ...FOREIGN_MEM.map(([base, n]) => ({ io: false, base, end: base + n })),
  ];
  const out: string[] = [];
  for (const m of models) {
    const command = m.exp[4]! | (m.exp[5]! << 8);
    for (const bar of m.bars) {
      const addr = (get32(m.exp, PCI_BASE_ADDRESS_0 + 4 * bar.index) & ~(bar.size - 1) & (bar.io ? ~3 : ~15)) >>> 0;
      const on = bar.io ? (command & 1) !== 0 : (command & 2) !== 0;
      const top = bar.io ? 0x10000 : 0xffffffff;
      if (!on || addr === 0 || addr + bar.size > top) continue;
      const end = addr + bar.size;
      if (taken.some((t) => t.io === bar.io && addr < t.end && t.base < end)) continue;
      taken.push({ io: bar.io, base: addr, end });
      out.push(`${m.devfn}:${bar.index}@${addr.toString(16)}`);
    }
  }
  return out;
}

function intxOutput(m: Model): number {
  const command = m.exp[4]! | (m.exp[5]! << 8);
  const msixOn = m.msixControl > 0 && (m.exp[m.msixControl + 1]! & 0x80) !== 0;
  return m.pin !== 0 && (m.exp[6]! & 0x08) !== 0 && (command & 0x400) === 0 && !msixOn ? 1 : 0;
}

function check(b: Bench, models: Model[], confadd: number): void {
  for (const m of models) {
    const diff = [...m.exp].flatMap((e, i) => (m.fn.config[i] === e ? [] : [`${m.devfn}[0x${i.toString(16)}]: ${m.fn.config[i]} not ${e}`]));
    expect(diff).toEqual([]);
  }
  const mapped = b.host.mappings.map((x) => `${x.devfn}:${x.bar.index}@${x.address.toString(16)}`);
  expect(mapped).toEqual(expectedMappings(models));
  for (const x of b.host.mappings) {
    if (x.bar.isMemory) expect(b.mem.mmio.isFree(x.address, 1) || b.mem.mmio.isFree(x.address + x.bar.size - 1, 1)).toBe(false);
    else expect(b.io.isMapped(x.address) && b.io.isMapped(x.address + x.bar.size - 1)).toBe(true);
  }
  expect(b.mem.readSlow(IOAPIC_WINDOW, 4)).toBe(0x11223344);
  expect(b.io.read(SERIAL_PORT + 5, 1)).toBe(0x5a);
  expect(b.io.read(0xcf8, 4)).toBe(confadd);
  for (const irq of [10, 11]) {
    let level = 0;
    for (const m of models) if (m.pin !== 0 && b.host.router.irqOf(m.devfn >>> 3, m.pin) === irq) level |= intxOutput(m);
    expect([irq, b.host.router.levelOf(irq), b.irq.level(irq)]).toEqual([irq, level, level]);
  }
}

/** BAR values: the PCI hole (often colliding), the IOAPIC and LAPIC windows, RAM, 0, sizing, ports. */
const BAR_VALUES = [
  0xe0000000, 0xe0001000, 0xe0002000, 0xe0004000, 0xe0008000, 0xe0000000, 0xe0001000, 0xfebff000, IOAPIC_WINDOW, IOAPIC_WINDOW + 0x1000,
  0xfee00000, RAM_BYTES - 0x2000, 0x1000, 0, 0xffffffff, 0xfffff000, 0xc000, 0xc040, 0xc080, 0xc000, 0xc040, SERIAL_PORT & ~0x3f, 0xcc0,
  0xffc0, 0x10000, 0x80000001,
];

function randomValue(r: Rng): number {
  switch (r.below(4)) {
    case 0:
      return r.pick(BAR_VALUES);
    case 1:
      return r.pick([0, 0xffffffff, 0x0007, 0x0403, 0xc000, 0x8000, 0x4000]);
    default:
      return r.u32();
  }
}

/** An address where something may answer: a mapped BAR, a platform window, RAM's end. */
function randomAddress(r: Rng, b: Bench, io: boolean): number {
  const bars = b.host.mappings.filter((x) => x.bar.isMemory !== io);
  if (bars.length > 0 && r.below(4) !== 0) {
    const x = r.pick(bars);
    return x.address + r.below(x.bar.size + 8);
  }
  return io ? r.pick([0xc000, 0xc03f, SERIAL_PORT, 0xfffe]) : r.pick([IOAPIC_WINDOW, 0xfee00000, RAM_BYTES - 4, 0xe0000ffe, 0xfffffffc]);
}

/** A BAR window access: I/O or memory, the MSI-X tables often, at odd sizes and offsets. */
function windowAccess(r: Rng, b: Bench): void {
  const size = r.pick([1, 2, 4]);
  const write = r.below(2) === 0;
  if (r.below(3) === 0) {
    const port = randomAddress(r, b, true) & 0xffff;
    if (write) b.io.write(port, size, r.u32());
    else b.io.read(port, size);
    return;
  }
  let addr = randomAddress(r, b, false);
  const msixBars = b.host.mappings.filter((x) => x.bar.isMemory && x.bar.size === 0x1000 && x.address >= RAM_BYTES);
  if (msixBars.length > 0 && r.below(2) === 0) {
    const x = r.pick(msixBars);
    const table = x.address + (x.devfn === 5 << 3 ? 0x100 : 0);
    if (r.below(3) !== 0) {
      // Program an entry field as a driver does: address, data, unmask, mask.
      const field = r.pick([0, 4, 8, 12, 12, 12]);
      const value = field === 12 ? r.pick([0, 0, 0, 1]) : r.pick([0, 0xfee00000, 0xfee01000, 0x4041, r.u32()]);
      b.mem.writeSlow(table + 16 * r.below(4) + field, 4, value);
      return;
    }
    addr = table + r.below(0x40);
  }
  const a = (addr >>> 0) - ((addr & 0xfff) + size > 0x1000 ? size : 0);
  if (write) b.mem.writeSlow(a, size, r.pick([0, 1, 0xfee00000, r.u32()]));
  else b.mem.readSlow(a, size);
}

/** The walk: the machine, the model, and what CONFADD holds. */
class Walk {
  b: Bench;
  models: Model[];
  confadd = 0;
  readonly r: Rng;
  readonly devfns: number[];

  constructor(seed: number) {
    ({ b: this.b, models: this.models } = world());
    this.r = new Rng(seed);
    this.devfns = [...this.models.map((m) => m.devfn), 7 << 3, (1 << 3) | 1, 0xff];
  }

  /** CONFADD, then CONFDATA + off; the model takes the bytes that land in CONFDATA. */
  configWrite(devfn: number, bus: number, enable: number, reg: number, off: number, size: number, value: number): void {
    this.confadd = (enable | (bus << 16) | (devfn << 8) | reg) >>> 0;
    this.b.io.write(0xcf8, 4, this.confadd);
    this.b.io.write(0xcfc + off, size, value);
    const m = this.models.find((x) => x.devfn === devfn);
    if (m === undefined || bus !== 0 || enable === 0) return;
    for (let i = 0; i < size && off + i < 4; i++) {
      const at = reg + off + i;
      const v = (value >>> (8 * i)) & 0xff;
      m.exp[at] = ((m.exp[at]! & ~m.wmask[at]!) | (v & m.wmask[at]!)) & ~(v & m.w1c[at]!) & 0xff;
    }
  }

  /** A random configuration write, biased to BARs, the command register and MSI-X control. */
  chaosWrite(): void {
    const r = this.r;
    const devfn = r.pick(this.devfns);
    const bus = r.below(10) === 0 ? 1 : 0;
    const enable = r.below(20) === 0 ? 0 : 0x80000000;
    const m = this.models.find((x) => x.devfn === devfn);
    const kind = r.below(20);
    let reg = r.below(64) * 4;
    let value = randomValue(r);
    if (kind < 7) {
      reg = PCI_BASE_ADDRESS_0 + 4 * r.below(6);
      value = r.pick(BAR_VALUES);
    } else if (kind < 11) {
      reg = 4;
      value = r.pick([0x7, 0x7, 0x6, 0x3, 0x1, 0x2, 0x407, 0x0, r.u32()]);
    } else if (kind < 13 && m !== undefined && m.msixControl > 0) {
      reg = m.msixControl & ~3;
      value = r.pick([0x80, 0xc0, 0x40, 0]) << 24;
    }
    let off = 0;
    let size = 4;
    if (r.below(3) === 0) {
      off = r.below(4);
      size = r.pick([1, 2, 4]);
      value >>>= 8 * off;
    }
    this.configWrite(devfn, bus, enable, reg, off, size, value);
  }

  /** What a driver does: BARs in the PCI hole and at 0xC000, decoding and bus mastering on, MSI-X programmed. */
  driver(): void {
    const m = this.r.pick(this.models.filter((x) => x.devfn !== 0));
    for (const bar of m.bars) {
      const at = bar.io ? 0xc000 + m.devfn * 0x40 : 0xe0000000 + m.devfn * 0x10000 + bar.index * 0x4000;
      this.configWrite(m.devfn, 0, 0x80000000, PCI_BASE_ADDRESS_0 + 4 * bar.index, 0, 4, at);
    }
    this.configWrite(m.devfn, 0, 0x80000000, 4, 0, 2, 0x7);
    this.configWrite(m.devfn, 0, 0x80000000, m.msixControl & ~3, 2, 2, 0x8000);
    const x = this.b.host.mappings.find((y) => y.devfn === m.devfn && y.bar.index === (m.devfn === 5 << 3 ? 0 : 1));
    if (x === undefined) return;
    const table = x.address + (m.devfn === 5 << 3 ? 0x100 : 0);
    for (let v = 0; v < 3; v++) {
      this.b.mem.writeSlow(table + 16 * v, 4, 0xfee00000);
      this.b.mem.writeSlow(table + 16 * v + 8, 4, 0x40 + v);
      this.b.mem.writeSlow(table + 16 * v + 12, 4, 0);
    }
  }

  step(): void {
    const { r } = this;
    const op = r.below(1000) / 10;
    if (op < 42) {
      this.chaosWrite();
    } else if (op < 45) {
      this.driver();
    } else if (op < 55) {
      // Configuration reads anywhere, compared with the model.
      const devfn = r.pick(this.devfns);
      const reg = r.below(64) * 4;
      const size = r.pick([1, 2, 4]);
      const off = r.below(5 - size);
      this.confadd = (0x80000000 | (devfn << 8) | reg) >>> 0;
      this.b.io.write(0xcf8, 4, this.confadd);
      const got = this.b.io.read(0xcfc + off, size);
      const m = this.models.find((x) => x.devfn === devfn);
      let want = size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
      if (m !== undefined) {
        want = 0;
        for (let i = size - 1; i >= 0; i--) want = (want << 8) | m.exp[reg + off + i]!;
        want >>>= 0;
      }
      expect(got).toBe(want);
    } else if (op < 60) {
      // CONFADD itself at any size inside 0xCF8-0xCFB (a byte at 0xCF9 may reset: the register counts it).
      const port = 0xcf8 + r.below(4);
      const size = r.pick([1, 2, 4].filter((n) => port + n <= 0xcfc));
      const value = r.u32();
      this.b.io.write(port, size, value);
      if (port === 0xcf8 && size === 4) this.confadd = (value & 0x80fffffc) >>> 0;
      else this.b.io.read(port, size);
    } else if (op < 80) {
      windowAccess(r, this.b);
    } else if (op < 98.6) {
      const m = r.pick(this.models);
      if (r.below(2) === 0) {
        const level = r.below(2);
        m.fn.setIntx(level);
        m.exp[6] = (m.exp[6]! & ~0x08) | (level << 3);
      } else {
        m.fn.notify(r.below(6) - 1);
      }
    } else if (op < 99.3) {
      this.b.host.reset();
      this.confadd = 0;
      for (const m of this.models) m.exp.set(m.initial);
    } else {
      this.restore();
    }
    check(this.b, this.models, this.confadd);
  }

  /** Save everything, restore into a fresh machine, and go on there. */
  restore(): void {
    const next = world();
    loadState(next.b.host, saveState(this.b.host, '/machine/pci'), '/machine/pci');
    for (const m of this.models) {
      const twin = next.models.find((x) => x.devfn === m.devfn)!;
      if (m.devfn !== 0) loadState(twin.fn, saveState(m.fn, '/p'), '/p');
      twin.exp.set(m.exp);
    }
    next.b.host.postLoad();
    expect(next.b.irq.calls).toEqual([]);
    // The interrupt controllers' loaded state holds these levels.
    for (const irq of [10, 11]) next.b.irq.levels.set(irq, next.b.host.router.levelOf(irq));
    this.b = next.b;
    this.models = next.models;
  }
}

describe('PCI under a hostile guest', () => {
  for (const seed of [1, 2, 3, 0xc0ffee]) {
    it(`seed ${seed}: nothing throws, configuration space and the buses stay what the rules say`, () => {
      const walk = new Walk(seed);
      for (let step = 0; step < 1500; step++) walk.step();
    });
  }

  it('loads trees with arbitrary bytes and still maps, routes and answers', () => {
    const r = new Rng(99);
    for (let round = 0; round < 30; round++) {
      const { b, models } = world();
      const tree = saveState(b.host, '/machine/pci');
      (tree['confadd'] as number) = r.u32();
      for (const m of models) {
        if (m.devfn === 0) continue;
        const saved = saveState(m.fn, '/p');
        (saved['config'] as number[]).forEach((_, i, a) => (a[i] = r.below(256)));
        const msix = saved['msix'] as StateNode;
        (msix['table'] as number[]).forEach((_, i, a) => (a[i] = r.below(256)));
        (msix['pba'] as number[]).forEach((_, i, a) => (a[i] = r.below(256)));
        loadState(m.fn, saved, '/p');
      }
      loadState(b.host, tree, '/machine/pci');
      b.host.postLoad();
      expect(b.irq.calls).toEqual([]);
      // The interrupt controllers' loaded state holds these levels.
      for (const irq of [10, 11]) b.irq.levels.set(irq, b.host.router.levelOf(irq));
      for (const m of models) m.exp.set(m.fn.config);
      // Read-only bytes came back from the definition.
      for (const m of models) expect(m.fn.configRead(0, 2)).toBe(m.initial[0]! | (m.initial[1]! << 8));
      const confadd = b.io.read(0xcf8, 4);
      expect(confadd & ~0x80fffffc).toBe(0);
      check(b, models, confadd);
      for (const m of models) {
        m.fn.notify(0);
        m.fn.setIntx(1);
        m.exp[6] = m.exp[6]! | 0x08;
      }
      check(b, models, confadd);
    }
  });
});
