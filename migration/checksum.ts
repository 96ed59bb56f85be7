/**
 * Section checksums, 8 bytes each, computed incrementally over the chunks of a section. Which hash
 * a file's checksums use follows from its format version (header.ts's checksumKindOf):
 *
 * - 'xxh32-pair' (format version 5 on): XXH32 of the section with seed 0, then with
 *   XXH32_SEED_HI, each as a little-endian uint32 (src/util/xxh32.ts);
 * - 'murmur3' (versions 1 to 4): the first 64 bits of MurmurHash3_x86_128, h1 and h2 little-endian
 *   (src/util/hash.ts; the same digest as hash64).
 *
 * Why these and not CRC32C: the checksum runs over every stored RAM page on save and again on
 * load, and in JavaScript a hash built on 32-bit multiplies (Math.imul) over aligned Int32Array
 * views runs several times faster than a table-driven CRC; 64 bits leave a random corruption about
 * a 2^-64 chance of passing instead of CRC32C's 2^-32. Version 5 moved to the XXH32 pair because
 * its lanes do not feed each other as Murmur's do: about 2.6-3.9 GB/s in JavaScript against 2.2-2.4
 * on the development host, and about 5 with its block loop in WebAssembly SIMD (xxh32-simd.ts).
 * What CRC32C has and these lack (a guarantee for every burst error up to 32 bits) matters little
 * for files, whose storage layers already correct bit errors. The checksum detects accidents; it
 * is not a MAC, and the decoder treats checksummed content as hostile all the same.
 */

import { Murmur3X86_128 } from '../src/util/hash.ts';
import { keepShape } from '../src/util/keep-shape.ts';
import { Xxh32Pair } from '../src/util/xxh32.ts';

/** Bytes of a stored checksum. */
export const CHECKSUM_BYTES = 8;

/** The hash behind a file's checksums (header.ts's checksumKindOf gives it for a format version). */
export type ChecksumKind = 'xxh32-pair' | 'murmur3';

export class Checksum64 {
  private readonly hash: Xxh32Pair | Murmur3X86_128;

  constructor(kind: ChecksumKind) {
    this.hash = kind === 'xxh32-pair' ? new Xxh32Pair() : new Murmur3X86_128();
  }

  update(data: Uint8Array): this {
    this.hash.update(data);
    return this;
  }

  /** The checksum: the digest's first two words, little-endian. */
  digest(): Uint8Array {
    const words = this.hash.digest();
    const out = new Uint8Array(CHECKSUM_BYTES);
    for (let i = 0; i < 4; i++) {
      out[i] = words[0] >>> (i << 3);
      out[4 + i] = words[1] >>> (i << 3);
    }
    return out;
  }
}

// Made and dropped within a call: keep the class's hidden class (src/util/keep-shape.ts).
keepShape(new Checksum64('xxh32-pair'));

/** The checksum of several chunks taken as one byte string. */
export function checksumOf(kind: ChecksumKind, ...chunks: Uint8Array[]): Uint8Array {
  const sum = new Checksum64(kind);
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
