/**
 * The version 4 document's bytes as encode.ts writes them: exactly
 * `JSON.stringify(buildDocumentHead(s).doc)` as UTF-8, made without building that document. What
 * does not change between saves of one machine is kept and compared instead of made again: the
 * sorted object paths, each object's entry text (`"path":{"type":...,"version":...}`), and the
 * bytes of the schemas section (`,"schemas":{...}}`, while the schema objects are the same ones:
 * schemas are interned and never change).
 */
import { compareStrings } from '../src/qom/type-registry.ts';
import type { SchemaNode } from '../src/visit/schema.ts';
import { checkSnapshot, schemasText } from './document.ts';
import { schemaKey, type JsonObject, type Snapshot, type SnapshotObject } from './snapshot.ts';
import type { ValueObject } from './value-section.ts';

const UTF8 = new TextEncoder();

/** The last object paths seen, in the snapshot's order, and sorted. */
let lastPaths: { keys: string[]; sorted: string[] } | null = null;
/** Each object's entry text, by path. */
const entries = new Map<string, { type: string; version: number; text: string }>();
/** Most entries kept; past it the table starts over. */
const MAX_ENTRIES = 4096;
/** The last schemas section: its keys in the snapshot's order, its schemas, and its bytes. */
let lastTail: { keys: string[]; schemas: SchemaNode[]; bytes: Uint8Array } | null = null;

/**
 * The document (checked as buildDocumentHead checks it) as bytes, and the objects whose values go to
 * the value section, in document order. Throws a StateError for a snapshot that cannot be written.
 */
export function writeDocumentHead(s: Snapshot): { json: Uint8Array; values: ValueObject[] } {
  checkSnapshot(s, false);
  const paths = sortedPaths(s.objects);
  const values: ValueObject[] = new Array<ValueObject>(paths.length);
  let objects = '';
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i]!;
    const obj = s.objects.get(path)!;
    objects += i === 0 ? entryText(path, obj) : `,${entryText(path, obj)}`;
    values[i] = { path, fields: obj.fields, schema: s.schemas.get(schemaKey(obj.type, obj.version))! };
  }
  const base = s.base === undefined ? '' : `"base":${JSON.stringify({ path: s.base.path, id: s.base.id })},`;
  const clock = `{"virtualTimeNs":"${s.clock.virtualTimeNs}","retiredInstructions":"${s.clock.retiredInstructions}","run":${JSON.stringify(s.clock.run)}}`;
  const front = UTF8.encode(`{${base}"clock":${clock},"config":${JSON.stringify(s.config)},"objects":{${objects}}`);
  const tail = schemasTail(s.schemas);
  const json = new Uint8Array(front.length + tail.length);
  json.set(front);
  json.set(tail, front.length);
  return { json, values };
}

function sortedPaths(objects: ReadonlyMap<string, SnapshotObject>): string[] {
  const last = lastPaths;
  if (last !== null && last.keys.length === objects.size) {
    let i = 0;
    for (const key of objects.keys()) {
      if (key !== last.keys[i]) break;
      i++;
    }
    if (i === objects.size) return last.sorted;
  }
  const keys = [...objects.keys()];
  const sorted = [...keys].sort(compareStrings);
  lastPaths = { keys, sorted };
  return sorted;
}

function entryText(path: string, obj: SnapshotObject): string {
  const known = entries.get(path);
  if (known !== undefined && known.type === obj.type && known.version === obj.version) return known.text;
  const text = `${JSON.stringify(path)}:${JSON.stringify({ type: obj.type, version: obj.version })}`;
  if (entries.size >= MAX_ENTRIES) entries.clear();
  entries.set(path, { type: obj.type, version: obj.version, text });
  return text;
}

function schemasTail(schemas: ReadonlyMap<string, SchemaNode>): Uint8Array {
  const last = lastTail;
  if (last !== null && last.keys.length === schemas.size) {
    let i = 0;
    for (const [key, schema] of schemas) {
      if (key !== last.keys[i] || schema !== last.schemas[i]) break;
      i++;
    }
    if (i === schemas.size) return last.bytes;
  }
  const keys = [...schemas.keys()];
  const sorted = Object.create(null) as JsonObject;
  for (const key of [...keys].sort(compareStrings)) sorted[key] = schemas.get(key)! as unknown as JsonObject;
  const bytes = UTF8.encode(`,"schemas":${schemasText(sorted)}}`);
  lastTail = { keys, schemas: keys.map((k) => schemas.get(k)!), bytes };
  return bytes;
}
