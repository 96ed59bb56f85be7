/**
 * The configuration a snapshot records (`config` in the document, QEMU's option names), read as
 * hostile input: configValueProblems checks the kind and range of every value this build knows, as
 * the command line would have checked them, so that a restore and `godwit snapshot verify` refuse a
 * snapshot claiming `kernel-irqchip: "bogus"` or 9 CPUs. Keys this build does not know are left
 * alone (a newer build may record more).
 */
import { MAX_RAM_BYTES } from '../src/memory/physical-memory.ts';
import { describeValue } from '../src/visit/field-checks.ts';
import type { JsonObject, JsonValue } from '../migration/snapshot.ts';
import { MAX_ICOUNT_SHIFT, MAX_SMP } from './config.ts';
import { devicesFromStrings } from './device-table.ts';
import { driveListProblem } from './disk-identity.ts';

/** `json.a.b` if every step is a plain object with that own key; undefined otherwise. */
export function jsonAt(json: JsonValue | undefined, ...keys: string[]): JsonValue | undefined {
  let at: JsonValue | undefined = json;
  for (const key of keys) {
    if (typeof at !== 'object' || at === null || Array.isArray(at) || !Object.hasOwn(at, key)) return undefined;
    at = at[key];
  }
  return at;
}

/** The CPU feature names a configuration records. */
export const CPU_FEATURE_NAMES = ['tsc', 'pse', 'pge', 'msr', 'cx8', 'cmov', 'apic'] as const;

const PAGE = 4096;

/** One check: the value at a path and what it must be; a message when it is not. */
type Rule = (value: JsonValue) => string | null;

function isObject(v: JsonValue): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const bool: Rule = (v) => (typeof v === 'boolean' ? null : `${describeValue(v)} is not true or false`);
const text: Rule = (v) => (typeof v === 'string' ? null : `${describeValue(v)} is not a string`);
const object: Rule = (v) => (isObject(v) ? null : `${describeValue(v)} is not an object`);

function integer(min: number, max: number, multipleOf = 1): Rule {
  return (v) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max || v % multipleOf !== 0) {
      const step = multipleOf === 1 ? '' : `, a multiple of ${multipleOf}`;
      return `${describeValue(v)} is not an integer from ${min} to ${max}${step}`;
    }
    return null;
  };
}

function oneOf(...values: string[]): Rule {
  return (v) => (typeof v === 'string' && values.includes(v) ? null : `${describeValue(v)} is not ${values.join(', ').replace(/, ([^,]*)$/, ' or $1')}`);
}

/** A file the configuration records: `{name, bytes, hash64}`. */
const fileRecord: Rule = (v) => {
  if (!isObject(v)) return `${describeValue(v)} is not a file record {name, bytes, hash64}`;
  const name = jsonAt(v, 'name');
  const bytes = jsonAt(v, 'bytes');
  const hash = jsonAt(v, 'hash64');
  if (typeof name !== 'string') return `name ${describeValue(name ?? null)} is not a string`;
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) return `bytes ${describeValue(bytes ?? null)} is not a size`;
  if (typeof hash !== 'string' || !/^[0-9a-f]{16}$/.test(hash)) return `hash64 ${describeValue(hash ?? null)} is not 16 hex digits`;
  return null;
};

/** `-device` lines as the command line spells them, each a device this build has. */
const deviceList: Rule = (v) => {
  if (!Array.isArray(v) || v.some((d) => typeof d !== 'string')) return `${describeValue(v)} is not a list of -device strings`;
  try {
    devicesFromStrings(v as string[], 'device');
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
};

const RULES: [string[], Rule][] = [
  [['m'], integer(1 << 20, MAX_RAM_BYTES, PAGE)],
  [['smp'], integer(1, MAX_SMP)],
  [['machine'], object],
  [['machine', 'type'], oneOf('pc')],
  [['machine', 'kernel-irqchip'], oneOf('on', 'split', 'off')],
  [['cpu'], object],
  [['cpu', 'vendor'], (v) => (typeof v === 'string' && /^[\x20-\x7e]{12}$/.test(v) ? null : `${describeValue(v)} is not 12 printable ASCII characters`)],
  [['cpu', 'features'], object],
  ...CPU_FEATURE_NAMES.map((f): [string[], Rule] => [['cpu', 'features', f], bool]),
  [['cpu', 'leaf15'], bool],
  [['icount'], object],
  [['icount', 'shift'], integer(0, MAX_ICOUNT_SHIFT)],
  [['rtc'], object],
  [['rtc', 'base'], integer(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)],
  [['devices'], deviceList],
  [['drives'], driveListProblem],
  [['no-reboot'], bool],
  [['kernel'], (v) => (v === null ? null : fileRecord(v))],
  [['initrd'], (v) => (Array.isArray(v) ? (v.map(fileRecord).find((p) => p !== null) ?? null) : `${describeValue(v)} is not a list`)],
  [['append'], text],
];

/**
 * Every recorded value of the wrong kind or out of range, one line each starting with its path
 * (`config.machine.kernel-irqchip: string "bogus" is not on, split or off`); `bad` holds those paths.
 */
export function configValueProblems(config: JsonObject): { problems: string[]; bad: Set<string> } {
  const problems: string[] = [];
  const bad = new Set<string>();
  for (const [keys, rule] of RULES) {
    const value = jsonAt(config, ...keys);
    if (value === undefined) continue;
    const problem = rule(value);
    if (problem === null) continue;
    const where = keys.join('.');
    problems.push(`config.${where}: ${problem}`);
    bad.add(where);
  }
  return { problems, bad };
}
