/**
 * A copy-on-write overlay: writes go to a sparse set of 4 KiB blocks held in memory over a base that
 * is never written (a read-only image file, a shared memory disk); reads merge the two. The written
 * blocks can be enumerated and restored, so that a snapshot can carry them as the disk's state.
 *
 * Blocks are numbered from offset 0; the last block of a disk whose size is not a multiple of
 * 4 KiB is partial, and its bytes past the end are zero and never read. Zeroing whole blocks
 * records them as zero blocks without allocating (one shared zero block, copied before it is
 * written). Discard keeps the bytes (the BlockBackend contract).
 *
 * A restore from a snapshot adopts the loaded bytes as they are (adoptBlocks: no copy, which for a
 * 256 MiB overlay is most of the load): such a block is borrowed and, like the zero block, copied
 * before its first write, so the snapshot's bytes are never changed.
 */
import { type BlockBackend, checkRange, checkWritable } from './block-backend.ts';
import { StateError } from '../util/errors.ts';

export const OVERLAY_BLOCK_SHIFT = 12;
export const OVERLAY_BLOCK_SIZE = 1 << OVERLAY_BLOCK_SHIFT;

/** Stands for a block of zeros in the map; never written (it is replaced before a write). */
const ZERO_BLOCK = new Uint8Array(OVERLAY_BLOCK_SIZE);

export interface OverlayBlock {
  readonly index: number;
  /** OVERLAY_BLOCK_SIZE bytes; treat as read-only. */
  readonly data: Uint8Array;
}

export interface OverlayBackendOptions {
  readOnly?: boolean;
}

export class OverlayBackend implements BlockBackend {
  readonly base: BlockBackend;
  readonly size: number;
  readonly readOnly: boolean;
  /** Number of blocks of the disk (the last one may be partial). */
  readonly blockCount: number;
  flushes = 0;
  private readonly blocks = new Map<number, Uint8Array>();
  /** Blocks whose bytes are borrowed (adoptBlocks): copied before they are written. */
  private readonly borrowed = new Set<number>();

  constructor(base: BlockBackend, options: OverlayBackendOptions = {}) {
    this.base = base;
    this.size = base.size;
    this.readOnly = options.readOnly === true;
    this.blockCount = Math.ceil(this.size / OVERLAY_BLOCK_SIZE);
  }

  /** Number of blocks held in the overlay. */
  get writtenBlockCount(): number {
    return this.blocks.size;
  }

  read(offset: number, dest: Uint8Array): void {
    checkRange(this.size, offset, dest.length);
    let done = 0;
    while (done < dest.length) {
      const pos = offset + done;
      const index = Math.floor(pos / OVERLAY_BLOCK_SIZE);
      const within = pos - index * OVERLAY_BLOCK_SIZE;
      const n = Math.min(OVERLAY_BLOCK_SIZE - within, dest.length - done);
      const block = this.blocks.get(index);
      if (block === undefined) this.base.read(pos, dest.subarray(done, done + n));
      else dest.set(block.subarray(within, within + n), done);
      done += n;
    }
  }

  write(offset: number, src: Uint8Array): void {
    checkRange(this.size, offset, src.length);
    checkWritable(this);
    let done = 0;
    while (done < src.length) {
      const pos = offset + done;
      const index = Math.floor(pos / OVERLAY_BLOCK_SIZE);
      const within = pos - index * OVERLAY_BLOCK_SIZE;
      const n = Math.min(OVERLAY_BLOCK_SIZE - within, src.length - done);
      this.writableBlock(index, n === OVERLAY_BLOCK_SIZE).set(src.subarray(done, done + n), within);
      done += n;
    }
  }

  flush(): void {
    this.flushes++;
  }

  discard(offset: number, length: number): void {
    checkRange(this.size, offset, length);
    checkWritable(this);
  }

  writeZeroes(offset: number, length: number): void {
    checkRange(this.size, offset, length);
    checkWritable(this);
    let done = 0;
    while (done < length) {
      const pos = offset + done;
      const index = Math.floor(pos / OVERLAY_BLOCK_SIZE);
      const within = pos - index * OVERLAY_BLOCK_SIZE;
      const n = Math.min(OVERLAY_BLOCK_SIZE - within, length - done);
      // A whole block, or the partial last block from its start to the end of the disk.
      if (within === 0 && (n === OVERLAY_BLOCK_SIZE || pos + n === this.size)) {
        this.blocks.set(index, ZERO_BLOCK);
        this.borrowed.delete(index);
      } else this.writableBlock(index, false).fill(0, within, within + n);
      done += n;
    }
  }

  /** The overlay's blocks in ascending index order (zero blocks as zeros). */
  writtenBlocks(): OverlayBlock[] {
    const indices = [...this.blocks.keys()].sort((a, b) => a - b);
    return indices.map((index) => ({ index, data: this.blocks.get(index)! }));
  }

  /**
   * Replace the overlay with the given blocks (a restore). The input is untrusted: an index outside
   * the disk, a repeated index or a block of the wrong length is refused (StateError) and the
   * overlay is left as it was.
   */
  restoreBlocks(blocks: readonly OverlayBlock[]): void {
    this.checkBlocks(blocks);
    this.clear();
    for (const b of blocks) {
      const data = new Uint8Array(OVERLAY_BLOCK_SIZE);
      data.set(b.data);
      this.blocks.set(b.index, this.zeroTail(b.index, data));
    }
  }

  /**
   * restoreBlocks without copying: the overlay keeps the given bytes (views of a loaded snapshot)
   * and copies a block only before writing it, so the bytes themselves are never written. The
   * caller must not write them either (they stay shared with whatever else holds them).
   */
  adoptBlocks(blocks: readonly OverlayBlock[]): void {
    this.checkBlocks(blocks);
    this.clear();
    for (const b of blocks) {
      if (this.size - b.index * OVERLAY_BLOCK_SIZE < OVERLAY_BLOCK_SIZE) {
        // The partial last block gets its tail zeroed: a copy of its own.
        this.blocks.set(b.index, this.zeroTail(b.index, b.data.slice()));
      } else {
        this.blocks.set(b.index, b.data);
        this.borrowed.add(b.index);
      }
    }
  }

  /** Drop every overlay block: the disk reads as its base again. */
  clear(): void {
    this.blocks.clear();
    this.borrowed.clear();
  }

  /** Untrusted restore input: an index outside the disk, a repeat or a wrong length is a StateError. */
  private checkBlocks(blocks: readonly OverlayBlock[]): void {
    const seen = new Set<number>();
    for (const b of blocks) {
      if (!Number.isSafeInteger(b.index) || b.index < 0 || b.index >= this.blockCount) {
        throw new StateError('overlay', `block index ${b.index} is outside the disk (${this.blockCount} blocks)`);
      }
      if (seen.has(b.index)) throw new StateError('overlay', `block ${b.index} is given twice`);
      if (b.data.length !== OVERLAY_BLOCK_SIZE) {
        throw new StateError('overlay', `block ${b.index} has ${b.data.length} bytes, not ${OVERLAY_BLOCK_SIZE}`);
      }
      seen.add(b.index);
    }
  }

  /** Bytes past the end of the disk in a partial last block stay zero. */
  private zeroTail(index: number, data: Uint8Array): Uint8Array {
    const end = this.size - index * OVERLAY_BLOCK_SIZE;
    if (end < OVERLAY_BLOCK_SIZE) data.fill(0, end);
    return data;
  }

  /**
   * The overlay block `index`, ready to be written: created from the base (unless it will be
   * overwritten whole), or copied when it is the zero block or borrowed.
   */
  private writableBlock(index: number, whole: boolean): Uint8Array {
    const existing = this.blocks.get(index);
    const borrowed = existing !== undefined && this.borrowed.has(index);
    if (existing !== undefined && existing !== ZERO_BLOCK && !borrowed) return existing;
    const block = new Uint8Array(OVERLAY_BLOCK_SIZE);
    if (borrowed) {
      if (!whole) block.set(existing);
      this.borrowed.delete(index);
    } else if (existing === undefined && !whole) {
      const start = index * OVERLAY_BLOCK_SIZE;
      this.base.read(start, block.subarray(0, Math.min(OVERLAY_BLOCK_SIZE, this.size - start)));
    }
    this.blocks.set(index, block);
    return block;
  }
}
