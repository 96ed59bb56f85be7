/**
 * The batch-length matrix of batch-length.test.ts for the two long guests (the instruction suite
 * and the integer workload): complete under `npm run test:acid` (GODWIT_ACID=1), reduced to one
 * setting at batch length 7 in `npm test`.
 */
import { describe, it } from 'vitest';
import { LARGE, allGuests, label } from './guest-list.ts';
import { checkBatchMatrix } from './batch-matrix.ts';

const ACID = process.env['GODWIT_ACID'] === '1';

describe(`the long guests at every batch length${ACID ? '' : ' (reduced: npm run test:acid runs all)'}`, () => {
  for (const g of allGuests()) {
    if (!LARGE.has(g.name)) continue;
    it(label(g), { timeout: 1_800_000 }, () => checkBatchMatrix(g, !ACID));
  }
});
