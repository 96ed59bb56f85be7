/**
 * kvm-pit <-> i8254 + pcspk against the real devices: program the PIT (every mode, BCD, latches,
 * gate through port 0x61, speaker bits), save mid-count, convert, load into the other flavour, and
 * check that port reads and IRQ0 edges then agree; and that both round trips are exact (the
 * i8254's derived next_transition_time is rebuilt as the device itself computes it).
 */
import { describe, expect, it } from 'vitest';
import { IoBus } from '../../../src/bus/io-bus.ts';
import { IrqLine } from '../../../src/irq.ts';
import { loadState } from '../../../src/visit/input-visitor.ts';
import { saveState } from '../../../src/visit/output-visitor.ts';
import { diffTrees, type StateNode } from '../../../src/visit/state-tree.ts';
import { I8254 } from '../../../devices/pit/i8254.ts';
import { Port61 } from '../../../devices/pit/port61.ts';
import { KvmPit } from '../../../devices/kernel/kvm-pit.ts';
import { KvmPitObject } from '../../../devices/kvm/kvm-pit-object.ts';
import { pitApi } from '../../devices/kernel/kvm-api.ts';
import { i8254ToKvmPit, kvmPitToI8254 } from '../../../migration/filters/pit-kvm.ts';
import type { FilterNode } from '../../../migration/filters/filter.ts';
import { nextTransitionNs } from '../../../src/hw/pit-math.ts';
import { RecordingSink, TestClock } from '../../devices/helpers.ts';
import { Rng } from './gen.ts';

type Flavour = 'user' | 'kvm';

interface Side {
  bus: IoBus;
  sink: RecordingSink;
  save(): FilterNode[];
  load(nodes: readonly FilterNode[]): void;
  dispose(): void;
  setIrqEnabled(on: boolean): void;
}

function user(tc: TestClock): Side {
  const sink = new RecordingSink(() => tc.now());
  const pit = new I8254(tc.clock, new IrqLine(sink, 0));
  const p61 = new Port61(pit, tc.clock);
  const bus = new IoBus();
  bus.register(0x40, 4, pit);
  bus.register(0x61, 1, p61);
  return {
    bus,
    sink,
    save: () => [
      { type: 'i8254', version: 3, fields: saveState(pit, '/machine/pit') },
      { type: 'pcspk', version: 1, fields: saveState(p61, '/machine/pcspk') },
    ],
    load: (nodes) => {
      loadState(pit, nodes[0]!.fields, '/machine/pit');
      loadState(p61, nodes[1]!.fields, '/machine/pcspk');
      pit.postLoad();
    },
    dispose: () => pit.dispose(),
    setIrqEnabled: (on) => pit.setIrqEnabled(on),
  };
}

function kernel(tc: TestClock): Side {
  const sink = new RecordingSink(() => tc.now());
  const pit = new KvmPit(tc.clock, new IrqLine(sink, 0));
  const obj = new KvmPitObject(pitApi(pit));
  const bus = new IoBus();
  bus.map(pit.portRanges());
  return {
    bus,
    sink,
    save: () => [{ type: 'kvm-pit', version: 1, fields: saveState(obj, '/machine/pit') }],
    load: (nodes) => {
      loadState(obj, nodes[0]!.fields, '/machine/pit');
      obj.postLoad();
    },
    dispose: () => pit.dispose(),
    setIrqEnabled: (on) => pit.setIrqEnabled(on),
  };
}

function make(f: Flavour, tc: TestClock): Side {
  return f === 'user' ? user(tc) : kernel(tc);
}

/**
 * Program the PIT at random: modes 0-7, BCD, access modes, latches, gate 2 and speaker bits.
 * Returns true when channel 0 was left with a new control word and no count yet: both PIT models
 * then keep the transition armed for the old mode until it fires (the saved next_transition_time is
 * stale), which a conversion recomputes for the new mode, so only behaviour is compared then.
 */
function drive(s: Side, tc: TestClock, r: Rng): boolean {
  let stale = false;
  for (let ch = 0; ch < 3; ch++) {
    const mode = r.below(8);
    const bcd = r.below(5) === 0 ? 1 : 0;
    s.bus.write(0x43, 1, (ch << 6) | 0x30 | (mode << 1) | bcd);
    const count = bcd ? r.below(10) * 0x1000 + r.below(10) * 0x100 + r.below(10) * 0x10 + r.below(10) : r.bool() ? 2 + r.below(200) : r.below(0x10000);
    s.bus.write(0x40 + ch, 1, count & 0xff);
    s.bus.write(0x40 + ch, 1, count >> 8);
  }
  s.bus.write(0x61, 1, r.u8() & 0x0f);
  const steps = r.below(12);
  for (let i = 0; i < steps; i++) {
    switch (r.below(7)) {
      case 0:
        tc.stepTo(tc.now() + r.below(r.bool() ? 2000 : 200_000));
        break;
      case 1:
        s.bus.write(0x43, 1, r.below(3) << 6); // latch a count
        break;
      case 2:
        s.bus.write(0x43, 1, 0xc0 | (r.u8() & 0x3e)); // read-back
        break;
      case 3:
        s.bus.read(0x40 + r.below(3), 1);
        break;
      case 4:
        s.bus.write(0x61, 1, r.u8() & 0x0f);
        break;
      case 5: {
        const ch = r.below(3);
        const access = r.pick([0x10, 0x20, 0x30]);
        s.bus.write(0x43, 1, (ch << 6) | access | (r.below(8) << 1));
        s.bus.write(0x40 + ch, 1, 1 + r.u8());
        if (access === 0x30 && r.below(4) !== 0) s.bus.write(0x40 + ch, 1, r.u8());
        else if (access === 0x30 && ch === 0) stale = true;
        if (ch === 0 && access !== 0x30) stale = false;
        break;
      }
      default:
        if (r.below(6) === 0) s.setIrqEnabled(r.below(3) !== 0);
        break;
    }
  }
  tc.stepTo(tc.now() + r.below(100_000));
  return stale;
}

/** A random complete guest action after the restore, drawn once and applied alike to each side. */
function laterOp(r: Rng): (s: Side) => void {
  switch (r.below(5)) {
    case 0: {
      const ch = r.below(3);
      const cw = (ch << 6) | 0x30 | (r.below(8) << 1);
      const count = r.bool() ? 2 + r.below(300) : r.below(0x10000);
      return (s) => {
        s.bus.write(0x43, 1, cw);
        s.bus.write(0x40 + ch, 1, count & 0xff);
        s.bus.write(0x40 + ch, 1, count >> 8);
      };
    }
    case 1: {
      const v = r.u8() & 0x0f;
      return (s) => s.bus.write(0x61, 1, v);
    }
    case 2: {
      const cw = r.below(3) << 6;
      return (s) => s.bus.write(0x43, 1, cw);
    }
    case 3: {
      const cw = 0xc0 | (r.u8() & 0x3e);
      return (s) => s.bus.write(0x43, 1, cw);
    }
    default: {
      const port = 0x40 + r.below(3);
      return (s) => void s.bus.read(port, 1);
    }
  }
}

/** The same reads on both sides (reads change flip-flops and latches identically). */
function probe(s: Side): number[] {
  const out: number[] = [];
  for (let ch = 0; ch < 3; ch++) out.push(s.bus.read(0x40 + ch, 1), s.bus.read(0x40 + ch, 1));
  s.bus.write(0x43, 1, 0xce); // read back status of all three
  for (let ch = 0; ch < 3; ch++) out.push(s.bus.read(0x40 + ch, 1));
  out.push(s.bus.read(0x61, 1) & ~0x10, s.bus.read(0x43, 1));
  return out;
}

/** Whether channel 0 has an output transition exactly at `t`. */
function dueAt(s: Side, t: number): boolean {
  const pit = s.save()[0]!.fields;
  const c = (pit.channels as StateNode[])[0]!;
  const count = (c.count as number) | 0;
  const load = Number(c.count_load_time as bigint);
  return nextTransitionNs(c.mode as number, count, c.gate as number, load, t - 1) === t;
}

function convert(from: Flavour, nodes: FilterNode[], now: number): FilterNode[] {
  const f = from === 'user' ? i8254ToKvmPit : kvmPitToI8254;
  return f.apply(nodes, { path: '/machine/pit', virtualTimeNs: BigInt(now) });
}

const counts = { stale: 0 };

function check(from: Flavour, seed: number, modes: Set<number>): void {
  const r = new Rng(seed);
  const tc = new TestClock();
  tc.counter.n = r.below(1e9);
  const a = make(from, tc);
  a.bus.write(0x43, 1, 0x34); // (a reset-like start; drive() reprograms everything)
  const stale = drive(a, tc, r);
  // The test clock runs the timers due at `now` before the save; the filters (like kvm-pit's
  // postLoad) count a transition falling exactly at the snapshot point as not yet delivered. Keep
  // the snapshot point off a transition so that both readings agree and the round trip is exact.
  while (dueAt(a, tc.now())) tc.stepTo(tc.now() + 1);
  const saved = a.save();
  const mode0 = ((saved[0]!.fields.channels as StateNode[])[0]!.mode as number) & 7;
  modes.add(mode0);
  const now = tc.now();
  const to: Flavour = from === 'user' ? 'kvm' : 'user';
  const converted = convert(from, saved, now);
  const back = convert(to, converted, now);
  expect(back.length).toBe(saved.length);
  if (stale) counts.stale++;
  else if (from === 'user' && (saved[0]!.fields.irq_disabled as number) === 1) {
    // Channel 0's IRQ disabled: the i8254 leaves next_transition_time as it was and ignores it on
    // load; the filter writes -1. Everything else must survive.
    const [pit, spk] = back;
    const orig = saved[0]!.fields;
    expect(diffTrees(pit!.fields, orig).filter((d) => d !== 'channels[0].next_transition_time')).toEqual([]);
    expect(diffTrees(spk!.fields, saved[1]!.fields)).toEqual([]);
  } else back.forEach((n, i) => expect(diffTrees(n.fields, saved[i]!.fields), `seed ${seed}`).toEqual([]));

  const b = make(to, tc);
  // The fresh side's interrupt controller would hold IRQ0's level from the snapshot (the devices
  // restore the line's level without driving it): so does its recording sink.
  b.sink.levels.set(0, a.sink.level(0));
  b.load(converted);
  const edges = a.sink.events.length;
  for (let step = 0; step < 8; step++) {
    tc.stepTo(tc.now() + r.below(r.bool() ? 3000 : 150_000));
    expect(probe(b), `seed ${seed} step ${step}`).toEqual(probe(a));
  }
  if (!stale) {
    // The guest carries on programming both alike.
    for (let i = 0; i < 12; i++) {
      tc.stepTo(tc.now() + r.below(r.bool() ? 3000 : 100_000));
      const op = laterOp(r);
      op(a);
      op(b);
      expect(probe(b), `seed ${seed} later ${i}`).toEqual(probe(a));
    }
  }
  // With a stale transition (see drive()) the source keeps its old timer and the converted side
  // recomputes it: a known PIT modelling gap in both flavours, reported; IRQ0 is compared otherwise.
  if (!stale) expect(b.sink.events.filter((e) => e.at > now), `seed ${seed}`).toEqual(a.sink.events.slice(edges).filter((e) => e.at > now));
  a.dispose();
  b.dispose();
}

describe('kvm-pit <-> i8254 + pcspk with the real devices', () => {
  it('i8254 + pcspk -> kvm-pit: same port reads and IRQ0 edges; the round trip is exact', () => {
    const modes = new Set<number>();
    counts.stale = 0;
    for (let seed = 1; seed <= 200; seed++) check('user', seed, modes);
    expect(counts.stale).toBeLessThan(40);
    expect([...modes].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('kvm-pit -> i8254 + pcspk: same port reads and IRQ0 edges; the round trip is exact', () => {
    const modes = new Set<number>();
    counts.stale = 0;
    for (let seed = 501; seed <= 700; seed++) check('kvm', seed, modes);
    expect(counts.stale).toBeLessThan(40);
    expect([...modes].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});
