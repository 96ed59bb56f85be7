/**
 * The disk figures: guest-visible virtio-blk throughput, and save/load with a disk overlay.
 *
 * Throughput: the diskbench guest (test/guests/src/diskbench.c) on a sparse raw image file, in both
 * shapes of the device (combined virtio-blk-pci; virtio-pci + virtio-blk), modern interface with
 * MSI-X, `depth` requests in flight: a 1 MiB sequential write of the whole span first (so that the
 * reads find data, not holes), then 4 KiB random reads and writes at seeded offsets within it, then
 * a 1 MiB sequential read of it. Host figures are wall time between each phase's begin and end lines;
 * beside them, godwit's virtual-time figure for the same phase (the guest's TSC, which counts virtual
 * ns: deterministic, the latency model's answer) and QEMU TCG running the same guest on the same
 * image with virtio-blk-pci (its lines timed as they arrive on its standard output).
 *
 * Overlay: the guest on `-drive ...,snapshot=on` over a sparse image fills 0, 16 or 256 MiB (the
 * overlay then holds that much), idles, and the machine is saved to a file and loaded into a fresh
 * machine on a fresh overlay of the same image: eagerly (RAM read before the guest starts) and
 * lazily (RAM left in the file, as `-incoming` does by default; the overlay is read either way),
 * beside the file system writing and reading the same number of bytes.
 */
import { join, resolve } from 'node:path';
import type { Figure } from '../lib/figures.ts';
import { formatValue } from '../lib/figures.ts';
import { median, reason } from '../lib/measure.ts';
import { closeDrives, diskMachineConfig, openDrive, runDiskbench, SHAPES, sparseImage, DISKBENCH, type DiskShape } from '../godwit/disk.ts';
import type { DiskPhase } from '../godwit/disk-phases.ts';
import { LOAD_PHASES, SAVE_PHASES, saveLoad } from '../godwit/save-load.ts';
import type { OverlayBackend } from '../../src/block/overlay-backend.ts';
import { physicalLimit } from '../refs/physical.ts';
import { qemuDiskbench } from '../refs/qemu-disk.ts';
import { attempt, refValue, type Attempt, type Suite } from './context.ts';

const GROUP = 'virtio-blk disk';
const MB = 1e6;
const DEPTH = 16;

export interface DiskPlan {
  imageMiB: number;
  ramMiB: number;
  randomOps: number;
  /** MiB moved by each sequential phase (the span: the whole image). */
  seqMiB: number;
  runs: number;
}

export function diskPlan(quick: boolean, runs: number): DiskPlan {
  return quick ? { imageMiB: 64, ramMiB: 64, randomOps: 4000, seqMiB: 64, runs } : { imageMiB: 128, ramMiB: 64, randomOps: 20000, seqMiB: 128, runs };
}

export function diskAppend(p: DiskPlan): string {
  return `phases=seqwrite,randread,randwrite,seqread depth=${DEPTH} ops=${p.randomOps} seqmib=${p.seqMiB} seed=7`;
}

/** Per phase, the median host ms and the (deterministic) virtual ns, with its requests and bytes. */
export interface PhaseFigures {
  ops: number;
  bytes: number;
  hostMs: number;
  virtualNs: number;
}

function summarize(runs: readonly DiskPhase[][]): Map<string, PhaseFigures> {
  const out = new Map<string, PhaseFigures>();
  for (const name of ['randread', 'randwrite', 'seqread', 'seqwrite']) {
    const all = runs.map((r) => r.find((p) => p.name === name)).filter((p) => p !== undefined);
    if (all.length === 0) throw new Error(`diskbench printed no ${name} phase`);
    const p = all[0]!;
    out.set(name, { ops: p.ops, bytes: p.bytes, hostMs: median(all.map((q) => q.hostMs ?? NaN)), virtualNs: p.virtualNs });
  }
  return out;
}

/** One godwit run of the guest on `image` in one shape: its phases. */
function godwitRun(shape: DiskShape, p: DiskPlan, image: string): DiskPhase[] {
  const config = diskMachineConfig(image, shape, diskAppend(p), p.ramMiB);
  try {
    return runDiskbench(config).phases;
  } finally {
    closeDrives(config);
  }
}

type Series = { runs: DiskPhase[][]; why: string | null };

function result(series: Series): Attempt<Map<string, PhaseFigures>> {
  if (series.why !== null) return { ok: false, why: series.why };
  try {
    return { ok: true, value: summarize(series.runs) };
  } catch (e) {
    return { ok: false, why: reason(e) };
  }
}

/**
 * A warm-up round, then `runs` rounds; each round runs godwit in each shape, then QEMU once, so
 * that the machine's load changes fall on all of them alike. The warm-up also makes the first
 * sequential write allocate the sparse image's blocks, which no timed run (nor QEMU) then pays for.
 */
async function throughput(s: Suite, p: DiskPlan, image: string): Promise<{ godwit: Map<DiskShape, Series>; qemu: Series }> {
  const godwit = new Map<DiskShape, Series>(SHAPES.map((shape) => [shape, { runs: [], why: null }]));
  const qemu: Series = { runs: [], why: s.qemu.ok ? null : s.qemu.why };
  for (let i = 0; i <= p.runs; i++) {
    s.progress.step(i === 0 ? 'disk throughput: warm-up' : `disk throughput: round ${i} of ${p.runs}`);
    for (const shape of SHAPES) {
      const series = godwit.get(shape)!;
      if (series.why !== null) continue;
      const a = await attempt(() => godwitRun(shape, p, image));
      if (!a.ok) series.why = a.why;
      else if (i > 0) series.runs.push(a.value);
    }
    if (i === 0 || qemu.why !== null) continue;
    const q = await attempt(() => qemuDiskbench(resolve(DISKBENCH), image, diskAppend(p), p.ramMiB));
    if (q.ok) qemu.runs.push(q.value);
    else qemu.why = q.why;
  }
  return { godwit, qemu };
}

const ROWS: { phase: string; what: string; unit: 'IOPS' | 'MB/s' }[] = [
  { phase: 'randread', what: '4 KiB random read', unit: 'IOPS' },
  { phase: 'randread', what: '4 KiB random read', unit: 'MB/s' },
  { phase: 'randwrite', what: '4 KiB random write', unit: 'IOPS' },
  { phase: 'randwrite', what: '4 KiB random write', unit: 'MB/s' },
  { phase: 'seqread', what: '1 MiB sequential read', unit: 'MB/s' },
  { phase: 'seqwrite', what: '1 MiB sequential write', unit: 'MB/s' },
];

function rate(f: PhaseFigures, unit: 'IOPS' | 'MB/s', ms: number): number {
  return unit === 'IOPS' ? f.ops / (ms / 1000) : f.bytes / MB / (ms / 1000);
}

export async function diskFigures(s: Suite): Promise<void> {
  const p = diskPlan(s.options.quick, s.options.runs);
  const image = sparseImage(join(s.dir, 'diskbench.img'), p.imageMiB);
  const measured = await throughput(s, p, image);
  const qemu = result(measured.qemu);
  const note = `diskbench.elf, ${p.imageMiB} MiB sparse raw image, depth ${DEPTH}, modern virtio-blk with MSI-X; ${p.randomOps} random requests, ${p.seqMiB} MiB per sequential phase; host wall time between the phase's serial lines; virtual time: the guest's TSC (virtual ns) for the same phase, from the latency model`;
  for (const shape of SHAPES) {
    const g = result(measured.godwit.get(shape)!);
    const device = shape === 'combined' ? 'virtio-blk-pci' : 'virtio-pci + virtio-blk';
    for (const row of ROWS) {
      const refs: Record<string, number | null> = {};
      const missing: Record<string, string> = {};
      refValue(refs, missing, 'QEMU TCG', qemu, (v) => rate(v.get(row.phase)!, row.unit, v.get(row.phase)!.hostMs));
      refValue(refs, missing, 'godwit virtual time', g, (v) => rate(v.get(row.phase)!, row.unit, v.get(row.phase)!.virtualNs / 1e6));
      const f: Figure = {
        group: GROUP,
        name: `${row.what}, ${device}`,
        unit: row.unit,
        better: 'higher',
        value: g.ok ? rate(g.value.get(row.phase)!, row.unit, g.value.get(row.phase)!.hostMs) : null,
        references: refs,
        missing: g.ok ? missing : { ...missing, godwit: g.why },
      };
      if (row === ROWS[ROWS.length - 1]) f.note = note;
      s.figures.push(f);
    }
  }
}

/** Progress steps of the two disk sections. */
export function diskSteps(quick: boolean, runs: number): number {
  return runs + 1 + overlaySizes(quick).length;
}

/** Overlay sizes (MiB) of the save/load figures. */
export function overlaySizes(quick: boolean): number[] {
  return quick ? [0, 16] : [0, 16, 256];
}

export async function overlayFigures(s: Suite): Promise<void> {
  const runs = s.options.quick ? 1 : s.options.runs;
  const imageMiB = 256;
  const ramMiB = 32;
  const image = sparseImage(join(s.dir, 'overlay-base.img'), imageMiB);
  for (const mib of overlaySizes(s.options.quick)) {
    s.progress.step(`disk overlay ${mib} MiB: save and load`);
    const config = diskMachineConfig(image, 'combined', `phases=fill fill=${mib} depth=${DEPTH} idle=1`, ramMiB, true);
    const source = runDiskbench(config, true).machine;
    const overlay = config.drives[0]!.backend as OverlayBackend;
    const blocks = overlay.writtenBlockCount;
    const destConfig = { ...config, kernel: null, drives: [openDrive(image, true)] };
    const check = (dest: { config: typeof config }): void => {
      const got = (dest.config.drives[0]!.backend as OverlayBackend).writtenBlockCount;
      if (got !== blocks) throw new Error(`overlay of ${mib} MiB: ${got} blocks after the load, ${blocks} saved`);
    };
    const eager = saveLoad(source, s.dir, `overlay-${mib}`, runs, !s.options.quick, () => {}, { destConfig, check });
    const lazy = saveLoad(source, s.dir, `overlay-${mib}-lazy`, runs, !s.options.quick, () => {}, { destConfig, check, lazy: true });
    const phys = await attempt(() => physicalLimit(eager.fileBytes, s.dir, runs, !s.options.quick));
    closeDrives(config);
    closeDrives(destConfig);
    const phases = (r: typeof eager, which: readonly string[]): string => which.map((ph) => `${ph} ${formatValue(r.phases[ph as keyof typeof r.phases])}`).join(', ');
    const what = `${ramMiB} MiB RAM, disk overlay of ${mib} MiB (${blocks} blocks of 4 KiB)`;
    const saveRefs: Record<string, number | null> = {};
    const loadRefs: Record<string, number | null> = {};
    const missing: Record<string, string> = {};
    refValue(saveRefs, missing, 'fs write', phys, (v) => v.writeMs);
    refValue(loadRefs, missing, 'fs read', phys, (v) => v.readMs);
    s.figures.push(
      { group: GROUP, name: `${what}: save`, unit: 'ms', better: 'lower', value: eager.saveMs, references: saveRefs, missing, note: `godwit by phase, ms: ${phases(eager, SAVE_PHASES)}; fs write: the file's bytes, written as godwit writes (fsync, rename)` },
      { group: GROUP, name: `${what}: load`, unit: 'ms', better: 'lower', value: eager.loadMs, references: loadRefs, missing, note: `godwit by phase, ms: ${phases(eager, LOAD_PHASES)}` },
      { group: GROUP, name: `${what}: lazy load (RAM on demand)`, unit: 'ms', better: 'lower', value: lazy.loadMs, references: loadRefs, missing, note: `godwit by phase, ms: ${phases(lazy, LOAD_PHASES)}` },
      { group: GROUP, name: `${what}: snapshot size`, unit: 'MB', better: 'lower', value: eager.fileBytes / MB, references: {} },
    );
  }
}
