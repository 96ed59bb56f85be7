import { describe, expect, it } from 'vitest';
import { Checksum64, checksumHex, checksumOf } from '../../migration/checksum.ts';
import { hash64 } from '../../src/util/hash.ts';
import { Rng } from './sample-snapshot.ts';

describe('Checksum64', () => {
  it('equals hash64 for every length 0..80 and a page', () => {
    const rng = new Rng(7);
    for (const length of [...Array.from({ length: 81 }, (_, i) => i), 4096, 4099]) {
      const data = new Uint8Array(length).map(() => rng.next() & 0xff);
      expect(checksumHex(checksumOf(data)), `length ${length}`).toBe(hash64(data));
    }
  });

  it('does not depend on how the input is cut into chunks or aligned', () => {
    const rng = new Rng(99);
    const backing = new Uint8Array(20000).map(() => rng.next() & 0xff);
    for (let trial = 0; trial < 50; trial++) {
      const start = rng.below(16);
      const data = backing.subarray(start, start + 1000 + rng.below(18000));
      const sum = new Checksum64();
      let at = 0;
      while (at < data.length) {
        const take = Math.min(data.length - at, rng.below(trial % 2 === 0 ? 40 : 5000));
        sum.update(data.subarray(at, at + take));
        at += take;
      }
      expect(checksumHex(sum.digest())).toBe(hash64(data));
    }
  });
});
