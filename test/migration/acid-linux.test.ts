/**
 * The acid test with Linux (issue 12, item 4): the bundled kernel and init with a virtio-blk disk, in
 * 12 configurations (kernel-irqchip {on, split, off} x disk {combined virtio-blk-pci, virtio-pci +
 * virtio-blk} x {-smp 1, 2}), saved while the kernel decompresses itself, in early boot before the
 * console, while it probes PCI, while a virtio request is in flight (the kernel's partition scan and
 * the init's own I/O), during SMP bring-up and in userspace, and restored by the CLI's own restore
 * function under every configuration with the same CPU count. Each restored run must end as the
 * uninterrupted one: serial output, instruction count, virtual time, RAM, the disk's bytes and every
 * object's final state.
 *
 * The points are found by probing one run in steps (the guest's course is the same in every
 * configuration). `npm test` restores a seeded sample of the pairs at every point (each source
 * configuration once, each point onto a configuration that differs in kernel-irqchip, in disk shape or
 * both); `npm run test:acid` (GODWIT_ACID=1) restores every point of every source under all 6.
 */
import { describe, expect, it } from 'vitest';
import type { Machine } from '../../machine/machine.ts';
import type { DiskShape } from '../guests/virtioblk-config.ts';
import { DISK_CONFIGS, MAX_INSNS, MODES, SHAPES, configName, type DiskConfig, diskOf, firstDifference, makeMachine, observe, restoreFrom, runStraight, snapshotBytes, type GuestSpec, type Observed } from '../determinism/harness.ts';
import { stages, transportOf } from '../determinism/virtioblk-probes.ts';

const FULL = process.env['GODWIT_ACID'] === '1';
const CR0_PG = 0x80000000;
/** Probe granularity in instructions: fine enough to land inside a request's time in flight. */
const STEP = 20_000;

type Config = DiskConfig;
const CONFIGS = DISK_CONFIGS;
const name = configName;

function guest(smp: number, shape: DiskShape): GuestSpec {
  return { name: 'linux', smp, ramMiB: 32, append: 'console=ttyS0 lpj=10000000 no_timer_check', disk: { config: 'modern-msix', shape } };
}

type Probe = (m: Machine, serial: string) => boolean;

/** The conditions met at a probed point (checked every STEP instructions), in boot order. */
function conditions(smp: number): [string, Probe][] {
  const between = (from: string, to: string): Probe => (_m, s) => s.includes(from) && !s.includes(to);
  const list: [string, Probe][] = [
    [EARLY_BOOT, (m, s) => (m.board.cpus[0]!.cr0 & CR0_PG) !== 0 && s.length === 0],
    ['PCI probing', between('PCI: Probing PCI hardware', 'PCI: CLS')],
    ['userspace', (_m, s) => s.includes('init: mounted proc')],
  ];
  if (smp > 1) list.splice(2, 0, ['SMP bring-up', between('smp: Bringing up secondary CPUs', 'smp: Brought up')]);
  return list;
}

/**
 * Requests in flight: a CPU that waits for one halts, and a halted machine retires no instructions
 * while virtual time runs to the completion, so a request is in flight only for the instructions
 * between the notification and the HLT. The coarse probes find the first STEP in which requests
 * were taken (in the kernel's partition scan, and in the init), and a fine scan of that step finds
 * the instruction.
 */
const IN_FLIGHT: [string, Probe][] = [
  ['kernel disk request in flight', (_m, s) => !s.includes('Run /init')],
  ['init disk request in flight', (_m, s) => s.includes('init: mounted proc')],
];
const FINE_STEP = 25;
/** Paging stays off while the kernel decompresses itself: the point half-way to early boot. */
const DECOMPRESSION = 'decompression (paging off)';
const EARLY_BOOT = 'early boot (paging on, no console yet)';

/** How many requests the device has taken from its queue so far. */
function taken(m: Machine): number {
  const t = transportOf(m);
  const q = t.common.queues[0]!;
  return q.ready && t.common.live ? q.lastAvailIdx : 0;
}

function allLabels(smp: number): string[] {
  return [DECOMPRESSION, ...conditions(smp), ...IN_FLIGHT].map((c) => (typeof c === 'string' ? c : c[0]));
}

/**
 * The first instruction count at which each condition holds, probed under kernel-irqchip=off; the
 * probing run then goes on to its end and is the reference run (with its many stops, itself a check
 * that where a run pauses changes nothing).
 */
function snapshotPoints(smp: number): { points: Map<string, number>; reference: Observed } {
  const out: number[] = [];
  const g = guest(smp, 'combined');
  const m = makeMachine(g, 'off', out);
  const wanted = conditions(smp);
  const points = new Map<string, number>();
  // A second machine trails one step behind, to scan a step finely once it turns out to matter.
  const lag = makeMachine(g, 'off', []);
  let serial = '';
  let lastTaken = 0;
  const found = () => points.size === wanted.length + IN_FLIGHT.length;
  for (let k = STEP; !found(); k += STEP) {
    lag.run({ maxInsns: k - STEP });
    if (m.run({ maxInsns: k }).reason !== 'max-insns') break;
    if (out.length !== serial.length) serial = Buffer.from(out).toString('latin1');
    for (const [label, holds] of wanted) if (!points.has(label) && holds(m, serial)) points.set(label, k);
    const now = taken(m);
    if (now !== lastTaken) {
      for (const [label, holds] of IN_FLIGHT) {
        if (points.has(label) || !holds(m, serial)) continue;
        for (let f = k - STEP + FINE_STEP; f <= k; f += FINE_STEP) {
          lag.run({ maxInsns: f });
          if (stages(lag).includes('in-flight')) {
            points.set(label, f);
            break;
          }
        }
      }
    }
    lastTaken = now;
  }
  const reference = observe(g, m, out, m.run({ maxInsns: MAX_INSNS }));
  if (points.has(EARLY_BOOT)) points.set(DECOMPRESSION, Math.floor(points.get(EARLY_BOOT)! / 2));
  return { points, reference };
}

interface Source {
  from: Config;
  snapshots: { label: string; at: number; bytes: Uint8Array; serial: number[]; disk: Uint8Array }[];
}

/** One run in configuration `from`, saved at each point in turn. */
function saveAt(smp: number, from: Config, points: Map<string, number>): Source {
  const out: number[] = [];
  const m = makeMachine(guest(smp, from.shape), from.mode, out);
  const snapshots: Source['snapshots'] = [];
  for (const [label, at] of [...points].sort((a, b) => a[1] - b[1])) {
    m.run({ maxInsns: at });
    expect(m.retired, `${name(from)} stopped at ${label}`).toBe(at);
    snapshots.push({ label, at, bytes: snapshotBytes(m), serial: [...out], disk: diskOf(m)!.slice() });
  }
  return { from, snapshots };
}

/** A deterministic pick of `n` targets for a snapshot: a different irqchip, a different shape, both. */
function sampleTargets(from: Config, i: number): Config[] {
  const otherMode = MODES.filter((mode) => mode !== from.mode)[i % 2]!;
  const otherShape = SHAPES.find((shape) => shape !== from.shape)!;
  return [
    [{ mode: otherMode, shape: from.shape }, { mode: from.mode, shape: otherShape }, { mode: otherMode, shape: otherShape }][i % 3]!,
  ];
}

function restoreAndCompare(smp: number, reference: Observed, source: Source['snapshots'][number], from: Config, to: Config): void {
  const out = [...source.serial];
  const { machine, chain } = restoreFrom(source.bytes, guest(smp, to.shape), to.mode, out, source.disk.slice());
  if (from.mode === to.mode && from.shape === to.shape) expect(chain).toEqual([]);
  else expect(chain.length, 'a filter chain').toBeGreaterThan(0);
  const result = machine.run({ maxInsns: MAX_INSNS });
  const what = `-smp ${smp} ${name(from)} -> ${name(to)} at ${source.at} (${source.label})`;
  expect(firstDifference(reference, observe(guest(smp, to.shape), machine, out, result)), what).toBeNull();
}

describe(`acid test with Linux and a disk${FULL ? '' : ' (sampled; GODWIT_ACID=1 runs every pair)'}`, () => {
  for (const smp of [1, 2]) {
    it(`Linux -smp ${smp}: snapshots from decompression to userspace restored across kernel-irqchip and disk shape`, { timeout: 3_600_000 }, () => {
      const { points, reference } = snapshotPoints(smp);
      expect(reference.serial).toContain('init: all checks passed');
      expect(reference.ending).toBe('debug-exit 1');
      if (process.env['GODWIT_ACID_VERBOSE'] === '1') console.log(smp, reference.retired, points);
      expect([...points.keys()].sort(), 'conditions found').toEqual(allLabels(smp).sort());
      // Every configuration runs the same course when not interrupted.
      if (FULL) for (const c of CONFIGS) expect(firstDifference(reference, runStraight(guest(smp, c.shape), c.mode)), `uninterrupted ${name(c)}`).toBeNull();
      let restores = 0;
      // The sample takes half the configurations as sources (the other half with the other CPU
      // count), the points dealt out among them in turn, each restored once.
      const sources = FULL ? CONFIGS : CONFIGS.filter((_c, i) => i % 2 === smp % 2);
      for (const [f, from] of sources.entries()) {
        const sourcePoints = FULL ? points : new Map([...points].filter((_p, i) => i % sources.length === f));
        if (sourcePoints.size === 0) continue;
        const source = saveAt(smp, from, sourcePoints);
        for (const [i, snap] of source.snapshots.entries()) {
          for (const to of FULL ? CONFIGS : sampleTargets(from, f + i)) {
            restoreAndCompare(smp, reference, snap, from, to);
            restores++;
          }
        }
      }
      expect(restores).toBe(FULL ? points.size * 36 : points.size);
    });
  }
});
