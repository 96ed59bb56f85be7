/**
 * BlockBackend: the disk a block device sees (a narrow capability, docs/architecture.md section 1). Byte
 * addressed and synchronous: godwit's block I/O completes at deterministic virtual times, so a
 * device calls its backend at that time and the call returns with the work done.
 *
 * Contract for every backend:
 * - `size` is fixed for the life of the backend; offsets and lengths are non-negative integers and
 *   a range must lie within [0, size): otherwise the call throws BlockIoError and changes nothing.
 * - A read-only backend refuses write, writeZeroes and discard with BlockIoError (flush succeeds).
 * - `discard` may release storage; what a later read of the range returns is the backend's to
 *   choose but must be deterministic. Every backend here keeps the bytes (QEMU's default
 *   discard=ignore), so a discard never changes what the guest reads.
 * - A host failure (a file that cannot be written) is a BlockIoError too; a device turns it into
 *   an I/O error status for the guest.
 */

export class BlockIoError extends Error {
  override readonly name = 'BlockIoError' as const;
}
export function isBlockIoError(e: unknown): e is BlockIoError {
  return e instanceof Error && e.name === 'BlockIoError';
}

export interface BlockBackend {
  /** Bytes. */
  readonly size: number;
  readonly readOnly: boolean;
  /** Fill dest with the bytes at [offset, offset + dest.length). */
  read(offset: number, dest: Uint8Array): void;
  /** Store src at [offset, offset + src.length). */
  write(offset: number, src: Uint8Array): void;
  /** Make completed writes durable (a file backend syncs its data). */
  flush(): void;
  /** The guest no longer needs [offset, offset + length) (see the contract above). */
  discard(offset: number, length: number): void;
  /** Zero [offset, offset + length). */
  writeZeroes(offset: number, length: number): void;
}

/** Throws BlockIoError unless [offset, offset + length) is a valid range of a disk of `size` bytes. */
export function checkRange(size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new BlockIoError(`range ${offset}+${length} is outside the disk (${size} bytes)`);
  }
}

/** Throws BlockIoError when a backend is read-only (for the calls that modify it). */
export function checkWritable(backend: { readonly readOnly: boolean }): void {
  if (backend.readOnly) throw new BlockIoError('the disk is read-only');
}
