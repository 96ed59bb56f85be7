/**
 * Where an interrupt, a timer or a debug trap is taken depends only on guest state and virtual time
 * (docs/architecture.md, "Determinism"): every guest gives the same run at every batch length
 * (1, 7, 4096 and the default) under every kernel-irqchip setting: the same instruction count,
 * virtual time, serial output, RAM, and final state of every object. The two long guests are in
 * batch-length-large.test.ts.
 */
import { describe, it } from 'vitest';
import { LARGE, allGuests, label } from './guest-list.ts';
import { checkBatchMatrix } from './batch-matrix.ts';

describe('every guest is identical at every batch length and kernel-irqchip setting', () => {
  for (const g of allGuests()) {
    if (LARGE.has(g.name)) continue;
    it(label(g), { timeout: 600_000 }, () => checkBatchMatrix(g, false));
  }
});
