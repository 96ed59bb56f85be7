/**
 * The value section of a version 4 file (README.md "The value section"): every object's field values
 * in binary, one object after another in the document's object order (sorted paths), each laid out
 * by the schema of its type@version (value-layout.ts). Nothing else is in it: no lengths, no names;
 * the document and its schemas say what every byte is, so a reader without device code decodes it.
 */
import { validateAgainstSchema, type SchemaNode } from '../src/visit/schema.ts';
import type { StateNode } from '../src/visit/state-tree.ts';
import { StateError } from '../src/util/errors.ts';
import { DEFAULT_LIMITS, type SnapshotLimits } from './limits.ts';
import { keepShape } from '../src/util/keep-shape.ts';
import { SnapshotError } from './snapshot-error.ts';
import { ValueFault, ValueReader, ValueWriter, valueLayout, type BlobIndexReader, type BlobIndexWriter } from './value-layout.ts';

export type { BlobIndexReader, BlobIndexWriter } from './value-layout.ts';

/** One object to write: its path, fields and the schema they are checked against and laid out by. */
export interface ValueObject {
  readonly path: string;
  readonly fields: StateNode;
  readonly schema: SchemaNode;
}

/** The output buffer, kept between calls (device state is about the same size every save). */
let scratch: ValueWriter | null = null;
/** A buffer grown past this is not kept (one unusual snapshot should not hold memory). */
const MAX_KEPT = 1 << 20;

/**
 * The value section of `objects`, in their order. Each object's fields are checked against its
 * schema as they are written (as strictly as validateAgainstSchema, which names the fault). The
 * result is a view of a buffer reused by the next call: copy it before calling again.
 */
export function encodeValueSection(objects: readonly ValueObject[], putBlob: BlobIndexWriter): Uint8Array {
  const w = scratch ?? new ValueWriter(16384, putBlob);
  scratch = null;
  w.pos = 0;
  w.putBlob = putBlob;
  try {
    for (const { path, fields, schema } of objects) {
      if (!valueLayout(schema).write(w, fields, path)) {
        validateAgainstSchema(fields, schema, path);
        throw new StateError(path, 'does not fit its schema');
      }
    }
    return w.bytes.subarray(0, w.pos);
  } finally {
    scratch = w.bytes.length <= MAX_KEPT ? w : null;
  }
}

/** Reads one object after the other from a value section, each through its schema. */
export class ValueSectionReader {
  private readonly reader: ValueReader;
  private readonly limits: SnapshotLimits;
  private readonly base: number;
  private containers = 0;

  /** `base`: the section's file offset (for messages). */
  constructor(section: Uint8Array, readBlob: BlobIndexReader, limits: SnapshotLimits, base: number) {
    this.reader = new ValueReader(section, readBlob);
    this.limits = limits;
    this.base = base;
  }

  /**
   * The next object's fields. Faults are SnapshotErrors naming the object path and field
   * (`/machine/pit.channels[1].mode`); limits are checked from the schema before anything is read.
   */
  read(schema: SchemaNode, path: string): StateNode {
    const layout = valueLayout(schema);
    if (layout.longestArray > this.limits.maxArrayLength) {
      throw new SnapshotError('limit', path, `an array of ${layout.longestArray} elements, limit ${this.limits.maxArrayLength}`);
    }
    this.containers += layout.containers;
    if (this.containers > this.limits.maxContainers) {
      throw new SnapshotError('limit', path, `more than ${this.limits.maxContainers} arrays and nodes in the value section`);
    }
    const start = this.reader.pos;
    try {
      return layout.read(this.reader, path);
    } catch (e) {
      if (e instanceof ValueFault) {
        throw new SnapshotError('bad-values', `${path}${e.at}`, `${e.message} (object's values from byte ${this.base + start})`);
      }
      throw e;
    }
  }

  /** Checks that every byte of the section was read. */
  finish(): void {
    const r = this.reader;
    if (r.pos !== r.end) {
      throw new SnapshotError('bad-values', `byte ${this.base + r.pos} (value section)`, `${r.end - r.pos} bytes after the last object's values`);
    }
  }
}

// A section reader lives for one decode: keep the class's hidden class (src/util/keep-shape.ts).
keepShape(
  new ValueSectionReader(
    new Uint8Array(0),
    () => {
      throw new ValueFault('no blob');
    },
    DEFAULT_LIMITS,
    0,
  ),
);
