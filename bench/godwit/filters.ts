/**
 * The cost of a filter chain in a cross-configuration restore: the prepare phase
 * (prepareMachineRestore: plan, filter chain, checks against the destination) of the same decoded
 * snapshot into a destination that differs (kernel-irqchip=on -> off converts every interrupt
 * controller), against the same phase into a destination like the source (no filter runs).
 * Runs alternate between the two so that noise falls on both alike, and each prepare follows its
 * own decode, as in a restore: a prepare right after decoding a large snapshot runs with the
 * caches full of RAM and costs several times what it costs warm, so timing one prepare after the
 * decodes and the other after the first prepare compared a cold prepare with a warm one.
 */
import { Machine } from '../../machine/machine.ts';
import type { MachineConfig } from '../../machine/machine-config.ts';
import { defaultFilterRegistry, prepareMachineRestore, saveSnapshot } from '../../machine/snapshot.ts';
import { encodeSnapshot } from '../../migration/encode.ts';
import { decodeSnapshot } from '../../migration/decode.ts';
import { median } from '../lib/measure.ts';

const QUIET = { serialOut() {}, log() {} };

export interface ChainCost {
  /** Median prepare time (microseconds) with the chain and without one. */
  chainUs: number;
  sameUs: number;
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
  const encoded = encodeSnapshot(saveSnapshot(source));
  const bytes = concat(encoded.chunks, encoded.totalLength);
  const registry = defaultFilterRegistry();
  const same: MachineConfig = { ...source.config, kernel: null };
  const other: MachineConfig = { ...same, ...dest };
  const sameMachine = new Machine(same, QUIET);
  const otherMachine = new Machine(other, QUIET);
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
  if (steps === 0) throw new Error('the destination needs no filter: nothing to measure');
  return { chainUs: median(chain), sameUs: median(plain), steps };
}
