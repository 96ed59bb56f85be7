/**
 * The in-kernel PIT against the userspace i8254 + port 0x61: every mode gives the same port reads
 * and the same IRQ0 edges at the same virtual ns; a long random differential run compares
 * everything; the `kvm-pit` object round-trips struct kvm_pit_state2, and states converted between
 * the flavours continue identically.
 */
import { describe, expect, it } from 'vitest';
import { IoBus } from '../../../src/bus/io-bus.ts';
import { IrqLine } from '../../../src/irq.ts';
import { saveState } from '../../../src/visit/output-visitor.ts';
import { loadState } from '../../../src/visit/input-visitor.ts';
import type { StateNode } from '../../../src/visit/state-tree.ts';
import { I8254 } from '../../../devices/pit/i8254.ts';
import { Port61 } from '../../../devices/pit/port61.ts';
import { nsForTicks } from '../../../src/hw/pit-math.ts';
import { KvmPitObject } from '../../../devices/kvm/kvm-pit-object.ts';
import { KvmPit } from '../../../devices/kernel/kvm-pit.ts';
import { KVM_PIT_FLAGS_HPET_LEGACY } from '../../../src/hw/kvm-structs.ts';
import { RecordingSink, roundTrip, TestClock } from '../helpers.ts';
import { pitApi } from './kvm-api.ts';

function userspace(startNs = 0) {
  const tc = new TestClock();
  tc.counter.n = startNs;
  const sink = new RecordingSink(() => tc.now());
  const line = new IrqLine(sink, 0);
  const pit = new I8254(tc.clock, line);
  const p61 = new Port61(pit, tc.clock);
  const bus = new IoBus();
  bus.register(0x40, 4, pit);
  bus.register(0x61, 1, p61);
  return { tc, sink, line, pit, p61, bus, setIrqEnabled: (on: boolean) => pit.setIrqEnabled(on) };
}

function kernel(startNs = 0) {
  const tc = new TestClock();
  tc.counter.n = startNs;
  const sink = new RecordingSink(() => tc.now());
  const line = new IrqLine(sink, 0);
  const pit = new KvmPit(tc.clock, line);
  const bus = new IoBus();
  bus.map(pit.portRanges());
  return { tc, sink, line, pit, bus, setIrqEnabled: (on: boolean) => pit.setIrqEnabled(on) };
}

type Side = ReturnType<typeof userspace> | ReturnType<typeof kernel>;

function objectFor(pit: KvmPit): KvmPitObject {
  return new KvmPitObject(pitApi(pit));
}

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}

/** Apply the same action to both sides. */
function both(sides: Side[], f: (s: Side) => void): void {
  for (const s of sides) f(s);
}

describe('kvm-pit against the userspace i8254', () => {
  it('power-on state: building touches nothing; reset starts channel 0 identically', () => {
    const u = userspace();
    const k = kernel();
    expect(k.sink.events).toEqual([]);
    expect(k.tc.clock.nextDeadline()).toBe(Infinity);
    both([u, k], (s) => s.pit.reset());
    both([u, k], (s) => s.tc.stepTo(1e9));
    expect(k.sink.events).toEqual(u.sink.events);
    expect(k.sink.rises(0).length).toBe(19);
    k.pit.dispose();
    expect(k.tc.clock.nextDeadline()).toBe(Infinity);
  });

  for (let mode = 0; mode < 8; mode++) {
    it(`mode ${mode}: same IRQ0 edges, counter reads and status on channel 0, same OUT2 on port 0x61`, () => {
      const u = userspace(1_000);
      const k = kernel(1_000);
      const sides = [u, k];
      both(sides, (s) => s.pit.reset());
      // Channel 0: lo/hi, this mode, binary, count 1000; channel 2 in the same mode, count 300.
      both(sides, (s) => {
        s.bus.write(0x43, 1, 0x30 | (mode << 1));
        s.bus.write(0x40, 1, 1000 & 0xff);
        s.bus.write(0x40, 1, 1000 >> 8);
        s.bus.write(0x43, 1, 0xb0 | (mode << 1));
        s.bus.write(0x42, 1, 300 & 0xff);
        s.bus.write(0x42, 1, 300 >> 8);
        s.bus.write(0x61, 1, 0x01);
      });
      const reads: number[][] = [[], []];
      for (let t = 1_000; t < 3_000_000; t += 7_919) {
        both(sides, (s) => s.tc.stepTo(t));
        sides.forEach((s, i) => {
          s.bus.write(0x43, 1, 0x00); // latch channel 0
          reads[i]!.push(s.bus.read(0x40, 1) | (s.bus.read(0x40, 1) << 8));
          s.bus.write(0x43, 1, 0xe2 | 0x08); // read-back status of channel 0 and 2
          reads[i]!.push(s.bus.read(0x40, 1), s.bus.read(0x42, 1));
          reads[i]!.push(s.bus.read(0x61, 1));
        });
        if (t > 1_500_000 && t < 1_510_000) both(sides, (s) => s.bus.write(0x61, 1, 0x00)); // gate 2 low
        if (t > 2_000_000 && t < 2_010_000) both(sides, (s) => s.bus.write(0x61, 1, 0x01)); // and high
      }
      expect(reads[1]).toEqual(reads[0]);
      expect(k.sink.events).toEqual(u.sink.events);
      if (mode === 2 || mode === 3 || mode === 6 || mode === 7) expect(u.sink.rises(0).length).toBe(4);
    });
  }

  it('BCD and LSB/MSB-only access, latches and read-back agree', () => {
    const u = userspace();
    const k = kernel();
    const sides = [u, k];
    const script: [number, number][] = [
      [0x43, 0x50], [0x41, 200], [0x43, 0x60], [0x41, 0x02], [0x43, 0x71], [0x41, 0x00], [0x41, 0x10],
      [0x43, 0x37], [0x40, 0x99], [0x40, 0x99], [0x43, 0xc4], [0x43, 0xda], [0x43, 0x80],
    ];
    const out: number[][] = [[], []];
    let t = 0;
    for (const [port, value] of script) {
      t += 12_345;
      both(sides, (s) => {
        s.tc.stepTo(t);
        s.bus.write(port, 1, value);
      });
      sides.forEach((s, i) => {
        for (const p of [0x40, 0x41, 0x42, 0x43, 0x61]) out[i]!.push(s.bus.read(p, 1));
      });
    }
    expect(out[1]).toEqual(out[0]);
    expect(k.sink.events).toEqual(u.sink.events);
  });

  it('agree over a long random run of programming, gating, reads and HPET legacy switches', () => {
    const u = userspace(5_000);
    const k = kernel(5_000);
    const sides = [u, k];
    both(sides, (s) => s.pit.reset());
    const next = rng(99);
    const out: number[][] = [[], []];
    let t = 5_000;
    for (let i = 0; i < 20000; i++) {
      const op = next() % 20;
      if (op < 4) {
        t += next() % 200_000;
        both(sides, (s) => s.tc.stepTo(t));
      } else if (op < 8) {
        const ch = next() % 3;
        const mode = next() % 8;
        const access = 1 + (next() % 3);
        const value = (ch << 6) | (access << 4) | (mode << 1) | (next() % 8 === 0 ? 1 : 0);
        both(sides, (s) => s.bus.write(0x43, 1, value));
      } else if (op < 11) {
        const ch = next() % 3;
        const value = next() % 4 === 0 ? next() & 0xff : next() & 0x0f;
        both(sides, (s) => s.bus.write(0x40 + ch, 1, value));
      } else if (op < 13) {
        const value = next() & 0x0f;
        both(sides, (s) => s.bus.write(0x61, 1, value));
      } else if (op < 14) {
        const value = next() % 2 === 0 ? (next() & 0xfe) | 0xc0 : (next() % 3) << 6;
        both(sides, (s) => s.bus.write(0x43, 1, value));
      } else if (op < 19) {
        const port = [0x40, 0x41, 0x42, 0x43, 0x61][next() % 5]!;
        sides.forEach((s, j) => out[j]!.push(s.bus.read(port, 1)));
      } else if (next() % 8 === 0) {
        const on = next() % 4 !== 0;
        both(sides, (s) => s.setIrqEnabled(on));
      }
    }
    expect(out[1]).toEqual(out[0]);
    expect(k.sink.events).toEqual(u.sink.events);
    expect(u.sink.events.length).toBeGreaterThan(1000);
  });
});

// ---------------------------------------------------------------------------------------------

/** Put a PIT (either flavour) into a busy state by time 25 ms. */
function busy(s: Side): void {
  s.pit.reset();
  s.bus.write(0x43, 1, 0x34);
  s.bus.write(0x40, 1, 0x9c);
  s.bus.write(0x40, 1, 0x2e); // 11932 ~ 10 ms, mode 2
  s.bus.write(0x61, 1, 0x0f); // gate 2, speaker data, check bits
  s.bus.write(0x43, 1, 0xb0);
  s.bus.write(0x42, 1, 0x34); // channel 2 half-written
  s.tc.stepTo(12_000_000);
  s.bus.write(0x43, 1, 0x78); // channel 1 mode 4
  s.bus.write(0x41, 1, 0x10);
  s.bus.write(0x41, 1, 0x00);
  s.bus.write(0x43, 1, 0x40); // latch channel 1
  s.bus.write(0x43, 1, 0xb8); // channel 2 mode 4, gate low later: frozen past terminal count
  s.bus.write(0x42, 1, 0x05);
  s.bus.write(0x42, 1, 0x00);
  s.tc.stepTo(20_000_000);
  s.bus.write(0x61, 1, 0x02);
  s.tc.stepTo(25_000_000);
}

/** The userspace trees (i8254 + pcspk) rewritten as a kvm-pit tree (what a filter would do). */
function toKvmTree(pit: StateNode, pcspk: StateNode): StateNode {
  const channels = (pit['channels'] as StateNode[]).map((c) => {
    const out: StateNode = {};
    for (const [key, value] of Object.entries(c)) if (key !== 'next_transition_time') out[key] = value;
    out['count'] = (c['count'] as number) >>> 0;
    return out;
  });
  const flags = (pit['irq_disabled'] ? KVM_PIT_FLAGS_HPET_LEGACY : 0) | ((pcspk['data_on'] as number) << 1) | (pcspk['check_bits'] as number);
  return { channels, flags };
}

/** And back: kvm-pit to i8254 (next_transition_time -1: recomputed on load) + pcspk. */
function toUserTrees(k: StateNode): { pit: StateNode; pcspk: StateNode } {
  const channels = (k['channels'] as StateNode[]).map((c) => ({
    ...c,
    count: (c['count'] as number) | 0,
    next_transition_time: -1n,
  }));
  const flags = k['flags'] as number;
  return {
    pit: { channels, irq_disabled: flags & KVM_PIT_FLAGS_HPET_LEGACY },
    pcspk: { data_on: (flags >> 1) & 1, check_bits: flags & 0x0c },
  };
}

function continueAndCompare(a: Side, b: Side, from: number): void {
  const reads: number[][] = [[], []];
  [a, b].forEach((s, i) => {
    for (let t = from; t <= 60_000_000; t += 1_000_003) {
      s.tc.stepTo(t);
      for (const p of [0x40, 0x41, 0x42, 0x61]) reads[i]!.push(s.bus.read(p, 1));
      if (t > 40_000_000 && t < 41_000_010) s.bus.write(0x61, 1, 0x01);
    }
  });
  expect(reads[1]).toEqual(reads[0]);
  const after = (s: Side) => s.sink.events.filter((e) => e.at > from);
  expect(after(b)).toEqual(after(a));
  expect(after(a).length).toBeGreaterThan(5);
}

describe('kvm-pit state', () => {
  it('keeps struct kvm_pit_state2: count (u32), count_load_time, flags with speaker data', () => {
    const k = kernel();
    busy(k);
    const s = k.pit.getState();
    expect(s.channels[0].count).toBe(11932);
    expect(s.channels[0].mode).toBe(2);
    expect(typeof s.channels[0].count_load_time).toBe('bigint');
    expect(s.channels[1].count_latched).toBe(3);
    expect(s.channels[2].gate).toBe(0);
    expect(s.channels[2].count).toBeGreaterThan(0x7fffffff); // frozen past terminal count: negative i32
    expect(s.flags).toBe(0x02);
    s.channels[0].count = 5; // a copy
    expect(k.pit.getState().channels[0].count).toBe(11932);
  });

  it('the kvm-pit object round-trips and fires the next IRQs at the same times after load', () => {
    const k = kernel();
    busy(k);
    const fresh = kernel(25_000_000);
    const freshObj = objectFor(fresh.pit);
    const tree = roundTrip(objectFor(k.pit), freshObj, '/machine/pit');
    expect(Object.keys(tree)).toEqual(['channels', 'flags']);
    expect(Object.keys((tree['channels'] as StateNode[])[0]!)).toEqual([
      'count', 'latched_count', 'count_latched', 'status_latched', 'status', 'read_state', 'write_state',
      'write_latch', 'rw_mode', 'mode', 'bcd', 'gate', 'count_load_time',
    ]);
    expect(fresh.sink.events).toEqual([]); // setting the state drives nothing
    fresh.sink.levels.set(0, k.sink.level(0)); // the interrupt controller's loaded state
    freshObj.postLoad();
    expect(fresh.sink.events).toEqual([]); // nor does post-load: it only remembers the level
    expect(fresh.line.level).toBe(k.line.level);
    continueAndCompare(k, fresh, 25_000_000);
  });

  it('a userspace i8254 + pcspk state converted to kvm-pit continues identically, and back', () => {
    const u = userspace();
    busy(u);
    const k = kernel(25_000_000);
    const obj = objectFor(k.pit);
    loadState(obj, toKvmTree(saveState(u.pit), saveState(u.p61)), '/machine/pit');
    k.sink.levels.set(0, u.sink.level(0));
    obj.postLoad();
    expect(k.line.level).toBe(u.line.level);
    continueAndCompare(u, k, 25_000_000);

    const k2 = kernel();
    busy(k2);
    const u2 = userspace(25_000_000);
    const trees = toUserTrees(saveState(objectFor(k2.pit)));
    loadState(u2.pit, trees.pit, '/machine/pit');
    loadState(u2.p61, trees.pcspk, '/machine/pcspk');
    u2.sink.levels.set(0, k2.sink.level(0));
    u2.pit.postLoad();
    expect(u2.line.level).toBe(k2.line.level);
    continueAndCompare(k2, u2, 25_000_000);
  });

  for (const fired of [false, true]) {
    it(`a save exactly at an IRQ0 transition (${fired ? 'already delivered' : 'timer still due'}) restores identically`, () => {
      const u = userspace();
      u.pit.reset();
      u.bus.write(0x43, 1, 0x34);
      u.bus.write(0x40, 1, 0x9c);
      u.bus.write(0x40, 1, 0x2e);
      u.tc.stepTo(15_000_000);
      const T = u.tc.clock.nextDeadline(); // the mode 2 fall at 19.999 ms
      if (fired) u.tc.stepTo(T);
      else u.tc.counter.n = T; // the batch ended at the deadline; the timer has not run yet
      const k = kernel(T);
      const obj = objectFor(k.pit);
      loadState(obj, toKvmTree(saveState(u.pit), saveState(u.p61)), '/machine/pit');
      k.sink.levels.set(0, u.sink.level(0)); // the interrupt controller's loaded inputs
      obj.postLoad();
      const atSave = u.sink.events.length;
      u.tc.stepTo(45_000_000);
      k.tc.stepTo(45_000_000);
      // Everything the original delivers after the save, the restored kvm-pit delivers at the same ns.
      expect(k.sink.events).toEqual(u.sink.events.slice(atSave));
      expect(k.sink.events[0]).toEqual(fired ? { pin: 0, level: 1, at: T + 838 } : { pin: 0, level: 0, at: T });
    });
  }

  it('HPET legacy flag silences channel 0 and survives a round trip', () => {
    const k = kernel();
    k.pit.reset();
    k.pit.setIrqEnabled(false);
    expect(k.pit.getState().flags & KVM_PIT_FLAGS_HPET_LEGACY).toBe(1);
    const n = k.sink.events.length;
    k.tc.stepTo(100_000_000);
    expect(k.sink.events.length).toBe(n);
    const fresh = kernel(100_000_000);
    const freshObj = objectFor(fresh.pit);
    roundTrip(objectFor(k.pit), freshObj);
    freshObj.postLoad();
    fresh.tc.stepTo(200_000_000);
    expect(fresh.sink.events).toEqual([]);
    fresh.pit.setIrqEnabled(true);
    fresh.tc.stepTo(300_000_000);
    expect(fresh.sink.rises(0).length).toBeGreaterThan(0);
  });

  it('setState brings hostile values into range and never throws later', () => {
    const k = kernel();
    const s = k.pit.getState();
    for (const c of s.channels) {
      c.count = 0xffffffff - 0x20000; // far below -0x10000 as i32
      c.count_latched = 200;
      c.read_state = 99;
      c.write_state = 77;
      c.mode = 0xff;
      c.rw_mode = 0xff;
      c.gate = 0xff;
      c.count_load_time = 1n << 62n;
    }
    s.flags = 0xffffffff;
    k.pit.setState(s);
    const t = k.pit.getState();
    expect(t.channels[0].count).toBe(0x10000);
    expect(t.channels[0].count_latched).toBe(0);
    expect(t.channels[0].mode).toBe(7);
    expect(t.channels[0].count_load_time).toBe(0n);
    expect(t.flags).toBe(0x0f);
    k.pit.rearm();
    for (let p = 0x40; p <= 0x43; p++) k.bus.read(p, 1);
    k.bus.read(0x61, 1);
    nsForTicks(1);
  });
});
