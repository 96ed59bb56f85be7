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

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array): string {
  const parts = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) parts[i] = HEX[bytes[i]!]!;
  return parts.join('');
}

/** Lowercase hex of exactly `length` bytes, or null. */
export function fromHex(text: string, length: number): Uint8Array | null {
  if (text.length !== length * 2) return null;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const hi = hexDigit(text.charCodeAt(2 * i));
    const lo = hexDigit(text.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/** Encodes a state tree node into JSON. `path` names the object in blob writer calls. */
export function encodeFields(node: StateNode, putBlob: BlobWriter, path: string): JsonObject {
  const out = newNode() as unknown as JsonObject;
  for (const key of Object.keys(node)) out[key] = encodeValue(node[key]!, putBlob, `${path}.${key}`);
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
      if (Array.isArray(value)) return value.map((v, i) => encodeValue(v, putBlob, `${path}[${i}]`));
      return encodeFields(value, putBlob, path);
  }
}

const INTEGER_TEXT = /^-?(?:0|[1-9][0-9]{0,19})$/;

/** Parses a 64-bit integer written as a decimal string; null when it is not one. */
export function parseBigintText(value: unknown): bigint | null {
  return typeof value === 'string' && INTEGER_TEXT.test(value) ? BigInt(value) : null;
}

/**
 * Decodes one object's fields from JSON using its schema, then validates the result. Throws a
 * StateError naming `path` and the field (`/machine/pit.channels[1].mode`).
 */
export function decodeFields(json: unknown, schema: SchemaNode, readBlob: BlobReader, path: string): StateNode {
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
