/**
 * The fixed binary header and the blob table (byte layout in README.md). Everything here is read
 * and checked before a byte of the JSON document is looked at, and none of it depends on the JSON
 * encoding: a reader of any version can tell a newer format from a corrupt one.
 */
import { CHECKSUM_BYTES, checksumOf, checksumsEqual, type ChecksumKind } from './checksum.ts';
import type { SnapshotLimits } from './limits.ts';
import { SnapshotError } from './snapshot-error.ts';

/** The first 8 bytes of every snapshot: ASCII `GODWITSN`. */
export const MAGIC = new Uint8Array([0x47, 0x4f, 0x44, 0x57, 0x49, 0x54, 0x53, 0x4e]);
/**
 * The newest format version this build reads and writes; it reads every version from 1 up to it.
 * Version 2 added the chunked blob encoding (BLOB_CHUNKED); version 3 added diff snapshots (a
 * document naming its base, BLOB_CHUNKED_DIFF); version 4 moved the objects' field values out of
 * the JSON document into the binary value section (value-section.ts); version 5 changed the hash
 * behind every checksum (checksum.ts: the XXH32 pair, where versions 1 to 4 have MurmurHash3). Older
 * files read as before; every new file, full or diff, is written as version 5.
 */
export const FORMAT_VERSION = 5;
/** The first version with BLOB_CHUNKED. */
export const CHUNKED_SINCE_VERSION = 2;
/** The first version with diff snapshots (the document's `base`, BLOB_CHUNKED_DIFF). */
export const DIFF_SINCE_VERSION = 3;
/** The first version with the value section (field values in binary, not in the document). */
export const VALUES_SINCE_VERSION = 4;
/** The first version whose checksums are the XXH32 pair (checksum.ts). */
export const XXH32_SINCE_VERSION = 5;
/** The version every new file is written with. */
export const WRITE_FORMAT_VERSION = 5;
/** The newest version whose document holds the field values (the pure-JSON form; test forgeries). */
export const JSON_VALUES_VERSION = 3;
/** Length of the version 1 header. */
export const HEADER_BYTES = 96;
/** Bytes needed to tell magic and version apart: magic (8) + version (4). */
export const PREAMBLE_BYTES = 12;
/** Length of one blob table entry. */
export const BLOB_ENTRY_BYTES = 40;
/** Blobs start on multiples of this (and RAM pages inside a blob have this size). */
export const BLOB_ALIGN = 4096;

/** Flags bits 0-15 are incompatible: a reader that does not know a set bit must refuse the file. */
export const INCOMPAT_FLAGS_MASK = 0x0000ffff;
/** Flags bits 16-31 are compatible: a reader may ignore the ones it does not know. */
export const COMPAT_FLAGS_MASK = 0xffff0000;
/** Incompatible flags this build understands (none are defined in version 1). */
export const KNOWN_INCOMPAT_FLAGS = 0;

/** Blob encoding: the bytes as they are. */
export const BLOB_RAW = 0;
/** Blob encoding: a page bitmap, then the pages whose bit is set (see sparse-blob.ts). */
export const BLOB_SPARSE = 1;
/**
 * Blob encoding: a page bitmap, a checksum for each 1 MiB chunk of the byte string, then the pages
 * whose bit is set (see chunked-blob.ts): a reader can load and verify any chunk on its own.
 */
export const BLOB_CHUNKED = 2;
/**
 * Blob encoding (version 3): laid out as BLOB_CHUNKED, but a page whose bit is clear comes from the
 * base snapshot's byte string at the same path (not zero), and a stored page may be zero.
 */
export const BLOB_CHUNKED_DIFF = 3;

/** Whether blobs of this encoding have the chunked layout (bitmap, chunk table, pages). */
export function isChunkedEncoding(encoding: number): boolean {
  return encoding === BLOB_CHUNKED || encoding === BLOB_CHUNKED_DIFF;
}

// Header field offsets (little-endian).
/** magic[8] */
export const H_MAGIC = 0;
/** u32 format version */
export const H_VERSION = 8;
/** u32 header length (96) */
export const H_HEADER_LENGTH = 12;
/** u32 flags */
export const H_FLAGS = 16;
/** u32 number of blobs */
export const H_BLOB_COUNT = 20;
/** u64 offset of the blob table (96) */
export const H_BLOB_TABLE_OFFSET = 24;
/** u64 offset of the JSON document (blob table end) */
export const H_JSON_OFFSET = 32;
/** u64 length of the JSON document (from version 4: u32, the low half) */
export const H_JSON_LENGTH = 40;
/** From version 4: u32 length of the value section, which follows the document (the high half of H_JSON_LENGTH before) */
export const H_VALUES_LENGTH = 44;
/** u64 offset of the blob section (JSON end rounded up to 4 KiB) */
export const H_BLOBS_OFFSET = 48;
/** u64 length of the blob section (to the end of the file) */
export const H_BLOBS_LENGTH = 56;
/** checksum[8] of the blob table */
export const H_BLOB_TABLE_SUM = 64;
/** checksum[8] of the JSON document */
export const H_JSON_SUM = 72;
/** u64 reserved, zero (from version 4: checksum[8] of the value section) */
export const H_RESERVED = 80;
/** From version 4: checksum[8] of the value section */
export const H_VALUES_SUM = 80;
/** checksum[8] of header bytes 0..87 */
export const H_HEADER_SUM = 88;

// Blob table entry field offsets.
/** u64 absolute file offset of the blob (4 KiB aligned) */
export const B_OFFSET = 0;
/** u64 stored length */
export const B_STORED_LENGTH = 8;
/** u64 length once expanded */
export const B_LENGTH = 16;
/** u32 encoding (BLOB_RAW, BLOB_SPARSE) */
export const B_ENCODING = 24;
/** u32 reserved, zero */
export const B_RESERVED = 28;
/** checksum[8] of the stored bytes */
export const B_SUM = 32;

export interface Header {
  /** Format version of the file (1..FORMAT_VERSION). */
  version: number;
  /** The hash of every checksum in the file, which its version decides (checksumKindOf). */
  checksum: ChecksumKind;
  flags: number;
  blobCount: number;
  jsonOffset: number;
  jsonLength: number;
  blobsOffset: number;
  blobsLength: number;
  blobTableSum: Uint8Array;
  jsonSum: Uint8Array;
  /** Bytes of the value section (from version 4; 0 before), right after the document. */
  valuesLength: number;
  /** Checksum of the value section (from version 4; zeros before). */
  valuesSum: Uint8Array;
  /** Length of the whole snapshot: blobsOffset + blobsLength. */
  totalLength: number;
  /**
   * The snapshot's identity: its header checksum in hex. The header covers the checksums of the blob
   * table and the document, those cover every blob's, so this names the whole content (a diff
   * records its base's).
   */
  id: string;
}

export interface BlobEntry {
  offset: number;
  storedLength: number;
  length: number;
  encoding: number;
  sum: Uint8Array;
}

/** The hash behind the checksums of a file of format `version`. */
export function checksumKindOf(version: number): ChecksumKind {
  return version >= XXH32_SINCE_VERSION ? 'xxh32-pair' : 'murmur3';
}

export function alignUp(n: number, to: number = BLOB_ALIGN): number {
  return Math.ceil(n / to) * to;
}

/**
 * Writes a header (and its checksum) for the given layout. Before version 4 there is no value section
 * (`valuesLength` must be 0 and `valuesSum` absent).
 */
export function writeHeader(
  out: Uint8Array,
  h: Omit<Header, 'checksum' | 'totalLength' | 'id' | 'valuesLength' | 'valuesSum'> & { valuesLength?: number; valuesSum?: Uint8Array },
): void {
  const view = new DataView(out.buffer, out.byteOffset, HEADER_BYTES);
  const values = h.version >= VALUES_SINCE_VERSION;
  if (!values && (h.valuesLength ?? 0) !== 0) throw new RangeError(`a version ${h.version} file has no value section`);
  if (values && (h.jsonLength > 0xffffffff || (h.valuesLength ?? 0) > 0xffffffff)) throw new RangeError('a document or value section of 4 GiB or more');
  out.set(MAGIC, H_MAGIC);
  view.setUint32(H_VERSION, h.version, true);
  view.setUint32(H_HEADER_LENGTH, HEADER_BYTES, true);
  view.setUint32(H_FLAGS, h.flags >>> 0, true);
  view.setUint32(H_BLOB_COUNT, h.blobCount, true);
  view.setBigUint64(H_BLOB_TABLE_OFFSET, BigInt(HEADER_BYTES), true);
  view.setBigUint64(H_JSON_OFFSET, BigInt(h.jsonOffset), true);
  if (values) {
    view.setUint32(H_JSON_LENGTH, h.jsonLength, true);
    view.setUint32(H_VALUES_LENGTH, h.valuesLength ?? 0, true);
  } else {
    view.setBigUint64(H_JSON_LENGTH, BigInt(h.jsonLength), true);
  }
  view.setBigUint64(H_BLOBS_OFFSET, BigInt(h.blobsOffset), true);
  view.setBigUint64(H_BLOBS_LENGTH, BigInt(h.blobsLength), true);
  out.set(h.blobTableSum, H_BLOB_TABLE_SUM);
  out.set(h.jsonSum, H_JSON_SUM);
  if (values && h.valuesSum !== undefined) out.set(h.valuesSum, H_VALUES_SUM);
  else view.setBigUint64(H_RESERVED, 0n, true);
  out.set(checksumOf(checksumKindOf(h.version), out.subarray(0, H_HEADER_SUM)), H_HEADER_SUM);
}

export function writeBlobEntry(out: Uint8Array, at: number, e: BlobEntry): void {
  const view = new DataView(out.buffer, out.byteOffset + at, BLOB_ENTRY_BYTES);
  view.setBigUint64(B_OFFSET, BigInt(e.offset), true);
  view.setBigUint64(B_STORED_LENGTH, BigInt(e.storedLength), true);
  view.setBigUint64(B_LENGTH, BigInt(e.length), true);
  view.setUint32(B_ENCODING, e.encoding, true);
  view.setUint32(B_RESERVED, 0, true);
  out.set(e.sum, at + B_SUM);
}

function hexOf(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** The identity (Header.id) of a file whose first HEADER_BYTES are `head` (already checked). */
export function snapshotIdOf(head: Uint8Array): string {
  return hexOf(head.subarray(H_HEADER_SUM, HEADER_BYTES));
}

function fieldAt(offset: number, name: string): string {
  return `byte ${offset} (header.${name})`;
}

/**
 * Reads and checks the header from the first bytes of a snapshot (at least HEADER_BYTES, or fewer to
 * get the most specific error): magic, then format version, then header length and checksum, then
 * flags and the layout of the sections against the limits. Does not look past the header, so a
 * reader can call it on the first HEADER_BYTES of a file and learn the total length.
 */
export function readHeader(bytes: Uint8Array, limits: SnapshotLimits): Header {
  const have = bytes.length;
  if (have < MAGIC.length) throw new SnapshotError('truncated', `byte ${have}`, `input ends inside the header magic (${have} bytes)`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw new SnapshotError('bad-magic', `byte ${i} (header.magic)`, 'not a godwit snapshot (bad magic)');
  }
  if (have < PREAMBLE_BYTES) throw new SnapshotError('truncated', fieldAt(H_VERSION, 'formatVersion'), `input ends inside the header (${have} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, Math.min(have, HEADER_BYTES));
  const version = view.getUint32(H_VERSION, true);
  if (version > FORMAT_VERSION) {
    throw new SnapshotError(
      'newer-version',
      fieldAt(H_VERSION, 'formatVersion'),
      `snapshot format version ${version} is newer than this build supports (${FORMAT_VERSION})`,
    );
  }
  if (version === 0) throw new SnapshotError('bad-header', fieldAt(H_VERSION, 'formatVersion'), 'format version 0 does not exist');
  if (have < HEADER_BYTES) {
    throw new SnapshotError('truncated', `byte ${have}`, `input ends inside the ${HEADER_BYTES}-byte header (${have} bytes)`);
  }
  const headerLength = view.getUint32(H_HEADER_LENGTH, true);
  if (headerLength !== HEADER_BYTES) {
    throw new SnapshotError('bad-header', fieldAt(H_HEADER_LENGTH, 'headerLength'), `header length ${headerLength}, version ${version} has ${HEADER_BYTES}`);
  }
  if (!checksumsEqual(checksumOf(checksumKindOf(version), bytes.subarray(0, H_HEADER_SUM)), bytes.subarray(H_HEADER_SUM, HEADER_BYTES))) {
    throw new SnapshotError('checksum', fieldAt(H_HEADER_SUM, 'headerChecksum'), 'header checksum mismatch');
  }
  const flags = view.getUint32(H_FLAGS, true);
  const unknown = flags & INCOMPAT_FLAGS_MASK & ~KNOWN_INCOMPAT_FLAGS;
  if (unknown !== 0) {
    throw new SnapshotError('unsupported-flags', fieldAt(H_FLAGS, 'flags'), `unknown incompatible flags 0x${unknown.toString(16)}`);
  }
  const values = version >= VALUES_SINCE_VERSION;
  if (!values && view.getBigUint64(H_RESERVED, true) !== 0n) throw new SnapshotError('bad-header', fieldAt(H_RESERVED, 'reserved'), 'reserved field is not zero');

  const blobCount = view.getUint32(H_BLOB_COUNT, true);
  if (blobCount > limits.maxBlobs) {
    throw new SnapshotError('limit', fieldAt(H_BLOB_COUNT, 'blobCount'), `${blobCount} blobs, limit ${limits.maxBlobs}`);
  }
  const tableOffset = view.getBigUint64(H_BLOB_TABLE_OFFSET, true);
  if (tableOffset !== BigInt(HEADER_BYTES)) {
    throw new SnapshotError('bad-layout', fieldAt(H_BLOB_TABLE_OFFSET, 'blobTableOffset'), `blob table at ${tableOffset}, expected ${HEADER_BYTES}`);
  }
  const expectedJson = HEADER_BYTES + blobCount * BLOB_ENTRY_BYTES;
  const jsonOffset = view.getBigUint64(H_JSON_OFFSET, true);
  if (jsonOffset !== BigInt(expectedJson)) {
    throw new SnapshotError('bad-layout', fieldAt(H_JSON_OFFSET, 'jsonOffset'), `document at ${jsonOffset}, expected ${expectedJson} (end of the blob table)`);
  }
  const jsonLength = values ? BigInt(view.getUint32(H_JSON_LENGTH, true)) : view.getBigUint64(H_JSON_LENGTH, true);
  if (jsonLength > BigInt(limits.maxDocumentBytes)) {
    throw new SnapshotError('limit', fieldAt(H_JSON_LENGTH, 'jsonLength'), `document of ${jsonLength} bytes, limit ${limits.maxDocumentBytes}`);
  }
  // The value section is limited as the document is: it holds what the document held before.
  const valuesLength = values ? view.getUint32(H_VALUES_LENGTH, true) : 0;
  if (valuesLength > limits.maxDocumentBytes) {
    throw new SnapshotError('limit', fieldAt(H_VALUES_LENGTH, 'valuesLength'), `value section of ${valuesLength} bytes, limit ${limits.maxDocumentBytes}`);
  }
  const jsonEnd = expectedJson + Number(jsonLength) + valuesLength;
  const blobsOffset = view.getBigUint64(H_BLOBS_OFFSET, true);
  if (blobsOffset !== BigInt(alignUp(jsonEnd))) {
    const what = values ? 'value section' : 'document';
    throw new SnapshotError('bad-layout', fieldAt(H_BLOBS_OFFSET, 'blobsOffset'), `blob section at ${blobsOffset}, expected ${alignUp(jsonEnd)} (${what} end rounded up to 4 KiB)`);
  }
  const blobsLength = view.getBigUint64(H_BLOBS_LENGTH, true);
  // Stored blobs never exceed their expanded size by more than a bitmap and padding.
  // (a page bitmap of 1 bit and a chunk table of 8 bytes per 256 pages, each padded to 4 KiB).
  const maxBlobs =
    BigInt(limits.maxTotalBlobBytes) + BigInt(blobCount) * BigInt(3 * BLOB_ALIGN) + BigInt(Math.ceil(limits.maxTotalBlobBytes / 32768) + Math.ceil(limits.maxTotalBlobBytes / 131072));
  if (blobsLength > maxBlobs) {
    throw new SnapshotError('limit', fieldAt(H_BLOBS_LENGTH, 'blobsLength'), `blob section of ${blobsLength} bytes, limit ${maxBlobs}`);
  }
  if (blobsLength % BigInt(BLOB_ALIGN) !== 0n) {
    throw new SnapshotError('bad-layout', fieldAt(H_BLOBS_LENGTH, 'blobsLength'), `blob section length ${blobsLength} is not a multiple of ${BLOB_ALIGN}`);
  }
  const start = Number(blobsOffset);
  return {
    version,
    checksum: checksumKindOf(version),
    flags,
    blobCount,
    jsonOffset: expectedJson,
    jsonLength: Number(jsonLength),
    blobsOffset: start,
    blobsLength: Number(blobsLength),
    blobTableSum: bytes.slice(H_BLOB_TABLE_SUM, H_BLOB_TABLE_SUM + CHECKSUM_BYTES),
    jsonSum: bytes.slice(H_JSON_SUM, H_JSON_SUM + CHECKSUM_BYTES),
    valuesLength,
    valuesSum: values ? bytes.slice(H_VALUES_SUM, H_VALUES_SUM + CHECKSUM_BYTES) : new Uint8Array(CHECKSUM_BYTES),
    totalLength: start + Number(blobsLength),
    id: hexOf(bytes.subarray(H_HEADER_SUM, HEADER_BYTES)),
  };
}

/**
 * Reads and checks the blob table (its checksum already verified): each blob 4 KiB aligned, in file
 * order, not overlapping, inside the blob section, with a known encoding and sizes within the limits.
 * The blob section must end exactly at the last blob's end rounded up to 4 KiB.
 */
export function readBlobTable(bytes: Uint8Array, h: Header, limits: SnapshotLimits): BlobEntry[] {
  const entries: BlobEntry[] = [];
  let next = h.blobsOffset;
  let total = 0;
  const end = h.blobsOffset + h.blobsLength;
  for (let i = 0; i < h.blobCount; i++) {
    const at = HEADER_BYTES + i * BLOB_ENTRY_BYTES;
    const view = new DataView(bytes.buffer, bytes.byteOffset + at, BLOB_ENTRY_BYTES);
    const where = (field: number, name: string): string => `byte ${at + field} (blob ${i}.${name})`;
    const offset = view.getBigUint64(B_OFFSET, true);
    const storedLength = view.getBigUint64(B_STORED_LENGTH, true);
    const length = view.getBigUint64(B_LENGTH, true);
    const encoding = view.getUint32(B_ENCODING, true);
    if (offset !== BigInt(next)) {
      const why = offset < BigInt(next) ? 'overlaps the previous blob or precedes the blob section' : 'leaves a gap';
      throw new SnapshotError('bad-layout', where(B_OFFSET, 'offset'), `blob at ${offset}, expected ${next}: ${why}`);
    }
    if (length > BigInt(limits.maxBlobBytes)) {
      throw new SnapshotError('limit', where(B_LENGTH, 'length'), `blob of ${length} bytes, limit ${limits.maxBlobBytes}`);
    }
    total += Number(length);
    if (total > limits.maxTotalBlobBytes) {
      throw new SnapshotError('limit', where(B_LENGTH, 'length'), `blobs total ${total} bytes, limit ${limits.maxTotalBlobBytes}`);
    }
    const since = encoding === BLOB_CHUNKED ? CHUNKED_SINCE_VERSION : encoding === BLOB_CHUNKED_DIFF ? DIFF_SINCE_VERSION : encoding <= BLOB_SPARSE ? 1 : Infinity;
    if (h.version < since) {
      const known = since === Infinity ? '' : ` in a version ${h.version} file`;
      throw new SnapshotError('bad-blob', where(B_ENCODING, 'encoding'), `unknown blob encoding ${encoding}${known}`);
    }
    if (view.getUint32(B_RESERVED, true) !== 0) throw new SnapshotError('bad-blob', where(B_RESERVED, 'reserved'), 'reserved field is not zero');
    if (offset + storedLength > BigInt(end)) {
      throw new SnapshotError('bad-layout', where(B_STORED_LENGTH, 'storedLength'), `blob of ${storedLength} bytes at ${offset} runs past the blob section end ${end}`);
    }
    if (encoding === BLOB_RAW && storedLength !== length) {
      throw new SnapshotError('bad-blob', where(B_STORED_LENGTH, 'storedLength'), `raw blob stores ${storedLength} bytes for ${length}`);
    }
    const stored = Number(storedLength);
    entries.push({ offset: next, storedLength: stored, length: Number(length), encoding, sum: bytes.slice(at + B_SUM, at + B_SUM + CHECKSUM_BYTES) });
    next = alignUp(next + stored);
  }
  if (next !== end) {
    throw new SnapshotError('bad-layout', fieldAt(H_BLOBS_LENGTH, 'blobsLength'), `blob section ends at ${end}, its last blob at ${next}`);
  }
  return entries;
}
