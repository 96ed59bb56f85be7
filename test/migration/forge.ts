/**
 * Hostile-file helpers: an attacker can compute checksums, so these rebuild valid checksums around
 * arbitrary content, to test the checks behind them.
 */
import { checksumOf } from '../../migration/checksum.ts';
import {
  BLOB_ENTRY_BYTES,
  B_SUM,
  HEADER_BYTES,
  H_BLOB_COUNT,
  H_BLOB_TABLE_SUM,
  H_HEADER_SUM,
  H_JSON_LENGTH,
  H_JSON_SUM,
  alignUp,
  writeBlobEntry,
  writeHeader,
} from '../../migration/header.ts';
import { BLOB_RAW, BLOB_SPARSE, H_VALUES_LENGTH, H_VALUES_SUM, H_VERSION, JSON_VALUES_VERSION, VALUES_SINCE_VERSION, WRITE_FORMAT_VERSION, checksumKindOf } from '../../migration/header.ts';
import { bitmapBytes, encodeBlob } from '../../migration/sparse-blob.ts';
import { CHUNK_BYTES, encodeChunkedBlob } from '../../migration/chunked-blob.ts';
import { buildDocument, stringifyDocument } from '../../migration/document.ts';
import { concatChunks } from '../../migration/encode.ts';
import type { Snapshot } from '../../migration/snapshot.ts';

/** The hash of the checksums of forged files: version 3 ones (no value section), and current ones. */
export const JSON_FORGE_KIND = checksumKindOf(JSON_VALUES_VERSION);
export const VALUES_FORGE_KIND = checksumKindOf(WRITE_FORMAT_VERSION);

/** The hash of `file`'s checksums, by the format version in its header. */
function kindOf(file: Uint8Array) {
  return checksumKindOf(new DataView(file.buffer, file.byteOffset, file.length).getUint32(H_VERSION, true));
}

/** Recomputes the header checksum (after a header field was changed). */
export function resealHeader(file: Uint8Array): Uint8Array {
  file.set(checksumOf(kindOf(file), file.subarray(0, H_HEADER_SUM)), H_HEADER_SUM);
  return file;
}

/** Recomputes every checksum that the (possibly damaged) layout lets it find. */
export function resealAll(file: Uint8Array): Uint8Array {
  const view = new DataView(file.buffer, file.byteOffset, file.length);
  const count = Math.min(view.getUint32(H_BLOB_COUNT, true), Math.floor((file.length - HEADER_BYTES) / BLOB_ENTRY_BYTES));
  const jsonOffset = HEADER_BYTES + count * BLOB_ENTRY_BYTES;
  const values = view.getUint32(H_VERSION, true) >= VALUES_SINCE_VERSION;
  const jsonLength = Math.min(values ? view.getUint32(H_JSON_LENGTH, true) : Number(view.getBigUint64(H_JSON_LENGTH, true)), file.length - jsonOffset);
  const valuesEnd = Math.min(jsonOffset + jsonLength + (values ? view.getUint32(H_VALUES_LENGTH, true) : 0), file.length);
  const kind = kindOf(file);
  for (let i = 0; i < count; i++) {
    const at = HEADER_BYTES + i * BLOB_ENTRY_BYTES;
    const offset = Number(view.getBigUint64(at, true));
    const stored = Number(view.getBigUint64(at + 8, true));
    if (offset + stored <= file.length) file.set(checksumOf(kind, file.subarray(offset, offset + stored)), at + B_SUM);
  }
  file.set(checksumOf(kind, file.subarray(HEADER_BYTES, jsonOffset)), H_BLOB_TABLE_SUM);
  file.set(checksumOf(kind, file.subarray(jsonOffset, jsonOffset + jsonLength)), H_JSON_SUM);
  if (values) file.set(checksumOf(kind, file.subarray(jsonOffset + jsonLength, valuesEnd)), H_VALUES_SUM);
  return resealHeader(file);
}

export interface ForgedBlob {
  stored: Uint8Array;
  length?: number;
  encoding?: number;
  /** The entry's checksum (default: of the stored bytes). */
  sum?: Uint8Array;
}

/**
 * A correctly checksummed file around any document text and stored blobs: version 3 (the values in
 * the document; checksums of JSON_FORGE_KIND), or the version new files have given a value section
 * (VALUES_FORGE_KIND). A blob's `sum` must be of the same kind.
 */
export function forgeFile(doc: string | Uint8Array, blobs: ForgedBlob[] = [], values?: Uint8Array): Uint8Array {
  const json = typeof doc === 'string' ? new TextEncoder().encode(doc) : doc;
  const jsonOffset = HEADER_BYTES + blobs.length * BLOB_ENTRY_BYTES;
  const valuesLength = values?.length ?? 0;
  const kind = values === undefined ? JSON_FORGE_KIND : VALUES_FORGE_KIND;
  const blobsOffset = alignUp(jsonOffset + json.length + valuesLength);
  let end = blobsOffset;
  const offsets: number[] = [];
  for (const blob of blobs) {
    offsets.push(end);
    end = alignUp(end + blob.stored.length);
  }
  const file = new Uint8Array(end);
  file.set(json, jsonOffset);
  if (values !== undefined) file.set(values, jsonOffset + json.length);
  blobs.forEach((blob, i) => {
    file.set(blob.stored, offsets[i]!);
    writeBlobEntry(file, HEADER_BYTES + i * BLOB_ENTRY_BYTES, {
      offset: offsets[i]!,
      storedLength: blob.stored.length,
      length: blob.length ?? blob.stored.length,
      encoding: blob.encoding ?? BLOB_RAW,
      sum: blob.sum ?? checksumOf(kind, blob.stored),
    });
  });
  writeHeader(file, {
    version: values === undefined ? JSON_VALUES_VERSION : WRITE_FORMAT_VERSION,
    flags: 0,
    blobCount: blobs.length,
    jsonOffset,
    jsonLength: json.length,
    blobsOffset,
    blobsLength: end - blobsOffset,
    blobTableSum: checksumOf(kind, file.subarray(HEADER_BYTES, jsonOffset)),
    jsonSum: checksumOf(kind, json),
    ...(values === undefined ? {} : { valuesLength, valuesSum: checksumOf(kind, values) }),
  });
  return file;
}

/** The document of a file, as text. */
export function documentOf(file: Uint8Array): string {
  const view = new DataView(file.buffer, file.byteOffset);
  const count = view.getUint32(H_BLOB_COUNT, true);
  const jsonOffset = HEADER_BYTES + count * BLOB_ENTRY_BYTES;
  const values = view.getUint32(H_VERSION, true) >= VALUES_SINCE_VERSION;
  const length = values ? view.getUint32(H_JSON_LENGTH, true) : Number(view.getBigUint64(H_JSON_LENGTH, true));
  return new TextDecoder().decode(file.subarray(jsonOffset, jsonOffset + length));
}

/**
 * `s` as a version 3 file (the field values in the document, as files were written before version 4):
 * older files to read, and the JSON form of the values to forge hostile documents from.
 */
export function jsonValuesFile(s: Snapshot): Uint8Array {
  const blobs: ForgedBlob[] = [];
  const doc = buildDocument(s, (bytes) => {
    const blob = bytes.length >= CHUNK_BYTES ? encodeChunkedBlob(JSON_FORGE_KIND, bytes) : encodeBlob(bytes);
    blobs.push({ stored: concatChunks(blob.chunks), length: bytes.length, encoding: blob.encoding, sum: blob.sum ?? checksumOf(JSON_FORGE_KIND, ...blob.chunks) });
    return { blob: blobs.length - 1, bytes: bytes.length };
  });
  return forgeFile(stringifyDocument(doc), blobs);
}

/**
 * A document with one object `/machine/bI` of type `blobI@1` per length, each a `bytes` field of that
 * length referring to blob I.
 */
export function blobDocument(lengths: number[]): string {
  const objects: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  lengths.forEach((length, i) => {
    objects[`/machine/b${i}`] = { type: `blob${i}`, version: 1, fields: { data: { blob: i, bytes: length } } };
    schemas[`blob${i}@1`] = { fields: [{ name: 'data', kind: 'bytes', length }] };
  });
  return JSON.stringify({ config: {}, clock: { virtualTimeNs: '0', retiredInstructions: '0', run: {} }, objects, schemas });
}

/** A sparse blob of `length` bytes storing the given pages (page -> fill byte). */
export function sparseBlob(length: number, pages: ReadonlyMap<number, number> = new Map()): ForgedBlob & { length: number } {
  const map = bitmapBytes(length);
  const sorted = [...pages.keys()].sort((a, b) => a - b);
  const size = (p: number) => Math.min(4096, length - p * 4096);
  const stored = new Uint8Array(map + sorted.reduce((n, p) => n + size(p), 0));
  let at = map;
  for (const p of sorted) {
    stored[p >>> 3]! |= 1 << (p & 7);
    stored.fill(pages.get(p)!, at, at + size(p));
    at += size(p);
  }
  return { stored, length, encoding: BLOB_SPARSE };
}
