/**
 * The acid test (issue 4, item 6): for the interrupt-heavy and SMP guests, for all 9 ordered pairs
 * of kernel-irqchip settings and many snapshot points (chosen where the APIC timer is mid-period, a
 * vector waits in IRR or ISR, an AP waits for SIPI, a level-triggered line is asserted, the PIT is
 * mid-count), the output before the stop plus the output after restore equals the uninterrupted
 * run's, and the final instruction count, RAM hash and CPU state are identical.
 */
import { describe, expect, it } from 'vitest';
import { MODES, finish, makeMachine, transfer } from './acid-harness.ts';
import type { GuestSpec, Outcome } from './acid-harness.ts';
import { saveState } from '../../src/visit/output-visitor.ts';
import type { Machine } from '../../machine/machine.ts';

const GUESTS: GuestSpec[] = [
  { name: 'irqbench', smp: 2, append: 'rounds=40' },
  { name: 'smp', smp: 4 },
  { name: 'ioapic', smp: 1 },
];

type Probe = (m: Machine) => boolean;

/** Conditions a snapshot point should cover, checked on the userspace flavour's objects. */
const PROBES: Record<string, Probe> = {
  'apic timer mid-period': (m) => lapicFields(m).some((f) => (f['timer_expiry'] as bigint) > BigInt(m.board.clock.now())),
  'vector waiting in IRR': (m) => lapicFields(m).some((f) => (f['irr'] as number[]).some((w) => w !== 0)),
  'vector in service (ISR)': (m) => lapicFields(m).some((f) => (f['isr'] as number[]).some((w) => w !== 0)),
  'AP waiting for SIPI': (m) => m.board.cpus.some((c) => c.waitForSipi),
  'level-triggered line asserted': (m) => {
    const f = saveState(m.board.objects.get('/machine/ioapic')!);
    const tbl = f['ioredtbl'] as bigint[];
    return tbl.some((e, pin) => (e & (1n << 15n)) !== 0n && ((f['irr'] as number) >>> pin) & 1);
  },
  'PIT mid-count': (m) => {
    const f = saveState(m.board.objects.get('/machine/pit')!);
    const ch = (f['channels'] as Record<string, unknown>[])[0]!;
    return (ch['count'] as number) > 0 && ch['mode'] !== 0;
  },
};

function lapicFields(m: Machine) {
  return m.board.cpus.map((_, i) => saveState(m.board.objects.get(`/machine/cpu[${i}]/lapic`)!));
}

/** Instruction counts at which each probe first holds (scanning in steps), plus fixed fractions. */
function snapshotPoints(g: GuestSpec, total: number): Map<string, number> {
  const points = new Map<string, number>();
  const out: number[] = [];
  const m = makeMachine(g, 'off', out);
  const step = Math.max(97, Math.floor(total / 400));
  for (let k = 1; k < total && points.size < Object.keys(PROBES).length; k += step) {
    m.run({ maxInsns: k });
    for (const [name, probe] of Object.entries(PROBES)) if (!points.has(name) && probe(m)) points.set(name, k);
  }
  points.set('first instruction', 1);
  points.set('a third', Math.floor(total / 3));
  points.set('near the end', total - 1000);
  return points;
}

function expectSame(a: Outcome, b: Outcome, what: string): void {
  expect(b.serial, what).toBe(a.serial);
  expect(b.retired, what).toBe(a.retired);
  expect(b.virtualTimeNs, what).toBe(a.virtualTimeNs);
  expect(b.ramHash, what).toBe(a.ramHash);
  expect(b.reason, what).toBe(a.reason);
  expect(b.cpus, what).toEqual(a.cpus);
}

describe('acid test: restore across kernel-irqchip configurations', () => {
  for (const g of GUESTS) {
    it(`${g.name} (-smp ${g.smp}): all 9 pairs at every snapshot point`, { timeout: 900_000 }, () => {
      const full = new Map<string, Outcome>();
      for (const mode of MODES) {
        const out: number[] = [];
        full.set(mode, finish(makeMachine(g, mode, out), out));
      }
      const reference = full.get('off')!;
      expect(reference.reason).toBe('debug-exit');
      for (const mode of MODES) expectSame(reference, full.get(mode)!, `uninterrupted ${mode}`);
      const points = snapshotPoints(g, reference.retired);
      const covered = [...points.keys()];
      if (g.name === 'irqbench') {
        for (const want of ['apic timer mid-period', 'vector waiting in IRR', 'vector in service (ISR)', 'PIT mid-count']) expect(covered).toContain(want);
      }
      if (g.name === 'smp') expect(covered).toContain('AP waiting for SIPI');
      if (g.name === 'ioapic') expect(covered).toContain('level-triggered line asserted');
      for (const [label, k] of points) {
        for (const from of MODES) {
          const before: number[] = [];
          const a = makeMachine(g, from, before);
          a.run({ maxInsns: k });
          const state = a.captureState();
          for (const to of MODES) {
            const after: number[] = [];
            const b = makeMachine(g, to, after);
            const chain = transfer(state, b);
            if (from === to) expect(chain).toEqual([]);
            else expect(chain.length).toBeGreaterThan(0);
            expectSame(reference, finish(b, after, before), `${g.name} ${from} -> ${to} at ${k} (${label})`);
          }
        }
      }
    });
  }
});
