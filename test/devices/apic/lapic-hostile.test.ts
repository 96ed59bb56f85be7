/**
 * Both LAPIC flavours under hostile input: random MMIO, MSR and bus traffic never throws, and
 * loading extreme state values leaves the device usable (no throw, no endless timer replay).
 */
import { describe, expect, it } from 'vitest';
import { describeState } from '../../../src/visit/describe-visitor.ts';
import { loadState } from '../../../src/visit/input-visitor.ts';
import { saveState } from '../../../src/visit/output-visitor.ts';
import type { StateNode, StateValue } from '../../../src/visit/state-tree.ts';
import { isStateError } from '../../../src/util/errors.ts';
import type { Rig } from './lapic-harness.ts';
import { FLAVOURS, makeRig, newLapic, stateObject } from './lapic-harness.ts';

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function extremes(tree: StateValue, pick: () => number): StateValue {
  if (typeof tree === 'number') return [0, tree, 0xff, 0x7f, 1][pick() % 5]!;
  if (typeof tree === 'bigint') return [0n, tree, 1n << 40n, 5n, 1n << 62n][pick() % 5]!;
  if (typeof tree === 'boolean') return tree;
  if (Array.isArray(tree)) return tree.map((t) => extremes(t, pick));
  if (tree instanceof Uint8Array) return tree;
  const out: StateNode = Object.create(null) as StateNode;
  for (const k of Object.keys(tree)) out[k] = extremes(tree[k]!, pick);
  return out;
}

function traffic(rig: Rig, next: () => number, n: number): void {
  for (let i = 0; i < n; i++) {
    const l = rig.cpus[next() % rig.cpus.length]!;
    const off = next() % 3 === 0 ? next() & 0xfff : (next() % 0x40) << 4;
    const size = [1, 2, 4, 4, 4, 8][next() % 6]!;
    switch (next() % 8) {
      case 0:
        l.mmioRead(off, size);
        break;
      case 1:
        l.writeMsr([0x1b, 0x6e0, 0x10][next() % 3]!, BigInt(next()) << BigInt(next() % 40));
        break;
      case 2:
        l.accept(next() % 8, next() & 0xff, next() & 1);
        break;
      case 3:
        rig.pic.level = (next() & 1) === 1;
        l.picChanged(rig.pic.level ? 1 : 0);
        break;
      case 4:
        rig.tc.advanceBy(next() % 100_000);
        if (l.hasInterrupt()) l.acknowledge();
        break;
      default:
        l.mmioWrite(off, size, next());
    }
  }
}

describe.each(FLAVOURS)('%s under hostile input', (flavour) => {
  it('random traffic never throws', () => {
    const rig = makeRig(flavour, { cpus: 2, tscDeadline: true });
    expect(() => traffic(rig, rng(4242), 30_000)).not.toThrow();
  });

  it('describes its state', () => {
    const rig = makeRig(flavour);
    expect(() => describeState(stateObject(rig.cpus[0]!), '/x')).not.toThrow();
  });

  it('loading extreme field values leaves it usable', () => {
    const next = rng(99);
    let loaded = 0;
    for (let round = 0; round < 40; round++) {
      const rig = makeRig(flavour, { cpus: 2, tscDeadline: true });
      traffic(rig, next, 300);
      const tree = extremes(saveState(stateObject(rig.cpus[0]!)), next) as StateNode;
      if (tree['regs'] instanceof Uint8Array) tree['regs'] = tree['regs'].map(() => next() & 0xff);
      rig.cpus[0]!.dispose();
      const fresh = newLapic(flavour, rig.wirings[0]!, rig.tc, true);
      try {
        loadState(stateObject(fresh), tree, '/x');
        loaded++;
      } catch (e) {
        // A value rejected with a StateError is fine; any other error is a bug.
        if (!isStateError(e)) throw e;
        continue;
      }
      if ('postLoad' in fresh) fresh.postLoad();
      rig.cpus[0] = fresh;
      rig.bus.replace(fresh);
      expect(() => traffic(rig, next, 500)).not.toThrow();
      expect(rig.tc.clock.runDue()).toBeLessThan(10);
    }
    expect(loaded).toBeGreaterThan(30);
  });
});
