/**
 * Device state save and load, in microseconds: the small state of every object but RAM.
 *
 *   npm run bench -- device-state [--iterations N] [--smp N] [--json PATH]
 *
 * The source machine (--smp CPUs, default 2, kernel-irqchip=on) runs test/guests/bin/interrupts.elf
 * to the middle. Figures (median of --iterations, default 400, after as many warm-up rounds; then the
 * fastest run of each, which a busy host disturbs least):
 *
 *   visit       saveSnapshot: every object through the output visitors and its schema (RAM by reference)
 *   encode      encodeSnapshot of the snapshot without /machine/ram (document, value section, checksums)
 *   decode      decodeSnapshot of those bytes (checksums, limits, parse, values through their schemas)
 *   prepare on->off  restoreDestination + prepareRestore into kernel-irqchip=off (plan, filter chain,
 *                    schema checks), the destination minus its RAM
 *   prepare on->on   the same into kernel-irqchip=on: no filters
 *   filter chain on->off  the filters alone (applyPlan of the on->off plan over the decoded objects)
 *   load        every object but RAM into a machine's objects (input visitors), then post-load
 *
 * The destination machines of the prepare figures are built once, as a restore into a running machine;
 * the machine the load figure loads into is built once too (loading overwrites every field).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Machine } from '../machine/machine.ts';
import { defaultMachineConfig, type MachineConfig } from '../machine/machine-config.ts';
import { defaultFilterRegistry, restoreDestination, saveSnapshot } from '../machine/snapshot.ts';
import { runPostLoad } from '../machine/machine-state.ts';
import { encodeSnapshot, concatChunks } from '../migration/encode.ts';
import { decodeSnapshot } from '../migration/decode.ts';
import type { Snapshot } from '../migration/snapshot.ts';
import { prepareRestore, type PreparedRestore } from '../migration/restore.ts';
import { applyPlan } from '../migration/planner.ts';
import { loadState } from '../src/visit/input-visitor.ts';
import type { ObjectTree } from '../src/qom/object-tree.ts';

const USAGE = 'usage: device-state [--iterations N] [--smp N] [--json PATH]';
const KERNEL = 'test/guests/bin/interrupts.elf';
const RAM = '/machine/ram';
const QUIET = { serialOut() {}, log() {} };
/** RAM is not in the figures; a small one keeps building the machines cheap. */
const RAM_BYTES = 16 << 20;

interface Options {
  iterations: number;
  smp: number;
  json: string | null;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { iterations: 400, smp: 2, json: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = argv[++i];
    if (value === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
    const n = Number.parseInt(value, 10);
    if (arg === '--iterations') o.iterations = Math.max(1, n || 1);
    else if (arg === '--smp') o.smp = Math.max(1, n || 1);
    else if (arg === '--json') o.json = value;
    else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  return o;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Microseconds of f, appended to `times` (nothing is recorded when `times` is null: warm-up). */
function timed<T>(times: number[] | null, f: () => T): T {
  const t0 = performance.now();
  const r = f();
  if (times !== null) times.push((performance.now() - t0) * 1000);
  return r;
}

/** The snapshot without RAM. */
function withoutRam(s: Snapshot): Snapshot {
  const objects = new Map(s.objects);
  const ram = objects.get(RAM);
  objects.delete(RAM);
  const schemas = new Map(s.schemas);
  if (ram !== undefined) schemas.delete(`${ram.type}@${ram.version}`);
  return { ...s, objects, schemas };
}

function prepareWithoutRam(snapshot: Snapshot, dest: Machine, registry: ReturnType<typeof defaultFilterRegistry>): PreparedRestore {
  const destination = restoreDestination(dest);
  const objects = new Map(destination.objects);
  objects.delete(RAM);
  return prepareRestore(snapshot, { ...destination, objects }, registry);
}

/** Every prepared object into `tree`'s objects, then post-load. */
function loadFresh(tree: ObjectTree, prepared: PreparedRestore): void {
  for (const [path, saved] of prepared.objects) loadState(tree.get(path)!, saved.fields, path);
  runPostLoad(tree);
}

const FIGURES = ['visit', 'encode', 'decode', 'prepare on->off', 'prepare on->on', 'filter chain on->off', 'load'] as const;
type Figure = (typeof FIGURES)[number];

function main(argv: readonly string[]): void {
  const o = parseArgs(argv);
  const kernel = new Uint8Array(readFileSync(KERNEL));
  const config = defaultMachineConfig({ kernel: { name: 'interrupts.elf', data: kernel }, smp: o.smp, kernelIrqchip: 'on', ramBytes: RAM_BYTES });
  const source = new Machine(config, QUIET);
  source.run({ maxInsns: 500_000 });
  const offConfig: MachineConfig = { ...config, kernel: null, kernelIrqchip: 'off' };
  const onConfig: MachineConfig = { ...config, kernel: null, kernelIrqchip: 'on' };
  const offMachine = new Machine(offConfig, QUIET);
  const onMachine = new Machine(onConfig, QUIET);
  const registry = defaultFilterRegistry();
  // The machine the load figure loads into. Loading overwrites every field, so one serves every
  // round; a machine built per round allocated its RAM each time, and the full garbage collection
  // that followed every round threw away the shapes V8 had learnt (see docs/architecture.md
  // section 4), which made every figure several times what a save or restore costs.
  const fresh = new Machine(offConfig, QUIET).board.objects;

  const times = Object.fromEntries(FIGURES.map((f) => [f, [] as number[]])) as Record<Figure, number[]>;
  let documentBytes = 0;
  let valuesBytes = 0;
  let steps = 0;
  for (let round = 0; round < 2 * o.iterations; round++) {
    const t = (f: Figure) => (round < o.iterations ? null : times[f]);
    const snap = withoutRam(timed(t('visit'), () => saveSnapshot(source)));
    const encoded = timed(t('encode'), () => encodeSnapshot(snap));
    documentBytes = encoded.documentLength;
    valuesBytes = encoded.valuesLength;
    const bytes = concatChunks(encoded.chunks);
    const decoded = timed(t('decode'), () => decodeSnapshot(bytes));
    const prepared = timed(t('prepare on->off'), () => prepareWithoutRam(decoded, offMachine, registry));
    steps = prepared.plan.steps.length;
    timed(t('filter chain on->off'), () => applyPlan(registry, prepared.plan, decoded.objects, decoded.clock.virtualTimeNs));
    const same = timed(t('prepare on->on'), () => prepareWithoutRam(decoded, onMachine, registry));
    if (same.plan.steps.length !== 0) throw new Error('on -> on needs no filter');
    timed(t('load'), () => loadFresh(fresh, prepared));
  }

  const med = Object.fromEntries(FIGURES.map((f) => [f, median(times[f])])) as Record<Figure, number>;
  // The fastest run: what the code costs when the host lets it run undisturbed (shared machines).
  const min = Object.fromEntries(FIGURES.map((f) => [f, Math.min(...times[f])])) as Record<Figure, number>;
  const rows: [string, string, string][] = FIGURES.map((f) => [f, med[f].toFixed(1), 'us']);
  for (const f of FIGURES) rows.push([`${f} (fastest run)`, min[f].toFixed(1), 'us']);
  rows.push(['in memory: visit + load', (med.visit + med.load).toFixed(1), 'us']);
  rows.push(['save + load (visit, encode, decode, prepare on->on, load)', (med.visit + med.encode + med.decode + med['prepare on->on'] + med.load).toFixed(1), 'us']);
  rows.push(['JSON document', String(documentBytes), 'bytes']);
  rows.push(['value section', String(valuesBytes), 'bytes']);
  rows.push(['filter steps on->off', String(steps), '']);
  const w0 = Math.max(6, ...rows.map((r) => r[0].length));
  const w1 = Math.max(5, ...rows.map((r) => r[1].length));
  console.log(`${'figure'.padEnd(w0)}  ${'value'.padStart(w1)}  unit`);
  for (const [f, v, u] of rows) console.log(`${f.padEnd(w0)}  ${v.padStart(w1)}  ${u}`.trimEnd());
  console.log(`(smp ${o.smp}, kernel-irqchip on, median of ${o.iterations} iterations after as many warm-ups; node ${process.version})`);
  if (o.json !== null) {
    const doc = { benchmark: 'device-state', options: o, microseconds: med, fastest: min, documentBytes, valuesBytes, filterSteps: steps, node: process.version };
    writeFileSync(o.json, `${JSON.stringify(doc, null, 2)}\n`);
  }
}

try {
  main(process.argv.slice(2));
} catch (e) {
  console.error(`device-state: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
