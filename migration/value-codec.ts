/**
 * One object's fields between the state tree and the JSON document (docs/architecture.md sections 4 and 7).
 *
 * Encoding needs no schema: numbers and booleans stay as they are, bigints (u64/i64) become decimal
 * strings, byte strings shorter than BLOB_THRESHOLD become lowercase hex strings and longer ones go to
 * the caller's blob writer, which returns what stands in their place. Decoding is driven by the
 * schema carried in the snapshot, which says which strings are 64-bit integers and which are byte
 * strings; keys are data (`__proto__` is a field name like any other); the result is then checked
 * with validateAgainstSchema, exactly as strictly as the input visitor would.
 */
import { newNode, type StateNode, type StateValue } from '../src/visit/state-tree.ts';
import { validateAgainstSchema, type SchemaField, type SchemaNode } from '../src/visit/schema.ts';
import { arrayShapeError, describeValue, structArrayError, structError } from '../src/visit/field-checks.ts';
import { StateError } from '../src/util/errors.ts';
import type { JsonObject, JsonValue } from './snapshot.ts';
import { fromHex, parseBigintText, toHex } from './value-text.ts';
import { fastDecodeFields } from './compiled-decode.ts';

export { fromHex, parseBigintText, toHex } from './value-text.ts';

/** Byte strings of at least this many bytes travel as blobs. */
export const BLOB_THRESHOLD = 4096;

/** Stores a large byte string somewhere and returns the JSON that refers to it. */
export type BlobWriter = (bytes: Uint8Array, path: string) => JsonValue;
/**
 * Resolves what the document holds for a large byte string (anything but a hex string) into a byte
 * string of exactly `length` bytes (of at most `length` bytes when `upTo`: a `varbytes` field), or
 * throws naming `path`.
 */
export type BlobReader = (ref: unknown, length: number, path: string, upTo: boolean) => Uint8Array;

/**
 * Encodes a state tree node into JSON. `path` names the object in blob writer calls. The result is
 * only written out (JSON.stringify), so it is an ordinary object: V8 builds and writes those several
 * times faster than null-prototype ones (which it keeps as dictionaries); a field called
 * `__proto__`, the one key an assignment would not make an own property, is defined instead.
 */
export function encodeFields(node: StateNode, putBlob: BlobWriter, path: string): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(node)) {
    const value = encodeValue(node[key]!, putBlob, `${path}.${key}`);
    if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
  }
  return out;
}

function encodeValue(value: StateValue, putBlob: BlobWriter, path: string): JsonValue {
  switch (typeof value) {
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    default:
      if (value instanceof Uint8Array) return value.length >= BLOB_THRESHOLD ? putBlob(value, path) : toHex(value);
      if (Array.isArray(value)) return encodeArray(value, putBlob, path);
      return encodeFields(value, putBlob, path);
  }
}

/**
 * An array's JSON: an array of numbers and booleans is its own JSON (it is only read, to be written
 * out); other elements are encoded one by one, with their paths.
 */
function encodeArray(value: StateValue[], putBlob: BlobWriter, path: string): JsonValue {
  let i = 0;
  while (i < value.length) {
    const t = typeof value[i];
    if (t !== 'number' && t !== 'boolean') break;
    i++;
  }
  if (i === value.length) return value as JsonValue[];
  const out = (value as JsonValue[]).slice(0, i);
  for (; i < value.length; i++) {
    const v = value[i]!;
    const t = typeof v;
    out.push(t === 'number' || t === 'boolean' ? (v as number | boolean) : t === 'bigint' ? v.toString() : encodeValue(v, putBlob, `${path}[${i}]`));
  }
  return out;
}

/**
 * Decodes one object's fields from JSON using its schema, then validates the result. Throws a
 * StateError naming `path` and the field (`/machine/pit.channels[1].mode`).
 */
export function decodeFields(json: unknown, schema: SchemaNode, readBlob: BlobReader, path: string): StateNode {
  // The compiled decoder returns what the walk below would, or null when only the walk can tell.
  return fastDecodeFields(json, schema) ?? decodeFieldsWalk(json, schema, readBlob, path);
}

/** decodeFields' reference: decode, then validate, naming the first fault (the compiled decoder's judge). */
export function decodeFieldsWalk(json: unknown, schema: SchemaNode, readBlob: BlobReader, path: string): StateNode {
  const node = decodeGroup(json, schema.fields, readBlob, path);
  validateAgainstSchema(node, schema, path);
  return node;
}

function own(obj: object, key: string): unknown {
  return Object.hasOwn(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}

function decodeGroup(json: unknown, fields: readonly SchemaField[], readBlob: BlobReader, path: string): StateNode {
  const problem = structError(json);
  if (problem !== null) throw new StateError(path, problem);
  const obj = json as object;
  const out = newNode();
  let present = 0;
  for (const field of fields) {
    const at = `${path}.${field.name}`;
    if (!Object.hasOwn(obj, field.name)) {
      if (field.kind === 'optional') continue;
      throw new StateError(at, 'missing');
    }
    present++;
    out[field.name] = decodeValue(own(obj, field.name), field, readBlob, at);
  }
  if (Object.keys(obj).length !== present) {
    const known = new Set(fields.map((f) => f.name));
    for (const key of Object.keys(obj)) if (!known.has(key)) throw new StateError(`${path}.${key}`, 'unknown field');
  }
  return out;
}

function decodeValue(value: unknown, field: SchemaField, readBlob: BlobReader, at: string): StateValue {
  switch (field.kind) {
    case 'u64':
    case 'i64': {
      const parsed = parseBigintText(value);
      if (parsed === null) throw new StateError(at, `expected ${field.kind} as a decimal string, got ${describeValue(value)}`);
      return parsed;
    }
    case 'u8':
    case 'u16':
    case 'u32':
    case 'i8':
    case 'i16':
    case 'i32':
    case 'bool':
      // Kind and range are checked by validateAgainstSchema; only JSON primitives get this far.
      if (typeof value !== 'number' && typeof value !== 'boolean') {
        throw new StateError(at, `expected ${field.kind}, got ${describeValue(value)}`);
      }
      return value;
    case 'bytes': {
      if (typeof value === 'string') {
        const bytes = fromHex(value, field.length);
        if (bytes === null) throw new StateError(at, `expected ${field.length} bytes as ${field.length * 2} lowercase hex digits, got ${describeValue(value)}`);
        return bytes;
      }
      return readBlob(value, field.length, at, false);
    }
    case 'varbytes': {
      if (typeof value === 'string') {
        const bytes = value.length % 2 === 0 && value.length <= 2 * field.maxLength ? fromHex(value, value.length / 2) : null;
        if (bytes === null) throw new StateError(at, `expected at most ${field.maxLength} bytes as lowercase hex digits, got ${describeValue(value)}`);
        return bytes;
      }
      return readBlob(value, field.maxLength, at, true);
    }
    case 'u64[]': {
      const problem = arrayShapeError(field.kind, field.length, value);
      if (problem !== null) throw new StateError(at, problem);
      return (value as unknown[]).map((element, i) => {
        const parsed = parseBigintText(element);
        if (parsed === null) throw new StateError(`${at}[${i}]`, `expected u64 as a decimal string, got ${describeValue(element)}`);
        return parsed;
      });
    }
    case 'u8[]':
    case 'u16[]':
    case 'u32[]':
    case 'i32[]': {
      const problem = arrayShapeError(field.kind, field.length, value);
      if (problem !== null) throw new StateError(at, problem);
      const elements = value as unknown[];
      for (let i = 0; i < elements.length; i++) {
        if (typeof elements[i] !== 'number') {
          throw new StateError(`${at}[${i}]`, `expected ${field.kind.slice(0, -2)}, got ${describeValue(elements[i])}`);
        }
      }
      return (elements as number[]).slice();
    }
    case 'struct':
    case 'optional':
      return decodeGroup(value, field.fields, readBlob, at);
    case 'struct[]': {
      const problem = structArrayError(field.length, value);
      if (problem !== null) throw new StateError(at, problem);
      return (value as unknown[]).map((element, i) => decodeGroup(element, field.fields, readBlob, `${at}[${i}]`));
    }
    default:
      // parseSchema admits no other kind; a schema built by hand might.
      throw new StateError(at, `unknown schema kind ${JSON.stringify((field as { kind: unknown }).kind)}`);
  }
}
