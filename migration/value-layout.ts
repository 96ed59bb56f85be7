/**
 * The binary layout of one object's field values (format version 4, README.md "The value section"),
 * compiled once per schema into a writer and a reader (closures, as schema-cache.ts and
 * compiled-decode.ts do: no generated source, the core also runs under a content security policy).
 * Compiled layouts are cached by the schema's identity (parsed schemas are interned and never
 * change). Writing is a few stores per field with the schema's checks inline; reading is a few loads
 * per field, with one bounds check per run of fixed-size fields.
 *
 * Layout, little-endian, fields in schema order, nothing between them:
 * u8/i8/bool 1 byte (bool 0 or 1), u16/i16 2, u32/i32 4, u64/i64 8; `T[]` its elements;
 * `bytes` of length n: n bytes when n < BLOB_THRESHOLD, else a u32 blob index; `varbytes`: u32
 * length, then as many bytes when the length is below BLOB_THRESHOLD, else a u32 blob index;
 * `struct`: its fields; `optional`: one byte 0 (absent) or 1 (present, then its fields);
 * `struct[]` of length n: n times the fields.
 */
import { newNode, type StateNode, type StateValue } from '../src/visit/state-tree.ts';
import type { SchemaField, SchemaNode } from '../src/visit/schema.ts';
import { BLOB_THRESHOLD } from './value-codec.ts';
import { compileLeaf, ELEMENT_BYTES, SATURATED, ValueFault, ValueReader, ValueWriter, type Compiled } from './value-kinds.ts';

export { ValueFault, ValueReader, ValueWriter, type BlobIndexReader, type BlobIndexWriter } from './value-kinds.ts';

/** One schema compiled. */
export interface ValueLayout {
  /** Writes `node`'s fields; false when `node` does not fit the schema (validateAgainstSchema names why). */
  readonly write: (w: ValueWriter, node: StateNode, path: string) => boolean;
  /** Reads one object's fields (throws a ValueFault). */
  readonly read: (r: ValueReader, path: string) => StateNode;
  /** Arrays and nodes a read creates at most (the JSON document's containers), saturated. */
  readonly containers: number;
  /** Longest array (not byte string) in the schema. */
  readonly longestArray: number;
}

const layouts = new WeakMap<SchemaNode, ValueLayout>();

export function valueLayout(schema: SchemaNode): ValueLayout {
  let layout = layouts.get(schema);
  if (layout === undefined) {
    const group = compileGroup(schema.fields);
    layout = {
      write: (w, node, path) => group.put(w, node, path),
      read: (r, path) => group.get(r, path),
      containers: group.containers,
      longestArray: group.longestArray,
    };
    layouts.set(schema, layout);
  }
  return layout;
}

interface Group {
  put: (w: ValueWriter, node: StateNode, at: string) => boolean;
  get: (r: ValueReader, at: string) => StateNode;
  /** Bytes when every field has a fixed size, else -1. */
  size: number;
  containers: number;
  longestArray: number;
  /** Whether a byte string of the group may be a blob (its writer and reader need paths). */
  blobs: boolean;
}

/** A node's check: a plain object (prototype null or Object.prototype). */
function isNode(value: unknown): value is StateNode {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

function add(a: number, b: number): number {
  return Math.min(SATURATED, a + b);
}

function compileGroup(fields: readonly SchemaField[]): Group {
  const compiled = fields.map(compileField);
  const names = fields.map((f) => f.name);
  const optional = fields.map((f) => f.kind === 'optional');
  const puts = compiled.map((c) => c.put);
  const gets = compiled.map((c) => c.get);
  const sizes = compiled.map((c) => c.size);
  const blobbed = compiled.map((c) => c.blobs);
  const n = fields.length;
  const fixed = sizes.every((s) => s >= 0);
  const size = fixed ? sizes.reduce((a, b) => a + b, 0) : -1;
  let containers = 1;
  let longestArray = 0;
  for (const c of compiled) {
    containers = add(containers, c.containers);
    longestArray = Math.max(longestArray, c.longestArray);
  }
  const blobs = blobbed.some((b) => b);

  const put = (w: ValueWriter, node: StateNode, at: string): boolean => {
    if (fixed) w.ensure(size);
    let present = 0;
    for (let i = 0; i < n; i++) {
      const name = names[i]!;
      // One lookup: no kind accepts undefined, and a value inherited from Object.prototype (a
      // field called `constructor` missing from an ordinary object) is refused by every writer,
      // so only an absent optional group needs the own-property test.
      const value = node[name];
      if (value === undefined && optional[i] && !Object.hasOwn(node, name)) {
        w.ensure(1);
        w.bytes[w.pos++] = 0;
        continue;
      }
      present++;
      if (!fixed && sizes[i]! >= 0) w.ensure(sizes[i]!);
      if (!puts[i]!(w, value, blobbed[i]! ? `${at}.${name}` : '')) return false;
    }
    return Object.keys(node).length === present;
  };

  const get = (r: ValueReader, at: string): StateNode => {
    if (fixed && size > r.end - r.pos) throw shortFault(fields, r.end - r.pos);
    const out = newNode();
    let i = 0;
    try {
      for (; i < n; i++) {
        if (!fixed && sizes[i]! > r.end - r.pos) break;
        const value = gets[i]!(r, blobbed[i]! ? `${at}.${names[i]!}` : '');
        // An absent optional group reads as undefined and is left out, as in the JSON document.
        if (value !== undefined) out[names[i]!] = value;
      }
    } catch (e) {
      if (e instanceof ValueFault) e.at = `.${names[i]!}${e.at}`;
      throw e;
    }
    if (i < n) throw shortFault([fields[i]!], r.end - r.pos);
    return out;
  };
  return { put, get, size, containers, longestArray, blobs };
}

/**
 * The fault of fixed-size fields that do not fit in the `left` bytes: it names the first field (at
 * any depth) that runs past the end.
 */
function shortFault(fields: readonly SchemaField[], left: number): ValueFault {
  let room = left;
  for (const field of fields) {
    const size = fieldSize(field);
    if (size <= room) {
      room -= size;
      continue;
    }
    if (field.kind === 'struct') {
      const inner = shortFault(field.fields, room);
      return new ValueFault(inner.message, `.${field.name}${inner.at}`);
    }
    if (field.kind === 'struct[]') {
      const each = groupSize(field.fields);
      const k = each > 0 ? Math.floor(room / each) : 0;
      const inner = shortFault(field.fields, room - k * each);
      return new ValueFault(inner.message, `.${field.name}[${k}]${inner.at}`);
    }
    return new ValueFault(`the value section ends inside this ${size}-byte value (${room} bytes left)`, `.${field.name}`);
  }
  return new ValueFault(`the value section ends inside these values (${left} bytes left)`);
}

/** Sizes groupSize computed, by field list. */
const groupSizes = new WeakMap<readonly SchemaField[], number>();

/** The fixed size of a group's fields (variable ones counted as 0), as fieldSize counts them. */
function groupSize(fields: readonly SchemaField[]): number {
  let size = groupSizes.get(fields);
  if (size === undefined) {
    size = 0;
    for (const f of fields) size = Math.min(SATURATED, size + fieldSize(f));
    groupSizes.set(fields, size);
  }
  return size;
}

/** Sizes fieldSize computed (a fault in a deep schema asks for the same fields again). */
const fieldSizes = new WeakMap<SchemaField, number>();
const SCALAR_BYTES: Readonly<Record<string, number>> = { u8: 1, i8: 1, bool: 1, u16: 2, i16: 2, u32: 4, i32: 4, u64: 8, i64: 8 };

/**
 * A fixed-size field's size, as compileField lays it out (only asked of fixed-size fields; a
 * variable one counts 0), computed from the schema alone: each field once, however deep.
 */
function fieldSize(field: SchemaField): number {
  let size = fieldSizes.get(field);
  if (size !== undefined) return size;
  switch (field.kind) {
    case 'bytes':
      size = field.length < BLOB_THRESHOLD ? field.length : 4;
      break;
    case 'varbytes':
    case 'optional':
      size = 0;
      break;
    case 'struct':
      size = groupSize(field.fields);
      break;
    case 'struct[]':
      size = Math.min(SATURATED, groupSize(field.fields) * field.length);
      break;
    default:
      size = SCALAR_BYTES[field.kind] ?? Math.min(SATURATED, (ELEMENT_BYTES[field.kind] ?? 0) * (field as { length: number }).length);
  }
  fieldSizes.set(field, size);
  return size;
}

function compileField(field: SchemaField): Compiled {
  switch (field.kind) {
    case 'struct':
      return struct(compileGroup(field.fields));
    case 'optional':
      return optional(compileGroup(field.fields));
    case 'struct[]':
      return structArray(compileGroup(field.fields), field.length);
    default:
      return compileLeaf(field);
  }
}

function struct(group: Group): Compiled {
  return {
    put: (w, v, at) => isNode(v) && group.put(w, v, at),
    get: group.get,
    size: group.size,
    containers: group.containers,
    longestArray: group.longestArray,
    blobs: group.blobs,
  };
}

/** Present: a 1 then the fields (absent is written by the group: a 0). */
function optional(group: Group): Compiled {
  return {
    put: (w, v, at) => {
      if (!isNode(v)) return false;
      w.ensure(1);
      w.bytes[w.pos++] = 1;
      return group.put(w, v, at);
    },
    get: (r, at) => {
      if (r.pos >= r.end) throw new ValueFault('the value section ends before this optional group');
      const flag = r.bytes[r.pos++]!;
      if (flag === 0) return undefined as unknown as StateValue;
      if (flag !== 1) throw new ValueFault(`expected 0 (absent) or 1 (present), got ${flag}`);
      return group.get(r, at);
    },
    size: -1,
    containers: group.containers,
    longestArray: group.longestArray,
    blobs: group.blobs,
  };
}

function structArray(group: Group, length: number): Compiled {
  return {
    put: (w, v, at) => {
      if (!Array.isArray(v) || v.length !== length) return false;
      for (let i = 0; i < length; i++) {
        const e: unknown = v[i];
        if (!isNode(e) || !group.put(w, e, group.blobs ? `${at}[${i}]` : '')) return false;
      }
      return true;
    },
    get: (r, at) => {
      const out = new Array<StateNode>(length);
      let i = 0;
      try {
        for (; i < length; i++) out[i] = group.get(r, group.blobs ? `${at}[${i}]` : '');
      } catch (e) {
        if (e instanceof ValueFault) e.at = `[${i}]${e.at}`;
        throw e;
      }
      return out;
    },
    size: group.size < 0 ? -1 : Math.min(SATURATED, group.size * length),
    containers: add(1, Math.min(SATURATED, group.containers * length)),
    longestArray: Math.max(length, group.longestArray),
    blobs: group.blobs,
  };
}

