import { describe, expect, it } from 'vitest';
import { diskFingerprint, fingerprintBlocks, FINGERPRINT_BLOCK, FINGERPRINT_SAMPLES } from '../../src/block/fingerprint.ts';
import type { BlockBackend } from '../../src/block/block-backend.ts';
import { MemoryBackend } from '../../src/block/memory-backend.ts';

/** A disk of `size` bytes whose byte at x is a function of x, counting the bytes read. */
function counting(size: number): BlockBackend & { readBytes: number } {
  const disk = {
    size,
    readOnly: true,
    readBytes: 0,
    read(offset: number, dest: Uint8Array) {
      disk.readBytes += dest.length;
      for (let i = 0; i < dest.length; i++) dest[i] = ((offset + i) * 2654435761) >>> 24;
    },
    write() {},
    flush() {},
    discard() {},
    writeZeroes() {},
  };
  return disk;
}

describe('disk fingerprint', () => {
  it('reads every block of a small disk and at most 256 blocks of a large one, first and last included', () => {
    expect(fingerprintBlocks(10 * FINGERPRINT_BLOCK + 1)).toEqual([...Array(11).keys()]);
    const blocks = fingerprintBlocks(2 ** 40);
    expect(blocks).toHaveLength(FINGERPRINT_SAMPLES);
    expect(blocks[0]).toBe(0);
    expect(blocks.at(-1)).toBe(2 ** 40 / FINGERPRINT_BLOCK - 1);
    const big = counting(2 ** 40);
    diskFingerprint(big);
    expect(big.readBytes).toBe(FINGERPRINT_SAMPLES * FINGERPRINT_BLOCK);
  });

  it('changes with a sampled byte and with the size, not with the backend', () => {
    const a = new Uint8Array(1 << 20).map((_, i) => i * 7);
    const f = diskFingerprint(new MemoryBackend(a));
    expect(diskFingerprint(new MemoryBackend(a.slice()))).toBe(f);
    const b = a.slice();
    b[123_456]! ^= 1;
    expect(diskFingerprint(new MemoryBackend(b))).not.toBe(f);
    expect(diskFingerprint(new MemoryBackend(a.subarray(0, a.length - 512)))).not.toBe(f);
  });
});
