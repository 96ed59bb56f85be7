/**
 * Blob encodings. Large byte strings (RAM, disk overlays) are cut into 4 KiB pages; a sparse blob
 * stores a page bitmap (bit i set = page i stored; LSB first within each byte; padded with zero bytes
 * to a multiple of 4 KiB so that the pages that follow stay 4 KiB aligned in the file) and then the
 * stored pages in ascending order. Omitted pages are all zero. The last page is stored with its
 * actual length when the byte string is not a multiple of 4 KiB. A raw blob is the bytes as they are;
 * the encoder uses it when no page is zero.
 */
import { BLOB_ALIGN, BLOB_CHUNKED, BLOB_RAW, BLOB_SPARSE, alignUp } from './header.ts';
import { CHECKSUM_BYTES } from './checksum.ts';
import { SnapshotError } from './snapshot-error.ts';
import { Murmur3X86_128 } from '../src/util/hash.ts';

const PAGE = BLOB_ALIGN;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export interface EncodedBlob {
  encoding: number;
  /** The stored bytes in order; page runs are views of the source (no copy). */
  chunks: Uint8Array[];
  storedLength: number;
  /** Pages stored (all of them for a raw blob). */
  storedPages: number;
  /** The blob table entry's checksum when it is not that of all the chunks (a chunked blob's index). */
  sum?: Uint8Array;
}

/** Number of 4 KiB pages (the last possibly partial) in `length` bytes. */
export function pageCount(length: number): number {
  return Math.ceil(length / PAGE);
}

/** Bytes of the padded page bitmap for `length` bytes. */
export function bitmapBytes(length: number): number {
  return alignUp(Math.ceil(pageCount(length) / 8));
}

/** Pages per chunk of a chunked blob (chunked-blob.ts): 1 MiB of the byte string. */
export const CHUNK_PAGES = 256;

/** Offset in a chunked blob of its chunk table: the padded page bitmap. */
export function chunkTableOffset(length: number): number {
  return bitmapBytes(length);
}

/** Offset of the first stored page in a blob of this encoding: after its bitmap (and chunk table). */
export function storedPagesOffset(encoding: number, length: number): number {
  if (encoding === BLOB_RAW) return 0;
  if (encoding === BLOB_SPARSE) return bitmapBytes(length);
  return bitmapBytes(length) + alignUp(Math.ceil(pageCount(length) / CHUNK_PAGES) * CHECKSUM_BYTES);
}

/** True when data[start..end) is all zero. */
export function isZero(data: Uint8Array, start: number, end: number): boolean {
  const byteStart = data.byteOffset + start;
  if (LITTLE_ENDIAN && (byteStart & 3) === 0 && ((end - start) & 3) === 0) {
    const words = new Int32Array(data.buffer, byteStart, (end - start) >>> 2);
    for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
    return true;
  }
  for (let i = start; i < end; i++) if (data[i] !== 0) return false;
  return true;
}

/**
 * Finds the pages to store of data's pages [first, last): the non-zero ones, or with `only` (one
 * byte per page) those whose byte is non-zero, zero or not (a diff blob). With `maybe` (one byte
 * per page, src/memory/zero-pages.ts), a page whose byte is 0 is known zero and not read. Sets their bits in
 * `bitmap`, appends runs of consecutive ones to `chunks` (views of data), and passes each to
 * `onPage`. Returns the pages and bytes stored.
 */
export function collectPages(
  data: Uint8Array,
  first: number,
  last: number,
  bitmap: Uint8Array,
  chunks: Uint8Array[],
  onPage: (page: Uint8Array) => void = () => {},
  only: Uint8Array | null = null,
  maybe: Uint8Array | null = null,
): { pages: number; bytes: number } {
  let pages = 0;
  let bytes = 0;
  let runStart = -1;
  for (let p = first; p < last; p++) {
    const start = p * PAGE;
    const end = Math.min(start + PAGE, data.length);
    if (only === null ? (maybe !== null && maybe[p] === 0) || isZero(data, start, end) : only[p] === 0) {
      if (runStart >= 0) chunks.push(data.subarray(runStart, start));
      runStart = -1;
      continue;
    }
    bitmap[p >>> 3]! |= 1 << (p & 7);
    pages++;
    bytes += end - start;
    onPage(data.subarray(start, end));
    if (runStart < 0) runStart = start;
  }
  if (runStart >= 0) chunks.push(data.subarray(runStart, Math.min(last * PAGE, data.length)));
  return { pages, bytes };
}

/** Encodes a byte string: sparse when at least one page is zero, else raw. */
export function encodeBlob(data: Uint8Array): EncodedBlob {
  const pages = pageCount(data.length);
  const bitmap = new Uint8Array(bitmapBytes(data.length));
  const chunks: Uint8Array[] = [bitmap];
  const stored = collectPages(data, 0, pages, bitmap, chunks);
  if (stored.pages === pages) return { encoding: BLOB_RAW, chunks: data.length === 0 ? [] : [data], storedLength: data.length, storedPages: pages };
  return { encoding: BLOB_SPARSE, chunks, storedLength: bitmap.length + stored.bytes, storedPages: stored.pages };
}

/**
 * Checks a stored blob's structure against its entry before anything is expanded: a sparse blob's
 * bitmap has no bits past the last page, zero padding, and accounts for exactly the stored length.
 */
export function checkBlob(stored: Uint8Array, encoding: number, length: number, where: string): void {
  if (encoding === BLOB_RAW) {
    if (stored.length !== length) throw new SnapshotError('bad-blob', where, `raw blob of ${stored.length} bytes for ${length}`);
    return;
  }
  const pages = pageCount(length);
  const mapBytes = bitmapBytes(length);
  if (stored.length < mapBytes) {
    throw new SnapshotError('bad-blob', where, `sparse blob of ${stored.length} bytes is shorter than its ${mapBytes}-byte page bitmap`);
  }
  const used = Math.ceil(pages / 8);
  if (pages % 8 !== 0 && (stored[used - 1]! >>> (pages % 8)) !== 0) {
    throw new SnapshotError('bad-blob', where, `page bitmap marks pages past the last page ${pages - 1}`);
  }
  if (!isZero(stored, used, mapBytes)) throw new SnapshotError('bad-blob', where, 'page bitmap padding is not zero');
  let present = 0;
  for (let i = 0; i < used; i++) present += popcount8(stored[i]!);
  const lastSize = length - (pages - 1) * PAGE;
  const lastPresent = pages > 0 && (stored[(pages - 1) >>> 3]! & (1 << ((pages - 1) & 7))) !== 0;
  const expected = mapBytes + present * PAGE - (lastPresent ? PAGE - lastSize : 0);
  if (stored.length !== expected) {
    throw new SnapshotError('bad-blob', where, `sparse blob stores ${stored.length} bytes, its bitmap (${present} pages) accounts for ${expected}`);
  }
}

/** Expands a checked blob into a fresh byte string of `length` bytes. */
export function expandBlob(stored: Uint8Array, encoding: number, length: number): Uint8Array {
  if (encoding === BLOB_RAW) return stored.slice();
  const out = new Uint8Array(length);
  const pages = pageCount(length);
  let from = storedPagesOffset(encoding, length);
  let p = 0;
  while (p < pages) {
    if ((stored[p >>> 3]! & (1 << (p & 7))) === 0) {
      p++;
      continue;
    }
    // Copy a run of stored pages at once.
    const first = p;
    while (p < pages && (stored[p >>> 3]! & (1 << (p & 7))) !== 0) p++;
    const start = first * PAGE;
    const size = Math.min(p * PAGE, length) - start;
    out.set(stored.subarray(from, from + size), start);
    from += size;
  }
  return out;
}

/**
 * Non-zero 4 KiB pages of a checked blob's expanded byte string, from its stored form: only stored
 * pages are read (an omitted page is zero), so this costs what the file holds.
 */
export function storedNonZeroPages(stored: Uint8Array, encoding: number, length: number): number {
  let count = 0;
  eachStoredPage(stored, encoding, length, (page) => {
    if (!isZero(page, 0, page.length)) count++;
  });
  return count;
}

/**
 * hash64 of a checked blob's expanded byte string, from its stored form: omitted pages are hashed
 * as zeros without memory (Murmur3X86_128.updateZeros), so no expanded copy is read or made.
 */
export function storedHash64(stored: Uint8Array, encoding: number, length: number): string {
  const m = new Murmur3X86_128();
  if (encoding === BLOB_RAW) return m.update(stored).hex64();
  let at = 0;
  eachStoredPage(stored, encoding, length, (page, start) => {
    m.updateZeros(start - at).update(page);
    at = start + page.length;
  });
  return m.updateZeros(length - at).hex64();
}

/** Calls `f` with each stored page (a view) and its offset in the expanded byte string, in order. */
function eachStoredPage(stored: Uint8Array, encoding: number, length: number, f: (page: Uint8Array, start: number) => void): void {
  const pages = pageCount(length);
  if (encoding === BLOB_RAW) {
    for (let p = 0; p < pages; p++) f(stored.subarray(p * PAGE, Math.min((p + 1) * PAGE, length)), p * PAGE);
    return;
  }
  let from = storedPagesOffset(encoding, length);
  for (let i = 0; i < Math.ceil(pages / 8); i++) {
    const bits = stored[i]!;
    if (bits === 0) continue;
    for (let b = 0; b < 8; b++) {
      if ((bits & (1 << b)) === 0) continue;
      const start = (i * 8 + b) * PAGE;
      const size = Math.min(PAGE, length - start);
      f(stored.subarray(from, from + size), start);
      from += size;
    }
  }
}

/** True when a checked blob stores page `page` (every page of a raw blob; a bitmap bit otherwise). */
export function isPageStored(stored: Uint8Array, encoding: number, page: number): boolean {
  return encoding === BLOB_RAW || (stored[page >>> 3]! & (1 << (page & 7))) !== 0;
}

/** Number of pages a blob stores (for summaries). */
export function storedPageCount(stored: Uint8Array, encoding: number, length: number): number {
  if (encoding === BLOB_RAW) return pageCount(length);
  let present = 0;
  for (let i = 0; i < Math.ceil(pageCount(length) / 8); i++) present += popcount8(stored[i]!);
  return present;
}

export function popcount8(b: number): number {
  b = b - ((b >>> 1) & 0x55);
  b = (b & 0x33) + ((b >>> 2) & 0x33);
  return (b + (b >>> 4)) & 0x0f;
}
