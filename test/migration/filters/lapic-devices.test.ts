/**
 * kvm-apic <-> apic against the real devices: drive one flavour through a random program (timers in
 * every mode, vectors in IRR and ISR, INIT/SIPI waits, pending errors), save it, convert the tree,
 * load it into a fresh device of the other flavour, and check that the two then show the guest the
 * same registers (TMCCT included) and deliver the same interrupts at the same virtual times. And the
 * round trips: kvm-apic -> apic -> kvm-apic is exact; apic -> kvm-apic -> apic is exact up to the
 * timer bases QEMU's fields hold redundantly (canonicalApic below).
 */
import { describe, expect, it } from 'vitest';
import { Apic } from '../../../devices/apic/apic.ts';
import { KvmLapic } from '../../../devices/kernel/kvm-lapic.ts';
import { KvmApicObject } from '../../../devices/kvm/kvm-apic-object.ts';
import type { ApicWiring } from '../../../devices/apic-common/apic-types.ts';
import { DM_FIXED, DM_INIT, DM_SIPI } from '../../../src/hw/apic-message.ts';
import { apicToKvmApic, kvmApicToApic } from '../../../migration/filters/apic-kvm.ts';
import type { StateObject } from '../../../src/qom/object.ts';
import { loadState } from '../../../src/visit/input-visitor.ts';
import { saveState } from '../../../src/visit/output-visitor.ts';
import { cloneTree, diffTrees, type StateNode } from '../../../src/visit/state-tree.ts';
import { TestClock } from '../../devices/helpers.ts';
import { Rng } from './gen.ts';
import { lapicApi } from '../../devices/kernel/kvm-api.ts';

type Lapic = Apic | KvmLapic;
type Flavour = 'apic' | 'kvm';
const PATH = '/machine/cpu[1]/lapic';

interface Dev {
  l: Lapic;
  kicks: number[];
  events: string[];
}

function makeDev(flavour: Flavour, tc: TestClock, bsp: boolean): Dev {
  const kicks: number[] = [];
  const events: string[] = [];
  const wiring: ApicWiring = {
    cpuIndex: 1,
    apicId: 1,
    bsp,
    signals: {
      kick: () => kicks.push(tc.now()),
      nmi: () => events.push(`nmi@${tc.now()}`),
      init: () => events.push(`init@${tc.now()}`),
      sipi: (v) => events.push(`sipi ${v}@${tc.now()}`),
    },
    sendMessage: (m) => events.push(`ipi ${m.deliveryMode}/${m.vector}@${tc.now()}`),
    eoiBroadcast: (v) => events.push(`eoi ${v}@${tc.now()}`),
    pic: { hasInterrupt: () => false, acknowledge: () => 0x20 },
    readTsc: () => BigInt(tc.now()),
  };
  const l = flavour === 'apic' ? new Apic(wiring, tc.clock, { tscDeadline: true }) : new KvmLapic(wiring, tc.clock, { tscDeadline: true });
  return { l, kicks, events };
}

function stateObject(l: Lapic): StateObject {
  if (l instanceof Apic) return l;
  return new KvmApicObject(lapicApi(l), 0);
}

const wr = (l: Lapic, off: number, v: number) => l.mmioWrite(off, 4, v);

/** One random guest action: on the APICs (drawn once, applied alike to each), or time passing. */
type Op = { step: number } | { act: (l: Lapic) => void };

function randomOp(r: Rng, tc: TestClock): Op {
  switch (r.below(24)) {
    case 0: {
      const tpr = r.below(16) << 4;
      return { act: (l) => wr(l, 0x80, tpr) };
    }
    case 1:
    case 2:
    case 3: {
      const vector = 16 + r.below(240);
      const trigger = r.below(2);
      return { act: (l) => l.accept(DM_FIXED, vector, trigger) };
    }
    case 4:
    case 5:
      return { act: (l) => (l.hasInterrupt() ? l.acknowledge() : 0) };
    case 6:
      return { act: (l) => wr(l, 0xb0, 0) };
    case 7: {
      const tdcr = r.pick([0, 1, 2, 3, 8, 9, 10, 11]);
      return { act: (l) => wr(l, 0x3e0, tdcr) };
    }
    case 8:
    case 9: {
      const mode = r.pick([0, 1, 2]);
      const lvt = (0x30 + r.below(0xc0)) | (mode << 17) | (r.below(4) === 0 ? 0x10000 : 0);
      const tsc = mode === 2 && r.bool() ? r.below(500000) : -1;
      return {
        act: (l) => {
          wr(l, 0x320, lvt);
          if (tsc >= 0) l.writeMsr(0x6e0, BigInt(tc.now() + tsc));
        },
      };
    }
    case 10:
    case 11: {
      const count = r.below(4) === 0 ? 0 : 1 + r.below(r.bool() ? 300 : 100000);
      return { act: (l) => wr(l, 0x380, count) };
    }
    case 12: {
      const delta = r.below(200000);
      return { act: (l) => l.writeMsr(0x6e0, BigInt(tc.now() + delta)) };
    }
    case 13:
    case 14:
    case 15:
      return { step: r.below(r.bool() ? 3000 : 400000) };
    case 16: {
      const latch = r.bool();
      return {
        act: (l) => {
          l.mmioRead(0x40, 4); // reserved: an error waits to be latched
          if (latch) wr(l, 0x280, 0);
        },
      };
    }
    case 17: {
      if (r.below(4) !== 0) return { step: 0 };
      const sipi = r.below(3) === 0 ? r.u8() : -1;
      const enable = r.bool();
      return {
        act: (l) => {
          l.accept(DM_INIT, 0, 0);
          if (sipi >= 0) l.accept(DM_SIPI, sipi, 0);
          if (enable) wr(l, 0xf0, 0x1ff);
        },
      };
    }
    case 18: {
      const ldr = r.u8() << 24;
      const dfr = r.bool() ? 0xffffffff : 0x0fffffff;
      const dest = r.u8() << 24;
      return {
        act: (l) => {
          wr(l, 0xd0, ldr);
          wr(l, 0xe0, dfr);
          wr(l, 0x310, dest);
        },
      };
    }
    case 19: {
      const off = 0x350 + 0x10 * r.below(3);
      const value = r.u32() & 0x1a7ff;
      return { act: (l) => wr(l, off, value) };
    }
    default: {
      const enable = r.bool();
      return { act: (l) => (enable ? wr(l, 0xf0, 0x1ff) : undefined) };
    }
  }
}

/** A random program: leaves the APIC in some state a guest could have put it in. */
function drive(d: Dev, tc: TestClock, r: Rng): void {
  if (r.below(8) !== 0) wr(d.l, 0xf0, 0x100 | (0xf0 + r.below(16)));
  const steps = 10 + r.below(40);
  for (let i = 0; i < steps; i++) {
    const op = randomOp(r, tc);
    if ('step' in op) tc.stepTo(tc.now() + op.step);
    else op.act(d.l);
  }
  if (r.below(6) === 0) {
    // A one-shot count that finished, then switched to periodic: stopped, with TMICT set.
    const vector = 0x30 + r.below(0xc0);
    wr(d.l, 0x320, vector);
    wr(d.l, 0x380, 1 + r.below(300));
    tc.stepTo(tc.now() + 40000);
    wr(d.l, 0x320, vector | (1 << 17));
  }
  tc.stepTo(tc.now() + r.below(5000));
}

const REGS = [
  0x20, 0x30, 0x80, 0x90, 0xa0, 0xd0, 0xe0, 0xf0, ...Array.from({ length: 24 }, (_, i) => 0x100 + i * 0x10), 0x280,
  0x300, 0x310, 0x320, 0x330, 0x340, 0x350, 0x360, 0x370, 0x380, 0x390, 0x3e0,
];

/** What the guest can see: every register, the two MSRs, the SIPI wait, a pending interrupt. */
function view(l: Lapic): string {
  const regs = REGS.map((o) => `${o.toString(16)}=${l.mmioRead(o, 4).toString(16)}`).join(' ');
  return `${regs} base=${l.readMsr(0x1b)} tsc=${l.readMsr(0x6e0)} sipi=${l.isWaitingForSipi()} int=${l.hasInterrupt()}`;
}

function convert(tree: StateNode, from: Flavour, now: number): StateNode {
  const f = from === 'apic' ? apicToKvmApic : kvmApicToApic;
  const type = from === 'apic' ? 'apic' : 'kvm-apic';
  return f.apply([{ type, version: from === 'apic' ? 3 : 1, fields: tree }], { path: PATH, virtualTimeNs: BigInt(now) })[0]!.fields;
}

/**
 * The apic tree that apic -> kvm-apic -> apic gives back: the same state with QEMU's redundant
 * timer bases rebuilt from the deadline (see migration/filters/apic-kvm.ts) and sipi_vector 0.
 */
function canonicalApic(t: StateNode, now: number): StateNode {
  const c = cloneTree(t);
  const lvt0 = (c.lvt as number[])[0]!;
  const m = (lvt0 >>> 17) & 3;
  const mode = m === 3 ? 1 : m;
  const tdcr = c.divide_conf as number;
  const shift = (((tdcr & 3) | ((tdcr >>> 1) & 4)) + 1) & 7;
  const initial = c.initial_count as number;
  const period = (initial + 1) * 2 ** shift;
  let e = Number(c.timer_expiry as bigint);
  let load = 0;
  if (mode === 2) {
    if (c.tsc_deadline === undefined) e = -1;
  } else if (initial === 0) e = -1;
  else if (e >= 0) load = e - period;
  else load = now - period;
  c.initial_count_load_time = BigInt(load);
  c.next_time = BigInt(e >= 0 ? e : 0);
  c.timer_expiry = BigInt(e);
  c.count_shift = shift;
  if (c.apic_sipi !== undefined) (c.apic_sipi as StateNode).sipi_vector = 0;
  return c;
}

/** How often each interesting situation came up (the program generator must reach all of them). */
type Tally = Map<string, number>;

function tally(t: Tally, apicTree: StateNode): void {
  const add = (k: string) => t.set(k, (t.get(k) ?? 0) + 1);
  const lvt0 = (apicTree.lvt as number[])[0]!;
  const mode = ['oneshot', 'periodic', 'tsc', 'periodic'][(lvt0 >>> 17) & 3]!;
  const armed = (apicTree.timer_expiry as bigint) >= 0n;
  add(`${mode} ${armed ? 'armed' : 'disarmed'}`);
  if (mode === 'periodic' && !armed && (apicTree.initial_count as number) !== 0) add('periodic count stopped');
  if (armed && (lvt0 & 0x10000) !== 0) add('masked timer armed');
  if ((apicTree.isr as number[]).some((w) => w !== 0)) add('isr');
  if ((apicTree.irr as number[]).some((w) => w !== 0)) add('irr');
  if (apicTree.apic_sipi !== undefined) add('wait for sipi');
  if (apicTree.esr_pending !== undefined) add('esr pending');
}

function check(from: Flavour, seed: number, bsp: boolean, seen: Tally): void {
  const r = new Rng(seed);
  const tc = new TestClock();
  tc.counter.n = r.below(1e9);
  const a = makeDev(from, tc, bsp);
  a.l.reset();
  drive(a, tc, r);
  const now = tc.now();
  const saved = saveState(stateObject(a.l), PATH);
  const before = cloneTree(saved);

  const to: Flavour = from === 'apic' ? 'kvm' : 'apic';
  const converted = convert(saved, from, now);
  expect(diffTrees(saved, before)).toEqual([]); // the filter left its input alone
  const b = makeDev(to, tc, bsp);
  const obj = stateObject(b.l);
  loadState(obj, converted, PATH);
  obj.postLoad?.();

  tally(seen, from === 'apic' ? saved : converted);
  // The round trip.
  const back = convert(converted, to, now);
  if (from === 'kvm') expect(diffTrees(back, saved)).toEqual([]);
  else expect(diffTrees(back, canonicalApic(saved, now))).toEqual([]);

  // The guest cannot tell: same registers now and later, same interrupts at the same times.
  // (Loading kicks the CPU when an interrupt is pending: that is the restore, not the guest.)
  for (const d of [a, b]) {
    d.kicks.length = 0;
    d.events.length = 0;
  }
  expect(view(b.l)).toBe(view(a.l));
  for (let step = 0; step < 6; step++) {
    tc.stepTo(tc.now() + r.below(r.bool() ? 2000 : 300000));
    expect(view(b.l), `seed ${seed} step ${step}`).toBe(view(a.l));
    if (r.bool()) {
      const va: number[] = [];
      const vb: number[] = [];
      while (a.l.hasInterrupt() && va.length < 50) va.push(a.l.acknowledge());
      while (b.l.hasInterrupt() && vb.length < 50) vb.push(b.l.acknowledge());
      expect(vb).toEqual(va);
      wr(a.l, 0xb0, 0);
      wr(b.l, 0xb0, 0);
    }
  }
  // And the guest carries on programming both alike: every later read agrees.
  for (let i = 0; i < 30; i++) {
    const op = randomOp(r, tc);
    if ('step' in op) tc.stepTo(tc.now() + op.step);
    else {
      op.act(a.l);
      op.act(b.l);
    }
    expect(view(b.l), `seed ${seed} op ${i}`).toBe(view(a.l));
  }
  expect(b.kicks).toEqual(a.kicks);
  expect(b.events).toEqual(a.events);
  a.l.dispose();
  b.l.dispose();
}

function expectCoverage(seen: Tally): void {
  for (const k of [
    'oneshot armed', 'oneshot disarmed', 'periodic armed', 'periodic count stopped', 'tsc armed', 'tsc disarmed',
    'masked timer armed',
    'isr', 'irr', 'wait for sipi', 'esr pending',
  ]) {
    expect(seen.get(k) ?? 0, `${k}: ${JSON.stringify([...seen])}`).toBeGreaterThanOrEqual(3);
  }
}

describe('kvm-apic <-> apic with the real devices', () => {
  it('apic -> kvm-apic: same guest view; apic -> kvm-apic -> apic exact up to timer bases', () => {
    const seen: Tally = new Map();
    for (let seed = 1; seed <= 150; seed++) check('apic', seed, seed % 3 === 0, seen);
    expectCoverage(seen);
  });

  it('kvm-apic -> apic: same guest view; kvm-apic -> apic -> kvm-apic exact', () => {
    const seen: Tally = new Map();
    for (let seed = 1001; seed <= 1150; seed++) check('kvm', seed, seed % 3 === 0, seen);
    expectCoverage(seen);
  });
});
