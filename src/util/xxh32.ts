/**
 * XXH32 (xxHash's 32-bit variant, Yann Collet, BSD-2-Clause) with two seeds at once over the same
 * bytes: the section checksum of snapshot files from format version 5 (migration/checksum.ts).
 *
 * Why: the checksum runs over every stored RAM page on save and again on load. XXH32's lane step
 * (add the word times a prime, rotate, multiply) keeps four lanes independent, where
 * MurmurHash3_x86_128's lanes feed each other; in JavaScript the pair runs at about 3.1-3.9 GB/s on
 * the development host against Murmur's 2.2-2.4 (the word's product with PRIME2 is shared by both
 * seeds; `npm run bench -- checksum`). From 1 KiB per call the block loop runs in WebAssembly SIMD
 * instead (xxh32-simd.ts: about 4.5-5 GB/s), where the platform has it.
 * Two seeds give 64 bits, so that a random corruption passes with a chance near 2^-64, as with
 * Murmur's first 64 bits. Each half is plain XXH32 and can be checked against any implementation
 * (`xxhash.xxh32_intdigest(data, seed)` in Python); test/util/xxh32.test.ts holds such values.
 */

import { BlockHash16 } from './block-hash.ts';
import { keepShape } from './keep-shape.ts';
import { PIECE_BYTES, xxh32Kernel, type Xxh32Kernel } from './xxh32-simd.ts';

const P1 = 0x9e3779b1 | 0;
const P2 = 0x85ebca77 | 0;
const P3 = 0xc2b2ae3d | 0;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

/** Blocks of zeros zeroBlocks hands the block loop at once, and their words. */
const ZERO_BLOCKS = 256;
const ZERO_WORDS = new Int32Array(ZERO_BLOCKS * 4);

/**
 * Blocks per call from which the WebAssembly loop (xxh32-simd.ts) takes over: below about 1 KiB the
 * call into it and the lanes' round trip cost more than the JavaScript loop.
 */
const SIMD_MIN_BLOCKS = 64;
/** Most zero blocks handed to the WebAssembly loop at once (its count is an i32). */
const SIMD_ZERO_BLOCKS = 1 << 24;

/** The WebAssembly block loop in use: xxh32Kernel, or null for the JavaScript loop. */
let kernel: Xxh32Kernel | null = xxh32Kernel;

/**
 * Runs the block loop in WebAssembly SIMD where the platform has it (on, the default) or in
 * JavaScript (off); the digests are the same. Returns whether the WebAssembly loop is now in use.
 * For tests and benchmarks that compare the two.
 */
export function useXxh32Simd(on: boolean): boolean {
  kernel = on ? xxh32Kernel : null;
  return kernel !== null;
}

/** The second half's seed: the first 32 bits of the fractional part of sqrt(2), a constant with nothing up its sleeve. */
export const XXH32_SEED_HI = 0x6a09e667;

/** Incremental XXH32 of the same bytes with seeds 0 and XXH32_SEED_HI. */
export class Xxh32Pair extends BlockHash16 {
  /**
   * The lanes as int32: seed 0's four, then XXH32_SEED_HI's four, the layout of the WebAssembly
   * loop's state (xxh32-simd.ts), so that they pass to it and back in one copy each.
   */
  private readonly lanes = Int32Array.of(
    (P1 + P2) | 0, P2, 0, -P1 | 0,
    (XXH32_SEED_HI + P1 + P2) | 0, (XXH32_SEED_HI + P2) | 0, XXH32_SEED_HI | 0, (XXH32_SEED_HI - P1) | 0,
  );

  /** XXH32 of everything hashed so far with seed 0 and with XXH32_SEED_HI, as uint32; hashing can go on. */
  digest(): [number, number] {
    const l = this.lanes;
    return [this.finish(l[0]!, l[1]!, l[2]!, l[3]!, 0), this.finish(l[4]!, l[5]!, l[6]!, l[7]!, XXH32_SEED_HI)];
  }

  protected blocks(words: Int32Array, first: number, count: number): void {
    const k = kernel;
    if (k !== null && count >= SIMD_MIN_BLOCKS) {
      this.simdBlocks(k, new Uint8Array(words.buffer, words.byteOffset + first * 4, count * 16));
      return;
    }
    // The primes as locals: a bundler turns module constants into variables V8 reads on every use.
    const p1 = P1;
    const p2 = P2;
    const l = this.lanes;
    let a1 = l[0]!;
    let a2 = l[1]!;
    let a3 = l[2]!;
    let a4 = l[3]!;
    let b1 = l[4]!;
    let b2 = l[5]!;
    let b3 = l[6]!;
    let b4 = l[7]!;
    const end = first + count * 4;
    for (let w = first; w < end; w += 4) {
      // Each word's product with PRIME2 serves both seeds' lanes.
      let k = Math.imul(words[w]!, p2);
      a1 = round(a1, k, p1);
      b1 = round(b1, k, p1);
      k = Math.imul(words[w + 1]!, p2);
      a2 = round(a2, k, p1);
      b2 = round(b2, k, p1);
      k = Math.imul(words[w + 2]!, p2);
      a3 = round(a3, k, p1);
      b3 = round(b3, k, p1);
      k = Math.imul(words[w + 3]!, p2);
      a4 = round(a4, k, p1);
      b4 = round(b4, k, p1);
    }
    l[0] = a1;
    l[1] = a2;
    l[2] = a3;
    l[3] = a4;
    l[4] = b1;
    l[5] = b2;
    l[6] = b3;
    l[7] = b4;
  }

  /** The block loop over zero words (nothing hashes long runs of zeros with this hash faster). */
  protected zeroBlocks(count: number): void {
    const k = kernel;
    if (k !== null && count >= SIMD_MIN_BLOCKS) {
      k.lanes.set(this.lanes);
      for (let left = count; left > 0; left -= SIMD_ZERO_BLOCKS) k.zeros(Math.min(left, SIMD_ZERO_BLOCKS));
      this.lanes.set(k.lanes);
      return;
    }
    for (let left = count; left > 0; left -= ZERO_BLOCKS) this.blocks(ZERO_WORDS, 0, Math.min(left, ZERO_BLOCKS));
  }

  /** The block loop in WebAssembly: `bytes` (whole blocks) copied into its memory a piece at a time. */
  private simdBlocks(k: Xxh32Kernel, bytes: Uint8Array): void {
    k.lanes.set(this.lanes);
    const length = bytes.length;
    for (let at = 0; at < length; at += PIECE_BYTES) {
      const end = Math.min(at + PIECE_BYTES, length);
      k.data.set(bytes.subarray(at, end));
      k.blocks((end - at) >>> 4);
    }
    this.lanes.set(k.lanes);
  }

  /** XXH32's end: the lanes merged (or the seed for fewer than 16 bytes), the length, the tail, the avalanche. */
  private finish(v1: number, v2: number, v3: number, v4: number, seed: number): number {
    let h = this.length >= 16 ? (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0 : (seed + P5) | 0;
    // The reference adds the length as a 32-bit unsigned int.
    h = (h + ((this.length % 0x100000000) | 0)) | 0;
    const tail = this.tail;
    const rest = this.tailLength;
    let i = 0;
    for (; i + 4 <= rest; i += 4) {
      const word = tail[i]! | (tail[i + 1]! << 8) | (tail[i + 2]! << 16) | (tail[i + 3]! << 24);
      h = Math.imul(rotl((h + Math.imul(word, P3)) | 0, 17), P4);
    }
    for (; i < rest; i++) h = Math.imul(rotl((h + Math.imul(tail[i]!, P5)) | 0, 11), P1);
    h ^= h >>> 15;
    h = Math.imul(h, P2);
    h ^= h >>> 13;
    h = Math.imul(h, P3);
    h ^= h >>> 16;
    return h >>> 0;
  }
}

/** A local rotl, as hash.ts's (a call to an imported one is not inlined where modules are not bundled). */
function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/** XXH32's lane step: `k` is the input word times PRIME2, `p1` is PRIME1 (a local of the caller's). */
function round(acc: number, k: number, p1: number): number {
  return Math.imul(rotl((acc + k) | 0, 13), p1);
}

// Checksums are made and dropped within a call: keep the class's hidden class (keep-shape.ts).
keepShape(new Xxh32Pair().update(new Uint8Array(17)));

/** XXH32 of `data` with seeds 0 and XXH32_SEED_HI, as uint32. */
export function xxh32Pair(data: Uint8Array): [number, number] {
  return new Xxh32Pair().update(data).digest();
}
