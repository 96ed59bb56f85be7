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
import { checksumOf, checksumsEqual } from './checksum.ts';
import { parseDocument } from './document.ts';
import { scanJsonLimits } from './json-scan.ts';
import {
  B_SUM,
  BLOB_ENTRY_BYTES,
  HEADER_BYTES,
  H_BLOB_TABLE_SUM,
  H_JSON_SUM,
  alignUp,
  readBlobTable,
  readHeader,
  type BlobEntry,
  type Header,
} from './header.ts';
import { DEFAULT_LIMITS, type SnapshotLimits } from './limits.ts';
import { SnapshotError } from './snapshot-error.ts';
import type { Snapshot } from './snapshot.ts';
import { checkBlob, expandBlob, isZero } from './sparse-blob.ts';

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
}

/**
 * Checks everything but the document's content: header, layout, every checksum, blob structure and
 * padding. `godwit snapshot verify` runs this and then decodeSnapshot.
 */
export function verifyContainer(bytes: Uint8Array, options: DecodeOptions = {}): VerifiedContainer {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const header = readHeader(bytes, limits);
  if (bytes.length < header.totalLength) {
    throw new SnapshotError('truncated', `byte ${bytes.length}`, `input ends at ${bytes.length}, the header declares ${header.totalLength} bytes`);
  }
  if (bytes.length > header.totalLength) {
    throw new SnapshotError('bad-layout', `byte ${header.totalLength}`, `${bytes.length - header.totalLength} bytes after the end the header declares`);
  }
  const table = bytes.subarray(HEADER_BYTES, header.jsonOffset);
  if (!checksumsEqual(checksumOf(table), header.blobTableSum)) {
    throw new SnapshotError('checksum', `byte ${H_BLOB_TABLE_SUM} (header.blobTableChecksum)`, 'blob table checksum mismatch');
  }
  const blobs = readBlobTable(bytes, header, limits);
  const jsonEnd = header.jsonOffset + header.jsonLength;
  const document = bytes.subarray(header.jsonOffset, jsonEnd);
  if (!checksumsEqual(checksumOf(document), header.jsonSum)) {
    throw new SnapshotError('checksum', `byte ${H_JSON_SUM} (header.jsonChecksum)`, 'document checksum mismatch');
  }
  if (!isZero(bytes, jsonEnd, header.blobsOffset)) {
    throw new SnapshotError('bad-layout', `byte ${jsonEnd}`, 'padding after the document is not zero');
  }
  for (let i = 0; i < blobs.length; i++) {
    const blob = blobs[i]!;
    const stored = bytes.subarray(blob.offset, blob.offset + blob.storedLength);
    if (!checksumsEqual(checksumOf(stored), blob.sum)) {
      throw new SnapshotError('checksum', `byte ${HEADER_BYTES + i * BLOB_ENTRY_BYTES + B_SUM} (blob ${i}.checksum)`, `blob ${i} checksum mismatch`);
    }
    checkBlob(stored, blob.encoding, blob.length, `blob ${i} at byte ${blob.offset}`);
    const end = blob.offset + blob.storedLength;
    if (!isZero(bytes, end, alignUp(end))) throw new SnapshotError('bad-layout', `byte ${end}`, `padding after blob ${i} is not zero`);
  }
  return { header, blobs, document };
}

/** Parses the document's bytes (limits first, then strict UTF-8, then JSON). `base`: its file offset. */
export function parseDocumentBytes(doc: Uint8Array, limits: SnapshotLimits, base: number): unknown {
  if (doc.length > limits.maxDocumentBytes) {
    throw new SnapshotError('limit', `byte ${base} (document)`, `document of ${doc.length} bytes, limit ${limits.maxDocumentBytes}`);
  }
  scanJsonLimits(doc, limits, base);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(doc);
  } catch {
    throw new SnapshotError('bad-json', `byte ${base} (document)`, 'document is not valid UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new SnapshotError('bad-json', `byte ${base} (document)`, `document is not valid JSON: ${(e as Error).message.slice(0, 200)}`);
  }
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
}

/** Decodes and validates a whole snapshot. */
export function decodeSnapshot(bytes: Uint8Array, options: DecodeOptions = {}): Snapshot {
  return decodeSnapshotFile(bytes, options).snapshot;
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
  const json = parseDocumentBytes(document, limits, header.jsonOffset);
  const taken = new Uint8Array(blobs.length);
  const snapshot = parseDocument(
    json,
    (ref, length, path, upTo) => {
      if (!isStateNode(ref)) {
        throw new StateError(path, `expected ${length} bytes as hex or a blob reference, got ${describeValue(ref)}`);
      }
      const keys = Object.keys(ref);
      if (keys.length !== 2 || !Object.hasOwn(ref, 'blob') || !Object.hasOwn(ref, 'bytes')) {
        const other = keys.find((k) => k !== 'blob' && k !== 'bytes');
        const found = other === undefined ? '' : ` (found ${JSON.stringify(other.slice(0, 40))})`;
        throw new SnapshotError('bad-blob', path, `a blob reference has exactly the keys "blob" and "bytes"${found}`);
      }
      const index = ref['blob'];
      const declared = ref['bytes'];
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
      const stored = bytes.subarray(blob.offset, blob.offset + blob.storedLength);
      const expanded = expandBlob(stored, blob.encoding, blob.length);
      sources.set(expanded, { stored, encoding: blob.encoding, length: blob.length });
      return expanded;
    },
    limits,
  );
  const unused = taken.indexOf(0);
  if (unused >= 0) throw new SnapshotError('bad-blob', `blob ${unused}`, 'not referenced by the document');
  return { snapshot, container, sources };
}

/** Reads the header from the first bytes of a file (HEADER_BYTES suffice): for chunked readers. */
export function readSnapshotHeader(first: Uint8Array, options: DecodeOptions = {}): Header {
  return readHeader(first, options.limits ?? DEFAULT_LIMITS);
}
