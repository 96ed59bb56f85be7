/**
 * What the project's two 16-byte-block hashes share (MurmurHash3_x86_128 in hash.ts, the XXH32
 * pair in xxh32.ts): the byte count, up to 15 bytes waiting for a full block, and the walk that
 * hands the block loop aligned little-endian words. A subclass supplies the block loop (and its
 * all-zero form) and the digest.
 */

/** True when a 32-bit word read through an Int32Array is little-endian (every current platform). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Largest piece of input the block loop is given at once (16 MiB): its offsets and counts are int32
 * arithmetic, which a 2 GiB byte count would overflow.
 */
export const SPAN_BYTES = 1 << 24;

/** Words of the scratch buffer unaligned input is copied through (64 KiB). */
const SCRATCH_WORDS = 1 << 14;
/** Scratch for unaligned input, allocated on first use. */
let scratchWords: Int32Array | null = null;
let scratchBytes: Uint8Array | null = null;

export abstract class BlockHash16 {
  /** Bytes hashed so far. */
  protected length = 0;
  /** The tail's bytes as words (one buffer: a hash is often made for one short section). */
  private readonly tailWords = new Int32Array(4);
  /** Up to 15 bytes waiting for a full 16-byte block. */
  protected readonly tail = new Uint8Array(this.tailWords.buffer);
  protected tailLength = 0;

  /** Mixes `count` 16-byte blocks of little-endian words starting at word `first`. */
  protected abstract blocks(words: Int32Array, first: number, count: number): void;

  /** Mixes `count` all-zero blocks without reading memory. */
  protected abstract zeroBlocks(count: number): void;

  /** Bytes hashed so far. */
  get bytes(): number {
    return this.length;
  }

  /**
   * Hashes `data` after everything hashed so far. Inputs of any size (RAM up to 3.5 GiB and more) are
   * walked in spans of at most SPAN_BYTES, so that every offset the block loop computes with 32-bit
   * arithmetic stays far below 2^31.
   */
  update(data: Uint8Array): this {
    const length = data.length;
    if (length <= SPAN_BYTES) return this.updateSpan(data);
    for (let at = 0; at < length; at += SPAN_BYTES) this.updateSpan(data.subarray(at, Math.min(at + SPAN_BYTES, length)));
    return this;
  }

  /** Hashes `count` zero bytes without reading memory (the zero pages of a sparse RAM image). */
  updateZeros(count: number): this {
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`updateZeros: bad count ${count}`);
    let left = count;
    if (this.tailLength > 0) {
      const take = Math.min(16 - this.tailLength, left);
      this.tail.fill(0, this.tailLength, this.tailLength + take);
      this.tailLength += take;
      this.length += take;
      left -= take;
      if (this.tailLength < 16) return this;
      this.blocks(this.tailBlock(), 0, 1);
      this.tailLength = 0;
    }
    const blocks = Math.floor(left / 16);
    this.zeroBlocks(blocks);
    this.length += blocks * 16;
    left -= blocks * 16;
    if (left > 0) {
      this.tail.fill(0, 0, left);
      this.tailLength = left;
      this.length += left;
    }
    return this;
  }

  /** Hashes one byte (its low 8 bits) after everything hashed so far. */
  updateByte(byte: number): this {
    this.tail[this.tailLength++] = byte;
    this.length++;
    if (this.tailLength === 16) {
      this.blocks(this.tailBlock(), 0, 1);
      this.tailLength = 0;
    }
    return this;
  }

  /** update() for at most SPAN_BYTES bytes. */
  private updateSpan(data: Uint8Array): this {
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
    let blocks = (data.length - at) >>> 4;
    if (blocks > 0) {
      const start = data.byteOffset + at;
      if (LITTLE_ENDIAN && (start & 3) === 0) {
        this.blocks(new Int32Array(data.buffer, start, blocks * 4), 0, blocks);
        at += blocks * 16;
      } else if (LITTLE_ENDIAN) {
        // Unaligned: copy through an aligned scratch buffer.
        const words = (scratchWords ??= new Int32Array(SCRATCH_WORDS));
        const bytes = (scratchBytes ??= new Uint8Array(words.buffer));
        while (blocks > 0) {
          const n = Math.min(blocks, SCRATCH_WORDS >>> 2);
          bytes.set(data.subarray(at, at + n * 16));
          this.blocks(words, 0, n);
          at += n * 16;
          blocks -= n;
        }
      } else {
        // Big-endian host: assemble each block's words byte by byte.
        for (; blocks > 0; blocks--, at += 16) {
          this.tail.set(data.subarray(at, at + 16));
          this.blocks(this.tailBlock(), 0, 1);
        }
      }
    }
    if (at < data.length) {
      this.tail.set(data.subarray(at), 0);
      this.tailLength = data.length - at;
    }
    return this;
  }

  /** The pending tail as one block of little-endian words (it must be full). */
  private tailBlock(): Int32Array {
    if (LITTLE_ENDIAN) return this.tailWords;
    const t = this.tail;
    const w = new Int32Array(4);
    for (let i = 0; i < 4; i++) {
      const j = i << 2;
      w[i] = t[j]! | (t[j + 1]! << 8) | (t[j + 2]! << 16) | (t[j + 3]! << 24);
    }
    return w;
  }
}
