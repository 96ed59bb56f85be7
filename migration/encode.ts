/**
 * Snapshot -> bytes (format version 5: version 4's layout, every checksum the XXH32 pair): header,
 * blob table, JSON document, value section (every object's field values in binary,
 * value-section.ts), zero padding to 4 KiB, then each blob (4 KiB aligned, padded to 4 KiB). The
 * result is a list of chunks so that a caller can write RAM without one giant copy: blob chunks are
 * views of the snapshot's byte strings (for a freshly saved machine, of live guest RAM), valid
 * until the machine runs again.
 */
import { checksumOf } from './checksum.ts';
import { writeDocumentHead } from './document-writer.ts';
import { encodeValueSection } from './value-section.ts';
import {
  BLOB_ENTRY_BYTES,
  HEADER_BYTES,
  WRITE_FORMAT_VERSION,
  alignUp,
  checksumKindOf,
  writeBlobEntry,
  writeHeader,
  type BlobEntry,
} from './header.ts';
import type { Snapshot } from './snapshot.ts';
import { encodeBlob, pageCount, type EncodedBlob } from './sparse-blob.ts';
import { StateError } from '../src/util/errors.ts';
import { CHUNK_BYTES, encodeChunkedBlob } from './chunked-blob.ts';

export interface EncodeOptions {
  /**
   * A diff snapshot (the snapshot names its base): for each byte string to store as a diff, by field
   * path (`/machine/ram.data`), its pages changed since the base (one byte per page, non-zero =
   * changed). Those pages only are stored.
   */
  diff?: ReadonlyMap<string, Uint8Array>;
}

export interface EncodedSnapshot {
  /** The file, in order. */
  chunks: Uint8Array[];
  /** Sum of the chunks' lengths. */
  totalLength: number;
  /** Length of the JSON document. */
  documentLength: number;
  /** Length of the value section. */
  valuesLength: number;
  /** Each blob: expanded and stored size, pages stored. */
  blobs: Array<{ path: string; length: number; storedLength: number; storedPages: number }>;
}

/**
 * Encodes a snapshot. Throws a StateError when the snapshot itself is bad (a field its schema
 * rejects, an object without a schema, a config that is not JSON): such a file could not be loaded.
 */
export function encodeSnapshot(s: Snapshot, options: EncodeOptions = {}): EncodedSnapshot {
  const blobs: EncodedBlob[] = [];
  const info: EncodedSnapshot['blobs'] = [];
  const diff = options.diff ?? null;
  if (diff !== null && s.base === undefined) throw new StateError('document.base', 'a diff snapshot needs the base it is a diff against');
  const diffed = new Set<string>();
  const kind = checksumKindOf(WRITE_FORMAT_VERSION);
  const { json, values: objects } = writeDocumentHead(s);
  const values = encodeValueSection(objects, (bytes, path) => {
    // RAM-sized byte strings are chunked (loadable and verifiable a chunk at a time); small ones not.
    // In a diff snapshot, the byte strings it names hold only their changed pages.
    const dirty = diff?.get(path) ?? null;
    if (dirty !== null) {
      if (bytes.length < CHUNK_BYTES || dirty.length !== pageCount(bytes.length)) {
        throw new StateError(path, `cannot be a diff: ${bytes.length} bytes with a log of ${dirty.length} pages`);
      }
      diffed.add(path);
    }
    const blob = bytes.length >= CHUNK_BYTES ? encodeChunkedBlob(kind, bytes, dirty) : encodeBlob(bytes);
    info.push({ path, length: bytes.length, storedLength: blob.storedLength, storedPages: blob.storedPages });
    blobs.push(blob);
    return blobs.length - 1;
  });
  if (diff !== null) for (const path of diff.keys()) if (!diffed.has(path)) throw new StateError(path, 'no such byte string to store as a diff');

  const jsonOffset = HEADER_BYTES + blobs.length * BLOB_ENTRY_BYTES;
  const valuesOffset = jsonOffset + json.length;
  const blobsOffset = alignUp(valuesOffset + values.length);
  const head = new Uint8Array(blobsOffset);
  head.set(json, jsonOffset);
  head.set(values, valuesOffset);

  const chunks: Uint8Array[] = [head];
  const zeros = new Uint8Array(4096);
  let next = blobsOffset;
  for (let i = 0; i < blobs.length; i++) {
    const blob = blobs[i]!;
    const entry: BlobEntry = {
      offset: next,
      storedLength: blob.storedLength,
      length: info[i]!.length,
      encoding: blob.encoding,
      sum: blob.sum ?? checksumOf(kind, ...blob.chunks),
    };
    writeBlobEntry(head, HEADER_BYTES + i * BLOB_ENTRY_BYTES, entry);
    for (const chunk of blob.chunks) if (chunk.length > 0) chunks.push(chunk);
    const end = next + blob.storedLength;
    next = alignUp(end);
    if (next > end) chunks.push(zeros.subarray(0, next - end));
  }
  writeHeader(head, {
    version: WRITE_FORMAT_VERSION,
    flags: 0,
    blobCount: blobs.length,
    jsonOffset,
    jsonLength: json.length,
    blobsOffset,
    blobsLength: next - blobsOffset,
    blobTableSum: checksumOf(kind, head.subarray(HEADER_BYTES, jsonOffset)),
    jsonSum: checksumOf(kind, json),
    valuesLength: values.length,
    valuesSum: checksumOf(kind, head.subarray(valuesOffset, valuesOffset + values.length)),
  });
  return { chunks, totalLength: next, documentLength: json.length, valuesLength: values.length, blobs: info };
}

/** The chunks as one byte string (one copy). */
export function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** encodeSnapshot, concatenated. */
export function encodeSnapshotBytes(s: Snapshot): Uint8Array {
  return concatChunks(encodeSnapshot(s).chunks);
}
