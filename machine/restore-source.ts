/**
 * Decoding a snapshot for a restore as `-incoming` does it (docs/architecture.md section 7): the
 * header, the document and the device state are read and checked at once; RAM, when lazy, is left
 * in the source and offered to the restore (src/memory/ram-pager.ts), which adopts the image and
 * loads each chunk on first touch or by prefetch. The CLI reads files (and diff chains) through
 * machine/snapshot-chain.ts with the same two steps; the demo decodes bytes in memory here.
 */
import type { DeferredBlob, SnapshotSource } from '../migration/decode-source.ts';
import { decodeSnapshotSource } from '../migration/decode-source.ts';
import type { Snapshot } from '../migration/snapshot.ts';
import { offerRam } from '../src/memory/ram-pager.ts';
import { RAM_FIELD, RAM_PATH } from './machine-state.ts';

const RAM_BLOB = `${RAM_PATH}.${RAM_FIELD}`;

/** The decoders' `defer`: RAM (and nothing else) stays in the source when `lazy`. */
export function deferRam(lazy: boolean): (path: string) => boolean {
  return (path) => lazy && path === RAM_BLOB;
}

/** Offers the decoded snapshot's RAM image, with its pager when deferred, to the next restore. */
export function offerSnapshotRam(snapshot: Snapshot, deferred: ReadonlyMap<Uint8Array, DeferredBlob>): void {
  const ram = snapshot.objects.get(RAM_PATH)?.fields[RAM_FIELD];
  if (ram instanceof Uint8Array) offerRam(ram, deferred.get(ram) ?? null);
}

/** Decodes a snapshot held in `source` for a restore (RAM lazily when `lazy`). */
export function decodeRestoreSource(source: SnapshotSource, lazy: boolean): Snapshot {
  const { snapshot, deferred } = decodeSnapshotSource(source, { defer: deferRam(lazy) });
  offerSnapshotRam(snapshot, deferred);
  return snapshot;
}

/** A snapshot source over bytes in memory. */
export function bytesSource(bytes: Uint8Array): SnapshotSource {
  return {
    length: bytes.length,
    readInto: (dest, position) => dest.set(bytes.subarray(position, position + dest.length)),
  };
}
