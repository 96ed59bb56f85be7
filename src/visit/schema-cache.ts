/**
 * Schemas compiled once (docs/architecture.md section 4): equal schemas become one object
 * (internSchema), so that everything computed from a schema can be cached by identity, and each
 * schema compiles into a closure that checks a state tree without building messages
 * (compiledCheck). The closures are a fast filter in front of the reference checks of schema.ts:
 * they accept only trees the reference accepts; whatever they refuse goes through the reference,
 * which throws its usual error, so what is accepted and what is said about the rest do not change.
 * Closures rather than generated source: the core also runs in browsers with a content security
 * policy.
 */
import type { ArrayKind, ScalarKind } from './visitor.ts';
import type { SchemaField, SchemaNode } from './schema.ts';
import type { StateNode } from './state-tree.ts';

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** Most distinct schemas kept by internSchema; past it the table starts over (hostile files). */
const MAX_INTERNED = 1024;
const interned = new Map<string, SchemaNode>();

/**
 * The one object for schemas equal to `schema` (same fields in the same order): `schema` itself the
 * first time. Schemas are treated as immutable, as everywhere else.
 */
export function internSchema(schema: SchemaNode): SchemaNode {
  const key = JSON.stringify(schema);
  const known = interned.get(key);
  if (known !== undefined) return known;
  if (interned.size >= MAX_INTERNED) interned.clear();
  interned.set(key, schema);
  return schema;
}

/** Checks one value; true when the reference check would accept it. */
type Check = (value: unknown) => boolean;

/** A node check: true when `node` (known to be an object) has exactly the fields, each acceptable. */
type NodeCheck = (node: StateNode) => boolean;

const checks = new WeakMap<SchemaNode, NodeCheck>();

/**
 * True when validateAgainstSchema(node, schema) would accept `node`; false when it might not (then
 * ask it). The check is compiled on first use and cached by the schema's identity.
 */
export function fitsSchema(node: unknown, schema: SchemaNode): boolean {
  let check = checks.get(schema);
  if (check === undefined) {
    check = compileFields(schema.fields);
    checks.set(schema, check);
  }
  return isNode(node) && check(node);
}

/** isStateNode: a plain object whose prototype is null or Object.prototype. */
function isNode(value: unknown): value is StateNode {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

function compileFields(fields: readonly SchemaField[]): NodeCheck {
  const names = fields.map((f) => f.name);
  const optional = fields.map((f) => f.kind === 'optional');
  const inherited = fields.map((f) => f.name in Object.prototype);
  const valueChecks = fields.map(compileField);
  const n = fields.length;
  return (node) => {
    let present = 0;
    for (let i = 0; i < n; i++) {
      const name = names[i]!;
      // One read per field where the read cannot be inherited: a node's prototype is null or
      // Object.prototype, so only names Object.prototype has (`__proto__`, `constructor`) need the
      // own-key test first; for the rest, undefined means absent or a value no check accepts.
      if (inherited[i] && !Object.hasOwn(node, name)) {
        if (optional[i]) continue;
        return false;
      }
      const value = node[name];
      if (value === undefined) {
        if (optional[i] && !Object.hasOwn(node, name)) continue;
        return false;
      }
      present++;
      if (!valueChecks[i]!(value)) return false;
    }
    return Object.keys(node).length === present;
  };
}

function compileField(field: SchemaField): Check {
  switch (field.kind) {
    case 'u8':
    case 'u16':
    case 'u32':
    case 'i8':
    case 'i16':
    case 'i32':
    case 'u64':
    case 'i64':
    case 'bool':
      return scalarCheck(field.kind);
    case 'varbytes': {
      const max = field.maxLength;
      return (v) => v instanceof Uint8Array && v.length <= max;
    }
    case 'struct':
    case 'optional': {
      const inner = compileFields(field.fields);
      return (v) => isNode(v) && inner(v);
    }
    case 'struct[]': {
      const inner = compileFields(field.fields);
      const length = field.length;
      return (v) => {
        if (!Array.isArray(v) || v.length !== length) return false;
        for (let i = 0; i < length; i++) {
          const e: unknown = v[i];
          if (!isNode(e) || !inner(e)) return false;
        }
        return true;
      };
    }
    default:
      return arrayCheck(field.kind, field.length);
  }
}

/** The element check of each array kind, and of scalars: integers in range, exactly. */
function scalarCheck(kind: ScalarKind): Check {
  switch (kind) {
    case 'u8':
      return (v) => typeof v === 'number' && (v & 0xff) === v;
    case 'u16':
      return (v) => typeof v === 'number' && (v & 0xffff) === v;
    case 'u32':
      return (v) => typeof v === 'number' && v >>> 0 === v;
    case 'i8':
      return (v) => typeof v === 'number' && (v << 24) >> 24 === v;
    case 'i16':
      return (v) => typeof v === 'number' && (v << 16) >> 16 === v;
    case 'i32':
      return (v) => typeof v === 'number' && (v | 0) === v;
    case 'u64':
      return (v) => typeof v === 'bigint' && v >= 0n && v <= U64_MAX;
    case 'i64':
      return (v) => typeof v === 'bigint' && v >= I64_MIN && v <= I64_MAX;
    case 'bool':
      return (v) => typeof v === 'boolean';
  }
}

function arrayCheck(kind: ArrayKind, length: number): Check {
  switch (kind) {
    case 'bytes':
      return (v) => v instanceof Uint8Array && v.length === length;
    case 'u8[]':
      return (v) => {
        if (!Array.isArray(v) || v.length !== length) return false;
        for (let i = 0; i < length; i++) {
          const e: unknown = v[i];
          if (typeof e !== 'number' || (e & 0xff) !== e) return false;
        }
        return true;
      };
    case 'u16[]':
      return (v) => {
        if (!Array.isArray(v) || v.length !== length) return false;
        for (let i = 0; i < length; i++) {
          const e: unknown = v[i];
          if (typeof e !== 'number' || (e & 0xffff) !== e) return false;
        }
        return true;
      };
    case 'u32[]':
      return (v) => {
        if (!Array.isArray(v) || v.length !== length) return false;
        for (let i = 0; i < length; i++) {
          const e: unknown = v[i];
          if (typeof e !== 'number' || e >>> 0 !== e) return false;
        }
        return true;
      };
    case 'i32[]':
      return (v) => {
        if (!Array.isArray(v) || v.length !== length) return false;
        for (let i = 0; i < length; i++) {
          const e: unknown = v[i];
          if (typeof e !== 'number' || (e | 0) !== e) return false;
        }
        return true;
      };
    case 'u64[]':
      return (v) => {
        if (!Array.isArray(v) || v.length !== length) return false;
        for (let i = 0; i < length; i++) {
          const e: unknown = v[i];
          if (typeof e !== 'bigint' || e < 0n || e > U64_MAX) return false;
        }
        return true;
      };
    default:
      // A hand-built schema with a kind parseSchema refuses: the reference check reports it.
      return () => false;
  }
}
