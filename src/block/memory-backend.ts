/**
 * A disk held in one Uint8Array: for tests and the browser. Discard keeps the bytes (see the
 * BlockBackend contract); flush only counts.
 */
import { type BlockBackend, checkRange, checkWritable } from './block-backend.ts';

export interface MemoryBackendOptions {
  readOnly?: boolean;
}

export class MemoryBackend implements BlockBackend {
  readonly bytes: Uint8Array;
  readonly size: number;
  readonly readOnly: boolean;
  /** Number of flush() calls (what a test can observe of a flush). */
  flushes = 0;

  /** A zeroed disk of `contents` bytes, or a disk over the given bytes (not copied). */
  constructor(contents: number | Uint8Array, options: MemoryBackendOptions = {}) {
    this.bytes = typeof contents === 'number' ? new Uint8Array(contents) : contents;
    this.size = this.bytes.length;
    this.readOnly = options.readOnly === true;
  }

  read(offset: number, dest: Uint8Array): void {
    checkRange(this.size, offset, dest.length);
    dest.set(this.bytes.subarray(offset, offset + dest.length));
  }

  write(offset: number, src: Uint8Array): void {
    checkRange(this.size, offset, src.length);
    checkWritable(this);
    this.bytes.set(src, offset);
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
    this.bytes.fill(0, offset, offset + length);
  }
}
