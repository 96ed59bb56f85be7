/**
 * The machine's whole state as plain data: every object's fields by path, the schemas, and the run
 * state that belongs to no device (virtual time, whose turn it is on the CPUs). This is what a
 * snapshot carries; migration/ encodes it and rewrites it with filters.
 */
import type { DescribedObject, ObjectTree, SavedObject } from '../src/qom/object-tree.ts';
import { StateError } from '../src/util/errors.ts';
import { PRIORITY_DEFAULT, type StateObject } from '../src/qom/object.ts';
import { takeRam, type RamPager } from '../src/memory/ram-pager.ts';

export interface RunState {
  /** Virtual time in ns at the snapshot point. */
  virtualTimeNs: bigint;
  /** Round-robin scheduler: index of the CPU whose turn it is and what is left of its quantum. */
  schedulerCpu: number;
  schedulerLeft: number;
}

export interface MachineState {
  objects: Map<string, SavedObject>;
  /** Read-only: it may be the machine's own kept description (ObjectTree.describedObjects). */
  schemas: ReadonlyMap<string, DescribedObject>;
  run: RunState;
}

/**
 * The order of the post-load steps (docs/architecture.md, "Restore"): each object declares its
 * priority (src/qom/object.ts: CPUs, local APICs, IOAPIC, PIC, PIT, PCI, virtio, then the rest);
 * higher first, equal priorities in path order.
 */
export function postLoadOrder(tree: ObjectTree): string[] {
  return postLoadSteps(tree).paths.slice();
}

/** The post-load order of a tree, and its objects in that order. */
interface PostLoadSteps {
  /** The tree's size when the order was found: a tree only grows (ObjectTree.add). */
  readonly size: number;
  readonly paths: readonly string[];
  readonly objects: readonly StateObject[];
}

/** Each tree's post-load order, found once while no object is added (priorities are fixed per object). */
const postLoadCache = new WeakMap<ObjectTree, PostLoadSteps>();

function postLoadSteps(tree: ObjectTree): PostLoadSteps {
  const known = postLoadCache.get(tree);
  if (known !== undefined && known.size === tree.size) return known;
  // Entries come in path order and the sort is stable: sorting by priority alone keeps equal
  // priorities in path order. Each priority is read once (objects of many classes).
  const order = tree.entries().map(([path, obj]) => ({ path, obj, priority: obj.postLoadPriority ?? PRIORITY_DEFAULT }));
  order.sort((a, b) => b.priority - a.priority);
  const steps: PostLoadSteps = { size: tree.size, paths: order.map((e) => e.path), objects: order.map((e) => e.obj) };
  postLoadCache.set(tree, steps);
  return steps;
}

export function runPostLoad(tree: ObjectTree): void {
  for (const obj of postLoadSteps(tree).objects) obj.postLoad?.();
}

/** Check run state from an untrusted source against the machine it is loaded into. */
export function checkRunState(run: RunState, cpus: number): void {
  if (typeof run.virtualTimeNs !== 'bigint' || run.virtualTimeNs < 0n || run.virtualTimeNs > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new StateError('run.virtual_time_ns', `out of range: ${String(run.virtualTimeNs)}`);
  }
  if (!Number.isInteger(run.schedulerCpu) || run.schedulerCpu < 0 || run.schedulerCpu >= cpus) {
    throw new StateError('run.scheduler_cpu', `${run.schedulerCpu} is not a CPU of this machine (it has ${cpus})`);
  }
  if (!Number.isInteger(run.schedulerLeft) || run.schedulerLeft < 0 || run.schedulerLeft > 1 << 30) {
    throw new StateError('run.scheduler_left', `out of range: ${run.schedulerLeft}`);
  }
}

/** Where the board keeps RAM in the tree, and RAM's field. */
export const RAM_PATH = '/machine/ram';
export const RAM_FIELD = 'data';

/**
 * The RAM image a decoded snapshot offered for this state (src/memory/ram-pager.ts), when it fits
 * RAM of `ramBytes`: the restored board uses it as its RAM instead of copying it. Null otherwise.
 */
export function offeredRam(state: MachineState, ramBytes: number): { bytes: Uint8Array; pager: RamPager | null } | null {
  const bytes = state.objects.get(RAM_PATH)?.fields[RAM_FIELD];
  if (!(bytes instanceof Uint8Array)) return null;
  const offer = takeRam(bytes);
  if (offer === null) return null;
  if (bytes.length === ramBytes && bytes.byteOffset === 0 && bytes.buffer.byteLength === ramBytes) return { bytes, pager: offer.pager };
  // Not usable as RAM (the load copies it): it must hold every byte first.
  const pager = offer.pager;
  if (pager !== null) for (let c = 0; c < pager.chunks; c++) if (pager.hasData(c)) pager.load(c);
  return null;
}
