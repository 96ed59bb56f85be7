/**
 * One object's fields decoded from JSON by a closure compiled once per schema (cached by the schema's
 * identity: parsed schemas are interned, src/visit/schema-cache.ts), converting and checking every
 * value in one pass. It is a fast path in front of value-codec.ts's reference decoder: it returns the
 * node the reference would return, or null whenever the reference might do anything else (throw, or
 * read a blob, which has effects); the caller then runs the reference, which says what is wrong.
 */
import { newNode, type StateNode, type StateValue } from '../src/visit/state-tree.ts';
import type { ArrayKind, ScalarKind } from '../src/visit/visitor.ts';
import type { SchemaField, SchemaNode } from '../src/visit/schema.ts';
import { fromHex, parseBigintText } from './value-text.ts';

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** What a value decoder returns when the reference decoder must decide. */
const NO = Symbol('no');
type Decode = (value: unknown) => StateValue | typeof NO;
type GroupDecode = (json: object) => StateNode | null;

const decoders = new WeakMap<SchemaNode, GroupDecode>();

/** The node the reference decoder (decodeFields) would return for `json`, or null: ask it. */
export function fastDecodeFields(json: unknown, schema: SchemaNode): StateNode | null {
  let decode = decoders.get(schema);
  if (decode === undefined) {
    decode = compileGroup(schema.fields);
    decoders.set(schema, decode);
  }
  return isNode(json) ? decode(json) : null;
}

function isNode(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

function compileGroup(fields: readonly SchemaField[]): GroupDecode {
  const names = fields.map((f) => f.name);
  const optional = fields.map((f) => f.kind === 'optional');
  const decodes = fields.map(compileField);
  const n = fields.length;
  return (json) => {
    const source = json as Record<string, unknown>;
    const out = newNode();
    let present = 0;
    for (let i = 0; i < n; i++) {
      const name = names[i]!;
      if (!Object.hasOwn(source, name)) {
        if (optional[i]) continue;
        return null;
      }
      present++;
      const value = decodes[i]!(source[name]);
      if (value === NO) return null;
      out[name] = value;
    }
    return Object.keys(source).length === present ? out : null;
  };
}

function compileField(field: SchemaField): Decode {
  switch (field.kind) {
    case 'u8':
    case 'u16':
    case 'u32':
    case 'i8':
    case 'i16':
    case 'i32':
    case 'bool':
    case 'u64':
    case 'i64':
      return scalarDecode(field.kind);
    case 'bytes': {
      const length = field.length;
      return (v) => (typeof v === 'string' ? (fromHex(v, length) ?? NO) : NO);
    }
    case 'varbytes': {
      const max = field.maxLength;
      return (v) => (typeof v === 'string' && v.length % 2 === 0 && v.length <= 2 * max ? (fromHex(v, v.length / 2) ?? NO) : NO);
    }
    case 'struct':
    case 'optional': {
      const group = compileGroup(field.fields);
      return (v) => (isNode(v) ? (group(v) ?? NO) : NO);
    }
    case 'struct[]': {
      const group = compileGroup(field.fields);
      const length = field.length;
      return (v) => {
        if (!Array.isArray(v) || v.length !== length) return NO;
        const out: StateNode[] = new Array<StateNode>(length);
        for (let i = 0; i < length; i++) {
          const e: unknown = v[i];
          const node = isNode(e) ? group(e) : null;
          if (node === null) return NO;
          out[i] = node;
        }
        return out;
      };
    }
    default:
      return arrayDecode(field.kind, field.length);
  }
}

function u64(v: unknown): bigint | typeof NO {
  const parsed = parseBigintText(v);
  return parsed === null || parsed < 0n || parsed > U64_MAX ? NO : parsed;
}

function scalarDecode(kind: ScalarKind): Decode {
  switch (kind) {
    case 'u8':
      return (v) => (typeof v === 'number' && (v & 0xff) === v ? v : NO);
    case 'u16':
      return (v) => (typeof v === 'number' && (v & 0xffff) === v ? v : NO);
    case 'u32':
      return (v) => (typeof v === 'number' && v >>> 0 === v ? v : NO);
    case 'i8':
      return (v) => (typeof v === 'number' && (v << 24) >> 24 === v ? v : NO);
    case 'i16':
      return (v) => (typeof v === 'number' && (v << 16) >> 16 === v ? v : NO);
    case 'i32':
      return (v) => (typeof v === 'number' && (v | 0) === v ? v : NO);
    case 'bool':
      return (v) => (typeof v === 'boolean' ? v : NO);
    case 'u64':
      return u64;
    case 'i64':
      return (v) => {
        const parsed = parseBigintText(v);
        return parsed === null || parsed < I64_MIN || parsed > I64_MAX ? NO : parsed;
      };
  }
}

/** A number-array decoder: the elements copied when each passes `ok`. */
function numbers(length: number, ok: (e: number) => boolean): Decode {
  return (v) => {
    if (!Array.isArray(v) || v.length !== length) return NO;
    for (let i = 0; i < length; i++) {
      const e: unknown = v[i];
      if (typeof e !== 'number' || !ok(e)) return NO;
    }
    return (v as number[]).slice();
  };
}

function arrayDecode(kind: ArrayKind, length: number): Decode {
  switch (kind) {
    case 'u8[]':
      return numbers(length, (e) => (e & 0xff) === e);
    case 'u16[]':
      return numbers(length, (e) => (e & 0xffff) === e);
    case 'u32[]':
      return numbers(length, (e) => e >>> 0 === e);
    case 'i32[]':
      return numbers(length, (e) => (e | 0) === e);
    case 'u64[]':
      return (v) => {
        if (!Array.isArray(v) || v.length !== length) return NO;
        const out = new Array<bigint>(length);
        for (let i = 0; i < length; i++) {
          const e = u64(v[i]);
          if (e === NO) return NO;
          out[i] = e;
        }
        return out;
      };
    default:
      // `bytes` is handled by compileField; a hand-built schema's unknown kind: the reference says.
      return () => NO;
  }
}
