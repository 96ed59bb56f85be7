/**
 * The object tree (docs/architecture.md section 3): every object with state, by explicit, stable path
 * (`/machine/cpu[0]`, `/machine/cpu[0]/lapic`, `/machine/pic/master`, `/machine/peripheral/disk0`),
 * never by creation order. Iteration is always in path order, so saved trees are deterministic.
 *
 * saveAll/loadAll move every object's state through the visitors. loadAll checks the saved set of
 * paths, types and versions against this tree before loading anything; it does not run postLoad,
 * which the machine runs afterwards in its fixed order (docs/architecture.md section 8).
 */
import type { StateObject } from './object.ts';
import { isStateNode, type StateNode } from '../visit/state-tree.ts';
import { saveState } from '../visit/output-visitor.ts';
import { loadState } from '../visit/input-visitor.ts';
import { describeState } from '../visit/describe-visitor.ts';
import type { SchemaNode } from '../visit/schema.ts';
import { internSchema } from '../visit/schema-cache.ts';
import { StateError, WiringError } from '../util/errors.ts';
import { compareStrings, isValidTypeName } from './type-registry.ts';

export { TypeRegistry, isValidTypeName, type RegisteredType } from './type-registry.ts';

/** One object's saved state. */
export interface SavedObject {
  readonly type: string;
  readonly version: number;
  readonly fields: StateNode;
}

/** One object's schema, for the snapshot. */
export interface DescribedObject {
  readonly type: string;
  readonly version: number;
  readonly schema: SchemaNode;
}

/** One path segment: a name (letters, digits, `_`, `-`, starting with a letter), maybe an index. */
const SEGMENT = '[A-Za-z][A-Za-z0-9_-]*(?:\\[(?:0|[1-9][0-9]{0,5})\\])?';
const OBJECT_PATH = new RegExp(`^(?:/${SEGMENT})+$`);
const OBJECT_NAME = new RegExp(`^${SEGMENT}$`);
/** Longest object path accepted. */
export const MAX_PATH_LENGTH = 256;

/** True for a well-formed object path such as `/machine/cpu[0]/lapic`. */
export function isValidObjectPath(path: string): boolean {
  return path.length <= MAX_PATH_LENGTH && OBJECT_PATH.test(path);
}

/** True for a well-formed path segment (e.g. a `-device ...,id=` value): `disk0`, `cpu[1]`. */
export function isValidObjectName(name: string): boolean {
  return name.length <= MAX_PATH_LENGTH && OBJECT_NAME.test(name);
}

export class ObjectTree {
  private readonly objects = new Map<string, StateObject>();
  /** Paths in sorted order, rebuilt after an add. */
  private sorted: string[] | null = null;
  /** describeAll's result, kept until an add: a schema does not change while the machine runs. */
  private described: ReadonlyMap<string, DescribedObject> | null = null;

  get size(): number {
    return this.objects.size;
  }

  /** Adds an object; a malformed or duplicate path, or a bad type name or version, is a WiringError. */
  add(path: string, obj: StateObject): void {
    if (!isValidObjectPath(path)) throw new WiringError(`bad object path ${JSON.stringify(path)}`);
    if (this.objects.has(path)) throw new WiringError(`${path}: an object is already there`);
    if (!isValidTypeName(obj.typeName)) throw new WiringError(`${path}: bad type name ${JSON.stringify(obj.typeName)}`);
    if (!Number.isSafeInteger(obj.stateVersion) || obj.stateVersion < 0) {
      throw new WiringError(`${path}: bad state version ${obj.stateVersion}`);
    }
    this.objects.set(path, obj);
    this.sorted = null;
    this.described = null;
  }

  has(path: string): boolean {
    return this.objects.has(path);
  }

  get(path: string): StateObject | undefined {
    return this.objects.get(path);
  }

  /** All paths, sorted by code units. */
  paths(): string[] {
    // The default sort compares strings by code units, as compareStrings does, natively.
    if (this.sorted === null) this.sorted = [...this.objects.keys()].sort();
    return this.sorted.slice();
  }

  /** All (path, object) pairs in path order. */
  entries(): Array<[string, StateObject]> {
    return this.paths().map((path) => [path, this.objects.get(path)!]);
  }

  /** Saves every object, in path order. Byte strings in the result refer to live device memory. */
  saveAll(): Map<string, SavedObject> {
    const out = new Map<string, SavedObject>();
    for (const [path, obj] of this.entries()) {
      out.set(path, { type: obj.typeName, version: obj.stateVersion, fields: saveState(obj, path) });
    }
    return out;
  }

  /**
   * The schema of every object, in path order. Described once per tree (an object's schema depends on
   * its configuration, never on its state), each schema interned (internSchema), so that equal
   * schemas are one object and what is computed from them is cached by identity.
   */
  describeAll(): Map<string, DescribedObject> {
    return new Map(this.describedObjects());
  }

  /** describeAll's map itself, not a copy: read it only (it is kept for the next caller). */
  describedObjects(): ReadonlyMap<string, DescribedObject> {
    if (this.described === null) {
      const out = new Map<string, DescribedObject>();
      for (const [path, obj] of this.entries()) {
        out.set(path, { type: obj.typeName, version: obj.stateVersion, schema: internSchema(describeState(obj, path)) });
      }
      this.described = out;
    }
    return this.described;
  }

  /**
   * Takes `other`'s kept description when this tree holds the same objects: the same paths, each an
   * object of the same class, type name and state version. For two trees built from one
   * configuration (a machine's board and the board a restore builds): an object's schema depends on
   * its class and configuration, never on its state. Returns whether it was taken; an add to either
   * tree afterwards describes that tree again.
   */
  adoptDescription(other: ObjectTree): boolean {
    const described = other.described;
    if (described === null || this.described !== null || described.size !== this.objects.size) return false;
    for (const [path, d] of described) {
      const mine = this.objects.get(path);
      const theirs = other.objects.get(path);
      if (mine === undefined || theirs === undefined || Object.getPrototypeOf(mine) !== Object.getPrototypeOf(theirs)) return false;
      if (mine.typeName !== d.type || mine.stateVersion !== d.version) return false;
    }
    this.described = described;
    return true;
  }

  /**
   * Loads every object from `saved` (untrusted). The set of paths must match exactly and each entry's
   * type and version must be the object's; all of that is checked before any object is loaded. Throws
   * a StateError naming the path; on error, objects may be partly loaded, so load into a fresh tree.
   */
  loadAll(saved: ReadonlyMap<string, SavedObject>): void {
    for (const path of this.paths()) {
      if (!saved.has(path)) throw new StateError(path, 'missing from the saved state');
    }
    const extra = [...saved.keys()].filter((path) => !this.objects.has(path)).sort(compareStrings);
    if (extra.length > 0) throw new StateError(String(extra[0]), 'saved state for an object this machine does not have');
    for (const [path, obj] of this.entries()) checkHeader(path, obj, saved.get(path));
    for (const [path, obj] of this.entries()) loadState(obj, saved.get(path)!.fields, path);
  }
}

function checkHeader(path: string, obj: StateObject, entry: unknown): void {
  if (typeof entry !== 'object' || entry === null) throw new StateError(path, 'saved entry is not an object');
  const type = ownProperty(entry, 'type');
  const version = ownProperty(entry, 'version');
  if (typeof type !== 'string') throw new StateError(path, 'saved entry has no type');
  if (type !== obj.typeName) {
    throw new StateError(path, `type mismatch: saved ${JSON.stringify(type)}, this machine has ${JSON.stringify(obj.typeName)}`);
  }
  if (version !== obj.stateVersion) {
    const shown = typeof version === 'number' ? String(version) : typeof version;
    throw new StateError(path, `version mismatch for type ${type}: saved ${shown}, this machine has ${obj.stateVersion}`);
  }
  if (!isStateNode(ownProperty(entry, 'fields'))) throw new StateError(path, 'saved entry has no fields');
}

function ownProperty(entry: object, key: string): unknown {
  return Object.hasOwn(entry, key) ? (entry as Record<string, unknown>)[key] : undefined;
}
