/**
 * The describe visitor: records the names and kinds of a device's fields, not their values
 * (docs/architecture.md section 4). Its output, a SchemaNode, goes into every snapshot so that a reader needs no
 * device code to decode and verify the state (QEMU's vmdesc, but used).
 *
 * Every value is returned unchanged. Optional groups are walked once and marked optional; `optional`
 * returns `needed`, as on save, so the device's state is left as it was. A struct array's body is
 * walked for every index and must describe the same fields each time.
 */
import type { ArrayKind, ScalarKind, Visitable, Visitor } from './visitor.ts';
import { schemasEqual, type SchemaField, type SchemaNode } from './schema.ts';

export type {
  ArrayField,
  GroupArrayField,
  GroupField,
  ScalarField,
  SchemaField,
  SchemaNode,
  VarBytesField,
} from './schema.ts';
export { parseSchema, schemasEqual, validateAgainstSchema } from './schema.ts';

export class DescribeVisitor implements Visitor {
  readonly mode = 'describe' as const;
  /** Top-level fields in visit order. */
  readonly root: SchemaField[] = [];
  private fields: SchemaField[] = this.root;
  private path: string;

  /** `path` (the object's path) only prefixes error messages. */
  constructor(path = '') {
    this.path = path;
  }

  u8(name: string, value: number): number {
    this.scalar('u8', name);
    return value;
  }
  u16(name: string, value: number): number {
    this.scalar('u16', name);
    return value;
  }
  u32(name: string, value: number): number {
    this.scalar('u32', name);
    return value;
  }
  i8(name: string, value: number): number {
    this.scalar('i8', name);
    return value;
  }
  i16(name: string, value: number): number {
    this.scalar('i16', name);
    return value;
  }
  i32(name: string, value: number): number {
    this.scalar('i32', name);
    return value;
  }
  u64(name: string, value: bigint): bigint {
    this.scalar('u64', name);
    return value;
  }
  i64(name: string, value: bigint): bigint {
    this.scalar('i64', name);
    return value;
  }
  bool(name: string, value: boolean): boolean {
    this.scalar('bool', name);
    return value;
  }

  u8Array(name: string, value: Uint8Array): Uint8Array {
    this.array('u8[]', name, value.length);
    return value;
  }
  u16Array(name: string, value: Uint16Array): Uint16Array {
    this.array('u16[]', name, value.length);
    return value;
  }
  u32Array(name: string, value: Uint32Array): Uint32Array {
    this.array('u32[]', name, value.length);
    return value;
  }
  i32Array(name: string, value: Int32Array): Int32Array {
    this.array('i32[]', name, value.length);
    return value;
  }
  u64Array(name: string, value: BigUint64Array): BigUint64Array {
    this.array('u64[]', name, value.length);
    return value;
  }
  bytes(name: string, value: Uint8Array): Uint8Array {
    this.array('bytes', name, value.length);
    return value;
  }
  varBytes(name: string, value: Uint8Array, maxLength: number): Uint8Array {
    this.add({ name, kind: 'varbytes', maxLength });
    return value;
  }

  struct(name: string, body: () => void): void {
    this.add({ name, kind: 'struct', fields: this.walk(`${this.path}.${name}`, body) });
  }

  structArray(name: string, length: number, body: (index: number) => void): void {
    let first: SchemaField[] = [];
    for (let i = 0; i < length; i++) {
      const fields = this.walk(`${this.path}.${name}[${i}]`, () => body(i));
      if (i === 0) first = fields;
      else if (!schemasEqual({ fields }, { fields: first })) {
        throw new Error(`${this.path}.${name}[${i}]: fields differ from element 0 (device bug)`);
      }
    }
    this.add({ name, kind: 'struct[]', length, fields: first });
  }

  optional(name: string, needed: boolean, body: () => void): boolean {
    this.add({ name, kind: 'optional', fields: this.walk(`${this.path}.${name}`, body) });
    return needed;
  }

  private scalar(kind: ScalarKind, name: string): void {
    this.add({ name, kind });
  }

  private array(kind: ArrayKind, name: string, length: number): void {
    this.add({ name, kind, length });
  }

  private add(field: SchemaField): void {
    for (const f of this.fields) {
      if (f.name === field.name) throw new Error(`${this.path}.${field.name}: duplicate field (device bug)`);
    }
    this.fields.push(field);
  }

  /** Walks `body` into a fresh field list and returns it. */
  private walk(path: string, body: () => void): SchemaField[] {
    const outerFields = this.fields;
    const outerPath = this.path;
    const fields: SchemaField[] = [];
    this.fields = fields;
    this.path = path;
    body();
    this.fields = outerFields;
    this.path = outerPath;
    return fields;
  }
}

/** The schema of `obj`'s state. `path` only prefixes error messages. */
export function describeState(obj: Visitable, path = ''): SchemaNode {
  const v = new DescribeVisitor(path);
  obj.visit(v);
  return { fields: v.root };
}
