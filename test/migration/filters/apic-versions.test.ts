/** apic v3 <-> v4: the upgrade always succeeds; the downgrade refuses what v3 cannot express. */
import { describe, expect, it } from 'vitest';
import { apicV3ToV4, apicV4ToV3 } from '../../../migration/filters/apic-versions.ts';
import { isFilterError } from '../../../migration/filters/filter-error.ts';
import { cloneTree, diffTrees, type StateNode } from '../../../src/visit/state-tree.ts';
import { genApicV3, obj, Rng } from './gen.ts';

const PATH = '/machine/cpu[1]/lapic';
const ctx = { path: PATH, virtualTimeNs: 1000n };

function up(fields: StateNode): StateNode {
  return apicV3ToV4.apply([obj('apic', 3, fields)], ctx)[0]!.fields;
}
function down(fields: StateNode): StateNode {
  return apicV4ToV3.apply([obj('apic', 4, fields)], ctx)[0]!.fields;
}

describe('apic v3 <-> v4', () => {
  it('v3 -> v4 widens apicbase, adds timer_deadline, and v4 -> v3 gives back the original', () => {
    const r = new Rng(21);
    for (let i = 0; i < 300; i++) {
      const a = genApicV3(r);
      const b = up(a);
      expect(b.apicbase).toBe(BigInt(a.apicbase as number));
      expect(b.timer_deadline).toBe(a.timer_expiry);
      expect(diffTrees(down(b), a)).toEqual([]);
    }
  });

  it('v4 -> v3 -> v4 is exact for every v4 state v3 can express', () => {
    const r = new Rng(22);
    for (let i = 0; i < 300; i++) {
      const b = up(genApicV3(r));
      const before = cloneTree(b);
      expect(diffTrees(up(down(b)), b)).toEqual([]);
      expect(diffTrees(b, before)).toEqual([]);
    }
  });

  it('refuses an apicbase above 4 GiB, naming path and value', () => {
    const b = up(genApicV3(new Rng(23)));
    b.apicbase = 0x1_fee0_0900n;
    let err: unknown;
    try {
      down(b);
    } catch (e) {
      err = e;
    }
    expect(isFilterError(err)).toBe(true);
    expect((err as Error).message).toBe(
      "/machine/cpu[1]/lapic.apicbase: 0x1fee00900 does not fit apic v3's u32 (base above 4 GiB)",
    );
  });

  it('refuses a timer_deadline that differs from timer_expiry', () => {
    const b = up(genApicV3(new Rng(24)));
    b.timer_expiry = 500n;
    b.timer_deadline = 700n;
    expect(() => down(b)).toThrow(/lapic\.timer_deadline: 700 differs from timer_expiry 500/);
  });

  it('refuses out-of-range and unknown fields on the way up as well', () => {
    const a = genApicV3(new Rng(25));
    a.apicbase = 0x1_0000_0000;
    expect(() => up(a)).toThrow(/lapic\.apicbase: expected u32/);
    const c = genApicV3(new Rng(26));
    c.timer_deadline = 5n;
    expect(() => up(c)).toThrow(/lapic\.timer_deadline: field not understood/);
  });
});
