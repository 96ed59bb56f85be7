/**
 * The batch-length matrix of one guest (see batch-length.test.ts): the default batch length under
 * every kernel-irqchip setting compared with `off`, and each setting at batch lengths 4096, 7 and 1
 * compared with its own default run. `reduced` keeps only `on` at batch length 7.
 */
import { expect } from 'vitest';
import { MODES, firstDifference, runStraight } from './harness.ts';
import type { GuestSpec } from './harness.ts';

const BATCHES: readonly number[] = [4096, 7, 1];

export function checkBatchMatrix(g: GuestSpec, reduced: boolean): void {
  const reference = runStraight(g, 'off');
  expect(reference.ending).toMatch(/^debug-exit /);
  for (const mode of MODES) {
    if (reduced && mode !== 'on') continue;
    const own = mode === 'off' ? reference : runStraight(g, mode);
    expect(firstDifference(reference, own), `${mode}, default batch length`).toBeNull();
    for (const batch of BATCHES) {
      if (reduced && batch !== 7) continue;
        expect(firstDifference(own, runStraight(g, mode, batch)), `${mode}, batch length ${batch}`).toBeNull();
    }
  }
}
