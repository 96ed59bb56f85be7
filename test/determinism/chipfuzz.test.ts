/**
 * The differential fuzzer: the chipfuzz guest programs every interrupt source at random (its seed
 * on the command line), and each run is restored at random boundaries from a random
 * kernel-irqchip setting into a random one, through the snapshot container and the CLI's restore
 * function; the restored run must end exactly as the uninterrupted run does (instruction count,
 * virtual time, serial output with every CPU's hash, RAM, every object). The boundaries and settings
 * come from a seeded generator, so a failure names everything needed to replay it.
 *
 * `npm test` runs a small sample; `npm run test:acid` (GODWIT_ACID=1) a long one, and
 * GODWIT_FUZZ_SEEDS=N sets the number of guest seeds by hand.
 */
import { describe, expect, it } from 'vitest';
import { MAX_INSNS, MODES, firstDifference, makeMachine, observe, restoreFrom, runStraight, snapshotBytes } from './harness.ts';
import type { GuestSpec } from './harness.ts';

const ACID = process.env['GODWIT_ACID'] === '1';
const SEEDS = Number(process.env['GODWIT_FUZZ_SEEDS'] ?? (ACID ? 48 : 4));
const RESTORES = ACID ? 8 : 3;

/** xorshift32: the test's own generator, so that every run of the suite picks the same points. */
function generator(seed: number): () => number {
  let x = (seed * 2654435761) >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function spec(seed: number): GuestSpec {
  const smp = seed % 2 === 0 ? 2 : 1;
  const wild = seed % 4 >= 2 ? 1 : 0;
  return { name: 'chipfuzz', smp, append: `seed=${seed} rounds=${ACID ? 3000 : 1200} wild=${wild} verbose=1` };
}

describe(`chipfuzz restored at random boundaries (${SEEDS} seeds)`, () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const g = spec(seed);
    it(`seed ${seed}: -smp ${g.smp} "${g.append!}"`, { timeout: 600_000 }, () => {
      const reference = runStraight(g, 'off');
      expect(reference.ending).toMatch(/^debug-exit /);
      expect(reference.serial).toContain('every CPU finished its rounds');
      const next = generator(seed);
      for (let r = 0; r < RESTORES; r++) {
        const k = 1 + (next() % (reference.retired - 1));
        const from = MODES[next() % 3]!;
        const to = MODES[next() % 3]!;
        const out: number[] = [];
        const source = makeMachine(g, from, out);
        source.run({ maxInsns: k });
        const { machine } = restoreFrom(snapshotBytes(source), g, to, out);
        const result = machine.run({ maxInsns: MAX_INSNS });
        expect(firstDifference(reference, observe(g, machine, out, result)), `${from} -> ${to} at ${k}`).toBeNull();
      }
    });
  }
});
