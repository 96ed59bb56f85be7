/**
 * The binary layout of the value section's leaf kinds (format version 4, README.md "The value
 * section"): scalars, number arrays and byte strings, each compiled into a writer and a reader
 * (closures); the buffers they work on and the fault a reader throws. value-layout.ts puts them
 * together into groups, one compiled layout per schema.
 */
import type { StateValue } from '../src/visit/state-tree.ts';
import type { SchemaField } from '../src/visit/schema.ts';
import { BLOB_THRESHOLD } from './value-codec.ts';
import { keepShape } from '../src/util/keep-shape.ts';

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
/** Counts saturate here (a hostile schema's sizes multiply). */
export const SATURATED = 2 ** 40;

/** Stores a large byte string as a blob and returns its index in the blob table. */
export type BlobIndexWriter = (bytes: Uint8Array, path: string) => number;
/** Resolves a blob index of the value section into the byte string, checking it (decode.ts takeBlobRef). */
export type BlobIndexReader = (index: number, length: number, path: string, upTo: boolean) => Uint8Array;

/** The output buffer, grown as needed; `view` always covers `bytes`. */
export class ValueWriter {
  bytes: Uint8Array;
  view: DataView;
  pos = 0;
  putBlob: BlobIndexWriter;
  constructor(size: number, putBlob: BlobIndexWriter) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
    this.putBlob = putBlob;
  }
  ensure(n: number): void {
    if (this.pos + n > this.bytes.length) this.grow(n);
  }
  private grow(n: number): void {
    const bigger = new Uint8Array(Math.max(2 * this.bytes.length, this.pos + n));
    bigger.set(this.bytes.subarray(0, this.pos));
    this.bytes = bigger;
    this.view = new DataView(bigger.buffer);
  }
}

/** The input: a view of the value section, read from `pos` up to `end`. */
export class ValueReader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  pos = 0;
  readonly end: number;
  readBlob: BlobIndexReader;
  constructor(bytes: Uint8Array, readBlob: BlobIndexReader) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    this.end = bytes.length;
    this.readBlob = readBlob;
  }
}

// A reader lives for one decode: keep the class's hidden class (src/util/keep-shape.ts).
keepShape(
  new ValueReader(new Uint8Array(0), () => {
    throw new ValueFault('no blob');
  }),
);

/**
 * What the reader found wrong, relative to the object (`.channels[1].mode`, built while the fault
 * goes up through the groups); value-section.ts turns it into a SnapshotError naming the object.
 */
export class ValueFault {
  at: string;
  readonly message: string;
  constructor(message: string, at = '') {
    this.message = message;
    this.at = at;
  }
}

/** Writes a value; false when the value does not fit the schema (nothing useful was written). */
export type Put = (w: ValueWriter, v: StateValue | undefined, at: string) => boolean;
/** Reads a value (throws a ValueFault). */
export type Get = (r: ValueReader, at: string) => StateValue;

/** A field compiled: writer, reader, fixed size (-1: variable), and what a read creates. */
export interface Compiled {
  put: Put;
  get: Get;
  size: number;
  containers: number;
  longestArray: number;
  blobs: boolean;
}

/** A field without fields of its own. */
export type LeafField = Exclude<SchemaField, { kind: 'struct' | 'optional' | 'struct[]' }>;

export const ELEMENT_BYTES: Readonly<Record<string, number>> = { 'u8[]': 1, 'u16[]': 2, 'u32[]': 4, 'i32[]': 4, 'u64[]': 8 };


/**
 * A field of a kind without fields (scalars, number arrays, byte strings) compiled: its writer,
 * reader and fixed size (-1 when variable).
 */
export function compileLeaf(field: LeafField): Compiled {
  switch (field.kind) {
    case 'u8':
      return scalar(1, (w, v) => {
        if (typeof v !== 'number' || (v & 0xff) !== v) return false;
        w.bytes[w.pos++] = v;
        return true;
      }, (r) => r.bytes[r.pos++]!);
    case 'i8':
      return scalar(1, (w, v) => {
        if (typeof v !== 'number' || (v << 24) >> 24 !== v) return false;
        w.bytes[w.pos++] = v & 0xff;
        return true;
      }, (r) => (r.bytes[r.pos++]! << 24) >> 24);
    case 'bool':
      return scalar(1, (w, v) => {
        if (typeof v !== 'boolean') return false;
        w.bytes[w.pos++] = v ? 1 : 0;
        return true;
      }, (r) => {
        const b = r.bytes[r.pos++]!;
        if (b > 1) throw new ValueFault(`expected a boolean (0 or 1), got ${b}`);
        return b === 1;
      });
    case 'u16':
      return scalar(2, (w, v) => {
        if (typeof v !== 'number' || (v & 0xffff) !== v) return false;
        w.view.setUint16(w.pos, v, true);
        w.pos += 2;
        return true;
      }, (r) => {
        const v = r.view.getUint16(r.pos, true);
        r.pos += 2;
        return v;
      });
    case 'i16':
      return scalar(2, (w, v) => {
        if (typeof v !== 'number' || (v << 16) >> 16 !== v) return false;
        w.view.setInt16(w.pos, v, true);
        w.pos += 2;
        return true;
      }, (r) => {
        const v = r.view.getInt16(r.pos, true);
        r.pos += 2;
        return v;
      });
    case 'u32':
      return scalar(4, (w, v) => {
        if (typeof v !== 'number' || v >>> 0 !== v) return false;
        w.view.setUint32(w.pos, v, true);
        w.pos += 4;
        return true;
      }, (r) => {
        const v = r.view.getUint32(r.pos, true);
        r.pos += 4;
        return v;
      });
    case 'i32':
      return scalar(4, (w, v) => {
        if (typeof v !== 'number' || (v | 0) !== v) return false;
        w.view.setInt32(w.pos, v, true);
        w.pos += 4;
        return true;
      }, (r) => {
        const v = r.view.getInt32(r.pos, true);
        r.pos += 4;
        return v;
      });
    case 'u64':
      return scalar(8, (w, v) => {
        if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) return false;
        w.view.setBigUint64(w.pos, v, true);
        w.pos += 8;
        return true;
      }, (r) => {
        const v = r.view.getBigUint64(r.pos, true);
        r.pos += 8;
        return v;
      });
    case 'i64':
      return scalar(8, (w, v) => {
        if (typeof v !== 'bigint' || v < I64_MIN || v > I64_MAX) return false;
        w.view.setBigInt64(w.pos, v, true);
        w.pos += 8;
        return true;
      }, (r) => {
        const v = r.view.getBigInt64(r.pos, true);
        r.pos += 8;
        return v;
      });
    case 'bytes':
      return fixedBytes(field.length);
    case 'varbytes':
      return varBytes(field.maxLength);
    default:
      return numberArray(field.kind, field.length);
  }
}


function scalar(size: number, put: (w: ValueWriter, v: StateValue | undefined) => boolean, get: (r: ValueReader) => StateValue): Compiled {
  return { put, get, size, containers: 0, longestArray: 0, blobs: false };
}

function fixedBytes(length: number): Compiled {
  if (length < BLOB_THRESHOLD) {
    return {
      put: (w, v) => {
        if (!(v instanceof Uint8Array) || v.length !== length) return false;
        w.bytes.set(v, w.pos);
        w.pos += length;
        return true;
      },
      get: (r) => r.bytes.slice(r.pos, (r.pos += length)),
      size: length,
      containers: 0,
      longestArray: 0,
      blobs: false,
    };
  }
  return {
    put: (w, v, at) => {
      if (!(v instanceof Uint8Array) || v.length !== length) return false;
      const index = w.putBlob(v, at);
      w.view.setUint32(w.pos, index, true);
      w.pos += 4;
      return true;
    },
    get: (r, at) => {
      const index = r.view.getUint32(r.pos, true);
      r.pos += 4;
      return r.readBlob(index, length, at, false);
    },
    size: 4,
    containers: 0,
    longestArray: 0,
    blobs: true,
  };
}

function varBytes(max: number): Compiled {
  return {
    put: (w, v, at) => {
      if (!(v instanceof Uint8Array) || v.length > max) return false;
      const length = v.length;
      const blob = length >= BLOB_THRESHOLD;
      w.ensure(blob ? 8 : 4 + length);
      w.view.setUint32(w.pos, length, true);
      w.pos += 4;
      if (blob) {
        w.view.setUint32(w.pos, w.putBlob(v, at), true);
        w.pos += 4;
      } else {
        w.bytes.set(v, w.pos);
        w.pos += length;
      }
      return true;
    },
    get: (r, at) => {
      if (r.end - r.pos < 4) throw new ValueFault(`the value section ends inside this byte string's length (${r.end - r.pos} bytes left)`);
      const length = r.view.getUint32(r.pos, true);
      r.pos += 4;
      if (length > max) throw new ValueFault(`byte string of ${length} bytes, the schema allows at most ${max}`);
      if (length >= BLOB_THRESHOLD) {
        if (r.end - r.pos < 4) throw new ValueFault(`the value section ends inside this byte string's blob index (${r.end - r.pos} bytes left)`);
        const index = r.view.getUint32(r.pos, true);
        r.pos += 4;
        return r.readBlob(index, length, at, true);
      }
      if (r.end - r.pos < length) throw new ValueFault(`the value section ends inside this ${length}-byte string (${r.end - r.pos} bytes left)`);
      return r.bytes.slice(r.pos, (r.pos += length));
    },
    size: -1,
    containers: 0,
    longestArray: 0,
    blobs: max >= BLOB_THRESHOLD,
  };
}

function numberArray(kind: string, length: number): Compiled {
  const each = ELEMENT_BYTES[kind];
  if (each === undefined) {
    // A hand-built schema with a kind parseSchema refuses: nothing fits it.
    return {
      put: () => false,
      get: () => {
        throw new ValueFault(`unknown schema kind ${JSON.stringify(kind)}`);
      },
      size: 0,
      containers: 0,
      longestArray: 0,
      blobs: false,
    };
  }
  const base = { size: Math.min(SATURATED, each * length), containers: 1, longestArray: length, blobs: false };
  switch (kind) {
    case 'u8[]':
      return {
        ...base,
        put: (w, v) => {
          if (!Array.isArray(v) || v.length !== length) return false;
          const bytes = w.bytes;
          for (let i = 0; i < length; i++) {
            const e: unknown = v[i];
            if (typeof e !== 'number' || (e & 0xff) !== e) return false;
            bytes[w.pos + i] = e;
          }
          w.pos += length;
          return true;
        },
        get: (r) => {
          const out = new Array<number>(length);
          const bytes = r.bytes;
          for (let i = 0; i < length; i++) out[i] = bytes[r.pos + i]!;
          r.pos += length;
          return out;
        },
      };
    case 'u16[]':
      return {
        ...base,
        put: (w, v) => {
          if (!Array.isArray(v) || v.length !== length) return false;
          for (let i = 0; i < length; i++) {
            const e: unknown = v[i];
            if (typeof e !== 'number' || (e & 0xffff) !== e) return false;
            w.view.setUint16(w.pos + 2 * i, e, true);
          }
          w.pos += 2 * length;
          return true;
        },
        get: (r) => {
          const out = new Array<number>(length);
          for (let i = 0; i < length; i++) out[i] = r.view.getUint16(r.pos + 2 * i, true);
          r.pos += 2 * length;
          return out;
        },
      };
    case 'u32[]':
    case 'i32[]': {
      const signed = kind === 'i32[]';
      return {
        ...base,
        put: (w, v) => {
          if (!Array.isArray(v) || v.length !== length) return false;
          for (let i = 0; i < length; i++) {
            const e: unknown = v[i];
            if (typeof e !== 'number' || (signed ? (e | 0) !== e : e >>> 0 !== e)) return false;
            w.view.setUint32(w.pos + 4 * i, e >>> 0, true);
          }
          w.pos += 4 * length;
          return true;
        },
        get: (r) => {
          const out = new Array<number>(length);
          for (let i = 0; i < length; i++) out[i] = signed ? r.view.getInt32(r.pos + 4 * i, true) : r.view.getUint32(r.pos + 4 * i, true);
          r.pos += 4 * length;
          return out;
        },
      };
    }
    default:
      return {
        ...base,
        put: (w, v) => {
          if (!Array.isArray(v) || v.length !== length) return false;
          for (let i = 0; i < length; i++) {
            const e: unknown = v[i];
            if (typeof e !== 'bigint' || e < 0n || e > U64_MAX) return false;
            w.view.setBigUint64(w.pos + 8 * i, e, true);
          }
          w.pos += 8 * length;
          return true;
        },
        get: (r) => {
          const out = new Array<bigint>(length);
          for (let i = 0; i < length; i++) out[i] = r.view.getBigUint64(r.pos + 8 * i, true);
          r.pos += 8 * length;
          return out;
        },
      };
  }
}
