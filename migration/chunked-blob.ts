/**
 * The chunked blob encoding (BLOB_CHUNKED, format version 2): for RAM and other large byte strings,
 * laid out so that a reader can load any 1 MiB chunk of the byte string on its own, verify it, and
 * put its pages where they belong (lazy restore; an eager load into the RAM the board adopts).
 *
 *   1. the page bitmap, as in a sparse blob (bit i set = page i stored), padded to 4 KiB;
 *   2. the chunk table: for each chunk of CHUNK_PAGES pages, the checksum of its stored pages taken
 *      as one byte string (empty for a chunk with none), 8 bytes each, padded to 4 KiB;
 *   3. the stored pages in ascending order (the last page of the byte string with its actual length).
 *
 * The blob table entry's checksum covers parts 1 and 2 (the index); each chunk's checksum covers
 * its pages. The stored pages of a chunk are contiguous in the file, so a chunk is one read, then
 * verified and copied to its places (loadChunk).
 */
import { CHECKSUM_BYTES, Checksum64, checksumOf, checksumsEqual, type ChecksumKind } from './checksum.ts';
import { BLOB_ALIGN, BLOB_CHUNKED, BLOB_CHUNKED_DIFF } from './header.ts';
import { SnapshotError } from './snapshot-error.ts';
import { keepShape } from '../src/util/keep-shape.ts';
import { pageHintOf } from '../src/memory/zero-pages.ts';
import { CHUNK_PAGES, chunkTableOffset, collectPages, isZero, pageCount, popcount8, storedPagesOffset, type EncodedBlob } from './sparse-blob.ts';

const PAGE = BLOB_ALIGN;
export { CHUNK_PAGES };
/** Bytes of the byte string per chunk: 1 MiB. */
export const CHUNK_BYTES = CHUNK_PAGES * PAGE;

/** Where the parts of a chunked blob of `length` bytes start, relative to the blob. */
export interface ChunkedLayout {
  readonly length: number;
  readonly pages: number;
  readonly chunks: number;
  /** Offset of the chunk table (the padded bitmap's size). */
  readonly tableOffset: number;
  /** Offset of the first stored page (bitmap and table, each padded). */
  readonly dataOffset: number;
}

export function chunkedLayout(length: number): ChunkedLayout {
  const pages = pageCount(length);
  return { length, pages, chunks: Math.ceil(pages / CHUNK_PAGES), tableOffset: chunkTableOffset(length), dataOffset: storedPagesOffset(BLOB_CHUNKED, length) };
}

/**
 * Encodes a byte string as a chunked blob; the chunks are views of `data` where they are pages.
 * With `dirty` (one byte per page, non-zero = changed since the base), a diff blob
 * (BLOB_CHUNKED_DIFF): exactly the changed pages, zero or not; the others come from the base.
 * `kind`: the hash of the file's checksums.
 */
export function encodeChunkedBlob(kind: ChecksumKind, data: Uint8Array, dirty: Uint8Array | null = null): EncodedBlob {
  // Pages the byte string's owner knows to be zero are not read (src/memory/zero-pages.ts).
  const hint = pageHintOf(data);
  const maybe = hint !== null && hint.length === pageCount(data.length) ? hint : null;
  const layout = chunkedLayout(data.length);
  const index = new Uint8Array(layout.dataOffset);
  const chunks: Uint8Array[] = [index];
  let stored = 0;
  let storedBytes = 0;
  for (let c = 0; c < layout.chunks; c++) {
    const sum = new Checksum64(kind);
    const got = collectPages(data, c * CHUNK_PAGES, Math.min((c + 1) * CHUNK_PAGES, layout.pages), index, chunks, (page) => sum.update(page), dirty, maybe);
    stored += got.pages;
    storedBytes += got.bytes;
    index.set(sum.digest(), layout.tableOffset + c * CHECKSUM_BYTES);
  }
  return { encoding: dirty === null ? BLOB_CHUNKED : BLOB_CHUNKED_DIFF, chunks, storedLength: layout.dataOffset + storedBytes, storedPages: stored, sum: checksumOf(kind, index) };
}

/**
 * A chunked blob's index, checked: which pages are stored, where each chunk's pages are in the blob,
 * and each chunk's checksum. Built from the index bytes only (what the blob entry's checksum covers).
 */
export class ChunkIndex {
  readonly layout: ChunkedLayout;
  /** The hash of the chunks' checksums (the file's). */
  readonly kind: ChecksumKind;
  private readonly index: Uint8Array;
  /** Offset in the blob of each chunk's first stored page, and one past the last chunk's. */
  private readonly chunkStart: Float64Array;

  /**
   * Checks the index against the blob's sizes: no bitmap bit past the last page, zero padding, and
   * stored pages that account for exactly `storedLength`. `where` names the blob in errors; `kind`
   * is the hash of the file's checksums.
   */
  constructor(kind: ChecksumKind, index: Uint8Array, length: number, storedLength: number, where: string) {
    const layout = chunkedLayout(length);
    if (index.length < layout.dataOffset || storedLength < layout.dataOffset) {
      throw new SnapshotError('bad-blob', where, `chunked blob of ${storedLength} bytes is shorter than its ${layout.dataOffset}-byte index`);
    }
    const used = Math.ceil(layout.pages / 8);
    if (layout.pages % 8 !== 0 && index[used - 1]! >>> (layout.pages % 8) !== 0) {
      throw new SnapshotError('bad-blob', where, `page bitmap marks pages past the last page ${layout.pages - 1}`);
    }
    if (!isZero(index, used, layout.tableOffset)) throw new SnapshotError('bad-blob', where, 'page bitmap padding is not zero');
    if (!isZero(index, layout.tableOffset + layout.chunks * CHECKSUM_BYTES, layout.dataOffset)) {
      throw new SnapshotError('bad-blob', where, 'chunk table padding is not zero');
    }
    const chunkStart = new Float64Array(layout.chunks + 1);
    let at = layout.dataOffset;
    for (let c = 0; c < layout.chunks; c++) {
      chunkStart[c] = at;
      const first = c * CHUNK_PAGES;
      const last = Math.min(first + CHUNK_PAGES, layout.pages);
      for (let i = first >>> 3; i < Math.ceil(last / 8); i++) at += popcount8(index[i]!) * PAGE;
      if (last === layout.pages && isStored(index, last - 1)) at -= PAGE - (length - (last - 1) * PAGE);
    }
    chunkStart[layout.chunks] = at;
    if (at !== storedLength) {
      throw new SnapshotError('bad-blob', where, `chunked blob stores ${storedLength} bytes, its bitmap accounts for ${at}`);
    }
    this.layout = layout;
    this.kind = kind;
    this.index = index.subarray(0, layout.dataOffset);
    this.chunkStart = chunkStart;
  }

  isStored(page: number): boolean {
    return isStored(this.index, page);
  }

  /** The stored bytes of chunk `c`: [start, end) relative to the blob. */
  storedRange(c: number): { start: number; end: number } {
    return { start: this.chunkStart[c]!, end: this.chunkStart[c + 1]! };
  }

  /** Chunk `c`'s checksum (a view of the index). */
  sum(c: number): Uint8Array {
    const at = this.layout.tableOffset + c * CHECKSUM_BYTES;
    return this.index.subarray(at, at + CHECKSUM_BYTES);
  }

  /**
   * Calls `f` for each run of consecutive stored pages of chunk `c`, in order: the run's offset in
   * the byte string, its length, and its offset in the blob.
   */
  eachRun(c: number, f: (start: number, bytes: number, blobOffset: number) => void): void {
    const { pages, length } = this.layout;
    const last = Math.min((c + 1) * CHUNK_PAGES, pages);
    let from = this.chunkStart[c]!;
    let p = c * CHUNK_PAGES;
    while (p < last) {
      if (!isStored(this.index, p)) {
        p++;
        continue;
      }
      const first = p;
      while (p < last && isStored(this.index, p)) p++;
      const start = first * PAGE;
      const bytes = Math.min(p * PAGE, length) - start;
      f(start, bytes, from);
      from += bytes;
    }
  }
}

// An index lives for one decode: keep the class's hidden class (src/util/keep-shape.ts). One page,
// none stored.
const EXEMPLAR_LAYOUT = chunkedLayout(BLOB_ALIGN);
keepShape(new ChunkIndex('xxh32-pair', new Uint8Array(EXEMPLAR_LAYOUT.dataOffset), BLOB_ALIGN, EXEMPLAR_LAYOUT.dataOffset, 'exemplar'));

function isStored(index: Uint8Array, page: number): boolean {
  return (index[page >>> 3]! & (1 << (page & 7))) !== 0;
}

/** Random access to a blob's bytes, relative to the blob: `readInto` fills `dest` from `offset`. */
export type BlobBytesReader = (dest: Uint8Array, offset: number) => void;

/** Where loadChunk reads a chunk's stored bytes and verifies them before they go to their places. */
let staging: Uint8Array | null = null;

/**
 * Reads chunk `c` of a chunked blob into `dest` (the whole expanded byte string, zero where pages
 * are omitted), verified: the chunk's stored bytes, one run in the blob, are read into a staging
 * buffer used again for every chunk, verified there, and only then copied to their places, so a
 * chunk that fails its checksum leaves `dest` as it was. Reading straight into `dest` costs more
 * where `dest` is fresh memory (RAM being restored): the host faults each page in for the read, and
 * the checksum's first access of each freshly read page costs about as much again (nearly 3x the
 * checksum's own time on the development host); the copy pays the page faults alone, and the
 * staging buffer stays in the cache. `where` names the blob.
 */
export function loadChunk(index: ChunkIndex, c: number, dest: Uint8Array, read: BlobBytesReader, where: string): void {
  const { start, end } = index.storedRange(c);
  const stored = (staging ??= new Uint8Array(CHUNK_BYTES)).subarray(0, end - start);
  if (stored.length > 0) read(stored, start);
  if (!checksumsEqual(new Checksum64(index.kind).update(stored).digest(), index.sum(c))) throw chunkMismatch(index, c, where);
  let at = 0;
  index.eachRun(c, (to, bytes) => {
    dest.set(stored.subarray(at, at + bytes), to);
    at += bytes;
  });
}

function chunkMismatch(index: ChunkIndex, c: number, where: string): SnapshotError {
  const first = c * CHUNK_BYTES;
  const last = Math.min(first + CHUNK_BYTES, index.layout.length) - 1;
  return new SnapshotError('checksum', where, `chunk ${c} (bytes 0x${first.toString(16)}-0x${last.toString(16)}) checksum mismatch`);
}

/** Verifies every chunk's checksum against a blob held in memory (`stored`: the whole blob). */
export function checkChunkSums(index: ChunkIndex, stored: Uint8Array, where: string): void {
  for (let c = 0; c < index.layout.chunks; c++) {
    const { start, end } = index.storedRange(c);
    const sum = new Checksum64(index.kind).update(stored.subarray(start, end)).digest();
    if (!checksumsEqual(sum, index.sum(c))) throw chunkMismatch(index, c, where);
  }
}
