/**
 * The snapshot's JSON document: `{ config, clock, objects, schemas }` (README.md has an example), and
 * in a diff snapshot (format version 3 and later) `base` in front.
 * buildDocument turns a Snapshot into JSON-ready data with every object's fields (the pure-JSON
 * export; files up to version 3); buildDocumentHead makes a version 4 document, whose objects have
 * no fields, and the list of values for the value section (value-section.ts). parseDocument turns
 * untrusted parsed JSON back into a Snapshot, checking every key, the fields taken from the document
 * or, given one, from the value section. Byte strings of the blob size go through BlobWriter and
 * BlobReader in either form.
 */
import { isStateNode } from '../src/visit/state-tree.ts';
import { parseJsonSchema, validateAgainstSchema, type SchemaNode } from '../src/visit/schema.ts';
import { describeValue } from '../src/visit/field-checks.ts';
import { isValidObjectPath } from '../src/qom/object-tree.ts';
import { compareStrings, isValidTypeName } from '../src/qom/type-registry.ts';
import { StateError } from '../src/util/errors.ts';
import type { SnapshotLimits } from './limits.ts';
import { SnapshotError } from './snapshot-error.ts';
import { parseSchemaKey, schemaKey, type JsonObject, type JsonValue, type Snapshot, type SnapshotBase, type SnapshotClock, type SnapshotObject } from './snapshot.ts';
import { decodeFields, encodeFields, parseBigintText, type BlobReader, type BlobWriter } from './value-codec.ts';
import { parsedKeyCount } from './json-scan.ts';
import { ValueSectionReader, type ValueObject } from './value-section.ts';

const U64_MAX = (1n << 64n) - 1n;
const TOP_KEYS = ['config', 'clock', 'objects', 'schemas'] as const;
const CLOCK_KEYS = ['virtualTimeNs', 'retiredInstructions', 'run'] as const;
const OBJECT_KEYS = ['type', 'version', 'fields'] as const;
/** A version 4 document's objects: the values are in the value section. */
const OBJECT_KEYS_V4 = ['type', 'version'] as const;
/** A diff snapshot's document (format version 3) also has `base`, with exactly these keys. */
const BASE_KEYS = ['path', 'id'] as const;
/** Longest base path a document may record. */
export const MAX_BASE_PATH = 4096;

/**
 * Checks a snapshot before it is written; a bad one is a bug of the caller (StateError). `fields`:
 * also each object's fields against its schema (the value section's writer checks them itself).
 */
export function checkSnapshot(s: Snapshot, fields = true): void {
  for (const [path, obj] of s.objects) {
    if (!isValidObjectPath(path)) throw new StateError(path, 'bad object path');
    if (!isValidTypeName(obj.type)) throw new StateError(path, `bad type name ${JSON.stringify(obj.type)}`);
    if (!Number.isSafeInteger(obj.version) || obj.version < 0 || obj.version > 999999999) throw new StateError(path, `bad version ${obj.version}`);
    const schema = s.schemas.get(schemaKey(obj.type, obj.version));
    if (schema === undefined) throw new StateError(path, `no schema for ${schemaKey(obj.type, obj.version)}`);
    if (fields) validateAgainstSchema(obj.fields, schema, path);
  }
  for (const key of s.schemas.keys()) if (parseSchemaKey(key) === null) throw new StateError(key, 'bad schema key');
  checkJson(s.config, 'config');
  checkJson(s.clock.run, 'clock.run');
  for (const name of ['virtualTimeNs', 'retiredInstructions'] as const) {
    const value = s.clock[name];
    if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) throw new StateError(`clock.${name}`, `expected u64, got ${describeValue(value)}`);
  }
}

/** Checks that `value` is plain JSON (so that it decodes to what was encoded). */
function checkJson(value: unknown, where: string): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new StateError(where, `${value} is not a JSON number`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((element, i) => checkJson(element, `${where}[${i}]`));
    return;
  }
  if (!isStateNode(value)) throw new StateError(where, `expected plain JSON, got ${describeValue(value)}`);
  for (const key of Object.keys(value)) checkJson(own(value, key), `${where}.${key}`);
}

/** The document as JSON-ready data with each object's fields, objects and schemas in sorted order. */
export function buildDocument(s: Snapshot, putBlob: BlobWriter): JsonObject {
  checkSnapshot(s);
  const objects: JsonObject = Object.create(null) as JsonObject;
  for (const path of [...s.objects.keys()].sort(compareStrings)) {
    const obj = s.objects.get(path)!;
    objects[path] = { type: obj.type, version: obj.version, fields: encodeFields(obj.fields, putBlob, path) };
  }
  return documentAround(s, objects);
}

/**
 * A version 4 document (objects with type and version only; their values go to the value section,
 * in `paths` order: the sorted object paths) and the objects to write there.
 */
export function buildDocumentHead(s: Snapshot): { doc: JsonObject; values: ValueObject[] } {
  checkSnapshot(s, false);
  const objects: JsonObject = Object.create(null) as JsonObject;
  const values: ValueObject[] = [];
  for (const path of [...s.objects.keys()].sort(compareStrings)) {
    const obj = s.objects.get(path)!;
    objects[path] = { type: obj.type, version: obj.version };
    values.push({ path, fields: obj.fields, schema: s.schemas.get(schemaKey(obj.type, obj.version))! });
  }
  return { doc: documentAround(s, objects, true), values };
}

/**
 * The document's top level. `clockFirst` (version 4): the clock in front of the configuration, so
 * that all that follows it (configuration, object list, schemas) is the same text from one save of
 * a machine to the next (decode.ts reads such a document only up to that part).
 */
function documentAround(s: Snapshot, objects: JsonObject, clockFirst = false): JsonObject {
  const schemas: JsonObject = Object.create(null) as JsonObject;
  for (const key of [...s.schemas.keys()].sort(compareStrings)) schemas[key] = s.schemas.get(key)! as unknown as JsonValue;
  const clock: JsonObject = {
    virtualTimeNs: s.clock.virtualTimeNs.toString(),
    retiredInstructions: s.clock.retiredInstructions.toString(),
    run: s.clock.run,
  };
  return {
    ...(s.base === undefined ? {} : { base: { path: s.base.path, id: s.base.id } }),
    ...(clockFirst ? { clock, config: s.config } : { config: s.config, clock }),
    objects,
    schemas,
  };
}

/**
 * `doc` as JSON text; values that are not JSON (a bigint in config) are a StateError. Without
 * indentation, each schema's text is made once (schemas are interned and never change) and the
 * document is put together around it: the same text as JSON.stringify(doc).
 */
export function stringifyDocument(doc: JsonObject, indent?: number): string {
  try {
    if (indent !== undefined) return JSON.stringify(doc, null, indent);
    let out = '';
    for (const key of Object.keys(doc)) {
      const value = doc[key];
      const text = key === 'schemas' && isStateNode(value) ? schemasText(value as unknown as JsonObject) : JSON.stringify(value);
      if (text === undefined) continue;
      out += `${out === '' ? '{' : ','}${JSON.stringify(key)}:${text}`;
    }
    return out === '' ? '{}' : `${out}}`;
  } catch (e) {
    throw new StateError('document', `cannot be written as JSON: ${(e as Error).message}`);
  }
}

/** The JSON text of each schema object written so far. */
const schemaTexts = new WeakMap<object, string>();

/** The JSON text of a schemas object, each schema's text made once. */
export function schemasText(schemas: JsonObject): string {
  let out = '';
  for (const key of Object.keys(schemas)) {
    const schema = schemas[key];
    let text: string | undefined;
    if (typeof schema === 'object' && schema !== null) {
      text = schemaTexts.get(schema);
      if (text === undefined) {
        text = JSON.stringify(schema);
        schemaTexts.set(schema, text);
      }
    } else {
      text = JSON.stringify(schema);
    }
    if (text === undefined) continue;
    out += `${out === '' ? '{' : ','}${JSON.stringify(key)}:${text}`;
  }
  return out === '' ? '{}' : `${out}}`;
}

function bad(where: string, message: string): never {
  throw new SnapshotError('bad-document', where, message);
}

function own(obj: object, key: string): unknown {
  return Object.hasOwn(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}

/** Checks that `value` is a JSON object with exactly `keys` and returns it. */
function exactObject(value: unknown, keys: readonly string[], where: string): object {
  if (!isStateNode(value)) bad(where, `expected an object, got ${describeValue(value)}`);
  for (const key of keys) if (!Object.hasOwn(value, key)) bad(`${where}.${key}`, 'missing');
  for (const key of Object.keys(value)) if (!keys.includes(key)) bad(`${where}.${JSON.stringify(key)}`, 'unknown key');
  return value;
}

/** A copy of parsed JSON made of null-prototype objects, so that no key acts on a prototype. */
export function plainJson(value: unknown): JsonValue {
  if (typeof value !== 'object' || value === null) return value as JsonValue;
  if (Array.isArray(value)) return value.map(plainJson);
  const out = Object.create(null) as JsonObject;
  for (const key of Object.keys(value)) out[key] = plainJson(own(value, key));
  return out;
}

function parseU64(value: unknown, where: string): bigint {
  const parsed = parseBigintText(value);
  if (parsed === null || parsed < 0n || parsed > U64_MAX) bad(where, `expected u64 as a decimal string, got ${describeValue(value)}`);
  return parsed;
}

/**
 * Decodes an untrusted parsed document into a Snapshot: exact keys at every level, valid paths,
 * type names, versions and schema keys, each object's fields decoded and validated through its
 * schema. Document errors are SnapshotErrors (`document.clock.run`), field errors StateErrors naming
 * the object path and field. `section`: the exact text of the document's schemas section, when the
 * caller knows it (parseDocumentBytes): a section seen before is not parsed or checked again.
 */
export function parseDocument(
  json: unknown,
  readBlob: BlobReader,
  limits: SnapshotLimits,
  allowBase = false,
  section?: SchemasText,
  valueSection?: { bytes: Uint8Array; offset: number },
): Snapshot {
  const hasBase = allowBase && isStateNode(json) && Object.hasOwn(json, 'base');
  const top = exactObject(json, hasBase ? [...TOP_KEYS, 'base'] : TOP_KEYS, 'document');
  const base = hasBase ? parseBase(own(top, 'base')) : undefined;

  const config = own(top, 'config');
  if (!isStateNode(config)) bad('document.config', `expected an object, got ${describeValue(config)}`);

  const clockJson = exactObject(own(top, 'clock'), CLOCK_KEYS, 'document.clock');
  const run = own(clockJson, 'run');
  if (!isStateNode(run)) bad('document.clock.run', `expected an object, got ${describeValue(run)}`);
  const clock: SnapshotClock = {
    virtualTimeNs: parseU64(own(clockJson, 'virtualTimeNs'), 'document.clock.virtualTimeNs'),
    retiredInstructions: parseU64(own(clockJson, 'retiredInstructions'), 'document.clock.retiredInstructions'),
    run: plainJson(run) as JsonObject,
  };

  const schemasJson = own(top, 'schemas');
  if (!isStateNode(schemasJson)) bad('document.schemas', `expected an object, got ${describeValue(schemasJson)}`);
  let schemas: Map<string, SchemaNode>;
  if (section?.known !== undefined) {
    schemas = new Map(section.known.schemas);
  } else {
    schemas = parseSchemas(schemasJson);
    if (section !== undefined) rememberSchemaSection(section.text, schemas, parsedKeyCount(schemasJson));
  }

  const objectsJson = own(top, 'objects');
  if (!isStateNode(objectsJson)) bad('document.objects', `expected an object, got ${describeValue(objectsJson)}`);
  const paths = Object.keys(objectsJson).sort(compareStrings);
  if (paths.length > limits.maxObjects) {
    throw new SnapshotError('limit', 'document.objects', `${paths.length} objects, limit ${limits.maxObjects}`);
  }
  const objects = new Map<string, SnapshotObject>();
  // Version 4: the values come from the value section, in this (sorted) order.
  const values =
    valueSection === undefined
      ? null
      : new ValueSectionReader(valueSection.bytes, (index, length, path, upTo) => readBlob({ blob: index, bytes: length }, length, path, upTo), limits, valueSection.offset);
  for (const path of paths) {
    if (!isValidObjectPath(path)) bad(`document.objects[${JSON.stringify(path.slice(0, 300))}]`, 'bad object path');
    const entry = exactObject(own(objectsJson, path), values === null ? OBJECT_KEYS : OBJECT_KEYS_V4, path);
    const type = own(entry, 'type');
    const version = own(entry, 'version');
    if (typeof type !== 'string' || !isValidTypeName(type)) throw new StateError(`${path}`, `bad type name ${describeValue(type)}`);
    if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
      throw new StateError(path, `bad version ${describeValue(version)}`);
    }
    const schema = schemas.get(schemaKey(type, version));
    if (schema === undefined) throw new StateError(path, `no schema for ${schemaKey(type, version)} in the snapshot`);
    objects.set(path, { type, version, fields: values === null ? decodeFields(own(entry, 'fields'), schema, readBlob, path) : values.read(schema, path) });
  }
  values?.finish();
  return { ...(base === undefined ? {} : { base }), config: plainJson(config) as JsonObject, clock, objects, schemas };
}

function parseSchemas(schemasJson: object): Map<string, SchemaNode> {
  const schemas = new Map<string, SchemaNode>();
  for (const key of Object.keys(schemasJson).sort(compareStrings)) {
    const parsed = parseSchemaKey(key);
    if (parsed === null || !isValidTypeName(parsed.type)) bad(`document.schemas[${JSON.stringify(key)}]`, 'expected a key of the form type@version');
    schemas.set(key, parseJsonSchema(own(schemasJson, key), `schemas[${key}]`));
  }
  return schemas;
}

/** A document's schemas section that parseDocument accepted: its schemas and the keys its JSON holds. */
export interface SchemaSection {
  readonly schemas: ReadonlyMap<string, SchemaNode>;
  readonly keys: number;
}

/**
 * The exact text of a document's schemas section (the value of its top-level key `schemas`), with
 * what an earlier document of that text gave (`known`): parseDocument then takes the schemas from
 * there instead of the parsed value, which decode.ts has left as `{}` (see parseDocumentBytes).
 */
export interface SchemasText {
  readonly text: string;
  readonly known: SchemaSection | undefined;
}

/**
 * Schemas sections already parsed and checked, by their exact text. Saves of the same machine carry
 * the same section byte for byte, so a restore parses and checks it once; any other text (a schema
 * changed in one character) is a new key. The schemas are interned and never change.
 */
const sectionsByText = new Map<string, SchemaSection>();
/** Most sections kept (past it the table starts over), and the longest text kept. */
const MAX_SECTIONS = 16;
const MAX_SECTION_TEXT = 1 << 20;

/** What a schemas section of exactly this text gave before, if it did. */
export function knownSchemaSection(text: string): SchemaSection | undefined {
  return sectionsByText.get(text);
}

function rememberSchemaSection(text: string, schemas: ReadonlyMap<string, SchemaNode>, keys: number): void {
  if (text.length > MAX_SECTION_TEXT) return;
  if (sectionsByText.size >= MAX_SECTIONS) sectionsByText.clear();
  sectionsByText.set(text, { schemas: new Map(schemas), keys });
}

/** A diff snapshot's `base`: the base file's path as recorded and its identity (16 hex digits). */
function parseBase(json: unknown): SnapshotBase {
  const node = exactObject(json, BASE_KEYS, 'document.base');
  const path = own(node, 'path');
  const id = own(node, 'id');
  if (typeof path !== 'string' || path.length === 0 || path.length > MAX_BASE_PATH || path.includes('\0')) {
    bad('document.base.path', `expected a file path of 1 to ${MAX_BASE_PATH} characters, got ${describeValue(path)}`);
  }
  if (typeof id !== 'string' || !/^[0-9a-f]{16}$/.test(id)) bad('document.base.id', `expected 16 lowercase hex digits, got ${describeValue(id)}`);
  return { path, id };
}
