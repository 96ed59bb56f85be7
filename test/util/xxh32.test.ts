/**
 * The XXH32 pair against xxHash's reference: each value below is
 * `xxhash.xxh32_intdigest(data, seed)` from Debian's python3-xxhash (3.2.0), for seed 0 and
 * XXH32_SEED_HI, where data[i] = (i * 31 + 7) & 0xff.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { XXH32_SEED_HI, Xxh32Pair, useXxh32Simd, xxh32Pair } from '../../src/util/xxh32.ts';
import { PIECE_BYTES, xxh32Kernel } from '../../src/util/xxh32-simd.ts';

const REFERENCE: Array<[number, number, number]> = [
  [0, 0x02cc5d05, 0x7b76f1ae],
  [1, 0x002e0d32, 0x3391bc93],
  [3, 0xaca17380, 0x6a382bc8],
  [4, 0x073faa82, 0x5b8e5c4e],
  [5, 0x16ac9537, 0xf14252e4],
  [15, 0x9f29f87b, 0x3d886189],
  [16, 0x3f6c9665, 0x816451ff],
  [17, 0xe048ecdb, 0xfc397441],
  [31, 0x00f1525c, 0xa72b933a],
  [32, 0xee42e668, 0x2aa84da7],
  [33, 0x770b5126, 0xe380f905],
  [100, 0x75936eb8, 0x17260d95],
  [1000, 0xa793e7c7, 0x7d5456d1],
  [4096, 0xf11917ba, 0x66d414cb],
  [65537, 0x51851338, 0x1ea3526f],
  [1048576, 0xb555fac5, 0x7d11f78b],
];

/** The reference's input: `length` bytes at `offset` into a buffer (to test unaligned views). */
function data(length: number, offset = 0): Uint8Array {
  const backing = new Uint8Array(length + offset);
  for (let i = 0; i < length; i++) backing[offset + i] = (i * 31 + 7) & 0xff;
  return backing.subarray(offset);
}

/** Random bytes from a fixed seed (xorshift32). */
function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Both block loops: the JavaScript one, then the WebAssembly SIMD one (src/util/xxh32-simd.ts). */
const LOOPS = [
  ['JavaScript', false],
  ['WebAssembly SIMD', true],
] as const;

afterEach(() => {
  useXxh32Simd(true);
});

describe('Xxh32Pair', () => {
  it('runs its block loop in WebAssembly SIMD on Node', () => {
    // Node 20 has WebAssembly SIMD: a module that does not validate or instantiate fails here.
    expect(xxh32Kernel).not.toBeNull();
    expect(useXxh32Simd(true)).toBe(true);
    expect(useXxh32Simd(false)).toBe(false);
  });

  it.each(LOOPS)("gives xxHash's XXH32 with seed 0 and with XXH32_SEED_HI (%s loop)", (_name, simd) => {
    useXxh32Simd(simd);
    expect(XXH32_SEED_HI).toBe(0x6a09e667);
    for (const [length, lo, hi] of REFERENCE) {
      expect(xxh32Pair(data(length)), `length ${length}`).toEqual([lo, hi]);
      expect(xxh32Pair(data(length, 1)), `length ${length}, unaligned`).toEqual([lo, hi]);
    }
    // Well-known XXH32 values: "abc" with seed 0.
    expect(xxh32Pair(new TextEncoder().encode('abc'))[0]).toBe(0x32d153ff);
  });

  it('gives the same digests with either loop, at every length around the pieces the WebAssembly loop copies', () => {
    const d = randomBytes(3 * PIECE_BYTES + 100, 0x1234567);
    const lengths = [0, 15, 16, 1023, 1024, 1025, 1040, PIECE_BYTES - 16, PIECE_BYTES, PIECE_BYTES + 16, PIECE_BYTES + 17, 2 * PIECE_BYTES + 48, 3 * PIECE_BYTES + 100];
    for (const offset of [0, 4, 5]) {
      for (const length of lengths) {
        if (offset + length > d.length) continue;
        const input = d.subarray(offset, offset + length);
        useXxh32Simd(false);
        const js = xxh32Pair(input);
        const jsZeros = new Xxh32Pair().update(input).updateZeros(length * 3 + 7).digest();
        useXxh32Simd(true);
        expect(xxh32Pair(input), `offset ${offset} length ${length}`).toEqual(js);
        expect(new Xxh32Pair().update(input).updateZeros(length * 3 + 7).digest(), `offset ${offset} length ${length} then zeros`).toEqual(jsZeros);
      }
    }
    // One hash fed by both loops in turn: the lanes go back and forth between them.
    const mixed = new Xxh32Pair();
    for (let at = 0, i = 0; at < d.length; at += 5000, i++) {
      useXxh32Simd(i % 2 === 0);
      mixed.update(d.subarray(at, at + 5000));
    }
    useXxh32Simd(false);
    expect(mixed.digest()).toEqual(xxh32Pair(d));
  });

  it.each(LOOPS)('equals the one-shot digest however the input is cut, aligned or fed byte by byte (%s loop)', (_name, simd) => {
    useXxh32Simd(simd);
    for (const offset of [0, 1, 3]) {
      // Past the 64 KiB scratch buffer that unaligned input is copied through.
      const d = data(70000 + 13, offset);
      const whole = xxh32Pair(d);
      for (const cut of [1, 7, 16, 100, 4099, 65536 + 5]) {
        const x = new Xxh32Pair();
        for (let at = 0; at < d.length; at += cut) x.update(d.subarray(at, at + cut));
        expect(x.digest(), `offset ${offset} cut ${cut}`).toEqual(whole);
        expect(x.bytes).toBe(d.length);
      }
    }
    const small = data(300);
    const x = new Xxh32Pair();
    for (let i = 0; i < small.length; i++) {
      x.updateByte(small[i]!);
      expect(x.digest(), `byte ${i}`).toEqual(xxh32Pair(small.subarray(0, i + 1)));
    }
  });

  it.each(LOOPS)('hashes zeros without reading memory exactly as update() hashes zero bytes (%s loop)', (_name, simd) => {
    useXxh32Simd(simd);
    const zeros = new Uint8Array(5000);
    const d = data(40);
    for (const before of [0, 1, 15, 16, 33]) {
      for (const count of [0, 1, 15, 16, 17, 4096, 4999]) {
        const a = new Xxh32Pair().update(d.subarray(0, before)).updateZeros(count).update(d.subarray(before));
        const b = new Xxh32Pair().update(d.subarray(0, before)).update(zeros.subarray(0, count)).update(d.subarray(before));
        expect(a.digest(), `before ${before} count ${count}`).toEqual(b.digest());
      }
    }
    // The reference's value for 3 pages and 5 bytes of zeros.
    expect(new Xxh32Pair().updateZeros(3 * 4096 + 5).digest()).toEqual([0xddb329ca, 0x588cefa8]);
  });
});
