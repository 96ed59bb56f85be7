/**
 * Section checksums: the first 64 bits of MurmurHash3_x86_128, computed incrementally over the
 * chunks of a section (src/util/hash.ts computes the same digest in one piece; the tests check that
 * they agree).
 *
 * Why this one and not CRC32C: the checksum runs over every stored RAM page on save and again on
 * load, and in JavaScript a hash built on 32-bit multiplies (Math.imul) over aligned Int32Array
 * views runs several times faster than a table-driven CRC; 64 bits leave a random corruption a 2^-64
 * chance of passing instead of CRC32C's 2^-32; and the project already uses this digest for RAM
 * hashes. What CRC32C has and this lacks (a guarantee for every burst error up to 32 bits) matters
 * little for files, whose storage layers already correct bit errors. The checksum detects accidents;
 * it is not a MAC, and the decoder treats checksummed content as hostile all the same.
 */

const C1 = 0x239b961b;
const C2 = 0xab0e9789 | 0;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93 | 0;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Bytes of a stored checksum. */
export const CHECKSUM_BYTES = 8;

export class Checksum64 {
  private h1 = 0;
  private h2 = 0;
  private h3 = 0;
  private h4 = 0;
  /** Bytes hashed so far. */
  private length = 0;
  /** Up to 15 bytes waiting for a full 16-byte block. */
  private readonly tail = new Uint8Array(16);
  private readonly tailWords = new Int32Array(4);
  private tailLength = 0;

  constructor(seed = 0) {
    this.h1 = this.h2 = this.h3 = this.h4 = seed | 0;
  }

  update(data: Uint8Array): this {
    let at = 0;
    this.length += data.length;
    if (this.tailLength > 0) {
      const take = Math.min(16 - this.tailLength, data.length);
      this.tail.set(data.subarray(0, take), this.tailLength);
      this.tailLength += take;
      at = take;
      if (this.tailLength < 16) return this;
      this.blocks(this.tailBlock(), 0, 1);
      this.tailLength = 0;
    }
    const blocks = (data.length - at) >>> 4;
    if (blocks > 0) {
      const start = data.byteOffset + at;
      if (LITTLE_ENDIAN && (start & 3) === 0) {
        this.blocks(new Int32Array(data.buffer, start, blocks << 2), 0, blocks);
      } else {
        // Unaligned: go through the scratch block (rare: only small header parts).
        for (let b = 0; b < blocks; b++) {
          this.tail.set(data.subarray(at + (b << 4), at + (b << 4) + 16));
          this.blocks(this.tailBlock(), 0, 1);
        }
      }
      at += blocks << 4;
    }
    if (at < data.length) {
      this.tail.set(data.subarray(at), 0);
      this.tailLength = data.length - at;
    }
    return this;
  }

  /** The checksum: the digest's first 8 bytes (h1, h2 little-endian), as src/util/hash.ts's hash64. */
  digest(): Uint8Array {
    let h1 = this.h1;
    let h2 = this.h2;
    let h3 = this.h3;
    let h4 = this.h4;
    const tail = this.tail;
    const rest = this.tailLength;
    let k1 = 0;
    let k2 = 0;
    let k3 = 0;
    let k4 = 0;
    if (rest > 12) {
      for (let i = rest - 1; i >= 12; i--) k4 ^= tail[i]! << ((i - 12) << 3);
      k4 = Math.imul(k4, C4);
      k4 = (k4 << 18) | (k4 >>> 14);
      k4 = Math.imul(k4, C1);
      h4 ^= k4;
    }
    if (rest > 8) {
      for (let i = Math.min(rest, 12) - 1; i >= 8; i--) k3 ^= tail[i]! << ((i - 8) << 3);
      k3 = Math.imul(k3, C3);
      k3 = (k3 << 17) | (k3 >>> 15);
      k3 = Math.imul(k3, C4);
      h3 ^= k3;
    }
    if (rest > 4) {
      for (let i = Math.min(rest, 8) - 1; i >= 4; i--) k2 ^= tail[i]! << ((i - 4) << 3);
      k2 = Math.imul(k2, C2);
      k2 = (k2 << 16) | (k2 >>> 16);
      k2 = Math.imul(k2, C3);
      h2 ^= k2;
    }
    if (rest > 0) {
      for (let i = Math.min(rest, 4) - 1; i >= 0; i--) k1 ^= tail[i]! << (i << 3);
      k1 = Math.imul(k1, C1);
      k1 = (k1 << 15) | (k1 >>> 17);
      k1 = Math.imul(k1, C2);
      h1 ^= k1;
    }
    // The reference mixes in the length as a 32-bit int.
    const length = (this.length % 0x100000000) | 0;
    h1 ^= length;
    h2 ^= length;
    h3 ^= length;
    h4 ^= length;
    h1 = (h1 + h2) | 0;
    h1 = (h1 + h3) | 0;
    h1 = (h1 + h4) | 0;
    h2 = (h2 + h1) | 0;
    h3 = (h3 + h1) | 0;
    h4 = (h4 + h1) | 0;
    h1 = fmix32(h1);
    h2 = fmix32(h2);
    h3 = fmix32(h3);
    h4 = fmix32(h4);
    h1 = (h1 + h2) | 0;
    h1 = (h1 + h3) | 0;
    h1 = (h1 + h4) | 0;
    h2 = (h2 + h1) | 0;
    const out = new Uint8Array(CHECKSUM_BYTES);
    const view = new DataView(out.buffer);
    view.setUint32(0, h1 >>> 0, true);
    view.setUint32(4, h2 >>> 0, true);
    return out;
  }

  private tailBlock(): Int32Array {
    const t = this.tail;
    const w = this.tailWords;
    for (let i = 0; i < 4; i++) {
      const j = i << 2;
      w[i] = t[j]! | (t[j + 1]! << 8) | (t[j + 2]! << 16) | (t[j + 3]! << 24);
    }
    return w;
  }

  /** Mixes `count` 16-byte blocks of little-endian words starting at word `first`. */
  private blocks(words: Int32Array, first: number, count: number): void {
    let h1 = this.h1;
    let h2 = this.h2;
    let h3 = this.h3;
    let h4 = this.h4;
    const end = first + (count << 2);
    for (let w = first; w < end; w += 4) {
      let k1 = words[w]!;
      let k2 = words[w + 1]!;
      let k3 = words[w + 2]!;
      let k4 = words[w + 3]!;

      k1 = Math.imul(k1, C1);
      k1 = (k1 << 15) | (k1 >>> 17);
      k1 = Math.imul(k1, C2);
      h1 ^= k1;
      h1 = (h1 << 19) | (h1 >>> 13);
      h1 = (h1 + h2) | 0;
      h1 = (Math.imul(h1, 5) + 0x561ccd1b) | 0;

      k2 = Math.imul(k2, C2);
      k2 = (k2 << 16) | (k2 >>> 16);
      k2 = Math.imul(k2, C3);
      h2 ^= k2;
      h2 = (h2 << 17) | (h2 >>> 15);
      h2 = (h2 + h3) | 0;
      h2 = (Math.imul(h2, 5) + 0x0bcaa747) | 0;

      k3 = Math.imul(k3, C3);
      k3 = (k3 << 17) | (k3 >>> 15);
      k3 = Math.imul(k3, C4);
      h3 ^= k3;
      h3 = (h3 << 15) | (h3 >>> 17);
      h3 = (h3 + h4) | 0;
      h3 = (Math.imul(h3, 5) + 0x96cd1c35) | 0;

      k4 = Math.imul(k4, C4);
      k4 = (k4 << 18) | (k4 >>> 14);
      k4 = Math.imul(k4, C1);
      h4 ^= k4;
      h4 = (h4 << 13) | (h4 >>> 19);
      h4 = (h4 + h1) | 0;
      h4 = (Math.imul(h4, 5) + 0x32ac3b17) | 0;
    }
    this.h1 = h1;
    this.h2 = h2;
    this.h3 = h3;
    this.h4 = h4;
  }
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b | 0);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35 | 0);
  h ^= h >>> 16;
  return h;
}

/** The checksum of several chunks taken as one byte string. */
export function checksumOf(...chunks: Uint8Array[]): Uint8Array {
  const sum = new Checksum64();
  for (const chunk of chunks) sum.update(chunk);
  return sum.digest();
}

/** True when two checksums are equal. */
export function checksumsEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A checksum as 16 hex digits (as hash64 prints it). */
export function checksumHex(sum: Uint8Array): string {
  let out = '';
  for (const byte of sum) out += byte.toString(16).padStart(2, '0');
  return out;
}
