/**
 * Bytes -> Snapshot, treating every byte as hostile (docs/architecture.md sections 7 and 8):
 *
 * 1. Header: magic, format version (a newer one is reported as such), header length and checksum,
 *    flags, the layout of the sections, declared sizes against the limits, the exact file length.
 * 2. Blob table checksum, then each entry (alignment, order, overlap, sizes, encoding); document
 *    checksum; each blob's checksum and structure; zero padding everywhere. Nothing is parsed and
 *    nothing sized by the input is allocated until all of this has passed.
 * 3. The document: structural limits on the raw bytes (json-scan.ts), strict UTF-8, JSON.parse.
 * 4. The snapshot: exact keys, paths, schemas, every object's fields through its schema; each blob
 *    referenced exactly once, expanded only when its reference has been checked.
 *
 * Errors are SnapshotErrors (container and document: code, byte offset or place) or StateErrors
 * (an object's state: path and field). Nothing else escapes for any input.
 */
import { isStateNode } from '../src/visit/state-tree.ts';
import { describeValue } from '../src/visit/field-checks.ts';
import { StateError } from '../src/util/errors.ts';
import { checksumOf, checksumsEqual, type ChecksumKind } from './checksum.ts';
import { knownSchemaSection, parseDocument, type SchemaSection, type SchemasText } from './document.ts';
import { countJsonKeysAndSchemas, parsedKeyCount, scanJsonLimits, type SchemasSpan } from './json-scan.ts';
import {
  B_SUM,
  BLOB_CHUNKED,
  BLOB_CHUNKED_DIFF,
  BLOB_ENTRY_BYTES,
  DIFF_SINCE_VERSION,
  HEADER_BYTES,
  H_BLOB_TABLE_SUM,
  H_JSON_SUM,
  H_VALUES_SUM,
  VALUES_SINCE_VERSION,
  alignUp,
  isChunkedEncoding,
  readBlobTable,
  readHeader,
  type BlobEntry,
  type Header,
} from './header.ts';
import { DEFAULT_LIMITS, type SnapshotLimits } from './limits.ts';
import { SnapshotError } from './snapshot-error.ts';
import type { Snapshot } from './snapshot.ts';
import { checkBlob, expandBlob, isZero, storedPagesOffset } from './sparse-blob.ts';
import { ChunkIndex, checkChunkSums } from './chunked-blob.ts';

export interface DecodeOptions {
  /** Limits to apply instead of DEFAULT_LIMITS (e.g. maxBlobBytes = the destination's RAM size). */
  limits?: SnapshotLimits;
}

/** What verifySnapshot found: a file whose container is intact. */
export interface VerifiedContainer {
  header: Header;
  blobs: BlobEntry[];
  /** The JSON document's bytes (a view of the input). */
  document: Uint8Array;
  /** The value section's bytes (a view of the input; empty before version 4). */
  values: Uint8Array;
}

/**
 * Checks everything but the document's content: header, layout, every checksum, blob structure and
 * padding. `godwit snapshot verify` runs this and then decodeSnapshot.
 */
export function verifyContainer(bytes: Uint8Array, options: DecodeOptions = {}): VerifiedContainer {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const header = readHeader(bytes, limits);
  checkTotalLength(bytes.length, header);
  const { blobs, document, values } = checkHead(bytes, header, limits);
  const kind = header.checksum;
  for (let i = 0; i < blobs.length; i++) {
    const blob = blobs[i]!;
    const stored = bytes.subarray(blob.offset, blob.offset + blob.storedLength);
    const where = `blob ${i} at byte ${blob.offset}`;
    if (isChunkedEncoding(blob.encoding)) {
      // The entry's checksum covers the index; each chunk's, its pages.
      const index = checkChunkedIndex(kind, stored, blob, i);
      checkChunkSums(index, stored, where);
    } else {
      checkBlobSum(kind, stored, blob, i);
      checkBlob(stored, blob.encoding, blob.length, where);
    }
    const end = blob.offset + blob.storedLength;
    if (!isZero(bytes, end, alignUp(end))) throw new SnapshotError('bad-layout', `byte ${end}`, `padding after blob ${i} is not zero`);
  }
  return { header, blobs, document, values };
}

/** The input's length against the header's: neither truncated nor followed by anything. */
export function checkTotalLength(have: number, header: Header): void {
  if (have < header.totalLength) {
    throw new SnapshotError('truncated', `byte ${have}`, `input ends at ${have}, the header declares ${header.totalLength} bytes`);
  }
  if (have > header.totalLength) {
    throw new SnapshotError('bad-layout', `byte ${header.totalLength}`, `${have - header.totalLength} bytes after the end the header declares`);
  }
}

/**
 * Checks what precedes the blobs (`head`: at least the file's first blobsOffset bytes): the blob
 * table's checksum and entries, the document's and the value section's checksums and the zero
 * padding after them.
 */
export function checkHead(head: Uint8Array, header: Header, limits: SnapshotLimits): { blobs: BlobEntry[]; document: Uint8Array; values: Uint8Array } {
  const kind = header.checksum;
  if (!checksumsEqual(checksumOf(kind, head.subarray(HEADER_BYTES, header.jsonOffset)), header.blobTableSum)) {
    throw new SnapshotError('checksum', `byte ${H_BLOB_TABLE_SUM} (header.blobTableChecksum)`, 'blob table checksum mismatch');
  }
  const blobs = readBlobTable(head, header, limits);
  const jsonEnd = header.jsonOffset + header.jsonLength;
  const document = head.subarray(header.jsonOffset, jsonEnd);
  if (!checksumsEqual(checksumOf(kind, document), header.jsonSum)) {
    throw new SnapshotError('checksum', `byte ${H_JSON_SUM} (header.jsonChecksum)`, 'document checksum mismatch');
  }
  const valuesEnd = jsonEnd + header.valuesLength;
  const values = head.subarray(jsonEnd, valuesEnd);
  if (header.version >= VALUES_SINCE_VERSION && !checksumsEqual(checksumOf(kind, values), header.valuesSum)) {
    throw new SnapshotError('checksum', `byte ${H_VALUES_SUM} (header.valuesChecksum)`, 'value section checksum mismatch');
  }
  if (!isZero(head, valuesEnd, header.blobsOffset)) {
    throw new SnapshotError('bad-layout', `byte ${valuesEnd}`, `padding after the ${header.version >= VALUES_SINCE_VERSION ? 'value section' : 'document'} is not zero`);
  }
  return { blobs, document, values };
}

/** A blob's stored bytes (or a chunked blob's index) against the entry's checksum (`kind`: the file's hash). */
export function checkBlobSum(kind: ChecksumKind, covered: Uint8Array, blob: BlobEntry, i: number): void {
  if (!checksumsEqual(checksumOf(kind, covered), blob.sum)) {
    throw new SnapshotError('checksum', `byte ${HEADER_BYTES + i * BLOB_ENTRY_BYTES + B_SUM} (blob ${i}.checksum)`, `blob ${i} checksum mismatch`);
  }
}

/**
 * A chunked blob's index checked against the entry's checksum and the blob's sizes. `start`: at
 * least the index's bytes from the blob's start (the whole blob or just its index).
 */
export function checkChunkedIndex(kind: ChecksumKind, start: Uint8Array, blob: BlobEntry, i: number): ChunkIndex {
  const indexLength = storedPagesOffset(BLOB_CHUNKED, blob.length);
  if (blob.storedLength < indexLength || start.length < indexLength) {
    throw new SnapshotError('bad-blob', `blob ${i} at byte ${blob.offset}`, `chunked blob of ${blob.storedLength} bytes is shorter than its ${indexLength}-byte index`);
  }
  checkBlobSum(kind, start.subarray(0, indexLength), blob, i);
  return new ChunkIndex(kind, start, blob.length, blob.storedLength, `blob ${i} at byte ${blob.offset}`);
}

/** Strict UTF-8 (a decoder keeps no state between whole-input decode calls). */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parses the document's bytes (limits first, then strict UTF-8, then JSON). `base`: its file offset.
 * The whole document, always: the result is what JSON.parse gives (no part left out as known).
 */
export function parseDocumentBytes(doc: Uint8Array, limits: SnapshotLimits, base: number): unknown {
  return readDocumentBytes(doc, limits, base, false).json;
}

/** A parsed document, and the exact text of its schemas section when it has one (for parseDocument). */
export interface ReadDocument {
  json: unknown;
  section: SchemasText | undefined;
}

/**
 * parseDocumentBytes, also giving the text of the schemas section. When that text is one
 * parseDocument has accepted before (knownSchemaSection), the section is not parsed: the document is
 * parsed with `{}` in its place and `section.known` holds its schemas. Replacing one JSON value by
 * another leaves a document valid or invalid alike, and the key count covers the section's keys, so
 * the checks are those of the full parse; on any doubt the full parse runs.
 */
export function readDocumentBytes(doc: Uint8Array, limits: SnapshotLimits, base: number, useKnown = true): ReadDocument {
  if (doc.length > limits.maxDocumentBytes) {
    throw new SnapshotError('limit', `byte ${base} (document)`, `document of ${doc.length} bytes, limit ${limits.maxDocumentBytes}`);
  }
  // The document as text, decoded once for both paths (null: not UTF-8).
  let text: string | null;
  try {
    text = STRICT_UTF8.decode(doc);
  } catch {
    text = null;
  }
  const tail = lastTail;
  if (useKnown && text !== null && tail !== null && tail.limits === limits) {
    const read = readWithKnownTail(doc, text, limits, base, tail);
    if (read !== null) return read;
  }
  // The limits first, duplicate keys after parsing: a parsed document with fewer keys than the bytes
  // hold had a duplicate. Whenever anything is wrong, the full scan runs first, so the error is the
  // one it reports at the first bad byte, as if it had run alone before parsing.
  const span: SchemasSpan = { start: -1, end: -1 };
  let keys: number;
  try {
    keys = countJsonKeysAndSchemas(doc, limits, base, span);
  } catch (e) {
    scanJsonLimits(doc, limits, base);
    throw e;
  }
  if (text === null) {
    scanJsonLimits(doc, limits, base);
    throw new SnapshotError('bad-json', `byte ${base} (document)`, 'document is not valid UTF-8');
  }
  // Byte offsets are character offsets when every byte is ASCII (any other character is shorter).
  let section: SchemasText | undefined;
  if (useKnown && span.end > span.start && span.start >= 0 && text.length === doc.length) {
    const sectionText = text.slice(span.start, span.end);
    const known = knownSchemaSection(sectionText);
    section = { text: sectionText, known: undefined };
    if (known !== undefined) {
      let json: unknown;
      try {
        json = JSON.parse(`${text.slice(0, span.start)}{}${text.slice(span.end)}`) as unknown;
      } catch {
        json = undefined;
      }
      if (json !== undefined && parsedKeyCount(json) + known.keys === keys) {
        rememberTail(doc, text, json, sectionText, known, limits, base);
        return { json, section: { text: sectionText, known } };
      }
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch (e) {
    scanJsonLimits(doc, limits, base);
    throw new SnapshotError('bad-json', `byte ${base} (document)`, `document is not valid JSON: ${(e as Error).message.slice(0, 200)}`);
  }
  if (parsedKeyCount(json) !== keys) scanJsonLimits(doc, limits, base);
  return { json, section };
}

/**
 * The end of the last document read with a known schemas section:
 * `,"config":<config>,"objects":<objects>,"schemas":<section>}`, how encode.ts ends a version 4
 * document (the clock in front), with what that text parsed to. Saves of one machine differ in
 * front of it (the clock, a diff's base) and end alike, so the next document is scanned and parsed
 * only up to that end. The parsed values are shared by every read that uses them: parseDocument only
 * reads them (config is copied).
 */
interface KnownTail {
  readonly suffix: string;
  readonly config: unknown;
  readonly objects: unknown;
  readonly section: SchemasText;
  /** Arrays and objects in the suffix (the limit counts them with the rest of the document's). */
  readonly containers: number;
  /** The limits the suffix was checked against (as part of a whole document); another object means a full read. */
  readonly limits: SnapshotLimits;
}

let lastTail: KnownTail | null = null;

/** After a full read with a known section: the document's end, if it is the suffix of KnownTail. */
function rememberTail(doc: Uint8Array, text: string, json: unknown, sectionText: string, known: SchemaSection, limits: SnapshotLimits, base: number): void {
  if (!isStateNode(json) || !Object.hasOwn(json, 'config') || !Object.hasOwn(json, 'objects')) return;
  const config = (json as Record<string, unknown>)['config'];
  const objects = (json as Record<string, unknown>)['objects'];
  // JSON.stringify of what JSON.parse gave is the text encode.ts wrote (it wrote JSON.stringify's).
  const suffix = `,"config":${JSON.stringify(config)},"objects":${JSON.stringify(objects)},"schemas":${sectionText}}`;
  const from = text.length - suffix.length;
  if (from < 0 || text.substring(from) !== suffix) return;
  const counted: SchemasSpan = { start: -1, end: -1 };
  try {
    countJsonKeysAndSchemas(doc.subarray(from), limits, base, counted);
  } catch {
    return;
  }
  lastTail = { suffix, config, objects, section: { text: sectionText, known }, containers: counted.containers ?? 0, limits };
}

/**
 * A document that ends as the last one did (`tail`): its bytes before that end checked by the same
 * scan with the end's containers counted in, parsed, and put together with the end's values; what a
 * full read gives, or null on any doubt (then the full read runs and names the fault). The end's own
 * limits were checked under the same limits at the same places (values of the top level); no key
 * repeats: the part before counts its keys and holds none of the end's top-level keys, whose values
 * passed the duplicate check before.
 */
function readWithKnownTail(doc: Uint8Array, text: string, limits: SnapshotLimits, base: number, tail: KnownTail): ReadDocument | null {
  const cut = text.length - tail.suffix.length;
  // Equality of flat strings is a memory compare; endsWith goes character by character.
  if (text.length !== doc.length || cut < 0 || text.substring(cut) !== tail.suffix) return null;
  const span: SchemasSpan = { start: -1, end: -1 };
  let keys: number;
  let json: unknown;
  try {
    keys = countJsonKeysAndSchemas(doc.subarray(0, cut), limits, base, span, tail.containers);
    json = JSON.parse(`${text.slice(0, cut)}}`) as unknown;
  } catch {
    return null;
  }
  if (!isStateNode(json) || parsedKeyCount(json) !== keys) return null;
  const front = json as Record<string, unknown>;
  if (Object.hasOwn(front, 'config') || Object.hasOwn(front, 'objects') || Object.hasOwn(front, 'schemas')) return null;
  if (Object.keys(front).length + 3 > limits.maxFieldsPerNode) return null;
  front['config'] = tail.config;
  front['objects'] = tail.objects;
  front['schemas'] = {};
  return { json, section: tail.section };
}

/** A byte string as the file stores it: what inspecting it costs (not what it expands to). */
export interface StoredBlob {
  /** The stored bytes (a view of the file). */
  readonly stored: Uint8Array;
  readonly encoding: number;
  /** Bytes once expanded. */
  readonly length: number;
}

/** A decoded snapshot with its container, and where each large byte string came from. */
export interface DecodedSnapshot {
  snapshot: Snapshot;
  container: VerifiedContainer;
  /**
   * The stored form of each byte string that came from a blob, keyed by the expanded byte string in
   * the snapshot: summaries (non-zero pages, hashes) computed from it cost what the file holds.
   */
  sources: Map<Uint8Array, StoredBlob>;
  /**
   * The field paths of the byte strings stored as diffs (BLOB_CHUNKED_DIFF): their pages not in
   * this file come from the base (snapshot.base); the byte strings hold zeros there.
   */
  diffPaths: string[];
}

/** A diff blob needs a base to take its other pages from (a version 3 document's `base`). */
export function checkDiffBlobs(snapshot: Snapshot, diffPaths: readonly string[]): void {
  if (diffPaths.length > 0 && snapshot.base === undefined) {
    throw new SnapshotError('bad-blob', diffPaths[0]!, 'a diff byte string in a snapshot that names no base');
  }
}

/**
 * Decodes and validates a whole snapshot. A diff snapshot is refused: its RAM is not whole without
 * its base (decodeSnapshotChain follows the bases; decodeSnapshotFile shows the diff as it is).
 */
export function decodeSnapshot(bytes: Uint8Array, options: DecodeOptions = {}): Snapshot {
  const { snapshot } = decodeSnapshotFile(bytes, options);
  if (snapshot.base !== undefined) {
    throw new SnapshotError('bad-base', 'document.base', `a diff snapshot of '${snapshot.base.path}': it is whole only read from its file, with its base`);
  }
  return snapshot;
}

/**
 * decodeSnapshot, also returning the verified container and the stored form of every blob. Blobs
 * are expanded into fresh zero-filled byte strings into which only the stored pages are copied, so
 * that a file declaring gigabytes of omitted pages costs the memory it holds as long as nothing
 * reads the omitted pages (use `sources` to summarize them).
 */
export function decodeSnapshotFile(bytes: Uint8Array, options: DecodeOptions = {}): DecodedSnapshot {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const container = verifyContainer(bytes, options);
  const { header, blobs, document } = container;
  const sources = new Map<Uint8Array, StoredBlob>();
  const diffPaths: string[] = [];
  const { json, section } = readDocumentBytes(document, limits, header.jsonOffset);
  const taken = new Uint8Array(blobs.length);
  const snapshot = parseDocument(
    json,
    (ref, length, path, upTo) => {
      const blob = blobs[takeBlobRef(ref, length, path, upTo, blobs, taken)]!;
      if (blob.encoding === BLOB_CHUNKED_DIFF) diffPaths.push(path);
      const stored = bytes.subarray(blob.offset, blob.offset + blob.storedLength);
      const expanded = expandBlob(stored, blob.encoding, blob.length);
      sources.set(expanded, { stored, encoding: blob.encoding, length: blob.length });
      return expanded;
    },
    limits,
    header.version >= DIFF_SINCE_VERSION,
    section,
    header.version >= VALUES_SINCE_VERSION ? { bytes: container.values, offset: header.jsonOffset + header.jsonLength } : undefined,
  );
  const unused = taken.indexOf(0);
  if (unused >= 0) throw new SnapshotError('bad-blob', `blob ${unused}`, 'not referenced by the document');
  checkDiffBlobs(snapshot, diffPaths);
  return { snapshot, container, sources, diffPaths };
}

/**
 * Checks a blob reference of the document ({"blob": index, "bytes": length}) against the blob table
 * and the schema (`length`, or at most `length` when `upTo`), marks the blob taken and returns its
 * index. Each blob may be referenced once.
 */
export function takeBlobRef(ref: unknown, length: number, path: string, upTo: boolean, blobs: readonly BlobEntry[], taken: Uint8Array): number {
  if (!isStateNode(ref)) {
    throw new StateError(path, `expected ${length} bytes as hex or a blob reference, got ${describeValue(ref)}`);
  }
  const node = ref as Record<string, unknown>;
  const keys = Object.keys(node);
  if (keys.length !== 2 || !Object.hasOwn(node, 'blob') || !Object.hasOwn(node, 'bytes')) {
    const other = keys.find((k) => k !== 'blob' && k !== 'bytes');
    const found = other === undefined ? '' : ` (found ${JSON.stringify(other.slice(0, 40))})`;
    throw new SnapshotError('bad-blob', path, `a blob reference has exactly the keys "blob" and "bytes"${found}`);
  }
  const index = node['blob'];
  const declared = node['bytes'];
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= blobs.length) {
    throw new SnapshotError('bad-blob', path, `blob reference ${describeValue(index)} out of range (${blobs.length} blobs)`);
  }
  if (taken[index] !== 0) throw new SnapshotError('bad-blob', path, `blob ${index} is referenced a second time`);
  const blob = blobs[index]!;
  if (declared !== blob.length || (upTo ? blob.length > length : blob.length !== length)) {
    const schema = upTo ? `at most ${length}` : String(length);
    throw new SnapshotError('bad-blob', path, `blob ${index} holds ${blob.length} bytes, the reference says ${describeValue(declared)}, the schema ${schema}`);
  }
  taken[index] = 1;
  return index;
}

/** Reads the header from the first bytes of a file (HEADER_BYTES suffice): for chunked readers. */
export function readSnapshotHeader(first: Uint8Array, options: DecodeOptions = {}): Header {
  return readHeader(first, options.limits ?? DEFAULT_LIMITS);
}
