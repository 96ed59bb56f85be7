/**
 * A fast deterministic 64-bit hash of a byte string, for `--stats` RAM and serial hashes, the
 * section checksums of snapshot files before format version 5 (later ones use xxh32.ts's pair) and
 * comparing runs. Not cryptographic.
 *
 * The algorithm is MurmurHash3_x86_128 (Austin Appleby, public domain), which uses only 32-bit
 * multiplies and so runs at full speed in JavaScript with Math.imul; hash64 gives the first 8 bytes
 * of its 16-byte digest as 16 lowercase hex digits (what `mmh3.hash_bytes(data, seed,
 * x64arch=False)[:8].hex()` prints). murmur3X86_128 gives the full digest. Both are one-shot
 * wrappers over Murmur3X86_128, the one implementation: incremental, with a state (four words, the
 * byte count and the pending tail bytes) that can be exported and imported.
 */

import { BlockHash16 } from './block-hash.ts';
import { keepShape } from './keep-shape.ts';

const C1 = 0x239b961b;
const C2 = 0xab0e9789 | 0;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93 | 0;

/** An exported Murmur3X86_128 state: enough to go on hashing later as if never interrupted. */
export interface Murmur3State {
  /** h1..h4 as uint32. */
  readonly words: readonly [number, number, number, number];
  /** Bytes hashed so far (a safe integer). */
  readonly length: number;
  /** The last `length % 16` bytes, not yet mixed into the words. */
  readonly tail: Uint8Array;
}

/** Incremental MurmurHash3_x86_128. */
export class Murmur3X86_128 extends BlockHash16 {
  private h1: number;
  private h2: number;
  private h3: number;
  private h4: number;

  constructor(seed = 0) {
    super();
    this.h1 = this.h2 = this.h3 = this.h4 = seed | 0;
  }

  /** The digest of everything hashed so far as four uint32 words h1..h4; hashing can go on. */
  digest(): [number, number, number, number] {
    let h1 = this.h1;
    let h2 = this.h2;
    let h3 = this.h3;
    let h4 = this.h4;
    const tail = this.tail;
    const rest = this.tailLength;
    // Tail: the last 0..15 bytes, as the reference's fall-through switch does.
    if (rest > 12) h4 ^= mixK(tailWord(tail, rest, 12), C4, 18, C1);
    if (rest > 8) h3 ^= mixK(tailWord(tail, rest, 8), C3, 17, C4);
    if (rest > 4) h2 ^= mixK(tailWord(tail, rest, 4), C2, 16, C3);
    if (rest > 0) h1 ^= mixK(tailWord(tail, rest, 0), C1, 15, C2);

    // Finalization; the reference mixes in the length as a 32-bit int.
    const length = (this.length % 0x100000000) | 0;
    h1 ^= length;
    h2 ^= length;
    h3 ^= length;
    h4 ^= length;
    h1 = (h1 + h2 + h3 + h4) | 0;
    h2 = (h2 + h1) | 0;
    h3 = (h3 + h1) | 0;
    h4 = (h4 + h1) | 0;
    h1 = fmix32(h1);
    h2 = fmix32(h2);
    h3 = fmix32(h3);
    h4 = fmix32(h4);
    h1 = (h1 + h2 + h3 + h4) | 0;
    h2 = (h2 + h1) | 0;
    h3 = (h3 + h1) | 0;
    h4 = (h4 + h1) | 0;
    return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
  }

  /** hash64 of everything hashed so far: the digest's first 8 bytes as 16 hex digits. */
  hex64(): string {
    const digest = this.digest();
    return hexLE(digest[0]) + hexLE(digest[1]);
  }

  /** The state, for going on later (a copy). */
  exportState(): Murmur3State {
    return {
      words: [this.h1 >>> 0, this.h2 >>> 0, this.h3 >>> 0, this.h4 >>> 0],
      length: this.length,
      tail: this.tail.slice(0, this.tailLength),
    };
  }

  /**
   * A hash that goes on from an exported state. The caller validates untrusted state first; an
   * inconsistent one (tail length other than length mod 16) is a RangeError.
   */
  static fromState(state: Murmur3State): Murmur3X86_128 {
    if (!Number.isSafeInteger(state.length) || state.length < 0 || state.tail.length !== state.length % 16) {
      throw new RangeError('Murmur3X86_128 state: the tail must hold the last (length mod 16) bytes');
    }
    const m = new Murmur3X86_128();
    m.h1 = state.words[0] | 0;
    m.h2 = state.words[1] | 0;
    m.h3 = state.words[2] | 0;
    m.h4 = state.words[3] | 0;
    m.length = state.length;
    m.tail.set(state.tail);
    m.tailLength = state.tail.length;
    return m;
  }

  /** Mixes `count` 16-byte blocks of little-endian words starting at word `first`. */
  protected blocks(words: Int32Array, first: number, count: number): void {
    // The constants as locals: a bundler turns module constants into variables V8 reads on every use.
    const c1 = C1;
    const c2 = C2;
    const c3 = C3;
    const c4 = C4;
    let h1 = this.h1;
    let h2 = this.h2;
    let h3 = this.h3;
    let h4 = this.h4;
    const end = first + count * 4;
    for (let w = first; w < end; w += 4) {
      h1 ^= mixK(words[w]!, c1, 15, c2);
      h1 = (Math.imul((rotl(h1, 19) + h2) | 0, 5) + 0x561ccd1b) | 0;
      h2 ^= mixK(words[w + 1]!, c2, 16, c3);
      h2 = (Math.imul((rotl(h2, 17) + h3) | 0, 5) + 0x0bcaa747) | 0;
      h3 ^= mixK(words[w + 2]!, c3, 17, c4);
      h3 = (Math.imul((rotl(h3, 15) + h4) | 0, 5) + 0x96cd1c35) | 0;
      h4 ^= mixK(words[w + 3]!, c4, 18, c1);
      h4 = (Math.imul((rotl(h4, 13) + h1) | 0, 5) + 0x32ac3b17) | 0;
    }
    this.h1 = h1;
    this.h2 = h2;
    this.h3 = h3;
    this.h4 = h4;
  }

  /** Mixes `count` all-zero blocks: the block loop with every input word 0 (mixK(0) is 0). */
  protected zeroBlocks(count: number): void {
    let h1 = this.h1;
    let h2 = this.h2;
    let h3 = this.h3;
    let h4 = this.h4;
    for (let n = 0; n < count; n++) {
      h1 = (Math.imul((rotl(h1, 19) + h2) | 0, 5) + 0x561ccd1b) | 0;
      h2 = (Math.imul((rotl(h2, 17) + h3) | 0, 5) + 0x0bcaa747) | 0;
      h3 = (Math.imul((rotl(h3, 15) + h4) | 0, 5) + 0x96cd1c35) | 0;
      h4 = (Math.imul((rotl(h4, 13) + h1) | 0, 5) + 0x32ac3b17) | 0;
    }
    this.h1 = h1;
    this.h2 = h2;
    this.h3 = h3;
    this.h4 = h4;
  }
}

// Checksums are made and dropped within a call: keep the class's hidden class (keep-shape.ts).
keepShape(new Murmur3X86_128().update(new Uint8Array(17)));

/** The first 64 bits of MurmurHash3_x86_128 of `data`, as 16 hex digits. */
export function hash64(data: Uint8Array, seed = 0): string {
  return new Murmur3X86_128(seed).update(data).hex64();
}

/** MurmurHash3_x86_128 of `data`: the digest as four uint32 words h1..h4. */
export function murmur3X86_128(data: Uint8Array, seed = 0): [number, number, number, number] {
  return new Murmur3X86_128(seed).update(data).digest();
}

/**
 * Each hash module has its own rotl: where modules are not bundled (vitest), a call to an imported
 * function goes through the module namespace and is not inlined, which made the block loops about
 * twice as slow.
 */
function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/** One input word's mixing before it enters its lane: multiply, rotate, multiply. */
function mixK(k: number, ca: number, r: number, cb: number): number {
  return Math.imul(rotl(Math.imul(k, ca), r), cb);
}

/** The little-endian word of tail bytes from..min(rest, from + 4) - 1 (missing bytes are 0). */
function tailWord(tail: Uint8Array, rest: number, from: number): number {
  let k = 0;
  for (let i = Math.min(rest, from + 4) - 1; i >= from; i--) k ^= tail[i]! << ((i - from) << 3);
  return k;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b | 0);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35 | 0);
  h ^= h >>> 16;
  return h;
}

/** A uint32 as 8 hex digits of its little-endian bytes (digest byte order). */
function hexLE(word: number): string {
  let out = '';
  for (let i = 0; i < 4; i++) out += ((word >>> (i << 3)) & 0xff).toString(16).padStart(2, '0');
  return out;
}
