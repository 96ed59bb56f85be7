/**
 * What differs between two snapshots, with the values on each side, for `godwit snapshot diff`:
 * plain data first (for tests), then text, one line per difference and a summary line.
 *
 *   config.machine.kernel-irqchip: "split" -> "off"
 *   clock.retiredInstructions: 400000 -> 600000
 *   /machine/rtc: absent -> mc146818@1
 *   /machine/cpu[0].eip: 0x100000 -> 0x100004
 *   /machine/ram.data: 16777216 bytes, hash64 0011223344556677 -> hash64 8899aabbccddeeff; 2 of 4096 pages differ (0x1000, 0x9000), first at byte 0x1004
 *   snapshots differ: 1 configuration value, 1 clock value, 0 schemas, 3 objects (3 fields)
 *
 * Fields are shown by their schema's kind: unsigned integers in hex, signed ones in decimal. Byte
 * strings are summarised (size, hash64, first differing byte; past one page, the differing 4 KiB
 * pages by offset). With the stored form of each side's byte strings (DecodedSnapshot.sources),
 * only pages stored on either side are compared and hashes come from the stored form, so comparing
 * costs what the files hold, not what they declare.
 */
import type { SchemaField, SchemaNode } from '../src/visit/schema.ts';
import { schemasEqual } from '../src/visit/schema.ts';
import { ELEMENT_KIND, describeValue, isArrayKind } from '../src/visit/field-checks.ts';
import { isStateNode, type StateNode, type StateValue } from '../src/visit/state-tree.ts';
import { compareStrings } from '../src/qom/type-registry.ts';
import { hash64 } from '../src/util/hash.ts';
import type { StoredBlob } from './decode.ts';
import type { JsonValue, Snapshot, SnapshotObject } from './snapshot.ts';
import { schemaKey } from './snapshot.ts';
import { isPageStored, pageCount, storedHash64 } from './sparse-blob.ts';

/** One differing value: where, and what it is on each side (`absent` when missing there). */
export interface Change {
  /** `config.machine.kernel-irqchip`, `clock.virtualTimeNs`, `/machine/cpu[0].eip`. */
  path: string;
  a: string;
  b: string;
  /** For byte strings of the same length: the differing pages and the first differing byte. */
  detail?: string;
}

export interface ObjectDiff {
  path: string;
  /** Type and version on each side; null when the path is missing there. */
  a: { type: string; version: number } | null;
  b: { type: string; version: number } | null;
  /** Differing fields, when both sides have the same type and version. */
  fields: Change[];
}

export interface SchemaDiff {
  /** `type@version`. */
  key: string;
  /** Only in A, only in B, or in both but different. */
  change: 'only in A' | 'only in B' | 'differs';
}

export interface SnapshotDiff {
  config: Change[];
  clock: Change[];
  schemas: SchemaDiff[];
  /** Objects that differ, in path order. */
  objects: ObjectDiff[];
  equal: boolean;
}

export interface DiffOptions {
  /** Where each side's byte strings came from (DecodedSnapshot.sources). */
  sourcesA?: ReadonlyMap<Uint8Array, StoredBlob>;
  sourcesB?: ReadonlyMap<Uint8Array, StoredBlob>;
}

const PAGE = 4096;
/** Differing pages listed by offset; the rest are counted. */
const PAGES_SHOWN = 4;
/** JSON values longer than this are cut in the text. */
const JSON_SHOWN = 80;

export function diffSnapshots(a: Snapshot, b: Snapshot, options: DiffOptions = {}): SnapshotDiff {
  const config: Change[] = [];
  diffJson(a.config, b.config, 'config', config);
  const clock: Change[] = [];
  if (a.clock.virtualTimeNs !== b.clock.virtualTimeNs) clock.push(change('clock.virtualTimeNs', String(a.clock.virtualTimeNs), String(b.clock.virtualTimeNs)));
  if (a.clock.retiredInstructions !== b.clock.retiredInstructions) {
    clock.push(change('clock.retiredInstructions', String(a.clock.retiredInstructions), String(b.clock.retiredInstructions)));
  }
  diffJson(a.clock.run, b.clock.run, 'clock.run', clock);

  const schemas: SchemaDiff[] = [];
  for (const key of sortedUnion(a.schemas.keys(), b.schemas.keys())) {
    const sa = a.schemas.get(key);
    const sb = b.schemas.get(key);
    if (sa === undefined) schemas.push({ key, change: 'only in B' });
    else if (sb === undefined) schemas.push({ key, change: 'only in A' });
    else if (!schemasEqual(sa, sb)) schemas.push({ key, change: 'differs' });
  }

  const ctx: Context = { sourcesA: options.sourcesA, sourcesB: options.sourcesB };
  const objects: ObjectDiff[] = [];
  for (const path of sortedUnion(a.objects.keys(), b.objects.keys())) {
    const oa = a.objects.get(path);
    const ob = b.objects.get(path);
    const same = oa !== undefined && ob !== undefined && oa.type === ob.type && oa.version === ob.version;
    const fields: Change[] = [];
    if (same) {
      // The schema tells each field's kind; either side's will do when they agree.
      const key = schemaKey(oa.type, oa.version);
      const sa = a.schemas.get(key);
      const sb = b.schemas.get(key);
      const schema: SchemaNode | undefined = sa !== undefined && sb !== undefined && schemasEqual(sa, sb) ? sa : undefined;
      diffNode(oa.fields, ob.fields, schema?.fields ?? null, path, ctx, fields);
      if (fields.length === 0) continue;
    }
    objects.push({ path, a: header(oa), b: header(ob), fields });
  }
  const equal = config.length === 0 && clock.length === 0 && schemas.length === 0 && objects.length === 0;
  return { config, clock, schemas, objects, equal };
}

/** One line per difference (at most `limit` fields per object), then a summary line. */
export function formatSnapshotDiff(d: SnapshotDiff, limit = 20): string {
  if (d.equal) return 'snapshots are identical\n';
  const lines: string[] = [];
  for (const c of [...d.config, ...d.clock]) lines.push(changeLine(c));
  for (const s of d.schemas) lines.push(`schema ${s.key}: ${s.change}`);
  let fields = 0;
  for (const o of d.objects) {
    if (o.a === null || o.b === null || o.fields.length === 0) {
      lines.push(`${o.path}: ${showHeader(o.a)} -> ${showHeader(o.b)}`);
      continue;
    }
    fields += o.fields.length;
    for (const c of o.fields.slice(0, limit)) lines.push(changeLine(c));
    if (o.fields.length > limit) lines.push(`${o.path}: ... and ${plural(o.fields.length - limit, 'more field')}`);
  }
  lines.push(
    `snapshots differ: ${plural(d.config.length, 'configuration value')}, ${plural(d.clock.length, 'clock value')}, ` +
      `${plural(d.schemas.length, 'schema')}, ${plural(d.objects.length, 'object')} (${plural(fields, 'field')})`,
  );
  return `${lines.join('\n')}\n`;
}

interface Context {
  sourcesA: ReadonlyMap<Uint8Array, StoredBlob> | undefined;
  sourcesB: ReadonlyMap<Uint8Array, StoredBlob> | undefined;
}

function change(path: string, a: string, b: string, detail?: string): Change {
  return detail === undefined ? { path, a, b } : { path, a, b, detail };
}

function changeLine(c: Change): string {
  return `${c.path}: ${c.a} -> ${c.b}${c.detail === undefined ? '' : `; ${c.detail}`}`;
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

function header(o: SnapshotObject | undefined): { type: string; version: number } | null {
  return o === undefined ? null : { type: o.type, version: o.version };
}

function showHeader(side: ObjectDiff['a']): string {
  return side === null ? 'absent' : `${side.type}@${side.version}`;
}

function sortedUnion(a: Iterable<string>, b: Iterable<string>): string[] {
  return [...new Set([...a, ...b])].sort(compareStrings);
}

function showJson(v: JsonValue | undefined): string {
  if (v === undefined) return 'absent';
  const text = JSON.stringify(v);
  return text.length > JSON_SHOWN ? `${text.slice(0, JSON_SHOWN - 3)}...` : text;
}

function diffJson(a: JsonValue | undefined, b: JsonValue | undefined, path: string, out: Change[]): void {
  const isObject = (v: JsonValue | undefined) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    const x = a as Record<string, JsonValue>;
    const y = b as Record<string, JsonValue>;
    for (const key of sortedUnion(Object.keys(x), Object.keys(y))) {
      diffJson(Object.hasOwn(x, key) ? x[key] : undefined, Object.hasOwn(y, key) ? y[key] : undefined, `${path}.${key}`, out);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (let i = 0; i < a.length; i++) diffJson(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push(change(path, showJson(a), showJson(b)));
}

/** The fields of two nodes: the schema's first (in its order), then any others, sorted. */
function diffNode(a: StateNode, b: StateNode, fields: readonly SchemaField[] | null, path: string, ctx: Context, out: Change[]): void {
  const byName = new Map((fields ?? []).map((f) => [f.name, f]));
  const others = sortedUnion(Object.keys(a), Object.keys(b)).filter((k) => !byName.has(k));
  for (const name of [...byName.keys(), ...others]) {
    const at = `${path}.${name}`;
    const inA = Object.hasOwn(a, name);
    const inB = Object.hasOwn(b, name);
    if (!inA && !inB) continue;
    const field = byName.get(name) ?? null;
    if (!inA || !inB) out.push(change(at, inA ? show(a[name]!, field, ctx.sourcesA) : 'absent', inB ? show(b[name]!, field, ctx.sourcesB) : 'absent'));
    else diffValue(a[name]!, b[name]!, field, at, ctx, out);
  }
}

function diffValue(x: StateValue, y: StateValue, field: SchemaField | null, at: string, ctx: Context, out: Change[]): void {
  if (x instanceof Uint8Array && y instanceof Uint8Array) {
    diffBytes(x, y, at, ctx, out);
    return;
  }
  if (Array.isArray(x) && Array.isArray(y) && x.length === y.length) {
    const element = elementOf(field);
    for (let i = 0; i < x.length; i++) diffValue(x[i]!, y[i]!, element, `${at}[${i}]`, ctx, out);
    return;
  }
  if (isStateNode(x) && isStateNode(y)) {
    diffNode(x, y, field !== null && 'fields' in field ? field.fields : null, at, ctx, out);
    return;
  }
  if (x !== y) out.push(change(at, show(x, field, ctx.sourcesA), show(y, field, ctx.sourcesB)));
}

/** What an array's elements are: a scalar kind, or a group. */
function elementOf(field: SchemaField | null): SchemaField | null {
  if (field === null) return null;
  if (field.kind === 'struct[]') return { name: field.name, kind: 'struct', fields: field.fields };
  if (isArrayKind(field.kind)) return { name: field.name, kind: ELEMENT_KIND[field.kind] };
  return null;
}

const UNSIGNED = new Set(['u8', 'u16', 'u32', 'u64']);

/** A value for people: unsigned integers in hex, byte strings by size and hash64, groups as `present`. */
function show(v: StateValue, field: SchemaField | null, sources: ReadonlyMap<Uint8Array, StoredBlob> | undefined): string {
  if (typeof v === 'number' || typeof v === 'bigint') {
    return field !== null && UNSIGNED.has(field.kind) && v >= 0 ? `0x${v.toString(16)}` : String(v);
  }
  if (v instanceof Uint8Array) return `${v.length} bytes, hash64 ${hashOf(v, sources)}`;
  if (isStateNode(v)) return 'present';
  return describeValue(v);
}

function hashOf(bytes: Uint8Array, sources: ReadonlyMap<Uint8Array, StoredBlob> | undefined): string {
  const s = sources?.get(bytes);
  return s === undefined ? hash64(bytes) : storedHash64(s.stored, s.encoding, s.length);
}

function diffBytes(x: Uint8Array, y: Uint8Array, at: string, ctx: Context, out: Change[]): void {
  if (x.length !== y.length) {
    out.push(change(at, show(x, null, ctx.sourcesA), show(y, null, ctx.sourcesB)));
    return;
  }
  const sa = ctx.sourcesA?.get(x);
  const sb = ctx.sourcesB?.get(y);
  const words = wordViews(x, y);
  const pages = pageCount(x.length);
  const shown: number[] = [];
  let differing = 0;
  let firstByte = -1;
  for (let p = 0; p < pages; p++) {
    // A page stored on neither side is zero on both.
    if (sa !== undefined && sb !== undefined && !isPageStored(sa.stored, sa.encoding, p) && !isPageStored(sb.stored, sb.encoding, p)) continue;
    const at = firstDifference(x, y, words, p * PAGE, Math.min((p + 1) * PAGE, x.length));
    if (at < 0) continue;
    differing++;
    if (firstByte < 0) firstByte = at;
    if (shown.length < PAGES_SHOWN) shown.push(p * PAGE);
  }
  if (differing === 0) return;
  const first = `first at byte 0x${firstByte.toString(16)}`;
  const more = differing > shown.length ? ', ...' : '';
  const detail =
    pages > 1
      ? `${differing} of ${pages} pages differ (${shown.map((o) => `0x${o.toString(16)}`).join(', ')}${more}), ${first}`
      : `${first.replace('first at', 'first difference at')}`;
  out.push(change(at, show(x, null, ctx.sourcesA), `hash64 ${hashOf(y, ctx.sourcesB)}`, detail));
}

/** Word views of two byte strings of the same length when both start 4-byte aligned, else null. */
function wordViews(x: Uint8Array, y: Uint8Array): [Int32Array, Int32Array] | null {
  if ((x.byteOffset & 3) !== 0 || (y.byteOffset & 3) !== 0) return null;
  const n = x.length >>> 2;
  return [new Int32Array(x.buffer, x.byteOffset, n), new Int32Array(y.buffer, y.byteOffset, n)];
}

/** The first index in [start, end) (start a multiple of 4) where two byte strings differ, or -1. */
function firstDifference(x: Uint8Array, y: Uint8Array, words: [Int32Array, Int32Array] | null, start: number, end: number): number {
  let i = start;
  if (words !== null) {
    const [wx, wy] = words;
    const last = Math.min(end >>> 2, wx.length);
    let w = start >>> 2;
    while (w < last && wx[w] === wy[w]) w++;
    i = w << 2;
  }
  for (; i < end; i++) if (x[i] !== y[i]) return i;
  return -1;
}
