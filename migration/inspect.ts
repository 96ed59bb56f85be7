/**
 * Summaries and differences of snapshots, for `godwit snapshot inspect` and `godwit snapshot diff`:
 * plain data first (for tests and --json output), then a text rendering.
 */
import { diffTrees } from '../src/visit/state-tree.ts';
import { schemasEqual } from '../src/visit/schema.ts';
import { compareStrings } from '../src/qom/type-registry.ts';
import { nonZeroPages } from './json-export.ts';
import type { JsonValue, Snapshot, SnapshotObject } from './snapshot.ts';
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

export interface ObjectDiff {
  path: string;
  /** Type and version on each side; null when the path is missing there. */
  a: { type: string; version: number } | null;
  b: { type: string; version: number } | null;
  /** Differing fields (`/machine/pit.channels[1].mode`) when both sides have the same type and version. */
  fields: string[];
}

export interface SnapshotDiff {
  /** Differing places in the configuration (`config.machine.kernel-irqchip`). */
  config: string[];
  /** Differing clock fields (`clock.virtualTimeNs`, `clock.run.stopReason`). */
  clock: string[];
  /** Schema keys present on one side only or different. */
  schemas: string[];
  /** Objects that differ, in path order. */
  objects: ObjectDiff[];
  equal: boolean;
}

export function diffSnapshots(a: Snapshot, b: Snapshot): SnapshotDiff {
  const config: string[] = [];
  diffJson(a.config, b.config, 'config', config);
  const clock: string[] = [];
  if (a.clock.virtualTimeNs !== b.clock.virtualTimeNs) clock.push('clock.virtualTimeNs');
  if (a.clock.retiredInstructions !== b.clock.retiredInstructions) clock.push('clock.retiredInstructions');
  diffJson(a.clock.run, b.clock.run, 'clock.run', clock);

  const schemas: string[] = [];
  for (const key of sortedUnion(a.schemas.keys(), b.schemas.keys())) {
    const sa = a.schemas.get(key);
    const sb = b.schemas.get(key);
    if (sa === undefined || sb === undefined || !schemasEqual(sa, sb)) schemas.push(key);
  }

  const objects: ObjectDiff[] = [];
  for (const path of sortedUnion(a.objects.keys(), b.objects.keys())) {
    const oa = a.objects.get(path);
    const ob = b.objects.get(path);
    const same = oa !== undefined && ob !== undefined && oa.type === ob.type && oa.version === ob.version;
    const fields = same ? diffTrees(oa.fields, ob.fields, path) : [];
    if (same && fields.length === 0) continue;
    objects.push({ path, a: header(oa), b: header(ob), fields });
  }
  const equal = config.length === 0 && clock.length === 0 && schemas.length === 0 && objects.length === 0;
  return { config, clock, schemas, objects, equal };
}

function header(o: SnapshotObject | undefined): { type: string; version: number } | null {
  return o === undefined ? null : { type: o.type, version: o.version };
}

function sortedUnion(a: Iterable<string>, b: Iterable<string>): string[] {
  return [...new Set([...a, ...b])].sort(compareStrings);
}

function diffJson(a: JsonValue | undefined, b: JsonValue | undefined, path: string, out: string[]): void {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    if (a !== b) out.push(path);
    return;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) {
      out.push(path);
      return;
    }
    for (let i = 0; i < a.length; i++) diffJson(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  for (const key of sortedUnion(Object.keys(a), Object.keys(b))) {
    const inA = Object.hasOwn(a, key);
    const inB = Object.hasOwn(b, key);
    if (!inA || !inB) out.push(`${path}.${key}`);
    else diffJson(a[key], b[key], `${path}.${key}`, out);
  }
}

/** One line per difference; `limit` caps the field lines per object. */
export function formatSnapshotDiff(d: SnapshotDiff, limit = 20): string {
  if (d.equal) return 'snapshots are identical\n';
  const lines: string[] = [];
  for (const p of d.config) lines.push(`config differs: ${p}`);
  for (const p of d.clock) lines.push(`clock differs: ${p}`);
  for (const k of d.schemas) lines.push(`schema differs: ${k}`);
  for (const o of d.objects) {
    const show = (side: ObjectDiff['a']): string => (side === null ? 'absent' : `${side.type}@${side.version}`);
    if (o.a === null || o.b === null || o.fields.length === 0) {
      lines.push(`${o.path}: ${show(o.a)} -> ${show(o.b)}`);
      continue;
    }
    lines.push(`${o.path}: ${o.fields.length} field(s) differ`);
    for (const f of o.fields.slice(0, limit)) lines.push(`  ${f}`);
    if (o.fields.length > limit) lines.push(`  ... ${o.fields.length - limit} more`);
  }
  return `${lines.join('\n')}\n`;
}
