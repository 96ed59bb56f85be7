/**
 * The input visitor: loads a device's state from a state tree (docs/architecture.md section 4).
 *
 * The tree is hostile. Every value is checked for kind and range before it is returned; arrays must
 * have exactly the destination's length and are filled in place; a missing field, a wrong value or
 * a field the device never visited is a StateError naming the full path, e.g.
 * `/machine/cpu[0]/lapic.isr[3]: expected u32, got -1`.
 */
import type { ArrayKind, ScalarKind, Visitable, Visitor } from './visitor.ts';
import type { StateNode, StateValue } from './state-tree.ts';
import { StateError } from '../util/errors.ts';
import { arrayShapeError, firstBadElement, scalarError, structArrayError, structError, varBytesError } from './field-checks.ts';

/** One node being walked. */
interface Frame {
  readonly node: StateNode;
  /** Path of the node: the object path, then `.field` and `[index]` parts. */
  readonly path: string;
  /** Names visited in this node, to reject duplicates and find unknown fields. */
  readonly visited: Set<string>;
  /** How many visited names were present in the node. */
  present: number;
  /** The node has no prototype (our own trees), so a plain read tells whether a key is there. */
  readonly bare: boolean;
}

function newFrame(node: StateNode, path: string): Frame {
  return { node, path, visited: new Set(), present: 0, bare: Object.getPrototypeOf(node) === null };
}

/** Whether the node has its own field `name` (never an inherited one such as `constructor`). */
function has(frame: Frame, name: string): boolean {
  return frame.bare ? frame.node[name] !== undefined : Object.hasOwn(frame.node, name);
}

export class InputVisitor implements Visitor {
  readonly mode = 'load' as const;
  private frame: Frame;
  private readonly stack: Frame[] = [];

  constructor(node: StateNode, path: string) {
    this.frame = newFrame(node, path);
  }

  /** Call after the walk: rejects fields of the top node that were never visited. */
  finish(): void {
    if (this.stack.length !== 0) throw new Error(`${this.frame.path}: visitor finished inside a group`);
    this.checkUnvisited(this.frame);
  }

  u8(name: string, value: number): number {
    return this.scalar('u8', name, value) as number;
  }
  u16(name: string, value: number): number {
    return this.scalar('u16', name, value) as number;
  }
  u32(name: string, value: number): number {
    return this.scalar('u32', name, value) as number;
  }
  i8(name: string, value: number): number {
    return this.scalar('i8', name, value) as number;
  }
  i16(name: string, value: number): number {
    return this.scalar('i16', name, value) as number;
  }
  i32(name: string, value: number): number {
    return this.scalar('i32', name, value) as number;
  }
  u64(name: string, value: bigint): bigint {
    return this.scalar('u64', name, value) as bigint;
  }
  i64(name: string, value: bigint): bigint {
    return this.scalar('i64', name, value) as bigint;
  }
  bool(name: string, value: boolean): boolean {
    return this.scalar('bool', name, value) as boolean;
  }

  u8Array(name: string, value: Uint8Array): Uint8Array {
    return this.numberArray('u8[]', 'u8', name, value);
  }
  u16Array(name: string, value: Uint16Array): Uint16Array {
    return this.numberArray('u16[]', 'u16', name, value);
  }
  u32Array(name: string, value: Uint32Array): Uint32Array {
    return this.numberArray('u32[]', 'u32', name, value);
  }
  i32Array(name: string, value: Int32Array): Int32Array {
    return this.numberArray('i32[]', 'i32', name, value);
  }
  u64Array(name: string, value: BigUint64Array): BigUint64Array {
    const source = this.arrayField('u64[]', name, value.length);
    const bad = firstBadElement('u64', source);
    if (bad >= 0) this.elementFail('u64', name, bad, source[bad]);
    for (let i = 0; i < source.length; i++) value[i] = source[i] as bigint;
    return value;
  }
  bytes(name: string, value: Uint8Array): Uint8Array {
    const source = this.take(name);
    const problem = arrayShapeError('bytes', value.length, source);
    if (problem !== null) this.fail(name, problem);
    if (source !== value) value.set(source as Uint8Array);
    return value;
  }

  varBytes(name: string, _value: Uint8Array, maxLength: number): Uint8Array {
    const source = this.take(name);
    const problem = varBytesError(maxLength, source);
    if (problem !== null) this.fail(name, problem);
    return source as Uint8Array;
  }

  struct(name: string, body: () => void): void {
    const source = this.take(name);
    const problem = structError(source);
    if (problem !== null) this.fail(name, problem);
    this.walk(source as StateNode, `${this.frame.path}.${name}`, body);
  }

  structArray(name: string, length: number, body: (index: number) => void): void {
    const source = this.take(name);
    const problem = structArrayError(length, source);
    if (problem !== null) this.fail(name, problem);
    const elements = source as StateValue[];
    const base = `${this.frame.path}.${name}`;
    for (let i = 0; i < length; i++) {
      const element = elements[i];
      const elementProblem = structError(element);
      if (elementProblem !== null) throw new StateError(`${base}[${i}]`, elementProblem);
      this.walk(element as StateNode, `${base}[${i}]`, () => body(i));
    }
  }

  optional(name: string, _needed: boolean, body: () => void): boolean {
    const frame = this.frame;
    this.markVisited(name);
    if (!has(frame, name)) return false;
    frame.present++;
    const source = frame.node[name];
    const problem = structError(source);
    if (problem !== null) this.fail(name, problem);
    this.walk(source as StateNode, `${frame.path}.${name}`, body);
    return true;
  }

  private scalar(kind: ScalarKind, name: string, _value: unknown): StateValue {
    const source = this.take(name);
    const problem = scalarError(kind, source);
    if (problem !== null) this.fail(name, problem);
    return source;
  }

  private numberArray<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array>(
    kind: ArrayKind,
    element: ScalarKind,
    name: string,
    value: T,
  ): T {
    const source = this.arrayField(kind, name, value.length);
    const bad = firstBadElement(element, source);
    if (bad >= 0) this.elementFail(element, name, bad, source[bad]);
    for (let i = 0; i < source.length; i++) value[i] = source[i] as number;
    return value;
  }

  private arrayField(kind: ArrayKind, name: string, length: number): StateValue[] {
    const source = this.take(name);
    const problem = arrayShapeError(kind, length, source);
    if (problem !== null) this.fail(name, problem);
    return source as StateValue[];
  }

  /** Marks `name` visited and returns its value; a missing field is an error. */
  private take(name: string): StateValue {
    const frame = this.frame;
    this.markVisited(name);
    if (!has(frame, name)) this.fail(name, 'missing');
    frame.present++;
    return frame.node[name]!;
  }

  private markVisited(name: string): void {
    const visited = this.frame.visited;
    if (visited.has(name)) throw new Error(`${this.frame.path}.${name}: visited twice (device bug)`);
    visited.add(name);
  }

  private walk(node: StateNode, path: string, body: () => void): void {
    this.stack.push(this.frame);
    const frame = newFrame(node, path);
    this.frame = frame;
    body();
    this.checkUnvisited(frame);
    this.frame = this.stack.pop()!;
  }

  private checkUnvisited(frame: Frame): void {
    const keys = Object.keys(frame.node);
    if (keys.length === frame.present) return;
    for (const key of keys) {
      if (!frame.visited.has(key)) throw new StateError(`${frame.path}.${key}`, 'unknown field');
    }
  }

  private fail(name: string, message: string): never {
    throw new StateError(`${this.frame.path}.${name}`, message);
  }

  private elementFail(kind: ScalarKind, name: string, index: number, value: unknown): never {
    throw new StateError(`${this.frame.path}.${name}[${index}]`, scalarError(kind, value)!);
  }
}

/**
 * Loads `obj` from `node`, checking everything; `path` is the object's path, used in error messages.
 * On error the object may be partly loaded: load into a fresh object and discard it on failure.
 */
export function loadState(obj: Visitable, node: StateNode, path: string): void {
  const problem = structError(node);
  if (problem !== null) throw new StateError(path, problem);
  const v = new InputVisitor(node, path);
  obj.visit(v);
  v.finish();
}
