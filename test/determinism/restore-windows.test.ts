/**
 * Restore anywhere: snapshots taken at every instruction boundary of windows around interrupt
 * events (deliveries, IRQ line changes, PIT ticks, IPIs and other APIC messages, EOIs, STI and
 * MOV SS shadows, HLT wake-ups) and restored, through the snapshot container and the CLI's restore
 * function, under every kernel-irqchip setting. Each restored machine runs on to a horizon a fixed
 * number of instructions later and must then equal the uninterrupted run of its own setting at the
 * same instruction: virtual time, serial output (before plus after), RAM, and every object. Equal
 * machine states at the horizon mean equal futures; a few restores also run to the guest's end.
 *
 * `npm test` takes one event of each kind with a window of 4 boundaries each side, and restores each
 * boundary under one ordered pair of settings (the nine pairs in turn); `npm run test:acid`
 * (GODWIT_ACID=1) takes three events of each kind with windows of 25 boundaries each side, and
 * restores every boundary under all nine pairs.
 */
import { describe, expect, it } from 'vitest';
import type { Machine } from '../../machine/machine.ts';
import type { KernelIrqchip } from '../../machine/machine-config.ts';
import { MAX_INSNS, MODES, firstDifference, makeMachine, observe, restoreFrom, snapshotBytes } from './harness.ts';
import type { GuestSpec, Observed } from './harness.ts';
import { EVENT_KINDS, traceEvents, windows } from './events.ts';
import { label } from './guest-list.ts';

const ACID = process.env['GODWIT_ACID'] === '1';
const PER_KIND = ACID ? 3 : 1;
const RADIUS = ACID ? 25 : 4;
const PAIRS = MODES.flatMap((from) => MODES.map((to) => [from, to] as const));
const HORIZON = 3000;

const GUESTS: GuestSpec[] = [
  { name: 'irqwin', smp: 1 },
  { name: 'irqbench', smp: 2, append: 'rounds=10 verbose=1' },
  { name: 'ioapic', smp: 1 },
  { name: 'pitstorm', smp: 1, append: 'ioapic=1 verbose=1' },
  { name: 'timerslice', smp: 2, append: 'rounds=12 verbose=1' },
  { name: 'dbgtrap', smp: 1, append: 'rounds=40' },
];

/** A machine that only moves forward, with the serial output it has produced so far. */
interface Runner {
  machine: Machine;
  out: number[];
}

function runner(g: GuestSpec, mode: KernelIrqchip): Runner {
  const out: number[] = [];
  return { machine: makeMachine(g, mode, out), out };
}

function runTo(r: Runner, k: number): void {
  if (r.machine.retired < k) r.machine.run({ maxInsns: k });
}

describe(`restore at every boundary of windows around interrupt events (${ACID ? 'acid' : 'sample'})`, () => {
  for (const g of GUESTS) {
    it(label(g), { timeout: 3_600_000 }, () => {
      const { trace, total } = traceEvents(g, 'off');
      const points = windows(trace, total, PER_KIND, RADIUS);
      const kinds = new Set(points.values());
      // Every guest here exercises deliveries and EOIs; irqwin and the SMP guests cover the rest.
      if (g.name !== 'dbgtrap') expect(kinds).toContain('delivery');
      if (g.name === 'irqwin') for (const k of EVENT_KINDS) if (k !== 'PIT tick' && k !== 'debug trap') expect(kinds, k).toContain(k);
      if (g.name === 'dbgtrap') expect(kinds).toContain('debug trap');
      const sources = new Map(MODES.map((m) => [m, runner(g, m)]));
      const references = new Map(MODES.map((m) => [m, runner(g, m)]));
      let restores = 0;
      let turn = 0;
      for (const [k, kind] of points) {
        const horizon = Math.min(k + HORIZON, total);
        const pairs = ACID ? PAIRS : [PAIRS[turn++ % PAIRS.length]!];
        const expected = new Map<KernelIrqchip, Observed>();
        for (const [, to] of pairs) {
          const ref = references.get(to)!;
          runTo(ref, horizon);
          expected.set(to, observe(g, ref.machine, ref.out, null));
        }
        const snapshots = new Map<KernelIrqchip, { bytes: Uint8Array; out: number[] }>();
        for (const [from, to] of pairs) {
          let snap = snapshots.get(from);
          if (snap === undefined) {
            const src = sources.get(from)!;
            runTo(src, k);
            snap = { bytes: snapshotBytes(src.machine), out: [...src.out] };
            snapshots.set(from, snap);
          }
          const out = [...snap.out];
          const { machine } = restoreFrom(snap.bytes, g, to, out);
          if (horizon > k) machine.run({ maxInsns: horizon });
          const got = observe(g, machine, out, null);
          expect(firstDifference(expected.get(to)!, got), `${from} -> ${to} at ${k} (${kind}), compared at ${horizon}`).toBeNull();
          restores++;
        }
      }
      expect(restores).toBe(points.size * (ACID ? 9 : 1));
      // And to the end, once per pair of settings, from the middle of the first window.
      const [first] = points.keys();
      const straight = runner(g, 'off');
      const endResult = straight.machine.run({ maxInsns: MAX_INSNS });
      const end = observe(g, straight.machine, straight.out, endResult);
      for (const from of MODES) {
        const src = runner(g, from);
        runTo(src, first!);
        const bytes = snapshotBytes(src.machine);
        for (const to of MODES) {
          const out = [...src.out];
          const { machine } = restoreFrom(bytes, g, to, out);
          const result = machine.run({ maxInsns: MAX_INSNS });
          const got = observe(g, machine, out, result);
          expect(firstDifference(end, got), `${from} -> ${to} at ${first!}, to the end`).toBeNull();
        }
      }
    });
  }
});
