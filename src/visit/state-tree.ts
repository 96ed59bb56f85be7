/**
 * The state tree: plain data that a device's state becomes on save and comes from on load
 * (docs/architecture.md section 4).
 *
 * - 8/16/32-bit fields are numbers, 64-bit fields are bigints, flags are booleans.
 * - Fixed-length typed arrays are plain arrays (u8[]/u16[]/u32[]/i32[] -> number[], u64[] -> bigint[]);
 *   a `bytes` field stays a Uint8Array (it may travel as a blob).
 * - Structs and optional groups are nested nodes; struct arrays are arrays of nodes.
 *
 * Nodes are created with a null prototype and read with Object.hasOwn, so keys such as `__proto__`
 * or `constructor` are ordinary data.
 */

export type StateValue = number | bigint | boolean | Uint8Array | StateValue[] | StateNode;

export interface StateNode {
  [field: string]: StateValue;
}

/** A fresh empty node with no prototype. */
export function newNode(): StateNode {
  return Object.create(null) as StateNode;
}

/**
 * True for a plain data node: an object whose prototype is null or Object.prototype (so arrays,
 * typed arrays, Maps and class instances are not nodes).
 */
export function isStateNode(value: unknown): value is StateNode {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

/** Deep copy; Uint8Arrays are copied too, so the clone shares nothing with the original. */
export function cloneTree<T extends StateValue>(value: T): T {
  return cloneValue(value) as T;
}

function cloneValue(value: StateValue): StateValue {
  if (typeof value !== 'object') return value;
  if (value instanceof Uint8Array) return value.slice();
  if (Array.isArray(value)) return value.map(cloneValue);
  const out = newNode();
  for (const key of Object.keys(value)) out[key] = cloneValue(value[key]!);
  return out;
}

/** Deep, exact comparison: bigint is never equal to number, byte strings compare by content. */
export function treesEqual(a: StateValue, b: StateValue): boolean {
  return diff(a, b, '', [], 1);
}

/**
 * Paths at which two trees differ, e.g. `lapic.isr[3]`, `channels[1].mode`, `extra` (a key present on
 * one side only). A byte string is reported once, at its first differing byte (`ram[4096]`), or at its
 * own path when the lengths differ. `path` prefixes every result (the root itself is reported as
 * `path`).
 */
export function diffTrees(a: StateValue, b: StateValue, path = ''): string[] {
  const out: string[] = [];
  diff(a, b, path, out, Infinity);
  return out;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Appends differing paths to `out` until it holds `limit` entries; returns true when none differ. */
function diff(a: StateValue, b: StateValue, path: string, out: string[], limit: number): boolean {
  if (out.length >= limit) return false;
  if (typeof a !== 'object' || typeof b !== 'object') {
    if (a !== b) out.push(path);
    return out.length === 0;
  }
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) {
      out.push(path);
    } else {
      const at = firstByteDifference(a, b);
      if (at >= 0) out.push(`${path}[${at}]`);
    }
    return out.length === 0;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!(Array.isArray(a) && Array.isArray(b)) || a.length !== b.length) {
      out.push(path);
      return out.length === 0;
    }
    for (let i = 0; i < a.length && out.length < limit; i++) diff(a[i]!, b[i]!, `${path}[${i}]`, out, limit);
    return out.length === 0;
  }
  for (const key of Object.keys(a)) {
    if (out.length >= limit) break;
    if (!Object.hasOwn(b, key)) out.push(join(path, key));
    else diff(a[key]!, b[key]!, join(path, key), out, limit);
  }
  for (const key of Object.keys(b)) {
    if (out.length >= limit) break;
    if (!Object.hasOwn(a, key)) out.push(join(path, key));
  }
  return out.length === 0;
}

/** Index of the first differing byte of two equal-length byte strings, or -1 (word-wise when aligned). */
function firstByteDifference(a: Uint8Array, b: Uint8Array): number {
  let start = 0;
  if ((a.byteOffset & 3) === 0 && (b.byteOffset & 3) === 0) {
    const words = a.length >>> 2;
    const wa = new Int32Array(a.buffer, a.byteOffset, words);
    const wb = new Int32Array(b.buffer, b.byteOffset, words);
    let w = 0;
    while (w < words && wa[w] === wb[w]) w++;
    start = w << 2;
  }
  for (let i = start; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}
