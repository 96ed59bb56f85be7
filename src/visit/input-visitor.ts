/**
 * The input visitor: loads a device's state from a state tree (docs/architecture.md section 4).
 *
 * The tree is hostile. Every value is checked for kind and range before it is returned; arrays must
 * have exactly the destination's length and are filled in place; a missing field, a wrong value or
 * a field the device never visited is a StateError naming the full path, e.g.
 * `/machine/cpu[0]/lapic.isr[3]: expected u32, got -1`.
 */
import type { ArrayKind, ScalarKind, Visitable, Visitor } from './visitor.ts';
import { newNode, type StateNode, type StateValue } from './state-tree.ts';
import { StateError } from '../util/errors.ts';
import { arrayShapeError, firstBadElement, scalarError, structArrayError, structError, varBytesError } from './field-checks.ts';
import { keepShape } from '../util/keep-shape.ts';

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** One node being walked. */
interface Frame {
  readonly node: StateNode;
  /** The enclosing node's frame; null at the object's top node. */
  readonly parent: Frame | null;
  /** The object's path at the top; else the field name of this node in its parent. */
  readonly name: string;
  /** This node's index in a struct array, or -1. */
  readonly index: number;
  /** The node's own keys, in their order. */
  readonly keys: string[];
  /**
   * While the device visits the node's keys in their order (our trees keep the visit order), the
   * names visited are exactly keys[0, cursor): distinct, all present, nothing to remember.
   */
  cursor: number;
  /**
   * Names visited, once the walk left the keys' order (a name out of order, an absent optional
   * group): then duplicates and unknown fields are found by this list (a list: nodes are small).
   */
  visited: string[] | null;
  /** How many visited names were present in the node (in order: cursor). */
  present: number;
}

function newFrame(node: StateNode, parent: Frame | null, name: string, index: number): Frame {
  return { node, parent, name, index, keys: Object.keys(node), cursor: 0, visited: null, present: 0 };
}

/** The path of a frame's node, for messages: `/machine/pit.channels[1]` (built only when needed). */
function pathOf(frame: Frame): string {
  if (frame.parent === null) return frame.name;
  const at = `${pathOf(frame.parent)}.${frame.name}`;
  return frame.index < 0 ? at : `${at}[${frame.index}]`;
}

/** Whether the node has its own field `name` (never an inherited one such as `constructor`). */
function has(frame: Frame, name: string): boolean {
  // A node without prototype (our own trees): a plain read tells whether a key is there.
  return Object.getPrototypeOf(frame.node) === null ? frame.node[name] !== undefined : Object.hasOwn(frame.node, name);
}

export class InputVisitor implements Visitor {
  readonly mode = 'load' as const;
  private frame: Frame;

  constructor(node: StateNode, path: string) {
    this.frame = newFrame(node, null, path, -1);
  }

  /** Call after the walk: rejects fields of the top node that were never visited. */
  finish(): void {
    if (this.frame.parent !== null) throw new Error(`${pathOf(this.frame)}: visitor finished inside a group`);
    this.checkUnvisited(this.frame);
  }

  u8(name: string, _value: number): number {
    const v = this.take(name);
    if (typeof v !== 'number' || !((v & 0xff) === v)) this.fail(name, scalarError('u8', v)!);
    return v;
  }
  u16(name: string, _value: number): number {
    const v = this.take(name);
    if (typeof v !== 'number' || !((v & 0xffff) === v)) this.fail(name, scalarError('u16', v)!);
    return v;
  }
  u32(name: string, _value: number): number {
    const v = this.take(name);
    if (typeof v !== 'number' || !(v >>> 0 === v)) this.fail(name, scalarError('u32', v)!);
    return v;
  }
  i8(name: string, _value: number): number {
    const v = this.take(name);
    if (typeof v !== 'number' || !((v << 24) >> 24 === v)) this.fail(name, scalarError('i8', v)!);
    return v;
  }
  i16(name: string, _value: number): number {
    const v = this.take(name);
    if (typeof v !== 'number' || !((v << 16) >> 16 === v)) this.fail(name, scalarError('i16', v)!);
    return v;
  }
  i32(name: string, _value: number): number {
    const v = this.take(name);
    if (typeof v !== 'number' || !((v | 0) === v)) this.fail(name, scalarError('i32', v)!);
    return v;
  }
  u64(name: string, _value: bigint): bigint {
    const v = this.take(name);
    if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) this.fail(name, scalarError('u64', v)!);
    return v;
  }
  i64(name: string, _value: bigint): bigint {
    const v = this.take(name);
    if (typeof v !== 'bigint' || v < I64_MIN || v > I64_MAX) this.fail(name, scalarError('i64', v)!);
    return v;
  }
  bool(name: string, _value: boolean): boolean {
    const v = this.take(name);
    if (typeof v !== 'boolean') this.fail(name, scalarError('bool', v)!);
    return v;
  }

  u8Array(name: string, value: Uint8Array): Uint8Array {
    // The register pages of the local APICs are the longest arrays of most machines: one loop
    // checks and copies (a failed load leaves the object partly loaded, as any failed load may).
    const source = this.arrayField('u8[]', name, value.length);
    for (let i = 0; i < source.length; i++) {
      const e = source[i];
      if (typeof e !== 'number' || (e & 0xff) !== e) this.elementFail('u8', name, i, e);
      value[i] = e;
    }
    return value;
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
    this.walk(source as StateNode, name, -1, body);
  }

  structArray(name: string, length: number, body: (index: number) => void): void {
    const source = this.take(name);
    const problem = structArrayError(length, source);
    if (problem !== null) this.fail(name, problem);
    const elements = source as StateValue[];
    for (let i = 0; i < length; i++) {
      const element = elements[i];
      const elementProblem = structError(element);
      if (elementProblem !== null) throw new StateError(`${pathOf(this.frame)}.${name}[${i}]`, elementProblem);
      const frame = this.enter(element as StateNode, name, i);
      body(i);
      this.leave(frame);
    }
  }

  optional(name: string, _needed: boolean, body: () => void): boolean {
    const frame = this.frame;
    let source: StateValue | undefined;
    if (frame.visited === null && frame.keys[frame.cursor] === name && (source = frame.node[name]) !== undefined) {
      frame.cursor++;
    } else {
      this.markVisited(name);
      if (!has(frame, name)) return false;
      frame.present++;
      source = frame.node[name];
    }
    const problem = structError(source);
    if (problem !== null) this.fail(name, problem);
    this.walk(source as StateNode, name, -1, body);
    return true;
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
    if (frame.visited === null && frame.keys[frame.cursor] === name) {
      // The next key in order: an own key, never visited before. An undefined value (a hostile
      // tree) takes the general path, which calls it missing in a node without prototype.
      const value = frame.node[name];
      if (value !== undefined) {
        frame.cursor++;
        return value;
      }
    }
    this.markVisited(name);
    if (!has(frame, name)) this.fail(name, 'missing');
    frame.present++;
    return frame.node[name]!;
  }

  /** Marks `name` visited (leaving the keys' order: see Frame); a name visited twice is a device bug. */
  private markVisited(name: string): void {
    const frame = this.frame;
    let visited = frame.visited;
    if (visited === null) {
      visited = frame.keys.slice(0, frame.cursor);
      frame.visited = visited;
      frame.present = frame.cursor;
    }
    if (visited.includes(name)) throw new Error(`${pathOf(frame)}.${name}: visited twice (device bug)`);
    visited.push(name);
  }

  private walk(node: StateNode, name: string, index: number, body: () => void): void {
    const frame = this.enter(node, name, index);
    body();
    this.leave(frame);
  }

  /** Enters `node`, group `name` (element `index`, or -1) of the current node; returns its frame. */
  private enter(node: StateNode, name: string, index: number): Frame {
    const frame = newFrame(node, this.frame, name, index);
    this.frame = frame;
    return frame;
  }

  /** Leaves `frame` (the current one) after checking that every field of it was visited. */
  private leave(frame: Frame): void {
    this.checkUnvisited(frame);
    this.frame = frame.parent!;
  }

  private checkUnvisited(frame: Frame): void {
    const keys = frame.keys;
    const visited = frame.visited;
    if (visited === null) {
      // keys[0, cursor) were visited, the rest not: the first of those is unknown to the device.
      if (frame.cursor < keys.length) throw new StateError(`${pathOf(frame)}.${keys[frame.cursor]}`, 'unknown field');
      return;
    }
    if (keys.length === frame.present) return;
    for (const key of keys) {
      if (!visited.includes(key)) throw new StateError(`${pathOf(frame)}.${key}`, 'unknown field');
    }
  }

  private fail(name: string, message: string): never {
    throw new StateError(`${pathOf(this.frame)}.${name}`, message);
  }

  private elementFail(kind: ScalarKind, name: string, index: number, value: unknown): never {
    throw new StateError(`${pathOf(this.frame)}.${name}[${index}]`, scalarError(kind, value)!);
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

// A visitor lives for one object's load: keep the class's hidden class, and its frame's
// (src/util/keep-shape.ts).
keepShape(new InputVisitor(newNode(), ''));
