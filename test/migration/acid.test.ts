/**
 * The acid test (issue 4, item 6): for the interrupt-heavy, SMP and PIT guests, for all 9 ordered pairs
 * of kernel-irqchip settings and many snapshot points (chosen where the APIC timer is mid-period, a
 * vector waits in IRR or ISR, an AP waits for SIPI, a level-triggered line is asserted, the PIT is
 * mid-count), the machine is saved through the snapshot container and restored by the CLI's own
 * restore function (configuration checks, plan, filters, load, into a machine built as -incoming
 * builds it), and the restored run must end exactly as the uninterrupted one: the output before
 * the stop plus the output after the restore, the instruction count, virtual time, RAM, how the run
 * ended, and the final state of every object (every device, compared in one flavour by the
 * determinism tests' harness).
 */
import { describe, expect, it } from 'vitest';
import { MAX_INSNS, MODES, firstDifference, makeMachine, observe, restoreFrom, runStraight, snapshotBytes } from '../determinism/harness.ts';
import type { GuestSpec } from '../determinism/harness.ts';
import { saveState } from '../../src/visit/output-visitor.ts';
import type { Machine } from '../../machine/machine.ts';

const GUESTS: GuestSpec[] = [
  { name: 'irqbench', smp: 2, append: 'rounds=40 verbose=1' },
  { name: 'smp', smp: 4 },
  { name: 'ioapic', smp: 1 },
  { name: 'pitstorm', smp: 1, append: 'verbose=1' },
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
    const now = BigInt(m.board.clock.now());
    const loaded = ch['count_load_time'] as bigint;
    // A count the guest loaded (the reset state has a count and a mode too), part-way to the
    // counter's next output transition.
    return loaded > 0n && now > loaded && (ch['next_transition_time'] as bigint) > now;
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

describe('acid test: restore across kernel-irqchip configurations', () => {
  for (const g of GUESTS) {
    it(`${g.name} (-smp ${g.smp}): all 9 pairs at every snapshot point`, { timeout: 900_000 }, () => {
      const reference = runStraight(g, 'off');
      expect(reference.ending).toMatch(/^debug-exit /);
      for (const mode of MODES) expect(firstDifference(reference, runStraight(g, mode)), `uninterrupted ${mode}`).toBeNull();
      const points = snapshotPoints(g, reference.retired);
      const covered = [...points.keys()];
      if (g.name === 'irqbench') {
        for (const want of ['apic timer mid-period', 'vector waiting in IRR', 'vector in service (ISR)']) expect(covered).toContain(want);
      }
      if (g.name === 'smp') expect(covered).toContain('AP waiting for SIPI');
      if (g.name === 'ioapic') expect(covered).toContain('level-triggered line asserted');
      if (g.name === 'pitstorm') expect(covered).toContain('PIT mid-count');
      let restores = 0;
      for (const [label, k] of points) {
        for (const from of MODES) {
          const before: number[] = [];
          const a = makeMachine(g, from, before);
          a.run({ maxInsns: k });
          expect(a.retired).toBe(k);
          const bytes = snapshotBytes(a);
          for (const to of MODES) {
            const out = [...before];
            const { machine, chain } = restoreFrom(bytes, g, to, out);
            if (from === to) expect(chain).toEqual([]);
            else expect(chain.length).toBeGreaterThan(0);
            const result = machine.run({ maxInsns: MAX_INSNS });
            const what = `${g.name} ${from} -> ${to} at ${k} (${label})`;
            expect(firstDifference(reference, observe(g, machine, out, result)), what).toBeNull();
            restores++;
          }
        }
      }
      expect(restores).toBe(points.size * 9);
    });
  }
});
