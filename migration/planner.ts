/**
 * The planner (docs/architecture.md sections 8 and 9): compares the snapshot's (path, type, version) set with
 * the destination machine's and finds, for each group of paths that differ, the shortest chain of
 * registered filters that turns one into the other (breadth-first search over signatures; filters
 * are not run while planning). No chain: a FilterError listing everything that does not match.
 *
 *   const plan = planMigration(registry, sourceSignatures(snapshot), destination);
 *   const objects = applyPlan(registry, plan, snapshot.objects, snapshot.clock.virtualTimeNs);
 *
 * A group starts at one differing path of the snapshot and grows as filters pull in the other nodes
 * they consume (a merge's `../pcspk`) and add the nodes they produce (a split's `./virtio-backend`).
 * Search order is fixed (paths and filter names sorted), so the same inputs give the same plan.
 */
import type { SchemaField, SchemaNode } from '../src/visit/schema.ts';
import { compareStrings } from '../src/qom/type-registry.ts';
import type { Filter, FilterNode, Signature } from './filters/filter.ts';
import { resolvePortPath, sameSignature, showSignature } from './filters/filter.ts';
import { FilterError } from './filters/filter-error.ts';
import type { FilterRegistry } from './registry.ts';
import type { Snapshot } from './snapshot.ts';
import { schemaKey } from './snapshot.ts';

/** What sits at one path: a signature and, when known, the schema (to catch size mismatches). */
export interface ObjectSignature extends Signature {
  readonly schema?: SchemaNode;
}

/** One application of a filter, anchored at `path` (where its first input is). */
export interface PlanStep {
  readonly filter: string;
  readonly path: string;
}

/** A set of paths rewritten together, and the chain that does it. */
export interface PlanGroup {
  /** The differing path the group grew from (where its first step is anchored). */
  readonly start: string;
  /** Every path the chain reads or writes, sorted. */
  readonly paths: readonly string[];
  readonly steps: readonly PlanStep[];
}

export interface MigrationPlan {
  /** Groups in order of their start path; an empty list when the snapshot already fits. */
  readonly groups: readonly PlanGroup[];
  /** Every step, in application order (groups one after the other). */
  readonly steps: readonly PlanStep[];
  /** The chain: the filter name of every step, in order. */
  readonly chain: readonly string[];
}

export interface PlanOptions {
  /** Longest chain searched per group (default 8). */
  readonly maxSteps?: number;
  /** Search states explored per group before giving up (default 20000). */
  readonly maxStates?: number;
}

/** The snapshot's side of the comparison: each object's type, version and schema. */
export function sourceSignatures(snapshot: Snapshot): Map<string, ObjectSignature> {
  const out = new Map<string, ObjectSignature>();
  for (const [path, obj] of snapshot.objects) {
    const schema = snapshot.schemas.get(schemaKey(obj.type, obj.version));
    out.set(path, schema === undefined ? { type: obj.type, version: obj.version } : { type: obj.type, version: obj.version, schema });
  }
  return out;
}

/** Lines for people: `/machine/pit: kvm-pit->i8254+pcspk`. */
export function describePlan(plan: MigrationPlan): string[] {
  return plan.steps.map((s) => `${s.path}: ${s.filter}`);
}

/** One search state: the group's current nodes and every path it has touched. */
interface SearchState {
  readonly nodes: ReadonlyMap<string, Signature>;
  readonly touched: ReadonlySet<string>;
  readonly steps: readonly PlanStep[];
}

function stateKey(s: SearchState): string {
  return [...s.touched]
    .sort(compareStrings)
    .map((p) => {
      const n = s.nodes.get(p);
      return n === undefined ? `${p}=` : `${p}=${n.type}@${n.version}`;
    })
    .join('|');
}

function sigEqual(a: Signature | undefined, b: Signature | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return sameSignature(a, b);
}

/**
 * The plan that turns `source` (path -> signature, e.g. sourceSignatures(snapshot)) into
 * `destination` (the destination machine's objects). Throws a FilterError listing every path that
 * cannot be matched.
 */
export function planMigration(
  registry: FilterRegistry,
  source: ReadonlyMap<string, ObjectSignature>,
  destination: ReadonlyMap<string, ObjectSignature>,
  options: PlanOptions = {},
): MigrationPlan {
  const maxSteps = options.maxSteps ?? 8;
  const maxStates = options.maxStates ?? 20000;
  let cache = planCaches.get(registry);
  if (cache === undefined || cache.filters !== registry.size) {
    cache = { filters: registry.size, plans: new Map(), recent: [] };
    planCaches.set(registry, cache);
  }
  for (const r of cache.recent) {
    if (r.maxSteps === maxSteps && r.maxStates === maxStates && sameSignatures(source, r.source) && sameSignatures(destination, r.destination)) return r.plan;
  }
  const key = `${maxSteps} ${maxStates}\n${signaturesKey(source)}\n${signaturesKey(destination)}`;
  let plan = cache.plans.get(key);
  if (plan === undefined) {
    plan = searchPlan(registry, source, destination, maxSteps, maxStates);
    if (cache.plans.size >= MAX_CACHED_PLANS) cache.plans.clear();
    cache.plans.set(key, plan);
  }
  cache.recent.unshift({ maxSteps, maxStates, source: signatureList(source), destination: signatureList(destination), plan });
  if (cache.recent.length > RECENT_PLANS) cache.recent.pop();
  return plan;
}

/** One entry of a signature map, copied (the caller's map may change after the call). */
interface SignatureEntry {
  readonly path: string;
  readonly type: string;
  readonly version: number;
  readonly schema: SchemaNode | undefined;
}

/**
 * The inputs of the plans returned last, compared entry by entry before anything else: a restore
 * of the same snapshot into the same machine asks again with equal maps, and comparing them costs
 * less than building and hashing their key (a comparison with other inputs stops at the first
 * entry that differs). Equal entries in the same order make equal keys.
 */
interface RecentPlan {
  readonly maxSteps: number;
  readonly maxStates: number;
  readonly source: readonly SignatureEntry[];
  readonly destination: readonly SignatureEntry[];
  readonly plan: MigrationPlan;
}

function signatureList(signatures: ReadonlyMap<string, ObjectSignature>): SignatureEntry[] {
  const out: SignatureEntry[] = [];
  for (const [path, s] of signatures) out.push({ path, type: s.type, version: s.version, schema: s.schema });
  return out;
}

function sameSignatures(signatures: ReadonlyMap<string, ObjectSignature>, list: readonly SignatureEntry[]): boolean {
  if (signatures.size !== list.length) return false;
  let i = 0;
  for (const [path, s] of signatures) {
    const e = list[i++]!;
    if (e.path !== path || e.type !== s.type || e.version !== s.version || e.schema !== s.schema) return false;
  }
  return true;
}

/**
 * Plans already found, per registry and (source set, destination set, options): a plan depends on
 * nothing else (a registry only grows, so its size tells whether it changed). Failures are not kept.
 */
const planCaches = new WeakMap<FilterRegistry, { filters: number; plans: Map<string, MigrationPlan>; recent: RecentPlan[] }>();
/** How many recent inputs are compared before the key is built (a machine restored alternately from a few snapshots). */
const RECENT_PLANS = 4;
/** Most plans kept per registry; past it the cache starts over. */
const MAX_CACHED_PLANS = 64;
/** A number for each schema object (schemas are interned: equal schemas are one object). */
const schemaIds = new WeakMap<SchemaNode, number>();
let nextSchemaId = 0;

/** The signatures as one string: path, type, version and the schema's identity of each, in map order. */
function signaturesKey(signatures: ReadonlyMap<string, ObjectSignature>): string {
  let key = '';
  for (const [path, s] of signatures) {
    let id = -1;
    if (s.schema !== undefined) {
      id = schemaIds.get(s.schema) ?? -1;
      if (id < 0) schemaIds.set(s.schema, (id = nextSchemaId++));
    }
    key += `${path} ${s.type} ${s.version} ${id}\n`;
  }
  return key;
}

function searchPlan(
  registry: FilterRegistry,
  source: ReadonlyMap<string, ObjectSignature>,
  destination: ReadonlyMap<string, ObjectSignature>,
  maxSteps: number,
  maxStates: number,
): MigrationPlan {
  const problems: string[] = [];
  let firstPath = '';
  const problem = (path: string, text: string) => {
    if (problems.length === 0) firstPath = path;
    problems.push(text);
  };

  // Same signature on both sides: nothing to do, but the shapes must agree (a different -m).
  for (const path of [...source.keys()].sort(compareStrings)) {
    const s = source.get(path)!;
    const d = destination.get(path);
    if (d === undefined || !sameSignature(s, d) || s.schema === undefined || d.schema === undefined || s.schema === d.schema) continue;
    for (const diff of schemaDifferences(s.schema, d.schema, path)) problem(path, diff);
  }

  const differs = (path: string) => !sigEqual(source.get(path), destination.get(path));
  const mismatched = new Set<string>();
  for (const p of source.keys()) if (differs(p)) mismatched.add(p);
  for (const p of destination.keys()) if (differs(p)) mismatched.add(p);

  const claimed = new Set<string>();
  const groups: PlanGroup[] = [];
  for (const start of [...mismatched].sort(compareStrings)) {
    if (claimed.has(start) || !source.has(start)) continue;
    const found = searchGroup(registry, source, destination, claimed, start, maxSteps, maxStates);
    if (found === null) continue;
    for (const p of found.touched) claimed.add(p);
    groups.push({ start, paths: [...found.touched].sort(compareStrings), steps: found.steps });
  }

  for (const path of [...mismatched].sort(compareStrings)) {
    if (!claimed.has(path)) problem(path, explain(registry, source, destination, path));
  }
  if (problems.length > 0) throw new FilterError(problems, firstPath);
  const steps = groups.flatMap((g) => g.steps);
  return { groups, steps, chain: steps.map((s) => s.filter) };
}

function searchGroup(
  registry: FilterRegistry,
  source: ReadonlyMap<string, ObjectSignature>,
  destination: ReadonlyMap<string, ObjectSignature>,
  claimed: ReadonlySet<string>,
  start: string,
  maxSteps: number,
  maxStates: number,
): SearchState | null {
  const initial: SearchState = {
    nodes: new Map([[start, source.get(start)!]]),
    touched: new Set([start]),
    steps: [],
  };
  const seen = new Set<string>([stateKey(initial)]);
  let frontier: SearchState[] = [initial];
  for (let depth = 0; depth < maxSteps && frontier.length > 0; depth++) {
    const next: SearchState[] = [];
    for (const state of frontier) {
      for (const anchor of [...state.nodes.keys()].sort(compareStrings)) {
        for (const filter of registry.anchoredAt(state.nodes.get(anchor)!)) {
          const after = step(filter, anchor, state, source, claimed);
          if (after === null) continue;
          const key = stateKey(after);
          if (seen.has(key)) continue;
          seen.add(key);
          if (isGoal(after, destination)) return after;
          if (seen.size > maxStates) return null;
          next.push(after);
        }
      }
    }
    frontier = next;
  }
  return null;
}

/** The state after applying `filter` at `anchor`, or null when its inputs or outputs do not fit. */
function step(
  filter: Filter,
  anchor: string,
  state: SearchState,
  source: ReadonlyMap<string, ObjectSignature>,
  claimed: ReadonlySet<string>,
): SearchState | null {
  const nodes = new Map(state.nodes);
  const touched = new Set(state.touched);
  for (const port of filter.consumes) {
    const path = resolvePortPath(anchor, port.at);
    if (path === null) return null;
    let sig: Signature | undefined = nodes.get(path);
    // A node not yet in the group joins it if the snapshot has it and no other group took it.
    if (sig === undefined && !state.touched.has(path) && !claimed.has(path)) sig = source.get(path);
    if (sig === undefined || !sameSignature(sig, port)) return null;
    nodes.delete(path);
    touched.add(path);
  }
  for (const port of filter.produces) {
    const path = resolvePortPath(anchor, port.at);
    if (path === null || nodes.has(path)) return null;
    // Never write over a snapshot object outside the group.
    if (!touched.has(path) && (claimed.has(path) || source.has(path))) return null;
    nodes.set(path, { type: port.type, version: port.version });
    touched.add(path);
  }
  return { nodes, touched, steps: [...state.steps, { filter: filter.name, path: anchor }] };
}

function isGoal(state: SearchState, destination: ReadonlyMap<string, ObjectSignature>): boolean {
  for (const p of state.touched) if (!sigEqual(state.nodes.get(p), destination.get(p))) return false;
  return true;
}

/** Why `path` could not be matched, in one line starting with the path. */
function explain(
  registry: FilterRegistry,
  source: ReadonlyMap<string, ObjectSignature>,
  destination: ReadonlyMap<string, ObjectSignature>,
  path: string,
): string {
  const s = source.get(path);
  const d = destination.get(path);
  if (s === undefined) {
    return `${path}: the destination machine has ${showSignature(d!)} here, the snapshot has no object at this path`;
  }
  const known = registry.knownTypes();
  for (const sig of destination.values()) known.add(sig.type);
  if (!known.has(s.type)) {
    const there = d === undefined ? 'the destination machine has no object at this path' : `the destination machine has ${showSignature(d)}`;
    return `${path}: unknown type ${JSON.stringify(s.type)} in the snapshot (no filter knows it; ${there})`;
  }
  let newest = registry.newestVersion(s.type);
  for (const sig of destination.values()) if (sig.type === s.type && sig.version > newest) newest = sig.version;
  if (s.version > newest) {
    return `${path}: ${showSignature(s)} is newer than any version of ${s.type} this build knows (newest v${newest})`;
  }
  if (d === undefined) {
    return `${path}: the snapshot has ${showSignature(s)} here, the destination machine has no object at this path and no filter removes it`;
  }
  return `${path}: no chain of filters turns ${showSignature(s)} into ${showSignature(d)}`;
}

/** Field-level differences between two schemas of the same signature (`data` length: RAM size). */
export function schemaDifferences(a: SchemaNode, b: SchemaNode, path: string): string[] {
  const out: string[] = [];
  compareFields(a.fields, b.fields, path, out);
  return out;
}

function compareFields(a: readonly SchemaField[], b: readonly SchemaField[], path: string, out: string[]): void {
  const byName = new Map(b.map((f) => [f.name, f]));
  for (const fa of a) {
    const at = `${path}.${fa.name}`;
    const fb = byName.get(fa.name);
    if (fb === undefined) {
      out.push(`${at}: in the snapshot, not on the destination machine`);
      continue;
    }
    if (fa.kind !== fb.kind) {
      out.push(`${at}: ${fa.kind} in the snapshot, ${fb.kind} on the destination machine`);
      continue;
    }
    if (fa.kind === 'varbytes' && fb.kind === 'varbytes' && fa.maxLength !== fb.maxLength) {
      out.push(`${at}: at most ${sizeText(fa.maxLength)} in the snapshot, at most ${sizeText(fb.maxLength)} on the destination machine`);
      continue;
    }
    if ('length' in fa && 'length' in fb && fa.length !== fb.length) {
      out.push(
        fa.kind === 'bytes'
          ? `${at}: ${sizeText(fa.length)} in the snapshot, ${sizeText(fb.length)} on the destination machine`
          : `${at}: ${fa.length} elements in the snapshot, ${fb.length} on the destination machine`,
      );
      continue;
    }
    if ('fields' in fa && 'fields' in fb) compareFields(fa.fields, fb.fields, at, out);
  }
  const names = new Set(a.map((f) => f.name));
  for (const fb of b) if (!names.has(fb.name)) out.push(`${path}.${fb.name}: on the destination machine, not in the snapshot`);
}

function sizeText(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB (${bytes} bytes)`;
  return `${bytes} bytes`;
}

/**
 * Runs `plan` over a snapshot's objects: a new map (sorted by path) in which every step's inputs
 * were replaced by its outputs; untouched objects are shared, not copied. Checks that each step
 * finds the signatures it expects and that each filter produces what it declared.
 */
export function applyPlan(
  registry: FilterRegistry,
  plan: MigrationPlan,
  objects: ReadonlyMap<string, FilterNode>,
  virtualTimeNs: bigint,
): Map<string, FilterNode> {
  const work = new Map(objects);
  for (const s of plan.steps) {
    const filter = registry.get(s.filter);
    if (filter === undefined) throw new FilterError([`${s.path}: filter ${s.filter} is not registered`], s.path);
    const inputs: FilterNode[] = [];
    const inputPaths: string[] = [];
    for (const port of filter.consumes) {
      const path = resolvePortPath(s.path, port.at);
      const node = path === null ? undefined : work.get(path);
      if (path === null || node === undefined || !sameSignature(node, port)) {
        const found = node === undefined ? 'nothing' : showSignature(node);
        throw new FilterError([`${path ?? s.path}: filter ${filter.name} expects ${showSignature(port)}, found ${found}`], s.path);
      }
      inputs.push(node);
      inputPaths.push(path);
    }
    const outputs = filter.apply(inputs, { path: s.path, virtualTimeNs });
    if (outputs.length !== filter.produces.length) {
      throw new FilterError([`${s.path}: filter ${filter.name} returned ${outputs.length} nodes, declared ${filter.produces.length}`], s.path);
    }
    for (const p of inputPaths) work.delete(p);
    filter.produces.forEach((port, i) => {
      const out = outputs[i]!;
      const path = resolvePortPath(s.path, port.at)!;
      if (!sameSignature(out, port)) {
        throw new FilterError([`${path}: filter ${filter.name} produced ${showSignature(out)}, declared ${showSignature(port)}`], s.path);
      }
      if (work.has(path)) throw new FilterError([`${path}: filter ${filter.name} would overwrite an object`], s.path);
      work.set(path, out);
    });
  }
  // Already in path order (a decoded snapshot is, and a plan without steps changes nothing): the
  // map as it is; else sorted.
  const paths = [...work.keys()];
  let sorted = true;
  for (let i = 1; i < paths.length && sorted; i++) sorted = compareStrings(paths[i - 1]!, paths[i]!) < 0;
  if (sorted) return work;
  return new Map(paths.sort(compareStrings).map((p) => [p, work.get(p)!]));
}

/**
 * Plans and applies in one go, for `godwit snapshot convert` and restore: the converted snapshot
 * (same config and clock) and the plan used. Schemas of the result come from the destination where
 * it gives them (`ObjectSignature.schema`), else from the snapshot; a (type, version) known to
 * neither has no schema in the result.
 */
export function convertSnapshot(
  registry: FilterRegistry,
  snapshot: Snapshot,
  destination: ReadonlyMap<string, ObjectSignature>,
  options: PlanOptions = {},
): { snapshot: Snapshot; plan: MigrationPlan } {
  const plan = planMigration(registry, sourceSignatures(snapshot), destination, options);
  const objects = applyPlan(registry, plan, snapshot.objects, snapshot.clock.virtualTimeNs);
  const destSchemas = new Map<string, SchemaNode>();
  for (const d of destination.values()) if (d.schema !== undefined) destSchemas.set(schemaKey(d.type, d.version), d.schema);
  const schemas = new Map<string, SchemaNode>();
  for (const obj of objects.values()) {
    const key = schemaKey(obj.type, obj.version);
    const schema = destSchemas.get(key) ?? snapshot.schemas.get(key);
    if (schema !== undefined) schemas.set(key, schema);
  }
  return {
    snapshot: { config: snapshot.config, clock: snapshot.clock, objects: new Map(objects), schemas },
    plan,
  };
}
