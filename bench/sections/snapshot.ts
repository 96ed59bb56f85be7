/**
 * The save and load figures: device state only (against JSON.stringify/parse of the same tree),
 * and per RAM size a mostly-zero and a fully-written memfill guest (against v86, QEMU and the
 * physical limit), snapshot sizes, `-incoming` to the first guest line, and the filter chains of a
 * cross-configuration restore.
 */
import { resolve } from 'node:path';
import { formatValue, type Figure } from '../lib/figures.ts';
import { median } from '../lib/measure.ts';
import { chainCost } from '../godwit/filters.ts';
import { checksumRates, XXH32_JS } from '../godwit/checksum.ts';
import { defaultDeviceSpecs, type DeviceSpec } from '../../machine/device-spec.ts';
import type { Drive } from '../../machine/drive.ts';
import { MemoryBackend } from '../../src/block/memory-backend.ts';
import { deviceState, LOAD_PHASES, memfillAppend, memfillMachine, MEMFILL, SAVE_PHASES, saveLoad, type SaveLoadResult } from '../godwit/save-load.ts';
import { godwitUntilLine } from '../godwit/cli.ts';
import { physicalLimit, type PhysicalResult } from '../refs/physical.ts';
import { qemuSnapshot, type QemuSnapshot } from '../refs/qemu.ts';
import { v86Job, type V86Snapshot } from '../refs/v86.ts';
import { attempt, needs, refValue, type Attempt, type Suite } from './context.ts';

const GROUP = 'save and load';
/** The mostly-zero case writes this share of the pages (percent). */
export const MOSTLY_ZERO_FILL = 5;

export function deviceStateFigures(s: Suite): void {
  // Issue 14's machine for this goal: 2 CPUs with the in-kernel irqchip (two kvm-apic pages).
  // Device state does not depend on the RAM size: a small machine keeps building machines cheap.
  const m = memfillMachine(32, MOSTLY_ZERO_FILL, 'on', { smp: 2 });
  const r = deviceState(m, s.options.quick ? 100 : 1000);
  s.progress.step('device state');
  const figure = (what: string, unit: string, value: number, references: Record<string, number>, goals?: Figure['goals']): Figure => ({
    group: GROUP,
    name: `device state (2 CPUs, kernel-irqchip=on): ${what}`,
    unit,
    better: 'lower',
    value,
    references,
    ...(goals === undefined ? {} : { goals }),
  });
  const saveLoad = r.saveUs + r.loadUs;
  s.figures.push(
    figure('save', 'us', r.saveUs, { 'JSON.stringify': r.stringifyUs }),
    figure('load', 'us', r.loadUs, { 'JSON.parse': r.parseUs }),
    figure('save + load', 'us', saveLoad, { 'JSON round trip': r.stringifyUs + r.parseUs }, [{ text: 'under 100 us', met: saveLoad < 100 }]),
    figure('save + load after a full collection', 'us', r.afterGcSaveUs + r.afterGcLoadUs, { 'without the collection': saveLoad }),
    figure('size', 'KiB', r.bytes / 1024, { JSON: r.documentBytes / 1024 }),
  );
}

/** The checksum every stored RAM chunk gets on save and on load, over one 1 MiB chunk. */
export function checksumFigure(s: Suite): void {
  const r = checksumRates(1 << 20, s.options.quick ? 3 : 9);
  s.progress.step('checksum');
  s.figures.push({
    group: GROUP,
    name: 'snapshot checksum (XXH32 pair, format version 5), 1 MiB chunk',
    unit: 'GB/s',
    better: 'higher',
    value: r.gbPerSecond['xxh32-pair'],
    references: { 'JavaScript block loop': r.gbPerSecond[XXH32_JS], 'MurmurHash3 (versions 1 to 4)': r.gbPerSecond.murmur3, 'copy of the same bytes': r.gbPerSecond.copy },
    goals: [{ text: 'several GB/s (3 or more)', met: r.gbPerSecond['xxh32-pair'] >= 3 }],
    note: 'migration/checksum.ts over random bytes, median of rounds with the kinds alternating; the block loop in WebAssembly SIMD (src/util/xxh32-simd.ts) and in JavaScript (npm run bench -- checksum)',
  });
}

function caseName(ramMiB: number, fill: number): string {
  const size = ramMiB >= 1024 ? `${ramMiB / 1024} GiB` : `${ramMiB} MiB`;
  return fill === 100 ? `${size} fully written` : `${size} mostly zero (${fill}% written)`;
}

interface CaseResults {
  godwit: SaveLoadResult;
  phys: Attempt<PhysicalResult>;
  v86: Attempt<V86Snapshot>;
  qemu: Attempt<QemuSnapshot>;
  incoming: Attempt<number>;
}

const MB = 1e6;
const REF_NOTE = {
  save: 'v86: save_state + write (fsync, like godwit); QEMU: migrate to exec:cat > FILE (no fsync); physical limit: the same non-zero RAM bytes',
  load: 'v86: read + restore_state into an emulator built beforehand; QEMU: -incoming defer, migrate-incoming exec:cat FILE to "completed"',
};

function caseFigures(ramMiB: number, fill: number, c: CaseResults): Figure[] {
  const name = caseName(ramMiB, fill);
  const g = c.godwit;
  const ramBytes = ramMiB * 1024 * 1024;
  const out: Figure[] = [];
  const timeFigure = (what: 'save' | 'load'): Figure => {
    const refs: Record<string, number | null> = {};
    const missing: Record<string, string> = {};
    refValue(refs, missing, 'v86', c.v86, (v) => median(what === 'save' ? v.saveMs : v.loadMs));
    refValue(refs, missing, 'QEMU', c.qemu, (v) => (what === 'save' ? v.saveMs : v.loadMs));
    refValue(refs, missing, 'memcpy', c.phys, (v) => v.copyMs);
    refValue(refs, missing, what === 'save' ? 'fs write' : 'fs read', c.phys, (v) => (what === 'save' ? v.writeMs : v.readMs));
    const value = what === 'save' ? g.saveMs : g.loadMs;
    const v86 = refs['v86'] ?? null;
    const fsRef = refs[what === 'save' ? 'fs write' : 'fs read'] ?? null;
    const goals = [{ text: 'at least 2x as fast as v86', met: v86 === null ? null : value * 2 <= v86 }];
    if (fill === 100) goals.push({ text: `within 1.2x of the file-system limit (${what === 'save' ? 'fs write' : 'fs read'})`, met: fsRef === null ? null : value <= 1.2 * fsRef });
    const phases = (what === 'save' ? SAVE_PHASES : LOAD_PHASES).map((p) => `${p} ${formatValue(g.phases[p])}`).join(', ');
    return { group: GROUP, name: `${name}: ${what}`, unit: 'ms', better: 'lower', value, references: refs, missing, goals, note: `godwit by phase, ms: ${phases}. ${REF_NOTE[what]}` };
  };
  const save = timeFigure('save');
  const load = timeFigure('load');
  out.push(save, load);
  for (const f of [save, load]) {
    const refs: Record<string, number | null> = {};
    for (const [k, v] of Object.entries(f.references)) refs[k] = v === null ? null : ramBytes / MB / (v / 1000);
    out.push({ group: GROUP, name: `${f.name} throughput`, unit: 'MB/s of RAM', better: 'higher', value: ramBytes / MB / (f.value! / 1000), references: refs, missing: f.missing ?? {} });
  }
  const sizeRefs: Record<string, number | null> = {};
  const sizeMissing: Record<string, string> = {};
  refValue(sizeRefs, sizeMissing, 'v86', c.v86, (v) => v.bytes / MB);
  refValue(sizeRefs, sizeMissing, 'QEMU', c.qemu, (v) => v.bytes / MB);
  out.push({ group: GROUP, name: `${name}: snapshot size`, unit: 'MB', better: 'lower', value: g.fileBytes / MB, references: sizeRefs, missing: sizeMissing });
  const inRefs: Record<string, number | null> = {};
  const inMissing: Record<string, string> = {};
  refValue(inRefs, inMissing, 'QEMU', c.qemu, (v) => v.firstLineMs);
  inRefs['v86'] = null;
  inMissing['v86'] = 'v86 has no -incoming: its restore is the load figure above';
  const incoming: Figure = {
    group: GROUP,
    name: `${name}: -incoming to first guest line`,
    unit: 'ms',
    better: 'lower',
    value: c.incoming.ok ? c.incoming.value : null,
    references: inRefs,
    missing: c.incoming.ok ? inMissing : { ...inMissing, godwit: c.incoming.why },
  };
  out.push(incoming);
  return out;
}

/** Process start of `godwit -incoming` to the restored memfill guest's first beacon line. */
async function godwitIncoming(file: string, ramMiB: number, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await godwitUntilLine(['-m', `${ramMiB}M`, '-incoming', `file:${file}`, '-serial', 'stdio'], (l) => l === '.', 120_000);
    times.push(r.ms);
  }
  return median(times);
}

export async function ramFigures(s: Suite, ramMiB: number, fill: number): Promise<void> {
  // 1 GiB and more: one run and no warm-up (each save and load moves a gigabyte through every
  // system, which takes long enough that warming V8 up changes little).
  const big = ramMiB >= 1024;
  const runs = big ? 1 : s.options.runs;
  const warmUp = !big;
  // --quick: the references' snapshots without a warm-up either (each costs a whole guest boot).
  const refWarmUp = warmUp && !s.options.quick;
  const label = caseName(ramMiB, fill);
  s.progress.step(`${label}: godwit`);
  const source = memfillMachine(ramMiB, fill);
  const godwit = saveLoad(source, s.dir, `godwit-${ramMiB}-${fill}`, runs, warmUp);
  const stored = godwit.ramStoredBytes;
  s.progress.step(`${label}: godwit -incoming`);
  // -incoming maps RAM lazily, so a run costs about half a second at any size: three runs at every
  // size, so that the goal comparing 1 GiB with 128 MiB compares medians, not one run with a median.
  const incoming = await attempt(() => godwitIncoming(godwit.file, ramMiB, Math.min(s.options.runs, 3)));
  s.progress.step(`${label}: physical limit`);
  const phys = await attempt(() => physicalLimit(stored, s.dir, runs, warmUp));
  s.progress.step(`${label}: v86`);
  const v86 = await needs(s.v86, () =>
    v86Job<V86Snapshot>(s.v86.ok ? s.v86.value : (null as never), { job: 'snapshot', kernel: resolve(MEMFILL), cmdline: memfillAppend(fill), ramMiB, runs, dir: s.dir, warmUp: refWarmUp }, 600_000),
  );
  s.progress.step(`${label}: QEMU`);
  const qemu = await needs(s.qemu, () => qemuSnapshot(resolve(MEMFILL), memfillAppend(fill), ramMiB, runs, s.dir, refWarmUp));
  s.figures.push(...caseFigures(ramMiB, fill, { godwit, phys, v86, qemu, incoming }));
}

/** The goal that the time to the first instruction after -incoming does not grow with RAM size. */
export function incomingGoal(s: Suite): void {
  const incoming = s.figures.filter((f) => f.name.endsWith('fully written: -incoming to first guest line'));
  if (incoming.length < 2) return;
  const first = incoming[0]!;
  const last = incoming[incoming.length - 1]!;
  const met = first.value === null || last.value === null ? null : last.value <= first.value * 1.25;
  last.goals = [...(last.goals ?? []), { text: `independent of RAM size (within 1.25x of ${first.name.split(':')[0]})`, met }];
}

/** Issue 14's goal for the filter chain of a cross-configuration restore. */
function chainGoal(us: number): { text: string; met: boolean } {
  return { text: 'under 200 us', met: us < 200 };
}

export function filterFigures(s: Suite): void {
  const runs = s.options.quick ? 20 : 100;
  const source = memfillMachine(128, MOSTLY_ZERO_FILL, 'on');
  const irq = chainCost(source, { kernelIrqchip: 'off' }, runs);
  s.progress.step('filter chains');
  s.figures.push({
    group: GROUP,
    name: `filter chain: kernel-irqchip on -> off (${irq.steps} steps, 128 MiB)`,
    unit: 'us',
    better: 'lower',
    value: irq.chainUs,
    references: { 'same-configuration prepare': irq.sameUs, 'after a decode without RAM': irq.chainNoGcUs },
    goals: [chainGoal(irq.chainUs)],
  });
  // The same machine with a virtio-blk disk (1 MiB, in memory) in the combined shape, restored
  // onto the split shape, and onto the split shape under the other kernel-irqchip setting.
  const disk = diskOverrides('combined');
  const withDisk = memfillMachine(128, MOSTLY_ZERO_FILL, 'on', disk);
  const split = { devices: diskOverrides('split').devices };
  for (const [what, dest] of [
    ['disk shape (combined -> split virtio-blk)', split],
    ['kernel-irqchip on -> off and disk shape', { ...split, kernelIrqchip: 'off' as const }],
  ] as const) {
    const cost = chainCost(withDisk, dest, runs);
    s.figures.push({
      group: GROUP,
      name: `filter chain: ${what} (${cost.steps} steps, 128 MiB)`,
      unit: 'us',
      better: 'lower',
      value: cost.chainUs,
      references: { 'same-configuration prepare': cost.sameUs, 'after a decode without RAM': cost.chainNoGcUs },
      goals: [chainGoal(cost.chainUs)],
    });
  }
}

/** -drive and -device for a 1 MiB in-memory disk d0 as disk0, in one shape (modern only). */
function diskOverrides(shape: 'combined' | 'split'): { devices: DeviceSpec[]; drives: Drive[] } {
  const modern: [string, string] = ['disable-legacy', 'on'];
  const devices: DeviceSpec[] =
    shape === 'combined'
      ? [{ driver: 'virtio-blk-pci', id: 'disk0', props: new Map([['drive', 'd0'], modern]) }]
      : [
          { driver: 'virtio-pci', id: 'disk0', props: new Map([modern]) },
          { driver: 'virtio-blk', id: null, props: new Map([['drive', 'd0'], ['bus', 'disk0']]) },
        ];
  const backend = new MemoryBackend(new Uint8Array(1 << 20));
  return { devices: [...defaultDeviceSpecs(), ...devices], drives: [{ id: 'd0', file: 'bench-disk.img', readOnly: false, snapshot: false, checkIdentity: true, backend }] };
}
