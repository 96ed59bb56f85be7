/**
 * Checked access to a filter's input fields. Snapshot content is hostile even after decoding (its
 * schemas come from the same file), so a filter reads every field through a FieldReader, which
 * checks kind and range and throws a FilterError naming `<path>.<field>`; `done()` then refuses any
 * field the filter did not read, so that nothing is dropped silently.
 */
import { cloneTree, newNode, isStateNode, type StateNode, type StateValue } from '../../src/visit/state-tree.ts';
import { describeValue } from '../../src/visit/field-checks.ts';
import { fieldError, type FilterError } from './filter-error.ts';
import { keepShape } from '../../src/util/keep-shape.ts';

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** Ranges of the number kinds. */
const NUMBER_RANGE = {
  u8: [0, 0xff],
  u16: [0, 0xffff],
  u32: [0, 0xffffffff],
  i32: [-0x80000000, 0x7fffffff],
} as const;
type NumberKind = keyof typeof NUMBER_RANGE;

export class FieldReader {
  /** Object path plus the field path inside it, for messages: `/machine/pit.channels[0]`. */
  readonly at: string;
  private readonly node: StateNode;
  private readonly objectPath: string;
  private readonly prefix: string;
  private readonly read = new Set<string>();

  /** `path` is the object's path; `prefix` the path of this group inside the object ('' at the top). */
  constructor(node: StateValue | undefined, path: string, prefix = '') {
    this.objectPath = path;
    this.prefix = prefix;
    this.at = prefix === '' ? path : `${path}.${prefix}`;
    if (!isStateNode(node)) throw fieldError(path, prefix, `expected a group of fields, got ${describeValue(node)}`);
    this.node = node;
  }

  private field(name: string): string {
    return this.prefix === '' ? name : `${this.prefix}.${name}`;
  }

  /** Whether the field exists (optional groups). */
  has(name: string): boolean {
    return Object.hasOwn(this.node, name);
  }

  private take(name: string): StateValue {
    if (!Object.hasOwn(this.node, name)) throw this.error(name, 'missing');
    this.read.add(name);
    return this.node[name]!;
  }

  /** A FilterError about field `name` of this group. */
  error(name: string, message: string): FilterError {
    return fieldError(this.objectPath, this.field(name), message);
  }

  private number(kind: NumberKind, name: string, value: StateValue): number {
    const [lo, hi] = NUMBER_RANGE[kind];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < lo || value > hi) {
      throw this.error(name, `expected ${kind}, got ${describeValue(value)}`);
    }
    return value;
  }

  u8(name: string): number {
    return this.number('u8', name, this.take(name));
  }
  u16(name: string): number {
    return this.number('u16', name, this.take(name));
  }
  u32(name: string): number {
    return this.number('u32', name, this.take(name));
  }
  i32(name: string): number {
    return this.number('i32', name, this.take(name));
  }
  bool(name: string): boolean {
    const v = this.take(name);
    if (typeof v !== 'boolean') throw this.error(name, `expected a flag, got ${describeValue(v)}`);
    return v;
  }
  u64(name: string): bigint {
    const v = this.take(name);
    if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) throw this.error(name, `expected u64, got ${describeValue(v)}`);
    return v;
  }
  i64(name: string): bigint {
    const v = this.take(name);
    if (typeof v !== 'bigint' || v < I64_MIN || v > I64_MAX) throw this.error(name, `expected i64, got ${describeValue(v)}`);
    return v;
  }

  private array(name: string, length: number): StateValue[] {
    const v = this.take(name);
    if (!Array.isArray(v) || v.length !== length) {
      throw this.error(name, `expected an array of ${length}, got ${describeValue(v)}`);
    }
    return v;
  }

  private numberArray(kind: NumberKind, name: string, length: number): number[] {
    const values = this.array(name, length);
    const bad = firstBadNumber(kind, values);
    // The element's name is built only for the message.
    if (bad >= 0) this.number(kind, `${name}[${bad}]`, values[bad]!);
    return (values as number[]).slice();
  }

  u8Array(name: string, length: number): number[] {
    return this.numberArray('u8', name, length);
  }
  u16Array(name: string, length: number): number[] {
    return this.numberArray('u16', name, length);
  }
  u32Array(name: string, length: number): number[] {
    return this.numberArray('u32', name, length);
  }
  u64Array(name: string, length: number): bigint[] {
    const values = this.array(name, length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) throw this.error(`${name}[${i}]`, `expected u64, got ${describeValue(v)}`);
    }
    return (values as bigint[]).slice();
  }

  /** The length of array field `name` (not yet read: read it with a typed accessor after). */
  arrayLength(name: string, max: number): number {
    const v = Object.hasOwn(this.node, name) ? this.node[name] : undefined;
    if (!Array.isArray(v) || v.length > max) throw this.error(name, `expected an array of at most ${max}, got ${describeValue(v)}`);
    return v.length;
  }

  /**
   * A group carried over whole (a copy sharing nothing with the input), for state a filter moves
   * without changing it; the destination's schema check still sees every field of it.
   */
  group(name: string): StateNode {
    const v = this.take(name);
    if (!isStateNode(v)) throw this.error(name, `expected a group of fields, got ${describeValue(v)}`);
    return cloneTree(v);
  }

  /** An optional group: its reader, or null when absent. */
  optional(name: string): FieldReader | null {
    if (!this.has(name)) return null;
    return new FieldReader(this.take(name), this.objectPath, this.field(name));
  }

  /** A required nested group. */
  struct(name: string): FieldReader {
    return new FieldReader(this.take(name), this.objectPath, this.field(name));
  }

  /** A fixed-length array of groups. */
  structArray(name: string, length: number): FieldReader[] {
    const values = this.array(name, length);
    return values.map((v, i) => new FieldReader(v, this.objectPath, this.field(`${name}[${i}]`)));
  }

  /** Refuses any field that was not read: a filter never drops state it does not understand. */
  done(): void {
    for (const key of Object.keys(this.node)) {
      if (!this.read.has(key)) throw this.error(key, 'field not understood by this filter');
    }
  }
}

// A field reader lives for one filter step: keep the class's hidden class (src/util/keep-shape.ts).
keepShape(new FieldReader(newNode(), ''));

/**
 * Index of the first element that is not an integer of `kind`'s range, or -1: one loop per kind on
 * int32 arithmetic (the same verdict as the range test of number(): an integer in range is exactly
 * a number that survives the kind's masking). A filter runs once per restore, right after a decode
 * has evicted it from every cache: the fewer operations per element the better.
 */
function firstBadNumber(kind: NumberKind, values: readonly StateValue[]): number {
  const n = values.length;
  switch (kind) {
    case 'u8':
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'number' || (v & 0xff) !== v) return i;
      }
      return -1;
    case 'u16':
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'number' || (v & 0xffff) !== v) return i;
      }
      return -1;
    case 'u32':
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'number' || v >>> 0 !== v) return i;
      }
      return -1;
    case 'i32':
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'number' || (v | 0) !== v) return i;
      }
      return -1;
  }
}

/** A fresh node (null prototype) holding `fields` in their order. */
export function makeNode(fields: Record<string, StateValue>): StateNode {
  const out = newNode();
  for (const key of Object.keys(fields)) out[key] = fields[key]!;
  return out;
}

/**
 * `0x1f` style rendering for messages. A number is shown as the u32 it stands for: bit operations
 * give negative int32s (`flags & ~KNOWN` with bit 31 set), which must not print as `0x-10`.
 */
export function hex(value: number | bigint): string {
  if (typeof value === 'number' && value < 0 && value >= -0x80000000 && Number.isInteger(value)) return `0x${(value >>> 0).toString(16)}`;
  return `0x${value.toString(16)}`;
}
