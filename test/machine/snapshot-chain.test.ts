/** The base paths a diff records (relative to its own directory) and resolves (machine/snapshot-chain.ts). */
import { describe, expect, it } from 'vitest';
import { basePathFrom, recordedBasePath } from '../../machine/snapshot-chain.ts';

describe('base paths', () => {
  it('record a relative base relative to the diff directory, an absolute one as it is', () => {
    expect(recordedBasePath('d1.gw', 's0.gw')).toBe('s0.gw');
    expect(recordedBasePath('out/d1.gw', 'out/s0.gw')).toBe('s0.gw');
    expect(recordedBasePath('out/d1.gw', 's0.gw')).toBe('../s0.gw');
    expect(recordedBasePath('a/b/d1.gw', 'a/c/s0.gw')).toBe('../c/s0.gw');
    expect(recordedBasePath('../x/d1.gw', '../x/s0.gw')).toBe('s0.gw');
    expect(recordedBasePath('d1.gw', '/snaps/./s0.gw')).toBe('/snaps/s0.gw');
    // Climbing out of the working directory further than the base: its name is unknown here.
    expect(recordedBasePath('../x/d1.gw', 's0.gw')).toBeNull();
  });

  it('resolve what they recorded from the diff directory, back to the same file', () => {
    for (const [diff, base] of [['d1.gw', 's0.gw'], ['out/d1.gw', 's0.gw'], ['a/b/d1.gw', 'a/c/s0.gw'], ['../x/d1.gw', '../x/y/s0.gw'], ['/t/d1.gw', '/u/s0.gw']] as const) {
      expect(basePathFrom(diff, recordedBasePath(diff, base)!)).toBe(base);
    }
    expect(basePathFrom('/t/d1.gw', '../s0.gw')).toBe('/s0.gw');
    expect(basePathFrom('/d1.gw', '../../s0.gw')).toBe('/s0.gw');
  });
});
