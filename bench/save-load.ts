/**
 * Snapshot save and load, by phase, for device state only and with 64 MiB and 256 MiB of RAM.
 *
 *   npm run bench -- save-load [--runs N] [--touch FRACTION] [--from on|split|off] [--to on|split|off]
 *                              [--sizes 64,256] [--json PATH]
 *
 * The source machine runs test/guests/bin/interrupts.elf to the middle under kernel-irqchip=--from
 * (default on), then a FRACTION of its RAM pages (default 0.5, spread over all of RAM) is filled with
 * deterministic data (half random, half a repeating pattern): a guest that has been up a while. The
 * snapshot is restored under kernel-irqchip=--to (default off), so that the filter phase converts
 * every interrupt controller. Phases (median of --runs, default 5, after one warm-up):
 *
 *   save:  visit  (Machine.captureState through the output visitors: saveSnapshot)
 *          encode (document, sparse RAM blob, checksums: encodeSnapshot)
 *          write  (temporary file, fsync, rename: writeFileAtomic, in the OS temp directory)
 *   load:  read   (header check, then the whole file: readSnapshotFile)
 *          decode (verify every checksum, parse, expand the blobs: decodeSnapshot)
 *          prepare (check the configuration, plan and run the filter chain, check the result against
 *                  the destination's schemas, run state and boot images: prepareMachineRestore, which
 *                  calls migration/restore.ts's prepareRestore, as every restore does)
 *          load   (fresh objects through the input visitors, swap, post-load: Machine.restoreState)
 *
 * "Device state only" is the same machine's snapshot without /machine/ram, prepared against the
 * destination's objects minus its RAM; its load phase loads every other object into a fresh machine's
 * objects and runs post-load (restoreState needs every path).
 * Each RAM restore is checked: the destination's RAM hash must equal the source's.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { Machine } from '../machine/machine.ts';
import { defaultMachineConfig, type KernelIrqchip, type MachineConfig } from '../machine/machine-config.ts';
import { defaultFilterRegistry, prepareMachineRestore, restoreDestination, saveSnapshot } from '../machine/snapshot.ts';
import { readSnapshotFile, writeFileAtomic } from '../machine/snapshot-file.ts';
import { runPostLoad } from '../machine/machine-state.ts';
import { encodeSnapshot } from '../migration/encode.ts';
import { decodeSnapshot } from '../migration/decode.ts';
import { withoutRam } from './godwit/save-load.ts';
import { prepareRestore } from '../migration/restore.ts';
import { loadState } from '../src/visit/input-visitor.ts';
import { hash64 } from '../src/util/hash.ts';

interface Options {
  runs: number;
  touch: number;
  from: KernelIrqchip;
  to: KernelIrqchip;
  sizes: number[];
  json: string | null;
}

const USAGE = 'usage: save-load [--runs N] [--touch FRACTION] [--from on|split|off] [--to on|split|off] [--sizes 64,256] [--json PATH]';
const KERNEL = 'test/guests/bin/interrupts.elf';
const PHASES = ['visit', 'encode', 'write', 'read', 'decode', 'prepare', 'load'] as const;
type Phase = (typeof PHASES)[number];

function irqchip(arg: string, value: string): KernelIrqchip {
  if (value !== 'on' && value !== 'split' && value !== 'off') throw new Error(`${arg}: expected on, split or off`);
  return value;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { runs: 5, touch: 0.5, from: 'on', to: 'off', sizes: [64, 256], json: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = argv[++i];
    if (value === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
    if (arg === '--runs') o.runs = Math.max(1, Number.parseInt(value, 10) || 1);
    else if (arg === '--touch') {
      o.touch = Number(value);
      if (!(o.touch >= 0 && o.touch <= 1)) throw new Error('--touch: a fraction from 0 to 1');
    } else if (arg === '--from') o.from = irqchip(arg, value);
    else if (arg === '--to') o.to = irqchip(arg, value);
    else if (arg === '--sizes') o.sizes = value.split(',').map((s) => Number.parseInt(s, 10)).filter((n) => n > 0);
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

function timed<T>(times: number[], f: () => T): T {
  const t0 = performance.now();
  const r = f();
  times.push(performance.now() - t0);
  return r;
}

const QUIET = { serialOut() {}, log() {} };

/** The source machine: the guest run to the middle, then `touch` of RAM filled. */
function sourceMachine(kernel: Uint8Array, ramMiB: number, from: KernelIrqchip, touch: number): Machine {
  const config = defaultMachineConfig({ kernel: { name: 'interrupts.elf', data: kernel }, ramBytes: ramMiB << 20, kernelIrqchip: from });
  const m = new Machine(config, QUIET);
  m.run({ maxInsns: 500_000 });
  const ram = m.board.mem.u8;
  const pages = ram.length >>> 12;
  const want = Math.round(pages * touch);
  let seed = 0x12345678;
  // Pages spread evenly over RAM, above the first 2 MiB (the guest's own pages stay as they are).
  const first = Math.min(pages, 512);
  const span = pages - first;
  for (let i = 0; i < want && span > 0; i++) {
    const page = first + Math.floor((i * span) / Math.max(want, 1));
    const base = page << 12;
    if (i % 2 === 0) {
      for (let b = 0; b < 4096; b += 4) {
        seed = (Math.imul(seed, 1664525) + 1013904223) | 0;
        ram[base + b] = seed;
        ram[base + b + 1] = seed >>> 8;
        ram[base + b + 2] = seed >>> 16;
        ram[base + b + 3] = seed >>> 24;
      }
    } else {
      for (let b = 0; b < 4096; b++) ram[base + b] = (b * 7 + page) & 0xff;
    }
  }
  return m;
}


interface CaseResult {
  name: string;
  times: Record<Phase, number>;
  fileBytes: number;
  documentBytes: number;
  ramPagesStored: number;
  chain: number;
}

function runCase(name: string, kernel: Uint8Array, ramMiB: number, deviceOnly: boolean, o: Options, dir: string): CaseResult {
  const times: Record<Phase, number[]> = { visit: [], encode: [], write: [], read: [], decode: [], prepare: [], load: [] };
  const source = sourceMachine(kernel, ramMiB, o.from, deviceOnly ? 0 : o.touch);
  const sourceHash = hash64(source.board.mem.u8);
  const destConfig: MachineConfig = { ...source.config, kernel: null, kernelIrqchip: o.to };
  const registry = defaultFilterRegistry();
  const file = join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.gw`);
  let fileBytes = 0;
  let documentBytes = 0;
  let ramPagesStored = 0;
  let chain = 0;
  for (let run = 0; run <= o.runs; run++) {
    const t: Record<Phase, number[]> = run === 0 ? { visit: [], encode: [], write: [], read: [], decode: [], prepare: [], load: [] } : times;
    const full = timed(t.visit, () => saveSnapshot(source));
    const snap = deviceOnly ? withoutRam(full) : full;
    const encoded = timed(t.encode, () => encodeSnapshot(snap));
    timed(t.write, () => writeFileAtomic(file, encoded.chunks));
    fileBytes = statSync(file).size;
    documentBytes = encoded.documentLength;
    ramPagesStored = encoded.blobs.reduce((n, b) => n + b.storedPages, 0);
    const bytes = timed(t.read, () => readSnapshotFile(file));
    const decoded = timed(t.decode, () => decodeSnapshot(bytes));
    const dest = new Machine(destConfig, QUIET);
    if (deviceOnly) {
      // Prepared against the destination minus its RAM, as the snapshot has none.
      const prepared = timed(t.prepare, () => {
        const destination = restoreDestination(dest);
        const objects = new Map(destination.objects);
        objects.delete('/machine/ram');
        return prepareRestore(decoded, { ...destination, objects }, registry);
      });
      chain = prepared.plan.steps.length;
      const fresh = new Machine(destConfig, QUIET);
      timed(t.load, () => {
        const tree = fresh.board.objects;
        for (const [path, saved] of prepared.objects) loadState(tree.get(path)!, saved.fields, path);
        runPostLoad(tree);
      });
    } else {
      const { plan, state } = timed(t.prepare, () => prepareMachineRestore(dest, decoded, registry));
      chain = plan.steps.length;
      timed(t.load, () => dest.restoreState(state));
      const got = hash64(dest.board.mem.u8);
      if (got !== sourceHash) throw new Error(`${name}: RAM hash after load ${got} != ${sourceHash}`);
    }
  }
  const med = {} as Record<Phase, number>;
  for (const p of PHASES) med[p] = median(times[p]);
  return { name, times: med, fileBytes, documentBytes, ramPagesStored, chain };
}

function main(argv: readonly string[]): void {
  const o = parseArgs(argv);
  const kernel = new Uint8Array(readFileSync(KERNEL));
  const dir = mkdtempSync(join(tmpdir(), 'godwit-save-load-'));
  const results: CaseResult[] = [];
  try {
    results.push(runCase('device state only', kernel, 64, true, o, dir));
    for (const mib of o.sizes) results.push(runCase(`${mib} MiB RAM`, kernel, mib, false, o, dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const rows: [string, string, string][] = [];
  for (const r of results) {
    for (const p of PHASES) rows.push([`${r.name}: ${p}`, r.times[p].toFixed(p === 'prepare' ? 3 : 2), 'ms']);
    const save = r.times.visit + r.times.encode + r.times.write;
    const load = r.times.read + r.times.decode + r.times.prepare + r.times.load;
    rows.push([`${r.name}: save total`, save.toFixed(2), 'ms']);
    rows.push([`${r.name}: load total`, load.toFixed(2), 'ms']);
    rows.push([`${r.name}: snapshot file`, String(r.fileBytes), 'bytes']);
    rows.push([`${r.name}: JSON document`, String(r.documentBytes), 'bytes']);
    if (r.name !== 'device state only') rows.push([`${r.name}: RAM pages stored`, String(r.ramPagesStored), 'pages']);
    rows.push([`${r.name}: filter steps`, String(r.chain), '']);
  }
  const w0 = Math.max(6, ...rows.map((r) => r[0].length));
  const w1 = Math.max(5, ...rows.map((r) => r[1].length));
  console.log(`${'figure'.padEnd(w0)}  ${'value'.padStart(w1)}  unit`);
  for (const [f, v, u] of rows) console.log(`${f.padEnd(w0)}  ${v.padStart(w1)}  ${u}`.trimEnd());
  console.log(
    `(kernel-irqchip ${o.from} -> ${o.to}, ${Math.round(o.touch * 100)}% of RAM pages touched, median of ${o.runs} runs after a warm-up; node ${process.version})`,
  );
  if (o.json !== null) {
    writeFileSync(o.json, `${JSON.stringify({ benchmark: 'save-load', options: o, results, node: process.version }, null, 2)}\n`);
  }
}

try {
  main(process.argv.slice(2));
} catch (e) {
  console.error(`save-load: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
