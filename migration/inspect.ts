/**
 * Summaries of snapshots, for `godwit snapshot inspect`: plain data first (for tests and --json
 * output), then a text rendering. Differences between two are in snapshot-diff.ts.
 */
import { compareStrings } from '../src/qom/type-registry.ts';
import { nonZeroPages } from './json-export.ts';
import type { Snapshot } from './snapshot.ts';
import { encodeFields } from './value-codec.ts';
import type { StoredBlob } from './decode.ts';
import { storedNonZeroPages } from './sparse-blob.ts';

export interface ByteStringSummary {
  /** Field path, e.g. `/machine/ram.data`. */
  field: string;
  bytes: number;
  nonZeroPages: number;
}

export interface ObjectSummary {
  path: string;
  type: string;
  version: number;
  /** Bytes of the object's fields as JSON, large byte strings excluded. */
  stateBytes: number;
  /** Byte strings that travel as blobs (>= 4 KiB). */
  byteStrings: ByteStringSummary[];
}

export interface SnapshotSummary {
  virtualTimeNs: bigint;
  retiredInstructions: bigint;
  objects: ObjectSummary[];
  /** Schema keys (`type@version`), sorted. */
  schemas: string[];
  /** Sum of the large byte strings' sizes, and of their non-zero pages. */
  byteStringBytes: number;
  nonZeroPages: number;
}

/**
 * The summary of a snapshot. With `sources` (DecodedSnapshot.sources), byte strings that came from
 * blobs are counted from their stored form, so summarizing costs what the file holds.
 */
export function describeSnapshot(s: Snapshot, sources?: ReadonlyMap<Uint8Array, StoredBlob>): SnapshotSummary {
  const objects: ObjectSummary[] = [];
  let byteStringBytes = 0;
  let pages = 0;
  for (const path of [...s.objects.keys()].sort(compareStrings)) {
    const obj = s.objects.get(path)!;
    const byteStrings: ByteStringSummary[] = [];
    const json = encodeFields(
      obj.fields,
      (bytes, field) => {
        const source = sources?.get(bytes);
        const nonZero = source === undefined ? nonZeroPages(bytes) : storedNonZeroPages(source.stored, source.encoding, source.length);
        byteStrings.push({ field, bytes: bytes.length, nonZeroPages: nonZero });
        byteStringBytes += bytes.length;
        pages += nonZero;
        return null;
      },
      path,
    );
    objects.push({ path, type: obj.type, version: obj.version, stateBytes: JSON.stringify(json).length, byteStrings });
  }
  return {
    virtualTimeNs: s.clock.virtualTimeNs,
    retiredInstructions: s.clock.retiredInstructions,
    objects,
    schemas: [...s.schemas.keys()].sort(compareStrings),
    byteStringBytes,
    nonZeroPages: pages,
  };
}

/** A table: one line per object (path, type@version, state bytes), byte strings indented below. */
export function formatSnapshotSummary(summary: SnapshotSummary): string {
  const lines = [
    `virtual time ${summary.virtualTimeNs} ns, ${summary.retiredInstructions} instructions retired`,
    `${summary.objects.length} objects, ${summary.schemas.length} schemas, ` +
      `${summary.byteStringBytes} bytes in large byte strings (${summary.nonZeroPages} non-zero 4 KiB pages)`,
  ];
  const width = Math.max(4, ...summary.objects.map((o) => o.path.length));
  const typeWidth = Math.max(4, ...summary.objects.map((o) => `${o.type}@${o.version}`.length));
  lines.push(`${'path'.padEnd(width)}  ${'type'.padEnd(typeWidth)}  state bytes`);
  for (const o of summary.objects) {
    lines.push(`${o.path.padEnd(width)}  ${`${o.type}@${o.version}`.padEnd(typeWidth)}  ${o.stateBytes}`);
    for (const b of o.byteStrings) lines.push(`  ${b.field}: ${b.bytes} bytes, ${b.nonZeroPages} non-zero pages`);
  }
  return `${lines.join('\n')}\n`;
}
