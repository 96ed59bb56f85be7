/**
 * The cost of a filter chain in a cross-configuration restore: the prepare phase
 * (prepareMachineRestore: plan, filter chain, checks against the destination) of the same decoded
 * snapshot into a destination that differs (kernel-irqchip=on -> off converts every interrupt
 * controller), against the same phase into a destination like the source (no filter runs).
 * Runs alternate between the two so that noise falls on both alike, and each prepare follows its
 * own decode, as in a restore.
 *
 * The decode of a snapshot with RAM allocates a RAM-sized buffer, and V8 answers such allocations,
 * one after another, with full garbage collections (external memory pressure: one per round here).
 * Each frees the hidden classes (maps) of the short-lived objects the prepare creates, unless one
 * of them is kept (src/util/keep-shape.ts keeps the helper classes'; the nodes a filter builds are
 * not): the inline caches that named them miss and learn new maps through the runtime, V8 starts
 * its count towards optimising each function that held one again, and the filters run unoptimised.
 * A 64 MiB cache-thrashing write between runs costs little; the collection costs several times the
 * chain. The figure with that decode is what a process restoring again and again pays; the same
 * prepare after a decode without RAM (no collection in between) is what the chain itself costs,
 * and is reported beside it.
 */
import { Machine } from '../../machine/machine.ts';
import type { MachineConfig } from '../../machine/machine-config.ts';
import { defaultFilterRegistry, prepareMachineRestore, saveSnapshot } from '../../machine/snapshot.ts';
import { encodeSnapshot } from '../../migration/encode.ts';
import { decodeSnapshot } from '../../migration/decode.ts';
import { median } from '../lib/measure.ts';
import { withoutRam } from './save-load.ts';
import { RAM_PATH } from '../../machine/machine-state.ts';

/** Warm-up rounds of the prepare after a decode without RAM (about 0.1 ms each). */
const NO_GC_WARM_UP = 2000;
const QUIET = { serialOut() {}, log() {} };

export interface ChainCost {
  /** Median prepare time (microseconds) with the chain and without one. */
  chainUs: number;
  sameUs: number;
  /** Median prepare time with the chain after a decode of the snapshot without its RAM. */
  chainNoGcUs: number;
  /** How many filter steps the chain has. */
  steps: number;
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) (all.set(c, at), (at += c.length));
  return all;
}

export function chainCost(source: Machine, dest: Partial<MachineConfig>, runs: number): ChainCost {
  const snapshot = saveSnapshot(source);
  const encoded = encodeSnapshot(snapshot);
  const bytes = concat(encoded.chunks, encoded.totalLength);
  const small = encodeSnapshot(withoutRam(snapshot));
  const smallBytes = concat(small.chunks, small.totalLength);
  const registry = defaultFilterRegistry();
  const same: MachineConfig = { ...source.config, kernel: null };
  const other: MachineConfig = { ...same, ...dest };
  const sameMachine = new Machine(same, QUIET);
  const otherMachine = new Machine(other, QUIET);
  // The destination of the RAM-less snapshot: the other machine's description without its RAM,
  // one map for every run as a machine's description is.
  const ramLess = new Map(otherMachine.describeObjects());
  ramLess.delete(RAM_PATH);
  const withoutRamMachine: Pick<Machine, 'config' | 'describeObjects'> = { config: other, describeObjects: () => ramLess };
  const chain: number[] = [];
  const plain: number[] = [];
  let steps = 0;
  for (let run = -runs; run < runs; run++) {
    // A fresh decode each time: a filter must not see a tree another run already converted.
    const a = decodeSnapshot(bytes);
    const t0 = performance.now();
    const p = prepareMachineRestore(otherMachine, a, registry);
    const t1 = performance.now();
    const b = decodeSnapshot(bytes);
    const t2 = performance.now();
    prepareMachineRestore(sameMachine, b, registry);
    const t3 = performance.now();
    steps = p.plan.steps.length;
    if (run >= 0) {
      chain.push((t1 - t0) * 1000);
      plain.push((t3 - t2) * 1000);
    }
  }
  // Apart: a decode with RAM anywhere in the loop brings the collection back. The warm-up is
  // longer: code that the collections kept in the interpreter needs a while to be optimised.
  const noGc: number[] = [];
  for (let run = -Math.max(runs, NO_GC_WARM_UP); run < runs; run++) {
    const c = decodeSnapshot(smallBytes);
    const t0 = performance.now();
    const q = prepareMachineRestore(withoutRamMachine, c, registry);
    const t1 = performance.now();
    if (q.plan.steps.length !== steps) throw new Error('the snapshot without RAM needs another chain');
    if (run >= 0) noGc.push((t1 - t0) * 1000);
  }
  if (steps === 0) throw new Error('the destination needs no filter: nothing to measure');
  return { chainUs: median(chain), sameUs: median(plain), chainNoGcUs: median(noGc), steps };
}
