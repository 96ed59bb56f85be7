/**
 * The filter type (docs/architecture.md section 9). A filter rewrites the part of a snapshot's object map that
 * one destination machine cannot load as is: it renames a type, maps fields, splits one node into
 * several paths, merges several into one, or steps a type's state version up or down.
 *
 * A filter declares what it consumes and produces as (type, version) signatures, each at a path
 * relative to an anchor path (the path of its first input), so that the planner can chain filters
 * without running them. It is a pure function: it never mutates its inputs (outputs share nothing
 * with them) and never imports device code; it knows devices by type-name strings and field names.
 */
import type { StateNode } from '../../src/visit/state-tree.ts';

/** A (type, version) pair: what a node is. */
export interface Signature {
  readonly type: string;
  readonly version: number;
}

/**
 * One node a filter consumes or produces: its signature and where it sits relative to the anchor.
 * `at` is `.` (the anchor itself), `./name` (a child of the anchor, e.g. `./virtio-backend`) or
 * `../name` (a sibling, e.g. `../pcspk` beside `/machine/pit`).
 */
export interface FilterPort extends Signature {
  readonly at: string;
}

/** One object as filters see it (the same shape as Snapshot.objects' values). */
export interface FilterNode {
  readonly type: string;
  readonly version: number;
  readonly fields: StateNode;
}

/** What a filter may know besides its inputs. */
export interface FilterContext {
  /** The anchor path: where consumes[0] was found (for error messages and per-path choices). */
  readonly path: string;
  /** Virtual time at the snapshot point, ns (timer bases are rebuilt from it). */
  readonly virtualTimeNs: bigint;
}

export interface Filter {
  /** Unique name, reported in the chain: `kvm-apic->apic`, `apic:v3->v4`. */
  readonly name: string;
  /** One line for people (`godwit snapshot convert` prints it). */
  readonly description: string;
  /** Inputs; consumes[0] is the anchor and must be at `.`. */
  readonly consumes: readonly FilterPort[];
  /** Outputs, in the order apply() returns them. */
  readonly produces: readonly FilterPort[];
  /** Name of the filter that undoes this one, where the information allows (tests check the pair). */
  readonly inverse?: string;
  /**
   * The rewrite. `inputs[i]` has the signature of consumes[i]; the result's element i must have the
   * signature of produces[i]. Throws a FilterError naming path and value for anything the output
   * cannot express or the input should not hold. Must not mutate `inputs`.
   */
  apply(inputs: readonly FilterNode[], ctx: FilterContext): FilterNode[];
}

/** `type@version`, as in Snapshot.schemas keys. */
export function signatureKey(s: Signature): string {
  return `${s.type}@${s.version}`;
}

export function sameSignature(a: Signature, b: Signature): boolean {
  return a.type === b.type && a.version === b.version;
}

/** `type v3`, for messages. */
export function showSignature(s: Signature): string {
  return `${s.type} v${s.version}`;
}

const PORT_NAME = /^[A-Za-z][A-Za-z0-9_-]*(?:\[(?:0|[1-9][0-9]{0,5})\])?$/;

/** True for a well-formed relative port path: `.`, `./name` or `../name`. */
export function isValidPortPath(at: string): boolean {
  if (at === '.') return true;
  if (at.startsWith('./')) return PORT_NAME.test(at.slice(2));
  if (at.startsWith('../')) return PORT_NAME.test(at.slice(3));
  return false;
}

/** The absolute path of port `at` for `anchor`; null when `../` climbs above the root. */
export function resolvePortPath(anchor: string, at: string): string | null {
  if (at === '.') return anchor;
  if (at.startsWith('./')) return `${anchor}/${at.slice(2)}`;
  const cut = anchor.lastIndexOf('/');
  if (cut <= 0) return null;
  return `${anchor.slice(0, cut)}/${at.slice(3)}`;
}
