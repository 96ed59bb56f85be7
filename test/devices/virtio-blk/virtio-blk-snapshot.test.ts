/**
 * virtio-blk across snapshots: save -> load -> save gives the same tree, and a device restored at any
 * point of a run (requests in the ring, in flight, completed at the same instant) completes exactly
 * the requests the uninterrupted one does, at the same virtual times, with the same memory, disk and
 * interrupt effects. The state is laid out both as one combined node and as two split nodes.
 */
import { describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../../src/block/memory-backend.ts';
import { PhysicalMemory } from '../../../src/memory/physical-memory.ts';
import type { StateObject } from '../../../src/qom/object.ts';
import { loadState } from '../../../src/visit/input-visitor.ts';
import { saveState } from '../../../src/visit/output-visitor.ts';
import { describeState } from '../../../src/visit/describe-visitor.ts';
import { diffTrees } from '../../../src/visit/state-tree.ts';
import type { StateNode, StateValue } from '../../../src/visit/state-tree.ts';
import type { Visitor } from '../../../src/visit/visitor.ts';
import { hash64 } from '../../../src/util/hash.ts';
import { VirtioBlk } from '../../../devices/virtio-blk/virtio-blk.ts';
import { VirtioCommon } from '../../../devices/virtio/virtio-common.ts';
import { BLK_DWZ_F_UNMAP, BLK_T_FLUSH, BLK_T_GET_ID, BLK_T_IN, BLK_T_OUT, BLK_T_WRITE_ZEROES } from '../../../devices/virtio-blk/virtio-blk-regs.ts';
import { AVAIL_IDX, AVAIL_RING, F_EVENT_IDX, featureBit } from '../../../devices/virtio/virtio-regs.ts';
import { Rng } from '../../migration/filters/gen.ts';
import { TestClock } from '../helpers.ts';
import { AVAIL, RAM_BYTES, RecordingInterrupt } from '../virtio/virtio-harness.ts';
import { ALL_FEATURES, BlkRig, type Req } from './blk-harness.ts';

const OPTIONS = { serial: 'GODWIT-SERIAL-01', maxWriteZeroesSeg: 2 };

/** The virtio-blk-pci-like combined node: common transport state and device state in one. */
class Combined implements StateObject {
  readonly typeName = 'test-virtio-blk-combined';
  readonly stateVersion = 1;
  readonly common: VirtioCommon;
  readonly blk: VirtioBlk;
  constructor(common: VirtioCommon, blk: VirtioBlk) {
    this.common = common;
    this.blk = blk;
  }
  visit(v: Visitor): void {
    v.struct('virtio', () => this.common.visit(v));
    v.struct('blk', () => this.blk.visit(v));
  }
}

interface Machine {
  tc: TestClock;
  mem: PhysicalMemory;
  disk: MemoryBackend;
  blk: VirtioBlk;
  common: VirtioCommon;
  irq: RecordingInterrupt;
  log: string[];
}

/** Timed driver actions: publish the first `publish` requests (ring entries and idx), notify, set used_event. */
interface Action {
  at: number;
  publish?: number;
  notify?: boolean;
  usedEvent?: number;
}

interface Scenario {
  features: bigint;
  heads: number[];
  size: number;
  actions: Action[];
  end: number;
}

function record(m: Machine, what: string): void {
  m.log.push(`${m.tc.now()} ${what} used=${m.mem.read16(0x19002)} inflight=${m.blk.inflight.count} irq=${m.irq.events.length}`);
}

/** Run timers one deadline at a time up to `t`, logging each completion, then apply the actions at `t`. */
function runTo(m: Machine, s: Scenario, from: number, t: number): void {
  for (;;) {
    const d = m.tc.clock.nextDeadline();
    if (d > t) break;
    m.tc.counter.n = Math.max(m.tc.counter.n, d);
    m.tc.clock.runDue();
    record(m, 'timer');
  }
  m.tc.counter.n = t;
  m.tc.clock.runDue();
  for (const a of s.actions) {
    if (a.at <= from || a.at > t || a.at !== t) continue;
    if (a.usedEvent !== undefined) m.mem.write16(AVAIL + AVAIL_RING + 2 * s.size, a.usedEvent);
    if (a.publish !== undefined) {
      for (let i = 0; i < a.publish; i++) m.mem.write16(AVAIL + AVAIL_RING + 2 * (i % s.size), s.heads[i]!);
      m.mem.write16(AVAIL + AVAIL_IDX, a.publish);
    }
    if (a.notify === true) m.common.notify(0);
    record(m, 'action');
  }
}

/** Run from `from` (exclusive of actions at `from`) to `to`, stopping at every action time. */
function run(m: Machine, s: Scenario, from: number, to: number): void {
  const times = [...new Set(s.actions.map((a) => a.at).filter((x) => x > from && x <= to)), to].sort((a, b) => a - b);
  let now = from;
  for (const t of times) {
    runTo(m, s, now, t);
    now = t;
  }
}

/** A started device with a set of requests laid out in guest RAM (none published yet). */
function build(features: bigint): { m: Machine; heads: number[]; size: number; reqs: Req[] } {
  const rig = new BlkRig({ features, options: OPTIONS, queueSize: 32 });
  const reqs = [
    rig.request(BLK_T_OUT, 4, { readable: [1024], fill: 0x41 }),
    rig.request(BLK_T_IN, 4, { writable: [512, 512] }),
    rig.request(BLK_T_FLUSH, 0),
    rig.request(BLK_T_IN, 0, { writable: [4096], indirect: true }),
    rig.request(BLK_T_GET_ID, 0, { writable: [20] }),
    rig.dwz(BLK_T_WRITE_ZEROES, [
      { sector: 0, count: 2, flags: BLK_DWZ_F_UNMAP },
      { sector: 9, count: 1 },
    ]),
    rig.request(BLK_T_OUT, 0, { readable: [512], fill: 0x42, indirect: true }),
    rig.request(BLK_T_IN, 0, { writable: [1024] }),
    rig.request(BLK_T_IN, 200, { writable: [512] }),
  ];
  const m: Machine = {
    tc: rig.tc,
    mem: rig.mem,
    disk: rig.backend as MemoryBackend,
    blk: rig.blk,
    common: rig.d.common,
    irq: rig.d.irq,
    log: [],
  };
  return { m, heads: reqs.map((r) => r.head), size: rig.d.size, reqs };
}

/** Everything a guest could observe, and the device state, at the end of a run. */
function observe(m: Machine): string {
  return [
    `t=${m.tc.now()}`,
    `ram=${hash64(m.mem.u8)}`,
    `disk=${hash64(m.disk.bytes)}`,
    `irq=${JSON.stringify(m.irq.events)}`,
    `state=${JSON.stringify(saveState(new Combined(m.common, m.blk)), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`,
  ].join('\n');
}

interface Saved {
  now: number;
  ram: Uint8Array;
  disk: Uint8Array;
  combined: StateNode;
  common: StateNode;
  blk: StateNode;
}

function save(m: Machine): Saved {
  return {
    now: m.tc.now(),
    ram: m.mem.u8.slice(),
    disk: m.disk.bytes.slice(),
    combined: saveState(new Combined(m.common, m.blk), '/combined'),
    common: saveState(m.common, '/split'),
    blk: saveState(m.blk, '/split/virtio-backend'),
  };
}

/** A fresh machine from host resources (RAM, disk) and a saved state, combined or split. */
function restore(s: Saved, split: boolean): Machine {
  const tc = new TestClock();
  tc.counter.n = s.now;
  const mem = new PhysicalMemory(RAM_BYTES);
  mem.u8.set(s.ram);
  const disk = new MemoryBackend(s.disk.slice());
  const irq = new RecordingInterrupt(() => tc.now());
  const blk = new VirtioBlk(tc.clock, disk, OPTIONS);
  const common = new VirtioCommon(blk, mem, irq);
  expect(tc.clock.nextDeadline()).toBe(Infinity);
  if (split) {
    loadState(common, s.common, '/split');
    loadState(blk, s.blk, '/split/virtio-backend');
  } else {
    loadState(new Combined(common, blk), s.combined, '/combined');
  }
  common.postLoad();
  blk.postLoad();
  // Post-load touched neither memory nor interrupts.
  expect(irq.events).toEqual([]);
  expect(Buffer.from(mem.u8).equals(Buffer.from(s.ram))).toBe(true);
  return { tc, mem, disk, blk, common, irq, log: [] };
}

function scenarios(): Scenario[] {
  const out: Scenario[] = [];
  for (const features of [ALL_FEATURES, ALL_FEATURES & ~featureBit(F_EVENT_IDX)]) {
    const { heads, size } = build(features);
    out.push({
      features,
      heads,
      size,
      end: 200_000,
      actions: [
        { at: 1000, publish: 3, notify: true },
        { at: 5000, publish: 5 }, // available, not notified yet
        { at: 11_500, usedEvent: 4 },
        { at: 12_000, notify: true },
        { at: 12_024, publish: 8, notify: true }, // at a completion instant
        { at: 40_000, usedEvent: 8, publish: 9, notify: true },
      ],
    });
  }
  return out;
}

describe('virtio-blk snapshots', () => {
  it('the schema does not depend on what is in flight; save -> load -> save is the identity', () => {
    const { m } = build(ALL_FEATURES);
    const empty = JSON.stringify(describeState(new Combined(m.common, m.blk)));
    const s = scenarios()[0]!;
    run(m, s, 0, 1000);
    expect(m.blk.inflight.count).toBe(3);
    expect(JSON.stringify(describeState(new Combined(m.common, m.blk)))).toBe(empty);
    const saved = save(m);
    for (const split of [false, true]) {
      const r = restore(saved, split);
      expect(diffTrees(saved.combined, saveState(new Combined(r.common, r.blk), '/combined'))).toEqual([]);
      expect(diffTrees(saved.blk, saveState(r.blk, '/split/virtio-backend'))).toEqual([]);
    }
  });

  it('a restore at any point completes the same requests at the same times with the same effects', () => {
    let points = 0;
    for (const s of scenarios()) {
      const u = build(s.features).m;
      run(u, s, 0, s.end);
      const uninterrupted = observe(u);
      expect(u.mem.read16(0x19002), u.log.join('\n')).toBe(9);
      // Save points: every logged instant, the instant before it, and a few in between.
      const times = new Set<number>([0, 1, 999, 4999, 5001, s.end - 1]);
      for (const line of u.log) {
        const t = Number(line.split(' ')[0]);
        times.add(t);
        times.add(t - 1);
      }
      for (const t of [...times].sort((a, b) => a - b)) {
        const a = build(s.features).m;
        run(a, s, 0, t);
        const saved = save(a);
        for (const split of [false, true]) {
          const b = restore(saved, split);
          run(b, s, t, s.end);
          const tail = u.log.filter((line) => Number(line.split(' ')[0]) > t);
          const got = b.log.filter((line) => Number(line.split(' ')[0]) > t);
          // Interrupts counted from the restore point: compare the completion instants and used index.
          const strip = (l: string) => l.replace(/ irq=\d+$/, '');
          expect(got.map(strip), `restored at ${t}${split ? ' (split)' : ''}`).toEqual(tail.map(strip));
          const final = observe(b).split('\n');
          const want = uninterrupted.split('\n');
          const irqs = JSON.parse(final[3]!.slice(4)) as { at: number }[];
          const wantIrqs = (JSON.parse(want[3]!.slice(4)) as { at: number }[]).filter((e) => e.at > t);
          expect(irqs, `interrupts after ${t}`).toEqual(wantIrqs);
          expect([final[0], final[1], final[2], final[4]]).toEqual([want[0], want[1], want[2], want[4]]);
          points++;
        }
      }
    }
    expect(points).toBeGreaterThan(40);
  });

  it('a broken device stays broken after a restore', () => {
    const { m, reqs } = build(ALL_FEATURES);
    m.mem.write16(AVAIL + AVAIL_RING, reqs[0]!.head);
    m.mem.write16(AVAIL + AVAIL_RING + 2, reqs[0]!.head);
    m.mem.write16(AVAIL + AVAIL_IDX, 2);
    m.common.notify(0);
    expect(m.blk.inflight.broken).toBe(true);
    const r = restore(save(m), false);
    expect(r.blk.inflight.broken).toBe(true);
    expect(r.tc.clock.nextDeadline()).toBe(Infinity);
  });

  it('loading extreme values into the combined state leaves the device usable: later notifications, completions and saves never throw', () => {
    const r = new Rng(99);
    /** Every number, bigint and bool of the tree replaced by an extreme value of its kind. */
    const extremes = (tree: StateValue): StateValue => {
      if (typeof tree === 'number') return r.pick([0, tree, 1, 0xff, 0xffff, tree + 1]);
      if (typeof tree === 'bigint') return r.pick([0n, tree, (1n << 64n) - 1n, 1n << 40n, BigInt(RAM_BYTES - 16), 0x19000n]);
      if (typeof tree === 'boolean') return r.bool();
      if (tree instanceof Uint8Array) return tree;
      if (Array.isArray(tree)) return tree.map((t) => extremes(t));
      const out = Object.create(null) as StateNode;
      for (const k of Object.keys(tree)) out[k] = extremes(tree[k]!);
      return out;
    };
    let loaded = 0;
    for (let round = 0; round < 40; round++) {
      const s = scenarios()[round % 2]!;
      const { m } = build(s.features);
      run(m, s, 0, 12_000);
      const saved = save(m);
      let tree: StateNode;
      try {
        tree = extremes(saved.combined) as StateNode;
        saved.combined = tree;
        const b = restore(saved, false);
        loaded++;
        for (let i = 0; i < 30; i++) {
          b.mem.write16(AVAIL + AVAIL_IDX, r.below(0x10000));
          b.common.notify(r.below(2));
          b.tc.stepTo(b.tc.now() + r.pick([1, 10_000, 1_000_000]));
        }
        // What the device now holds can be saved again (no value out of its kind's range).
        saveState(new Combined(b.common, b.blk), '/again');
      } catch (e) {
        // A value the input visitor refuses is fine; anything else is not.
        if (!(e instanceof Error && e.name === 'StateError')) throw e;
      }
    }
    expect(loaded).toBeGreaterThan(20);
  });

  it('a loaded in-flight table is untrusted: the count is clamped and unused slots zeroed', () => {
    const { m } = build(ALL_FEATURES);
    const tree = saveState(m.blk, '/b');
    tree['count'] = 0xffff;
    tree['deadlines'] = (tree['deadlines'] as bigint[]).map(() => 2n ** 64n - 1n);
    const fresh = build(ALL_FEATURES).m.blk;
    loadState(fresh, tree, '/b');
    expect(fresh.inflight.count).toBe(256);
    expect(fresh.inflight.deadlines[0]).toBe(Number.MAX_SAFE_INTEGER);
    tree['count'] = 1;
    loadState(fresh, tree, '/b');
    expect([fresh.inflight.count, fresh.inflight.deadlines[1], fresh.inflight.heads[1]]).toEqual([1, 0, 0]);
  });
});
