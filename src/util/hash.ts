/**
 * A fast deterministic 64-bit hash of a byte string, for `--stats` RAM and serial hashes and for
 * comparing runs. Not cryptographic.
 *
 * The algorithm is MurmurHash3_x86_128 (Austin Appleby, public domain), which uses only 32-bit
 * multiplies and so runs at full speed in JavaScript with Math.imul; the result is the first 8 bytes
 * of its 16-byte digest as 16 lowercase hex digits (what `mmh3.hash_bytes(data, seed,
 * x64arch=False)[:8].hex()` prints). murmur3X86_128 gives the full digest.
 */

const C1 = 0x239b961b;
const C2 = 0xab0e9789 | 0;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93 | 0;

/** True when a 32-bit word read through an Int32Array is little-endian (every current platform). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The first 64 bits of MurmurHash3_x86_128 of `data`, as 16 hex digits. */
export function hash64(data: Uint8Array, seed = 0): string {
  const digest = murmur3X86_128(data, seed);
  return hexLE(digest[0]!) + hexLE(digest[1]!);
}

/** MurmurHash3_x86_128 of `data`: the digest as four uint32 words h1..h4. */
export function murmur3X86_128(data: Uint8Array, seed = 0): [number, number, number, number] {
  const length = data.length;
  const blocks = length >>> 4;
  let h1 = seed | 0;
  let h2 = seed | 0;
  let h3 = seed | 0;
  let h4 = seed | 0;
  let k1: number;
  let k2: number;
  let k3: number;
  let k4: number;

  // Body: 16-byte blocks of four little-endian words.
  const words = wordsOf(data, blocks << 2);
  for (let w = 0; w < blocks << 2; w += 4) {
    k1 = words[w]!;
    k2 = words[w + 1]!;
    k3 = words[w + 2]!;
    k4 = words[w + 3]!;

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

  // Tail: the last 0..15 bytes, as the reference's fall-through switch does.
  const tail = blocks << 4;
  const rest = length & 15;
  k1 = 0;
  k2 = 0;
  k3 = 0;
  k4 = 0;
  if (rest > 12) {
    for (let i = rest - 1; i >= 12; i--) k4 ^= data[tail + i]! << ((i - 12) << 3);
    k4 = Math.imul(k4, C4);
    k4 = (k4 << 18) | (k4 >>> 14);
    k4 = Math.imul(k4, C1);
    h4 ^= k4;
  }
  if (rest > 8) {
    for (let i = Math.min(rest, 12) - 1; i >= 8; i--) k3 ^= data[tail + i]! << ((i - 8) << 3);
    k3 = Math.imul(k3, C3);
    k3 = (k3 << 17) | (k3 >>> 15);
    k3 = Math.imul(k3, C4);
    h3 ^= k3;
  }
  if (rest > 4) {
    for (let i = Math.min(rest, 8) - 1; i >= 4; i--) k2 ^= data[tail + i]! << ((i - 4) << 3);
    k2 = Math.imul(k2, C2);
    k2 = (k2 << 16) | (k2 >>> 16);
    k2 = Math.imul(k2, C3);
    h2 ^= k2;
  }
  if (rest > 0) {
    for (let i = Math.min(rest, 4) - 1; i >= 0; i--) k1 ^= data[tail + i]! << (i << 3);
    k1 = Math.imul(k1, C1);
    k1 = (k1 << 15) | (k1 >>> 17);
    k1 = Math.imul(k1, C2);
    h1 ^= k1;
  }

  // Finalization.
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
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b | 0);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35 | 0);
  h ^= h >>> 16;
  return h;
}

/**
 * The first `count` little-endian words of `data`: a view when it is aligned on a little-endian host
 * (RAM always is), else a copy.
 */
function wordsOf(data: Uint8Array, count: number): Int32Array {
  if (LITTLE_ENDIAN && (data.byteOffset & 3) === 0) return new Int32Array(data.buffer, data.byteOffset, count);
  const words = new Int32Array(count);
  for (let w = 0; w < count; w++) words[w] = readLE32(data, w << 2);
  return words;
}

function readLE32(data: Uint8Array, i: number): number {
  return data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
}

/** A uint32 as 8 hex digits of its little-endian bytes (digest byte order). */
function hexLE(word: number): string {
  let out = '';
  for (let i = 0; i < 4; i++) out += ((word >>> (i << 3)) & 0xff).toString(16).padStart(2, '0');
  return out;
}
