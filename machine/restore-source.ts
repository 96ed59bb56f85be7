/**
 * Decoding a snapshot for a restore as `-incoming` does it (docs/architecture.md section 7): the
 * header, the document and the device state are read and checked at once; RAM, when `lazy`, is left
 * in the source and offered to the restore (src/memory/ram-pager.ts), which adopts the image and
 * loads each chunk on first touch or by prefetch. Used by the CLI on a file and by the demo on bytes
 * in memory.
 */
import { decodeSnapshotSource, type SnapshotSource } from '../migration/decode-source.ts';
import type { SnapshotLimits } from '../migration/limits.ts';
import type { Snapshot } from '../migration/snapshot.ts';
import { offerRam } from '../src/memory/ram-pager.ts';
import { RAM_FIELD, RAM_PATH } from './machine-state.ts';

export interface RestoreSourceOptions {
  limits?: SnapshotLimits;
  /** Leave RAM in the source, to load as the guest touches it (else it is read whole now). */
  lazy: boolean;
}

/** The decoded snapshot, and whether RAM is still to load from the source (keep the source open). */
export function decodeRestoreSource(source: SnapshotSource, options: RestoreSourceOptions): { snapshot: Snapshot; ramPending: boolean } {
  const ramField = `${RAM_PATH}.${RAM_FIELD}`;
  const { snapshot, deferred } = decodeSnapshotSource(source, {
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    defer: (at) => options.lazy && at === ramField,
  });
  const ram = snapshot.objects.get(RAM_PATH)?.fields[RAM_FIELD];
  if (ram instanceof Uint8Array) offerRam(ram, deferred.get(ram) ?? null);
  return { snapshot, ramPending: deferred.size > 0 };
}

/** A snapshot source over bytes in memory. */
export function bytesSource(bytes: Uint8Array): SnapshotSource {
  return {
    length: bytes.length,
    readInto: (dest, position) => dest.set(bytes.subarray(position, position + dest.length)),
  };
}
