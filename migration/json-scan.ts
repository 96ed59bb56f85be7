/**
 * A pass over an untrusted JSON document's bytes, before it is decoded or parsed, that enforces the
 * structural limits: nesting depth, number of arrays and objects, keys per object, elements per array
 * and string length; and refuses an object with the same key twice (JSON.parse would keep the last
 * one silently, so two readers could see two documents). It reports the byte offset of the first
 * problem. Besides arrays of maxDepth + 1 entries it keeps only the keys of the objects open at the
 * moment (bounded by the document, which the limits bound). Syntax is left to JSON.parse, which runs
 * only on documents that passed.
 */
import type { SnapshotLimits } from './limits.ts';
import { SnapshotError } from './snapshot-error.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;

/** 1 for the bytes the scan acts on (quotes, brackets, braces, colons, commas). */
const STRUCTURAL = new Uint8Array(256);
for (const c of [QUOTE, COMMA, OPEN_OBJECT, CLOSE_OBJECT, OPEN_ARRAY, CLOSE_ARRAY, COLON]) STRUCTURAL[c] = 1;

const decoder = new TextDecoder('utf-8');
/** Keys up to this many bytes (quotes included) are turned into strings byte by byte. */
const SHORT_KEY = 256;

/** The text of the string token doc[start..end] (quotes included) as JSON.parse reads it, or null. */
function keyText(doc: Uint8Array, start: number, end: number): string | null {
  const raw = doc.subarray(start, end + 1);
  let plain = true;
  for (let i = 0; i < raw.length; i++) if (raw[i] === BACKSLASH || raw[i]! >= 0x80) plain = false;
  if (plain) {
    // ASCII without escapes: each byte is a character. Short keys (the usual) without a decoder call.
    if (raw.length <= SHORT_KEY) return String.fromCharCode.apply(null, raw.subarray(1, raw.length - 1) as unknown as number[]);
    return decoder.decode(raw.subarray(1, raw.length - 1));
  }
  try {
    return JSON.parse(decoder.decode(raw)) as string;
  } catch {
    return null; // Not a valid string: JSON.parse of the whole document reports it.
  }
}

/** `base` is the document's offset in the file, so errors give file offsets. */
export function scanJsonLimits(doc: Uint8Array, limits: SnapshotLimits, base: number): void {
  scan(doc, limits, base, true);
}

/**
 * The limits of scanJsonLimits without the duplicate keys: the number of object keys in the
 * document, for a caller that checks duplicates after parsing (fewer keys parsed than counted: run
 * scanJsonLimits, which finds the first). Throws what scanJsonLimits would throw, or maybe a later
 * problem of the limits when a duplicate comes first: a caller reports scanJsonLimits' error.
 */
export function countJsonKeys(doc: Uint8Array, limits: SnapshotLimits, base: number): number {
  return countKeys(doc, limits, base, null);
}

/** Where the top-level object's `schemas` value lies in a document's bytes (start at `{`, end past `}`). */
export interface SchemasSpan {
  start: number;
  end: number;
  /** Arrays and objects counted (set by the scan). */
  containers?: number;
}

/**
 * countJsonKeys, also finding the byte span of the object that is the value of the top-level key
 * `schemas` (the last one, as JSON.parse keeps it): `span` gets -1, -1 when there is none. For a
 * document that JSON.parse accepts, the span is exactly the text that became that value.
 * `containersBefore`: arrays and objects counted elsewhere against the same limit (a known schemas
 * section left out of the scan); `span.containers` gets the total.
 */
export function countJsonKeysAndSchemas(doc: Uint8Array, limits: SnapshotLimits, base: number, span: SchemasSpan, containersBefore = 0): number {
  span.start = -1;
  span.end = -1;
  return countKeys(doc, limits, base, span, containersBefore);
}

/** The bytes of the key `"schemas"`, quotes included. */
const SCHEMAS_KEY = new TextEncoder().encode('"schemas"');

function isSchemasKey(doc: Uint8Array, start: number, end: number): boolean {
  if (end - start + 1 !== SCHEMAS_KEY.length) return false;
  for (let k = 1; k < SCHEMAS_KEY.length - 1; k++) if (doc[start + k] !== SCHEMAS_KEY[k]) return false;
  return true;
}

/** Keys of every object in parsed JSON (JSON.parse keeps one of duplicate keys). */
export function parsedKeyCount(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const e: unknown = value[i];
      if (typeof e === 'object' && e !== null) n += parsedKeyCount(e);
    }
    return n;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    n++;
    const e = record[key];
    if (typeof e === 'object' && e !== null) n += parsedKeyCount(e);
  }
  return n;
}

function scan(doc: Uint8Array, limits: SnapshotLimits, base: number, duplicates: boolean): number {
  let keyCount = 0;
  const isObject = new Uint8Array(limits.maxDepth + 1);
  const commas = new Float64Array(limits.maxDepth + 1);
  /** Per open object: whether the next string is a key, and the keys seen. */
  const expectKey = new Uint8Array(limits.maxDepth + 1);
  const keys: (Set<string> | null)[] = new Array<Set<string> | null>(limits.maxDepth + 1).fill(null);
  let depth = 0;
  let containers = 0;
  const fail = (at: number, message: string): never => {
    throw new SnapshotError('limit', `byte ${base + at} (document)`, message);
  };
  for (let i = 0; i < doc.length; i++) {
    const c = doc[i]!;
    // Digits, letters and spaces (most of a document) need nothing.
    if (STRUCTURAL[c] === 0) continue;
    if (c === QUOTE) {
      const start = i;
      i++;
      while (i < doc.length && doc[i] !== QUOTE) {
        if (doc[i] === BACKSLASH) i++;
        i++;
      }
      if (i - start - 1 > limits.maxStringBytes) fail(start, `string of ${i - start - 1} bytes, limit ${limits.maxStringBytes}`);
      if (depth > 0 && isObject[depth] === 1 && expectKey[depth] === 1) {
        expectKey[depth] = 0;
        keyCount++;
        if (!duplicates) continue;
        const key = i < doc.length ? keyText(doc, start, i) : null;
        if (key !== null) {
          const seen = (keys[depth] ??= new Set());
          if (seen.has(key)) {
            throw new SnapshotError('bad-json', `byte ${base + start} (document)`, `duplicate key ${JSON.stringify(key.slice(0, 100))} in an object`);
          }
          seen.add(key);
        }
      }
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (depth >= limits.maxDepth) fail(i, `nesting deeper than ${limits.maxDepth}`);
      if (++containers > limits.maxContainers) fail(i, `more than ${limits.maxContainers} arrays and objects`);
      depth++;
      isObject[depth] = c === OPEN_OBJECT ? 1 : 0;
      commas[depth] = 0;
      expectKey[depth] = c === OPEN_OBJECT ? 1 : 0;
      keys[depth] = null;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (depth > 0) {
        keys[depth] = null;
        depth--;
      }
    } else if (c === COLON && depth > 0) {
      expectKey[depth] = 0;
    } else if (c === COMMA && depth > 0) {
      if (isObject[depth] === 1) expectKey[depth] = 1;
      const count = ++commas[depth]! + 1;
      if (isObject[depth] === 1) {
        if (count > limits.maxFieldsPerNode) fail(i, `object with more than ${limits.maxFieldsPerNode} keys`);
      } else if (count > limits.maxArrayLength) {
        fail(i, `array with more than ${limits.maxArrayLength} elements`);
      }
    }
  }
  return keyCount;
}

function limitError(base: number, at: number, message: string): SnapshotError {
  return new SnapshotError('limit', `byte ${base + at} (document)`, message);
}

/**
 * scan without the duplicate keys, in one tight loop (the common path of every decode: it checks
 * the same limits at the same bytes), also finding the schemas section when `span` is given.
 */
function countKeys(doc: Uint8Array, limits: SnapshotLimits, base: number, span: SchemasSpan | null, containersBefore = 0): number {
  const n = doc.length;
  const maxDepth = limits.maxDepth;
  const isObject = new Uint8Array(maxDepth + 1);
  const commas = new Float64Array(maxDepth + 1);
  const expectKey = new Uint8Array(maxDepth + 1);
  let keyCount = 0;
  let depth = 0;
  let containers = containersBefore;
  /** The last top-level key was `schemas` and its value has not begun; the section is open. */
  let schemasNext = false;
  let inSchemas = false;
  for (let i = 0; i < n; i++) {
    const c = doc[i]!;
    if (STRUCTURAL[c] === 0) continue;
    if (c === QUOTE) {
      const start = i;
      i++;
      while (i < n) {
        const d = doc[i]!;
        if (d === QUOTE) break;
        if (d === BACKSLASH) i++;
        i++;
      }
      if (i - start - 1 > limits.maxStringBytes) throw limitError(base, start, `string of ${i - start - 1} bytes, limit ${limits.maxStringBytes}`);
      if (depth > 0 && isObject[depth] === 1 && expectKey[depth] === 1) {
        expectKey[depth] = 0;
        keyCount++;
        if (depth === 1 && span !== null) schemasNext = i < n && isSchemasKey(doc, start, i);
      }
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (depth >= maxDepth) throw limitError(base, i, `nesting deeper than ${maxDepth}`);
      if (++containers > limits.maxContainers) throw limitError(base, i, `more than ${limits.maxContainers} arrays and objects`);
      if (schemasNext && depth === 1 && c === OPEN_OBJECT) {
        span!.start = i;
        span!.end = -1;
        inSchemas = true;
      }
      schemasNext = false;
      depth++;
      isObject[depth] = c === OPEN_OBJECT ? 1 : 0;
      commas[depth] = 0;
      expectKey[depth] = c === OPEN_OBJECT ? 1 : 0;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (inSchemas && depth === 2) {
        span!.end = i + 1;
        inSchemas = false;
      }
      schemasNext = false;
      if (depth > 0) depth--;
    } else if (c === COLON && depth > 0) {
      expectKey[depth] = 0;
    } else if (c === COMMA && depth > 0) {
      if (depth === 1) schemasNext = false;
      const count = ++commas[depth]! + 1;
      if (isObject[depth] === 1) {
        expectKey[depth] = 1;
        if (count > limits.maxFieldsPerNode) throw limitError(base, i, `object with more than ${limits.maxFieldsPerNode} keys`);
      } else if (count > limits.maxArrayLength) {
        throw limitError(base, i, `array with more than ${limits.maxArrayLength} elements`);
      }
    }
  }
  if (span !== null) span.containers = containers;
  return keyCount;
}
