import { describe, expect, it } from 'vitest';
import { Checksum64, checksumHex, checksumOf, type ChecksumKind } from '../../migration/checksum.ts';
import { checksumKindOf } from '../../migration/header.ts';
import { hash64 } from '../../src/util/hash.ts';
import { xxh32Pair } from '../../src/util/xxh32.ts';
import { Rng } from './sample-snapshot.ts';

/** What a checksum of each kind must be: the words of its hash, little-endian. */
function expected(kind: ChecksumKind, data: Uint8Array): string {
  if (kind === 'murmur3') return hash64(data);
  const hex = (w: number) => [0, 8, 16, 24].map((s) => ((w >>> s) & 0xff).toString(16).padStart(2, '0')).join('');
  const [lo, hi] = xxh32Pair(data);
  return hex(lo) + hex(hi);
}

describe('Checksum64', () => {
  it('is the XXH32 pair from format version 5 and MurmurHash3 before', () => {
    expect([1, 2, 3, 4, 5, 6].map(checksumKindOf)).toEqual(['murmur3', 'murmur3', 'murmur3', 'murmur3', 'xxh32-pair', 'xxh32-pair']);
    const data = new TextEncoder().encode('abc');
    expect(checksumHex(checksumOf('xxh32-pair', data))).toBe('ff53d132' + expected('xxh32-pair', data).slice(8));
    expect(checksumHex(checksumOf('murmur3', data))).toBe(hash64(data));
  });

  for (const kind of ['xxh32-pair', 'murmur3'] as const) {
    it(`${kind}: equals its hash for every length 0..80 and a page`, () => {
      const rng = new Rng(7);
      for (const length of [...Array.from({ length: 81 }, (_, i) => i), 4096, 4099]) {
        const data = new Uint8Array(length).map(() => rng.next() & 0xff);
        expect(checksumHex(checksumOf(kind, data)), `length ${length}`).toBe(expected(kind, data));
      }
    });

    it(`${kind}: does not depend on how the input is cut into chunks or aligned`, () => {
      const rng = new Rng(99);
      const backing = new Uint8Array(20000).map(() => rng.next() & 0xff);
      for (let trial = 0; trial < 50; trial++) {
        const start = rng.below(16);
        const data = backing.subarray(start, start + 1000 + rng.below(18000));
        const sum = new Checksum64(kind);
        let at = 0;
        while (at < data.length) {
          const take = Math.min(data.length - at, rng.below(trial % 2 === 0 ? 40 : 5000));
          sum.update(data.subarray(at, at + take));
          at += take;
        }
        expect(checksumHex(sum.digest())).toBe(expected(kind, data));
      }
    });
  }
});
