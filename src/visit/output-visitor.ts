/**
 * The output visitor: records a device's state into a state tree and returns every value unchanged
 * (docs/architecture.md section 4).
 *
 * Small arrays are copied into plain arrays; `bytes` keeps a reference to the device's buffer, valid
 * until the machine runs again. A value the input visitor would reject (a u8 of 300, a field name used
 * twice in one node) is a device bug and throws here, so that no snapshot is written that cannot be
 * loaded.
 */
import type { ScalarKind, Visitable, Visitor } from './visitor.ts';
import { newNode, type StateNode, type StateValue } from './state-tree.ts';
import { scalarError, varBytesError } from './field-checks.ts';
import { keepShape } from '../util/keep-shape.ts';

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

export class OutputVisitor implements Visitor {
  readonly mode = 'save' as const;
  /** The tree being built (the top node). */
  readonly root: StateNode = newNode();
  private node: StateNode = this.root;
  /** The object's path: it only prefixes error messages. */
  private readonly top: string;
  /** The groups entered below the top, by name and index (-1: not in a struct array), for messages. */
  private readonly names: string[] = [];
  private readonly indices: number[] = [];

  /** `path` (the object's path) only prefixes error messages. */
  constructor(path = '') {
    this.top = path;
  }

  /** Where the walk is, for a message: `/machine/pit.channels[1]` (built only when needed). */
  private get path(): string {
    let out = this.top;
    for (let i = 0; i < this.names.length; i++) {
      out += `.${this.names[i]}`;
      if (this.indices[i]! >= 0) out += `[${this.indices[i]}]`;
    }
    return out;
  }

  u8(name: string, value: number): number {
    if (typeof value !== 'number' || !((value & 0xff) === value)) this.scalar('u8', name, value);
    else this.put(name, value);
    return value;
  }
  u16(name: string, value: number): number {
    if (typeof value !== 'number' || !((value & 0xffff) === value)) this.scalar('u16', name, value);
    else this.put(name, value);
    return value;
  }
  u32(name: string, value: number): number {
    if (typeof value !== 'number' || !(value >>> 0 === value)) this.scalar('u32', name, value);
    else this.put(name, value);
    return value;
  }
  i8(name: string, value: number): number {
    if (typeof value !== 'number' || !((value << 24) >> 24 === value)) this.scalar('i8', name, value);
    else this.put(name, value);
    return value;
  }
  i16(name: string, value: number): number {
    if (typeof value !== 'number' || !((value << 16) >> 16 === value)) this.scalar('i16', name, value);
    else this.put(name, value);
    return value;
  }
  i32(name: string, value: number): number {
    if (typeof value !== 'number' || !((value | 0) === value)) this.scalar('i32', name, value);
    else this.put(name, value);
    return value;
  }
  u64(name: string, value: bigint): bigint {
    if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) this.scalar('u64', name, value);
    else this.put(name, value);
    return value;
  }
  i64(name: string, value: bigint): bigint {
    if (typeof value !== 'bigint' || value < I64_MIN || value > I64_MAX) this.scalar('i64', name, value);
    else this.put(name, value);
    return value;
  }
  bool(name: string, value: boolean): boolean {
    if (typeof value !== 'boolean') this.scalar('bool', name, value);
    else this.put(name, value);
    return value;
  }

  u8Array(name: string, value: Uint8Array): Uint8Array {
    this.put(name, numbers(value));
    return value;
  }
  u16Array(name: string, value: Uint16Array): Uint16Array {
    this.put(name, numbers(value));
    return value;
  }
  u32Array(name: string, value: Uint32Array): Uint32Array {
    this.put(name, numbers(value));
    return value;
  }
  i32Array(name: string, value: Int32Array): Int32Array {
    this.put(name, numbers(value));
    return value;
  }
  u64Array(name: string, value: BigUint64Array): BigUint64Array {
    this.put(name, bigints(value));
    return value;
  }
  bytes(name: string, value: Uint8Array): Uint8Array {
    this.put(name, value);
    return value;
  }
  varBytes(name: string, value: Uint8Array, maxLength: number): Uint8Array {
    const problem = varBytesError(maxLength, value);
    if (problem !== null) throw new Error(`${this.path}.${name}: cannot save: ${problem} (device bug)`);
    this.put(name, value);
    return value;
  }

  struct(name: string, body: () => void): void {
    const child = newNode();
    this.put(name, child);
    const outer = this.enter(child, name, -1);
    body();
    this.leave(outer);
  }

  structArray(name: string, length: number, body: (index: number) => void): void {
    const elements: StateNode[] = [];
    this.put(name, elements);
    for (let i = 0; i < length; i++) {
      const child = newNode();
      elements.push(child);
      const outer = this.enter(child, name, i);
      body(i);
      this.leave(outer);
    }
  }

  optional(name: string, needed: boolean, body: () => void): boolean {
    if (!needed) return false;
    this.struct(name, body);
    return true;
  }

  private scalar(kind: ScalarKind, name: string, value: number | bigint | boolean): void {
    const problem = scalarError(kind, value);
    if (problem !== null) throw new Error(`${this.path}.${name}: cannot save: ${problem} (device bug)`);
    this.put(name, value);
  }

  private put(name: string, value: StateValue): void {
    // Our nodes have no prototype and hold no undefined, so this is an own-key test.
    if (this.node[name] !== undefined) throw new Error(`${this.path}.${name}: duplicate field (device bug)`);
    this.node[name] = value;
  }

  /** Enters group `name` (element `index`, or -1) whose node is `node`; returns the node to go back to. */
  private enter(node: StateNode, name: string, index: number): StateNode {
    const outer = this.node;
    this.node = node;
    this.names.push(name);
    this.indices.push(index);
    return outer;
  }

  private leave(outer: StateNode): void {
    this.node = outer;
    this.names.pop();
    this.indices.pop();
  }
}

/** A typed array's elements as a plain array (a loop: Array.from is slower on typed arrays). */
function numbers(value: Uint8Array | Uint16Array | Uint32Array | Int32Array): number[] {
  const out = new Array<number>(value.length);
  for (let i = 0; i < value.length; i++) out[i] = value[i]!;
  return out;
}

/** Saves `obj` into a fresh state tree. `path` only prefixes error messages. */
export function saveState(obj: Visitable, path = ''): StateNode {
  const v = new OutputVisitor(path);
  obj.visit(v);
  return v.root;
}

/** A BigUint64Array's elements as a plain array (a loop, as numbers() for the same reason). */
function bigints(value: BigUint64Array): bigint[] {
  const out = new Array<bigint>(value.length);
  for (let i = 0; i < value.length; i++) out[i] = value[i]!;
  return out;
}

// A visitor lives for one object's save: keep the class's hidden class (src/util/keep-shape.ts).
keepShape(new OutputVisitor());
