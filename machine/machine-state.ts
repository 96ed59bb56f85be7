/**
 * The machine's whole state as plain data: every object's fields by path, the schemas, and the run
 * state that belongs to no device (virtual time, whose turn it is on the CPUs). This is what a
 * snapshot carries; migration/ encodes it and rewrites it with filters.
 */
import type { DescribedObject, ObjectTree, SavedObject } from '../src/qom/object-tree.ts';
import { StateError } from '../src/util/errors.ts';

export interface RunState {
  /** Virtual time in ns at the snapshot point. */
  virtualTimeNs: bigint;
  /** Round-robin scheduler: index of the CPU whose turn it is and what is left of its quantum. */
  schedulerCpu: number;
  schedulerLeft: number;
}

export interface MachineState {
  objects: Map<string, SavedObject>;
  schemas: Map<string, DescribedObject>;
  run: RunState;
}

/**
 * Post-load runs in a fixed order (DESIGN.md section 8): CPUs, local APICs, IOAPIC, PIC, PIT, PCI,
 * virtio, then everything else by path. Each step only re-derives its own caches and outputs.
 */
const POST_LOAD_ORDER: ((path: string) => boolean)[] = [
  (p) => /^\/machine\/cpu\[\d+\]$/.test(p),
  (p) => /^\/machine\/cpu\[\d+\]\/lapic$/.test(p),
  (p) => p === '/machine/ioapic',
  (p) => p.startsWith('/machine/pic/'),
  (p) => p === '/machine/pit' || p === '/machine/pcspk',
  (p) => p === '/machine/pci' || p.startsWith('/machine/pci/'),
  (p) => p.startsWith('/machine/peripheral/'),
];

/** The order in which post-load steps run over the tree's paths. */
export function postLoadOrder(paths: readonly string[]): string[] {
  const rank = (p: string) => {
    const i = POST_LOAD_ORDER.findIndex((f) => f(p));
    return i < 0 ? POST_LOAD_ORDER.length : i;
  };
  return [...paths].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

export function runPostLoad(tree: ObjectTree): void {
  for (const path of postLoadOrder(tree.paths())) tree.get(path)!.postLoad?.();
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
