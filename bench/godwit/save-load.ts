/**
 * godwit's snapshot save and load, in-process through the public API, by phase:
 *
 *   save:  visit (saveSnapshot), encode (encodeSnapshot), write (writeFileAtomic: temporary file,
 *          fsync, rename, fsync of the directory)
 *   load:  as `-incoming` with GODWIT_LAZY_RESTORE=0 loads: read (open the file), decode
 *          (decodeSnapshotSource: header, document, and RAM read chunk by chunk into the image the
 *          restored board adopts, each chunk verified before it lands), prepare
 *          (prepareMachineRestore: plan, filters, checks), load (Machine.restoreState into a
 *          machine built beforehand)
 *
 * The guest is test/guests/bin/memfill.elf run until it has filled its share of RAM (`fill=`) and
 * idles (`forever=1`): the same guest QEMU and v86 save. "Device state only" is that machine's
 * snapshot without /machine/ram, encoded and decoded in memory (no file: the figure is in
 * microseconds and an fsync alone costs more); its load loads every other object into a fresh
 * machine's objects and runs post-load.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Machine } from '../../machine/machine.ts';
import { defaultMachineConfig, type KernelIrqchip, type MachineConfig } from '../../machine/machine-config.ts';
import { defaultFilterRegistry, prepareMachineRestore, restoreDestination, saveSnapshot } from '../../machine/snapshot.ts';
import { openSnapshotFile, writeFileAtomic } from '../../machine/snapshot-file.ts';
import { RAM_FIELD, RAM_PATH, runPostLoad } from '../../machine/machine-state.ts';
import { decodeSnapshotSource } from '../../migration/decode-source.ts';
import { offerRam } from '../../src/memory/ram-pager.ts';
import { encodeSnapshot } from '../../migration/encode.ts';
import { decodeSnapshot } from '../../migration/decode.ts';
import { buildDocument } from '../../migration/document.ts';
import type { Snapshot } from '../../migration/snapshot.ts';
import { prepareRestore } from '../../migration/restore.ts';
import { loadState } from '../../src/visit/input-visitor.ts';
import { hash64 } from '../../src/util/hash.ts';
import { median, timed } from '../lib/measure.ts';

export const MEMFILL = 'test/guests/bin/memfill.elf';
const QUIET = { serialOut() {}, log() {} };
const CHUNK_INSNS = 20_000_000;
/** More than the fill of 3.5 GiB takes (rep stosl counts every dword). */
const MAX_FILL_INSNS = 2_000_000_000;

/** The memfill command line every system boots. */
export function memfillAppend(fill: number): string {
  return `fill=${fill} forever=1`;
}

/** A godwit machine that ran memfill until `memfill: ready`. */
export function memfillMachine(ramMiB: number, fill: number, kernelIrqchip: KernelIrqchip = 'split', overrides: Partial<MachineConfig> = {}): Machine {
  const text: number[] = [];
  const config = defaultMachineConfig({
    kernel: { name: 'memfill.elf', data: new Uint8Array(readFileSync(MEMFILL)) },
    append: memfillAppend(fill),
    ramBytes: ramMiB * 2 ** 20,
    kernelIrqchip,
    ...overrides,
  });
  const m = new Machine(config, { serialOut: (b) => void (text.length < 4096 && text.push(b)), log() {} });
  while (!Buffer.from(text).toString('latin1').includes('memfill: ready\n')) {
    const r = m.run({ maxInsns: m.retired + CHUNK_INSNS });
    if (r.reason !== 'max-insns') throw new Error(`memfill ended early: ${r.message}`);
    if (m.retired > MAX_FILL_INSNS) throw new Error('memfill did not get ready');
  }
  return m;
}

export const SAVE_PHASES = ['visit', 'encode', 'write'] as const;
export const LOAD_PHASES = ['read', 'decode', 'prepare', 'load'] as const;
type Phase = (typeof SAVE_PHASES)[number] | (typeof LOAD_PHASES)[number];

export interface SaveLoadResult {
  /** Median ms per phase. */
  phases: Record<Phase, number>;
  /** Median of the whole save and the whole load (ms). */
  saveMs: number;
  loadMs: number;
  fileBytes: number;
  /** Bytes of RAM pages the snapshot stores. */
  ramStoredBytes: number;
  /** The snapshot file of the last run (kept for the -incoming figure). */
  file: string;
  /** Retired instructions at the save. */
  retired: number;
}

function emptyTimes(): Record<Phase, number[]> {
  return { visit: [], encode: [], write: [], read: [], decode: [], prepare: [], load: [] };
}

export interface SaveLoadOptions {
  /** The destination's configuration (default: the source's without a kernel). */
  destConfig?: MachineConfig;
  /**
   * Load as `-incoming` does by default: RAM left in the file, loaded chunk by chunk on demand
   * (the load figure then ends before any RAM is read; the check afterwards loads the rest).
   */
  lazy?: boolean;
  /** Called with each loaded machine after the RAM check (e.g. to compare a disk overlay). */
  check?: (dest: Machine) => void;
}

/** Save `source` to `dir/name.gw` and load it into a fresh machine, `runs` times after a warm-up (unless `warmUp` is false). */
export function saveLoad(source: Machine, dir: string, name: string, runs: number, warmUp = true, onRun: () => void = () => {}, options: SaveLoadOptions = {}): SaveLoadResult {
  const file = join(dir, `${name}.gw`);
  const sourceHash = hash64(source.board.mem.u8);
  const destConfig: MachineConfig = options.destConfig ?? { ...source.config, kernel: null };
  const registry = defaultFilterRegistry();
  const times = emptyTimes();
  const save: number[] = [];
  const load: number[] = [];
  let fileBytes = 0;
  let ramStoredBytes = 0;
  for (let run = warmUp ? 0 : 1; run <= runs; run++) {
    const t = run === 0 ? emptyTimes() : times;
    const s0 = performance.now();
    const snap = timed(t.visit, () => saveSnapshot(source));
    const encoded = timed(t.encode, () => encodeSnapshot(snap));
    timed(t.write, () => writeFileAtomic(file, encoded.chunks));
    const s1 = performance.now();
    fileBytes = statSync(file).size;
    ramStoredBytes = encoded.blobs.filter((b) => b.path === '/machine/ram' || b.path.startsWith('/machine/ram.')).reduce((n, b) => n + b.storedLength, 0);
    const dest = new Machine(destConfig, QUIET);
    const l0 = performance.now();
    const opened = timed(t.read, () => openSnapshotFile(file));
    const ramField = `${RAM_PATH}.${RAM_FIELD}`;
    const { snapshot: decoded, deferred } = timed(t.decode, () => decodeSnapshotSource(opened.source, { defer: (at) => options.lazy === true && at === ramField }));
    const ram = decoded.objects.get(RAM_PATH)?.fields[RAM_FIELD];
    if (ram instanceof Uint8Array) offerRam(ram, deferred.get(ram) ?? null);
    const { state } = timed(t.prepare, () => prepareMachineRestore(dest, decoded, registry));
    timed(t.load, () => dest.restoreState(state));
    const l1 = performance.now();
    if (run > 0) {
      save.push(s1 - s0);
      load.push(l1 - l0);
    }
    dest.board.mem.materializeAll();
    opened.close();
    const got = hash64(dest.board.mem.u8);
    if (got !== sourceHash) throw new Error(`${name}: RAM hash after load ${got} != ${sourceHash}`);
    options.check?.(dest);
    onRun();
  }
  const phases = {} as Record<Phase, number>;
  for (const p of [...SAVE_PHASES, ...LOAD_PHASES]) phases[p] = median(times[p]);
  return { phases, saveMs: median(save), loadMs: median(load), fileBytes, ramStoredBytes, file, retired: source.retired };
}

/** The snapshot without RAM. */
export function withoutRam(s: Snapshot): Snapshot {
  const objects = new Map(s.objects);
  objects.delete('/machine/ram');
  const schemas = new Map(s.schemas);
  for (const key of [...schemas.keys()]) if (key.startsWith('ram@')) schemas.delete(key);
  return { ...s, objects, schemas };
}

export interface DeviceStateResult {
  saveUs: number;
  loadUs: number;
  /**
   * The same save and load with a full garbage collection before each, as a long-running machine
   * has between its saves (V8 frees the hidden classes no object uses: src/util/keep-shape.ts).
   */
  afterGcSaveUs: number;
  afterGcLoadUs: number;
  /** JSON.stringify and JSON.parse of the same device tree (the snapshot document without RAM). */
  stringifyUs: number;
  parseUs: number;
  bytes: number;
  documentBytes: number;
}

/** Rounds of the save and load after a full collection (each collection takes milliseconds). */
const AFTER_GC_RUNS = 200;

/** V8's gc(), for this measurement only: a flag set at run time applies to contexts made after it. */
function fullCollection(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Device state only, in memory: save = visit + encode, load = decode + prepare + load + post-load. */
export function deviceState(source: Machine, runs: number): DeviceStateResult {
  const registry = defaultFilterRegistry();
  const destConfig: MachineConfig = { ...source.config, kernel: null };
  // The destination is described, and a fresh machine's objects loaded, once per repetition;
  // loading overwrites every field, so one machine serves all repetitions.
  const fresh = new Machine(destConfig, QUIET);
  const dest = new Machine(destConfig, QUIET);
  /** One save and load; microseconds of each. */
  const round = (): { saveUs: number; loadUs: number; snap: Snapshot; bytes: number } => {
    const t0 = performance.now();
    const snap = withoutRam(saveSnapshot(source));
    const encoded = encodeSnapshot(snap);
    const t1 = performance.now();
    const all = new Uint8Array(encoded.totalLength);
    let at = 0;
    for (const c of encoded.chunks) (all.set(c, at), (at += c.length));
    const t2 = performance.now();
    const decoded = decodeSnapshot(all);
    const destination = restoreDestination(dest);
    const objects = new Map(destination.objects);
    objects.delete('/machine/ram');
    const prepared = prepareRestore(decoded, { ...destination, objects }, registry);
    const tree = fresh.board.objects;
    for (const [path, saved] of prepared.objects) loadState(tree.get(path)!, saved.fields, path);
    runPostLoad(tree);
    const t3 = performance.now();
    return { saveUs: (t1 - t0) * 1000, loadUs: (t3 - t2) * 1000, snap, bytes: encoded.totalLength };
  };
  const save: number[] = [];
  const load: number[] = [];
  const stringify: number[] = [];
  const parse: number[] = [];
  let bytes = 0;
  let documentBytes = 0;
  // Microsecond figures: many repetitions, after a warm-up of as many.
  for (let run = -runs; run < runs; run++) {
    const r = round();
    // The reference: the same tree as plain JSON, large byte strings as hex like the small ones.
    const doc = buildDocument(r.snap, (b) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex'));
    const j0 = performance.now();
    const text = JSON.stringify(doc);
    const j1 = performance.now();
    JSON.parse(text);
    const j2 = performance.now();
    if (run >= 0) {
      save.push(r.saveUs);
      load.push(r.loadUs);
      stringify.push((j1 - j0) * 1000);
      parse.push((j2 - j1) * 1000);
    }
    bytes = r.bytes;
    documentBytes = text.length;
  }
  const gc = fullCollection();
  const afterGcSave: number[] = [];
  const afterGcLoad: number[] = [];
  for (let run = 0; run < AFTER_GC_RUNS; run++) {
    gc();
    const r = round();
    afterGcSave.push(r.saveUs);
    afterGcLoad.push(r.loadUs);
  }
  return {
    saveUs: median(save),
    loadUs: median(load),
    afterGcSaveUs: median(afterGcSave),
    afterGcLoadUs: median(afterGcLoad),
    stringifyUs: median(stringify),
    parseUs: median(parse),
    bytes,
    documentBytes,
  };
}
