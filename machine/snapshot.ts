/**
 * Machine <-> Snapshot (platform-neutral; machine/snapshot-file.ts does the files). Saving takes the
 * machine's state at the current instruction boundary with its configuration recorded as plain JSON;
 * restoring runs the pipeline of docs/architecture.md section 8 after the container has been verified and
 * decoded: migration/restore.ts's prepareRestore (configuration, plan, filters, schemas, run state,
 * boot images) against this machine described as data (restoreDestination), then the load into fresh
 * objects and the swap (Machine.restoreState, transactional), post-load.
 *
 *   const snap = saveSnapshot(machine);                    // then encodeSnapshot(snap) and write
 *   const { chain } = restoreSnapshot(other, decodeSnapshot(bytes));
 *
 * A snapshot that cannot become this machine's state (a different RAM size, CPU model, icount shift,
 * a device that is missing, a type no filter knows) is a SnapshotMismatchError listing every problem.
 */
import { hash64 } from '../src/util/hash.ts';
import { StateError } from '../src/util/errors.ts';
import type { SchemaNode } from '../src/visit/schema.ts';
import { schemasEqual } from '../src/visit/schema.ts';
import type { DescribedObject } from '../src/qom/object-tree.ts';
import { describeValue } from '../src/visit/field-checks.ts';
import type { JsonObject, JsonValue, Snapshot, SnapshotClock, SnapshotObject } from '../migration/snapshot.ts';
import { schemaKey } from '../migration/snapshot.ts';
import type { MigrationPlan } from '../migration/planner.ts';
import { FilterRegistry } from '../migration/registry.ts';
import { builtinFilters } from '../migration/filters/builtin.ts';
import type { RestoreDestination } from '../migration/restore.ts';
import { prepareRestore } from '../migration/restore.ts';
import type { MachineConfig } from './machine-config.ts';
import { formatDeviceSpec } from './device-spec.ts';
import { driveIdentityProblems, driveRecord } from './disk-identity.ts';
import type { MachineState, RunState } from './machine-state.ts';
import { checkRunState } from './machine-state.ts';
import { CPU_FEATURE_NAMES, configValueProblems, jsonAt } from './snapshot-config.ts';
import { FW_CFG_PATH, bootImagesOfNode, checkBootImages } from './boot-images.ts';
import type { FwCfgBootImages } from '../devices/fw-cfg/fw-cfg.ts';

/** What saving and restoring need of a machine (machine/machine.ts's Machine has it). */
export interface SnapshotMachine {
  readonly config: MachineConfig;
  /** Instructions retired since power-on, all CPUs together. */
  readonly retired: number;
  captureState(): MachineState;
  /** Every object's type, version and schema, by path (the describe visitor: no state is saved). */
  describeObjects(): ReadonlyMap<string, DescribedObject>;
  restoreState(state: MachineState): void;
  /** RAM pages written since the restore or the last call (one byte per page): for diff snapshots. */
  takeDirtyPages?(): Uint8Array;
}

/** The registry of every built-in filter (a new one per call: registries hold no global state). */
export function defaultFilterRegistry(): FilterRegistry {
  return new FilterRegistry().registerAll(builtinFilters());
}

/** hash64 of each configuration file seen (the files of a configuration never change). */
const fileHashes = new WeakMap<Uint8Array, string>();

function fileHash(data: Uint8Array): string {
  let hash = fileHashes.get(data);
  if (hash === undefined) {
    hash = hash64(data);
    fileHashes.set(data, hash);
  }
  return hash;
}

/**
 * The configuration a snapshot records, as plain JSON with QEMU's option names: what the machine was
 * built from (the kernel and initrds by name, size and hash64, since they are already in RAM).
 */
export function configToJson(c: MachineConfig): JsonObject {
  const features: JsonObject = {};
  for (const f of CPU_FEATURE_NAMES) features[f] = c.cpu.features[f];
  const file = (f: { name: string; data: Uint8Array }): JsonObject => ({ name: f.name, bytes: f.data.length, hash64: fileHash(f.data) });
  return {
    m: c.ramBytes,
    smp: c.smp,
    machine: { type: 'pc', 'kernel-irqchip': c.kernelIrqchip },
    cpu: { vendor: c.cpu.vendor, features, leaf15: c.cpu.leaf15 },
    icount: { shift: c.icountShift },
    rtc: { base: c.rtcBaseSeconds },
    devices: c.devices.map(formatDeviceSpec),
    drives: c.drives.map(driveRecord),
    'no-reboot': c.noReboot,
    kernel: c.kernel === null ? null : file(c.kernel),
    initrd: c.initrds.map(file),
    append: c.append,
  };
}

export { jsonAt } from './snapshot-config.ts';

function sizeText(bytes: number): string {
  if (bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  return `${bytes} bytes`;
}

/**
 * What is wrong with the recorded configuration (a value of the wrong kind or out of range:
 * configValueProblems), then what in it differs from `dest` in a way the guest would notice and no
 * filter can bridge: RAM size, CPU count, CPU model, icount shift. Differences of kernel-irqchip are
 * for the filters; devices present or not show up as objects in the plan. A key the snapshot lacks
 * is not checked (its objects still are).
 */
export function configProblems(source: JsonObject, dest: MachineConfig): string[] {
  const { problems: out, bad } = configValueProblems(source);
  const check = (keys: string[], option: string, what: string, expected: string | number | boolean, show = (v: JsonValue) => JSON.stringify(v)) => {
    const value = jsonAt(source, ...keys);
    // A value of the wrong kind is in `bad` already (configValueProblems has a rule for each key here).
    if (value === undefined || bad.has(keys.join('.'))) return;
    if (value !== expected) out.push(`${option}: ${what} is ${show(value)} in the snapshot, ${show(expected)} on this machine`);
  };
  check(['m'], '-m', 'the RAM size', dest.ramBytes, (v) => (typeof v === 'number' ? sizeText(v) : JSON.stringify(v)));
  check(['smp'], '-smp', 'the number of CPUs', dest.smp, String);
  check(['icount', 'shift'], '-icount', 'the shift', dest.icountShift, String);
  check(['cpu', 'vendor'], '-cpu', 'the vendor', dest.cpu.vendor);
  for (const f of CPU_FEATURE_NAMES) {
    check(['cpu', 'features', f], '-cpu', `feature ${f}`, dest.cpu.features[f], (v) => (v === true ? 'on' : v === false ? 'off' : JSON.stringify(v)));
  }
  check(['cpu', 'leaf15'], '-cpu', 'leaf15', dest.cpu.leaf15, (v) => (v === true ? 'on' : v === false ? 'off' : JSON.stringify(v)));
  const drives = jsonAt(source, 'drives');
  if (Array.isArray(drives) && !bad.has('drives')) out.push(...driveIdentityProblems(drives as JsonObject[], dest.drives));
  return out;
}

/** configProblems' answers per destination configuration, by the recorded configuration's text. */
const configAnswers = new WeakMap<MachineConfig, Map<string, readonly string[]>>();
/** Most recorded configurations remembered per destination. */
const MAX_CONFIG_ANSWERS = 16;

/**
 * Whether `value` is plain JSON whose text stands for it alone: no non-finite number or -0 (which
 * JSON.stringify writes as something else), no object with a prototype other than Object's.
 */
function isPlainJson(value: unknown, depth = 0): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      if (depth > 64) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!isPlainJson(value[i], depth + 1)) return false;
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== null && proto !== Object.prototype) return false;
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) if (!isPlainJson(record[key], depth + 1)) return false;
      return true;
    }
    default:
      return false;
  }
}

/**
 * configProblems, remembered: it depends on nothing but the recorded configuration (plain JSON,
 * compared as text) and the destination's configuration (never changed once built).
 */
function configProblemsOnce(source: JsonObject, dest: MachineConfig): string[] {
  const last = lastConfigs.get(dest);
  if (last !== undefined && sameJson(source, last.json, 0)) return last.answer.slice();
  if (!isPlainJson(source)) return configProblems(source, dest);
  const text = JSON.stringify(source);
  let answers = configAnswers.get(dest);
  if (answers === undefined) configAnswers.set(dest, (answers = new Map()));
  let known = answers.get(text);
  if (known === undefined) {
    known = configProblems(source, dest);
    if (answers.size >= MAX_CONFIG_ANSWERS) answers.clear();
    answers.set(text, known);
  }
  lastConfigs.set(dest, { json: JSON.parse(text) as JsonValue, answer: known });
  return known.slice();
}

/**
 * The recorded configuration configProblemsOnce last answered per destination (a copy of its own),
 * with the answer: a restore of the same snapshot again compares the values and skips the text.
 */
const lastConfigs = new WeakMap<MachineConfig, { json: JsonValue; answer: readonly string[] }>();

/**
 * Whether `value` is `json` (plain JSON parsed from a text, so never -0, NaN or a hole): the same
 * primitives (Object.is), arrays of the same length, plain objects with the same keys in the same
 * order. Then `value` passes isPlainJson and its text is `json`'s.
 */
function sameJson(value: unknown, json: JsonValue, depth: number): boolean {
  if (typeof json !== 'object' || json === null) return Object.is(value, json);
  if (typeof value !== 'object' || value === null || depth > 64) return false;
  if (Array.isArray(json)) {
    if (!Array.isArray(value) || value.length !== json.length) return false;
    for (let i = 0; i < json.length; i++) if (!sameJson(value[i], json[i]!, depth + 1)) return false;
    return true;
  }
  if (Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== null && proto !== Object.prototype) return false;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  const expected = Object.keys(json);
  if (keys.length !== expected.length) return false;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key !== expected[i] || !sameJson(record[key], json[key]!, depth + 1)) return false;
  }
  return true;
}

/** The snapshot's clock.run keys that carry the scheduler's turn. */
const RUN_SCHEDULER_CPU = 'schedulerCpu';
const RUN_SCHEDULER_LEFT = 'schedulerLeft';

/** The keys of a recorded configuration that say what was booted (the kernel, initrds, command line). */
const BOOT_KEYS = ['kernel', 'initrd', 'append'] as const;

/**
 * What a snapshot's configuration says was booted, to carry into the snapshots of a machine restored
 * from it (which was built without a kernel: the guest's memory came from the snapshot).
 */
export function bootRecordOf(config: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const key of BOOT_KEYS) if (Object.hasOwn(config, key)) out[key] = config[key]!;
  return out;
}

/**
 * A snapshot of the machine at the current instruction boundary. Byte strings (RAM) refer to live
 * guest memory: encode it before the machine runs again. `run` adds host-side run state to
 * clock.run (the CLI's serial digest); `boot` replaces the record of what was booted (bootRecordOf
 * the snapshot this machine was restored from).
 */
export function saveSnapshot(machine: SnapshotMachine, run: JsonObject = {}, boot: JsonObject | null = null): Snapshot {
  const state = machine.captureState();
  const objects = new Map<string, SnapshotObject>();
  for (const [path, saved] of state.objects) objects.set(path, { type: saved.type, version: saved.version, fields: saved.fields });
  const schemas = new Map<string, SchemaNode>();
  const firstPath = new Map<string, string>();
  for (const [path, described] of state.schemas) {
    const key = schemaKey(described.type, described.version);
    const known = schemas.get(key);
    if (known === undefined) {
      schemas.set(key, described.schema);
      firstPath.set(key, path);
    } else if (!schemasEqual(known, described.schema)) {
      throw new StateError(path, `schema differs from that of ${firstPath.get(key)} although both are ${key}`);
    }
  }
  return {
    config: boot === null ? configToJson(machine.config) : { ...configToJson(machine.config), ...boot },
    clock: {
      virtualTimeNs: state.run.virtualTimeNs,
      retiredInstructions: BigInt(machine.retired),
      run: { ...run, [RUN_SCHEDULER_CPU]: state.run.schedulerCpu, [RUN_SCHEDULER_LEFT]: state.run.schedulerLeft },
    },
    objects,
    schemas,
  };
}

/**
 * The destination of a restore into `machine`, as migration/restore.ts takes it: every object's
 * (path, type, version, schema) from the describe visitor (no state is saved to learn it), the
 * configuration checks (configProblems), and the checks of the filtered state that need this
 * machine: the run state (scheduler turn, virtual time) and the boot images a guest reset boots.
 */
export function restoreDestination(machine: Pick<SnapshotMachine, 'config' | 'describeObjects'>): RestoreDestination {
  const config = machine.config;
  return {
    objects: machine.describeObjects(),
    configProblems: (recorded) => configProblemsOnce(recorded, config),
    check: (prepared) => {
      checkRunState(runStateOf(prepared.clock), config.smp);
      const fwCfg = prepared.objects.get(FW_CFG_PATH);
      if (fwCfg !== undefined) checkBootImagesOnce(bootImagesOfNode(fwCfg.fields), config.ramBytes);
    },
  };
}

/** Boot images up to this many bytes in all are remembered once found bootable. */
const REMEMBERED_IMAGE_BYTES = 1 << 20;
/** Copies of the boot images last found bootable, with the RAM size they were checked against. */
let lastBootable: { images: FwCfgBootImages; ramBytes: number } | null = null;
const IMAGE_KEYS = ['kernel', 'kernelName', 'cmdline', 'initrd', 'initrdFiles'] as const;

/**
 * checkBootImages, skipped when the images are byte for byte those last found bootable in as much RAM
 * (restoring the same guest again: comparing costs less than a dry run of the boot).
 */
function checkBootImagesOnce(images: FwCfgBootImages, ramBytes: number): void {
  const last = lastBootable;
  if (last !== null && last.ramBytes === ramBytes && IMAGE_KEYS.every((k) => bytesEqual(last.images[k], images[k]))) return;
  checkBootImages(images, ramBytes);
  let total = 0;
  for (const k of IMAGE_KEYS) total += images[k].length;
  if (total > REMEMBERED_IMAGE_BYTES) return;
  const copy = (k: (typeof IMAGE_KEYS)[number]) => images[k].slice();
  lastBootable = {
    images: { kernel: copy('kernel'), kernelName: copy('kernelName'), cmdline: copy('cmdline'), initrd: copy('initrd'), initrdFiles: copy('initrdFiles') },
    ramBytes,
  };
}

/**
 * Byte strings shorter than this are compared byte by byte. Taking `.buffer` of a small typed array
 * makes V8 move its bytes out of the JavaScript heap into a new ArrayBuffer, an external allocation
 * that can start a garbage collection (right after a large decode, a collection inside a restore's
 * check for an 11-byte kernel name).
 */
const WORD_COMPARE_BYTES = 256;

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let i = 0;
  if (a.length >= WORD_COMPARE_BYTES && (a.byteOffset & 7) === 0 && (b.byteOffset & 7) === 0) {
    // Eight bytes a compare, four compares a step: a kernel image of 80 KB in about half the time
    // of the 32-bit loop (typed-array reads compare as bigints without allocating in optimized code).
    const words = a.length >>> 3;
    const wa = new BigInt64Array(a.buffer, a.byteOffset, words);
    const wb = new BigInt64Array(b.buffer, b.byteOffset, words);
    let w = 0;
    for (; w + 4 <= words; w += 4) {
      if (wa[w] !== wb[w] || wa[w + 1] !== wb[w + 1] || wa[w + 2] !== wb[w + 2] || wa[w + 3] !== wb[w + 3]) return false;
    }
    for (; w < words; w++) if (wa[w] !== wb[w]) return false;
    i = words << 3;
  } else if (a.length >= WORD_COMPARE_BYTES && (a.byteOffset & 3) === 0 && (b.byteOffset & 3) === 0) {
    const words = a.length >>> 2;
    const wa = new Int32Array(a.buffer, a.byteOffset, words);
    const wb = new Int32Array(b.buffer, b.byteOffset, words);
    for (let w = 0; w < words; w++) if (wa[w] !== wb[w]) return false;
    i = words << 2;
  }
  for (; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function runNumber(run: JsonObject, key: string): number {
  const value = Object.hasOwn(run, key) ? run[key] : undefined;
  if (typeof value !== 'number') throw new StateError(`clock.run.${key}`, `expected a number, got ${describeValue(value)}`);
  return value;
}

/** The machine-level run state a snapshot's clock carries (checked against the machine by restoreState). */
export function runStateOf(clock: SnapshotClock): RunState {
  return {
    virtualTimeNs: clock.virtualTimeNs,
    schedulerCpu: runNumber(clock.run, RUN_SCHEDULER_CPU),
    schedulerLeft: runNumber(clock.run, RUN_SCHEDULER_LEFT),
  };
}

/**
 * Everything of a restore but the load: migration/restore.ts's prepareRestore against this machine
 * (configuration, plan, filters, schemas, run state, boot images), as the MachineState that
 * Machine.restoreState loads. `godwit snapshot verify` runs exactly this against the machine the
 * snapshot's configuration describes. Throws SnapshotMismatchError, FilterError or StateError.
 */
export function prepareMachineRestore(
  machine: Pick<SnapshotMachine, 'config' | 'describeObjects'>,
  snapshot: Snapshot,
  registry: FilterRegistry = defaultFilterRegistry(),
): { plan: MigrationPlan; state: MachineState } {
  const prepared = prepareRestore(snapshot, restoreDestination(machine), registry);
  const state: MachineState = { objects: prepared.objects, schemas: prepared.schemas, run: runStateOf(prepared.clock) };
  return { plan: prepared.plan, state };
}

export interface RestoreResult {
  plan: MigrationPlan;
  /** The filter names in the order they ran (empty when the snapshot fitted as it was). */
  chain: readonly string[];
}

/**
 * Restores a decoded snapshot into `machine`: prepareMachineRestore, then load into fresh objects and
 * swap in, post-load (Machine.restoreState). On any error (SnapshotMismatchError, FilterError,
 * StateError) the machine is unchanged.
 */
export function restoreSnapshot(machine: SnapshotMachine, snapshot: Snapshot, registry: FilterRegistry = defaultFilterRegistry()): RestoreResult {
  const { plan, state } = prepareMachineRestore(machine, snapshot, registry);
  machine.restoreState(state);
  return { plan, chain: plan.chain };
}

/** The chain for people: `kvm-apic->apic at /machine/cpu[0]/lapic, ...`, or `none`. */
export function formatChain(plan: MigrationPlan): string {
  if (plan.steps.length === 0) return 'none (the snapshot fits as it is)';
  return plan.steps.map((s) => `${s.filter} at ${s.path}`).join(', ');
}
