/**
 * Restore time against RAM size, and full-RAM save and load against the file system's limit.
 *
 *   npm run bench -- incoming [--sizes 128,1024,3072] [--runs N] [--json PATH]
 *
 * For each RAM size a machine runs test/guests/bin/spin.elf (forever=1) for a while, every page above
 * its first 2 MiB is written (a guest that has used all its memory), and the snapshot is saved with
 * the CLI's own writer. Figures (median of --runs, default 3):
 *
 *   -incoming to first instruction: wall time of `godwit -incoming file:F --max-insns N+1` (process
 *     start to exit, after one guest instruction), lazily (the default) and with
 *     GODWIT_LAZY_RESTORE=0 (all of RAM read and verified first), beside the same for a 2 MiB
 *     machine with nothing written: the goal is within 2x of that at every size.
 *   -incoming by parts: the same steps in a fresh process of this benchmark (`--parts`), each
 *     timed: start (process start to this module running: Node and the bundle), decode (open the
 *     file, header, document, chunk index; RAM stays in the file), machine (the Machine the CLI
 *     builds before restoring), restore (restoreSnapshot: the board adopts the RAM image) and run
 *     (one instruction, with the chunks it touches and the first prefetch). What grows with RAM
 *     size shows here.
 *   save: saveSnapshot + encodeSnapshot + writeFileAtomic (temporary file, fsync, rename), beside
 *     the file-system limit: writing the same number of bytes from memory with one fsync.
 *   eager load: open, decode with RAM read into the image the board adopts (each chunk read,
 *     verified and copied into place), restore; beside the limit: reading the same number of bytes
 *     into one buffer.
 *   diff save: a guest that writes memory (memfill) on a machine with every page written is saved
 *     in full, runs 1M more instructions, and is saved as a diff against the full one (`--save
 *     --base`: the RAM pages written since), beside a full save at the same instruction; time and
 *     file size.
 *
 * Files go to the OS temp directory and are removed at the end.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, fsyncSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { Machine } from '../machine/machine.ts';
import { defaultMachineConfig, type MachineConfig } from '../machine/machine-config.ts';
import { RAM_FIELD, RAM_PATH } from '../machine/machine-state.ts';
import { restoreSnapshot, saveSnapshot } from '../machine/snapshot.ts';
import { openSnapshotFile, readSnapshotFile, writeFileAtomic } from '../machine/snapshot-file.ts';
import { readSnapshotChain } from '../machine/snapshot-chain.ts';
import { deferRam, offerSnapshotRam } from '../machine/restore-source.ts';
import { decodeSnapshotSource } from '../migration/decode-source.ts';
import { offerRam } from '../src/memory/ram-pager.ts';
import { encodeSnapshot } from '../migration/encode.ts';
import { HEADER_BYTES, readHeader } from '../migration/header.ts';
import { DEFAULT_LIMITS, withLimits } from '../migration/limits.ts';
import { MAX_RAM_BYTES } from '../src/memory/physical-memory.ts';
import { median } from './lib/measure.ts';

interface Options {
  sizes: number[];
  runs: number;
  json: string | null;
}

const USAGE = 'usage: incoming [--sizes 128,1024,3072] [--runs N] [--json PATH]';
/** The argument that makes this benchmark the child that times -incoming by parts. */
const PARTS = '--parts';
const KERNEL = 'test/guests/bin/spin.elf';
const SMALL_MIB = 2;
const QUIET = { serialOut() {}, log() {} };

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { sizes: [128, 1024, 3072], runs: 3, json: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = argv[++i];
    if (value === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
    if (arg === '--runs') o.runs = Math.max(1, Number.parseInt(value, 10) || 1);
    else if (arg === '--sizes') o.sizes = value.split(',').map((s) => Number.parseInt(s, 10)).filter((n) => n > 0);
    else if (arg === '--json') o.json = value;
    else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  return o;
}

function timeMs(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

function configOf(ramMiB: number): MachineConfig {
  return defaultMachineConfig({ kernel: { name: 'spin.elf', data: new Uint8Array(readFileSync(KERNEL)) }, append: 'forever=1 lines=3', ramBytes: ramMiB * 2 ** 20 });
}

/** The guest run a while, then every page above 2 MiB written (non-zero, differing per page). */
function sourceMachine(ramMiB: number, fill: boolean): Machine {
  const m = new Machine(configOf(ramMiB), QUIET);
  m.run({ maxInsns: SAVED_AT });
  if (fill) {
    writeEveryPage(m);
  }
  return m;
}

/**
 * Writes every page above 2 MiB (non-zero, differing per page) through memory's loader path, which
 * marks each page written as a guest's write does (src/memory/zero-pages.ts: a save reads only
 * pages marked written).
 */
function writeEveryPage(m: Machine): void {
  const mem = m.board.mem;
  const words = new Int32Array(1024);
  const page = new Uint8Array(words.buffer);
  for (let p = 512; p < mem.ramSize >>> 12; p++) {
    words.fill(Math.imul(p, 0x9e3779b1) | 1);
    mem.load(p * 4096, page);
  }
}

/** Saves as `--save` does; returns the time taken and the file's size. */
function save(m: Machine, file: string): { ms: number; bytes: number } {
  const ms = timeMs(() => writeFileAtomic(file, encodeSnapshot(saveSnapshot(m)).chunks));
  return { ms, bytes: statSync(file).size };
}

/** Instructions the guest runs between the full save and the diff save. */
const DIFF_WORK = 1_000_000;
const MEMFILL_KERNEL = 'test/guests/bin/memfill.elf';

/**
 * A guest that writes memory as it runs (memfill, filling RAM page by page from 2 MiB up) on a
 * machine whose pages above 2 MiB have all been written, saved in full to `base`; it runs DIFF_WORK
 * more instructions (a few thousand pages written), then is saved as a diff against `base` (as
 * `--save --base` does: the pages written since) and, for comparison, in full at the same instruction.
 */
function diffSave(ramMiB: number, dir: string): { ms: number; bytes: number; pages: number; fullMs: number; fullBytes: number } {
  const kernel = { name: 'memfill.elf', data: new Uint8Array(readFileSync(MEMFILL_KERNEL)) };
  const m = new Machine(defaultMachineConfig({ kernel, append: 'fill=100 forever=1', ramBytes: ramMiB * 2 ** 20 }), QUIET);
  m.run({ maxInsns: SAVED_AT });
  writeEveryPage(m);
  const base = join(dir, 'diff-base.gw');
  save(m, base);
  const id = readHeader(new Uint8Array(readFileSync(base).subarray(0, HEADER_BYTES)), DEFAULT_LIMITS).id;
  m.takeDirtyPages();
  m.run({ maxInsns: SAVED_AT + DIFF_WORK });
  const file = join(dir, 'diff.gw');
  let pages = 0;
  const ms = timeMs(() => {
    const dirty = m.takeDirtyPages();
    for (const d of dirty) pages += d;
    const encoded = encodeSnapshot({ ...saveSnapshot(m), base: { path: basename(base), id } }, { diff: new Map([[`${RAM_PATH}.${RAM_FIELD}`, dirty]]) });
    writeFileAtomic(file, encoded.chunks);
  });
  const bytes = statSync(file).size;
  const full = save(m, join(dir, 'full-after.gw'));
  for (const f of [base, file, join(dir, 'full-after.gw')]) rmSync(f, { force: true });
  return { ms, bytes, pages, fullMs: full.ms, fullBytes: full.bytes };
}

/** Eager load as `-incoming` with GODWIT_LAZY_RESTORE=0 does it, into a machine built as -incoming builds it. */
function eagerLoad(file: string, ramMiB: number): number {
  return timeMs(() => {
    const opened = openSnapshotFile(file);
    const { snapshot } = decodeSnapshotSource(opened.source);
    opened.close();
    const ram = snapshot.objects.get(RAM_PATH)!.fields[RAM_FIELD] as Uint8Array;
    offerRam(ram, null);
    const m = new Machine({ ...configOf(ramMiB), kernel: null, append: '' }, QUIET);
    restoreSnapshot(m, snapshot);
  });
}

const PART_NAMES = ['start', 'decode', 'machine', 'restore', 'run'] as const;
type Parts = Record<(typeof PART_NAMES)[number], number>;

/**
 * The child (`--parts MIB FILE`): -incoming's steps as the CLI session takes them, lazily, each
 * timed; prints them as JSON. `start` is from process start (performance's time origin).
 */
function partsChild(ramMiB: number, file: string): void {
  const parts = { start: performance.now() } as Parts;
  let t = performance.now();
  const step = (name: keyof Parts): void => {
    const now = performance.now();
    parts[name] = now - t;
    t = now;
  };
  const files = { read: (f: string) => readSnapshotFile(f), write: () => {}, open: openSnapshotFile };
  const read = readSnapshotChain(file, files, withLimits({ maxBlobBytes: MAX_RAM_BYTES, maxTotalBlobBytes: 2 * MAX_RAM_BYTES }), deferRam(true));
  offerSnapshotRam(read.snapshot, read.deferred);
  step('decode');
  const m = new Machine({ ...configOf(ramMiB), kernel: null, append: '' }, QUIET);
  step('machine');
  restoreSnapshot(m, read.snapshot);
  step('restore');
  const r = m.run({ maxInsns: SAVED_AT + 1 });
  step('run');
  if (r.reason !== 'max-insns') throw new Error(`the restored run ended early: ${r.message}`);
  console.log(JSON.stringify(parts));
}

/** -incoming by parts in a fresh process (partsChild), median of `runs` per part. */
function incomingParts(file: string, ramMiB: number, runs: number): Parts {
  const all: Parts[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, [process.argv[1]!, PARTS, String(ramMiB), file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`incoming --parts ${ramMiB} ${file} failed (${r.status}): ${r.stderr}`);
    all.push(JSON.parse(r.stdout) as Parts);
  }
  const out = {} as Parts;
  for (const name of PART_NAMES) out[name] = median(all.map((p) => p[name]));
  return out;
}

/** Writing `bytes` bytes from memory with one fsync, and reading them back: the file system's limit. */
function fsLimit(dir: string, bytes: number): { writeMs: number; readMs: number } {
  const file = join(dir, 'limit.bin');
  const data = new Uint8Array(Math.min(bytes, 64 << 20)).fill(0x5a);
  const writeMs = timeMs(() => {
    const fd = openSync(file, 'w');
    for (let done = 0; done < bytes; done += data.length) writeSync(fd, data, 0, Math.min(data.length, bytes - done));
    fsyncSync(fd);
    closeSync(fd);
  });
  const into = new Uint8Array(bytes);
  const readMs = timeMs(() => {
    const fd = openSync(file, 'r');
    for (let done = 0; done < bytes; ) done += readSync(fd, into, done, Math.min(1 << 30, bytes - done), done);
    closeSync(fd);
  });
  rmSync(file, { force: true });
  return { writeMs, readMs };
}

/** Instructions the source machine runs before its snapshot: the restored run stops one later. */
const SAVED_AT = 200_000;

/**
 * Wall time of `godwit -m SIZE -incoming file:F --max-insns N+1` (the snapshot was taken at N), from
 * process start to exit after one guest instruction.
 */
function incomingMs(file: string, ramMiB: number, lazy: boolean): number {
  const env = { ...process.env, GODWIT_LAZY_RESTORE: lazy ? '1' : '0' };
  const args = ['bin/godwit.js', '-m', `${ramMiB}M`, '-incoming', `file:${file}`, '-serial', 'none', '--max-insns', String(SAVED_AT + 1)];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env, encoding: 'latin1' });
  const ms = performance.now() - t0;
  if (r.status !== 0 || !r.stderr.includes(`stopped after ${SAVED_AT + 1} instructions`)) throw new Error(`godwit -incoming ${file} failed (${r.status}): ${r.stderr}`);
  return ms;
}

interface Row {
  name: string;
  unit: string;
  better: 'lower' | 'higher';
  value: number;
  references: Record<string, number>;
}

function main(): void {
  const argv = process.argv.slice(2);
  if (argv[0] === PARTS) return partsChild(Number(argv[1]), argv[2]!);
  const o = parseArgs(argv);
  const dir = mkdtempSync(join(tmpdir(), 'godwit-bench-incoming-'));
  const rows: Row[] = [];
  try {
    const small = join(dir, 'small.gw');
    save(sourceMachine(SMALL_MIB, false), small);
    const smallMs = median(Array.from({ length: o.runs }, () => incomingMs(small, SMALL_MIB, true)));
    rows.push({ name: `-incoming to first instruction, ${SMALL_MIB} MiB, nothing written`, unit: 'ms', better: 'lower', value: smallMs, references: {} });
    const smallParts = incomingParts(small, SMALL_MIB, o.runs);
    for (const mib of o.sizes) {
      const file = join(dir, `ram-${mib}.gw`);
      const saves: number[] = [];
      let bytes = 0;
      for (let r = 0; r < o.runs; r++) {
        const m = sourceMachine(mib, true);
        const s = save(m, file);
        saves.push(s.ms);
        bytes = s.bytes;
      }
      const limits = Array.from({ length: o.runs }, () => fsLimit(dir, bytes));
      const lazy = median(Array.from({ length: o.runs }, () => incomingMs(file, mib, true)));
      const eager = median(Array.from({ length: o.runs }, () => incomingMs(file, mib, false)));
      const parts = incomingParts(file, mib, o.runs);
      const loads = median(Array.from({ length: o.runs }, () => eagerLoad(file, mib)));
      const diffs = Array.from({ length: o.runs }, () => diffSave(mib, dir));
      const writeLimit = median(limits.map((l) => l.writeMs));
      const readLimit = median(limits.map((l) => l.readMs));
      rows.push({ name: `-incoming to first instruction, ${mib} MiB written, lazy`, unit: 'ms', better: 'lower', value: lazy, references: { [`${SMALL_MIB} MiB snapshot`]: smallMs, eager: eager } });
      rows.push({ name: `save, ${mib} MiB written (${(bytes / 2 ** 20).toFixed(0)} MiB file)`, unit: 'ms', better: 'lower', value: median(saves), references: { 'fs write+fsync': writeLimit } });
      for (const name of PART_NAMES) {
        rows.push({ name: `-incoming by parts, ${mib} MiB written, lazy: ${name}`, unit: 'ms', better: 'lower', value: parts[name], references: { [`${SMALL_MIB} MiB snapshot`]: smallParts[name] } });
      }
      rows.push({ name: `eager load, ${mib} MiB written`, unit: 'ms', better: 'lower', value: loads, references: { 'fs read': readLimit } });
      const d = diffs[0]!;
      const work = `memfill ${DIFF_WORK / 1e6}M instructions after a save, ${mib} MiB written`;
      rows.push({ name: `diff save (--base), ${work} (${d.pages} pages)`, unit: 'ms', better: 'lower', value: median(diffs.map((x) => x.ms)), references: { 'full save': median(diffs.map((x) => x.fullMs)) } });
      rows.push({ name: `diff file size, ${work}`, unit: 'KiB', better: 'lower', value: d.bytes / 1024, references: { 'full file': d.fullBytes / 1024 } });
      rmSync(file, { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const lines = [['figure', 'godwit', 'reference', 'ratio']];
  for (const r of rows) {
    const refs = Object.entries(r.references);
    if (refs.length === 0) lines.push([r.name, `${r.value.toFixed(1)} ${r.unit}`, '', '']);
    for (const [name, v] of refs) lines.push([r.name, `${r.value.toFixed(1)} ${r.unit}`, `${name}: ${v.toFixed(1)} ${r.unit}`, `${(r.value / v).toFixed(2)}x`]);
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  for (const l of lines) console.log(l.map((c, i) => (i === 1 || i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  '));
  console.log(`(median of ${o.runs} runs; ratio = godwit / reference, lower is better; node ${process.version})`);
  if (o.json !== null) writeFileSync(o.json, `${JSON.stringify(rows, null, 2)}\n`);
}

main();
