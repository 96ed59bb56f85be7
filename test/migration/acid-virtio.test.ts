/**
 * The acid test with a disk (issue 11, item 9): the virtioblk guest in 12 configurations, kernel-
 * irqchip {on, split, off} x disk {combined virtio-blk-pci, virtio-pci + virtio-blk} x {-smp 1, 2},
 * saved at points where its requests are available, in flight or signalled and where an interrupt
 * waits in a local APIC, and restored by the CLI's own restore function under every configuration
 * with the same CPU count (a snapshot restores onto as many CPUs as it was taken on, as in QEMU: 2 x
 * 36 ordered pairs, 6 of each 36 the same configuration). Each restored run must end as the
 * uninterrupted one: output, instruction count, virtual time, RAM, the disk's bytes and every
 * object's final state.
 *
 * Every point from every source configuration: 360 restores, about 40 s on two quiet cores, so
 * `npm test` runs the whole matrix (and so does `npm run test:acid`).
 */
import { describe, expect, it } from 'vitest';
import type { Machine } from '../../machine/machine.ts';
import { saveState } from '../../src/visit/output-visitor.ts';
import { expectedOutput } from '../guests/run-guest.ts';
import type { DiskShape } from '../guests/virtioblk-config.ts';
import { DISK_CONFIGS, MAX_INSNS, configName, type DiskConfig, diskOf, firstDifference, makeMachine, observe, restoreFrom, runStraight, snapshotBytes, type GuestSpec } from '../determinism/harness.ts';
import { stages } from '../determinism/virtioblk-probes.ts';

const CONFIG = 'modern-msix';

type Config = DiskConfig;
const CONFIGS = DISK_CONFIGS;
const name = configName;

function guest(smp: number, shape: DiskShape): GuestSpec {
  return { name: 'virtioblk', smp, disk: { config: CONFIG, shape } };
}

/** A vector waits in IRR or is in service in some local APIC (userspace flavour's fields). */
function apicBusy(m: Machine): boolean {
  return m.board.cpus.some((_, i) => {
    const f = saveState(m.board.objects.get(`/machine/cpu[${i}]/lapic`)!);
    return (f['irr'] as number[]).some((w) => w !== 0) || (f['isr'] as number[]).some((w) => w !== 0);
  });
}

/** The first instruction count at which each condition holds (scanned in steps under off), and fixed points. */
function snapshotPoints(smp: number, total: number): Map<string, number> {
  const m = makeMachine(guest(smp, 'combined'), 'off', []);
  const points = new Map<string, number>();
  const step = Math.max(31, Math.floor(total / 3000));
  for (let k = 1; k < total && points.size < 4; k += step) {
    m.run({ maxInsns: k });
    for (const stage of stages(m)) if (!points.has(stage)) points.set(stage, k);
    if (!points.has('vector in IRR or ISR') && apicBusy(m)) points.set('vector in IRR or ISR', k);
  }
  points.set('a third', Math.floor(total / 3));
  return points;
}

describe('acid test with a disk: 12 configurations, every pair with the same CPU count', () => {
  for (const smp of [1, 2]) {
    it(`virtioblk -smp ${smp}: every point from every configuration restored under all 6 configurations`, { timeout: 1_800_000 }, () => {
      const reference = runStraight(guest(smp, 'combined'), 'on');
      expect(reference.serial).toBe(expectedOutput(`virtioblk-${CONFIG}`));
      for (const c of CONFIGS) expect(firstDifference(reference, runStraight(guest(smp, c.shape), c.mode)), `uninterrupted ${name(c)}`).toBeNull();
      const points = snapshotPoints(smp, reference.retired);
      expect([...points.keys()], 'conditions covered').toEqual(expect.arrayContaining(['available', 'in-flight', 'isr', 'vector in IRR or ISR']));
      let restores = 0;
      for (const [label, at] of points) {
        for (const from of CONFIGS) {
          const before: number[] = [];
          const source = makeMachine(guest(smp, from.shape), from.mode, before);
          source.run({ maxInsns: at });
          const bytes = snapshotBytes(source);
          const disk = diskOf(source)!;
          for (const to of CONFIGS) {
            const out = [...before];
            const { machine, chain } = restoreFrom(bytes, guest(smp, to.shape), to.mode, out, disk.slice());
            if (from.mode === to.mode && from.shape === to.shape) expect(chain).toEqual([]);
            else expect(chain.length, 'a filter chain').toBeGreaterThan(0);
            const result = machine.run({ maxInsns: MAX_INSNS });
            const what = `-smp ${smp} ${name(from)} -> ${name(to)} at ${at} (${label})`;
            expect(firstDifference(reference, observe(guest(smp, to.shape), machine, out, result)), what).toBeNull();
            restores++;
          }
        }
      }
      expect(restores).toBe(points.size * 36);
    });
  }
});
