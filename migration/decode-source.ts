/**
 * Decoding from a random-access source (a file) without reading it whole: the header, blob table and
 * document are read and checked as decodeSnapshotFile checks them; small blobs are read whole; a
 * chunked blob (RAM) is read a chunk at a time into the byte string the snapshot hands out, each
 * chunk verified before it lands (chunked-blob.ts loadChunk), either at once (eager) or later, on
 * demand (deferred: lazy restore). Everything sized by the input is checked against the limits before it is
 * allocated, as in decode.ts.
 */
import type { ChecksumKind } from './checksum.ts';
import { CHUNK_PAGES, ChunkIndex, loadChunk } from './chunked-blob.ts';
import { checkBlobSum, checkChunkedIndex, checkDiffBlobs, checkHead, checkTotalLength, readDocumentBytes, takeBlobRef, type DecodeOptions } from './decode.ts';
import { parseDocument } from './document.ts';
import { BLOB_CHUNKED, BLOB_CHUNKED_DIFF, DIFF_SINCE_VERSION, HEADER_BYTES, VALUES_SINCE_VERSION, alignUp, isChunkedEncoding, readHeader, type BlobEntry } from './header.ts';
import { DEFAULT_LIMITS } from './limits.ts';
import { SnapshotError } from './snapshot-error.ts';
import type { Snapshot } from './snapshot.ts';
import { checkBlob, expandBlob, isZero, storedPagesOffset } from './sparse-blob.ts';

/** Random access to a snapshot's bytes. */
export interface SnapshotSource {
  /** The source's length in bytes. */
  readonly length: number;
  /** Fills `dest` with the bytes at `position` (the caller keeps within `length`). */
  readInto(dest: Uint8Array, position: number): void;
}

/** A chunked byte string of the snapshot whose chunks are loaded on demand. */
export interface DeferredBlob {
  /** The byte string in the snapshot: zero until its chunks are loaded. */
  readonly bytes: Uint8Array;
  /** Pages per chunk (CHUNK_PAGES). */
  readonly chunkPages: number;
  /** Number of chunks (CHUNK_BYTES each, the last possibly shorter). */
  readonly chunks: number;
  /** Whether chunk `c` holds any stored page (a chunk without one is all zero: nothing to load). */
  hasData(c: number): boolean;
  /** Reads chunk `c` into `bytes` and verifies it (a SnapshotError on a mismatch or a short read). */
  load(c: number): void;
}

export interface SourceDecodeOptions extends DecodeOptions {
  /**
   * Whether the chunked byte string at `path` (a field path such as /machine/ram.data) is deferred
   * rather than loaded at once. Default: none.
   */
  defer?: (path: string, length: number) => boolean;
  /**
   * Decoding a diff's base (decode-chain.ts): the byte string at `path` goes into the returned
   * bytes (the diff's, of the same length) instead of a fresh one: a chunked one is returned in
   * `layers`, not loaded; a raw or sparse one is copied in at once. Null: decoded as usual.
   */
  target?: (path: string) => Uint8Array | null;
  /** Names the file in the errors of chunks loaded later (`base 'a.snap': blob 0 ...`). */
  name?: string;
}

export interface SourceDecoded {
  snapshot: Snapshot;
  /** The deferred byte strings, keyed by the byte string the snapshot holds. */
  deferred: Map<Uint8Array, DeferredBlob>;
  /** The file's identity (Header.id). */
  id: string;
  /**
   * By field path: each diff byte string's own pages (not loaded: they go on top of the base's), and
   * each chunked byte string decoded into a `target`.
   */
  layers: Map<string, DeferredBlob>;
  /** The field paths whose byte strings are diffs (BLOB_CHUNKED_DIFF). */
  diffPaths: string[];
}

function read(source: SnapshotSource, position: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  source.readInto(out, position);
  return out;
}

export function decodeSnapshotSource(source: SnapshotSource, options: SourceDecodeOptions = {}): SourceDecoded {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const header = readHeader(read(source, 0, Math.min(source.length, HEADER_BYTES)), limits);
  checkTotalLength(source.length, header);
  // Header, blob table, document and its padding: bounded by the limits readHeader checked.
  const { blobs, document, values } = checkHead(read(source, 0, header.blobsOffset), header, limits);

  // Each blob's index (chunked) or whole stored form (others), checked before the document is parsed.
  const checked = blobs.map((blob, i) => checkSourceBlob(header.checksum, source, blob, i));
  const { json, section } = readDocumentBytes(document, limits, header.jsonOffset);
  const taken = new Uint8Array(blobs.length);
  const deferred = new Map<Uint8Array, DeferredBlob>();
  const layers = new Map<string, DeferredBlob>();
  const diffPaths: string[] = [];
  const prefix = options.name === undefined ? '' : `${options.name}: `;
  const snapshot = parseDocument(
    json,
    (ref, length, path, upTo) => {
      const i = takeBlobRef(ref, length, path, upTo, blobs, taken);
      const blob = blobs[i]!;
      const form = checked[i]!;
      const target = options.target?.(path) ?? null;
      if (target !== null && target.length !== blob.length) {
        throw new SnapshotError('bad-blob', path, `holds ${blob.length} bytes, the diff on top of it ${target.length}`);
      }
      if (form.kind === 'stored') {
        const expanded = expandBlob(form.stored, blob.encoding, blob.length);
        if (target === null) return expanded;
        target.set(expanded);
        return target;
      }
      const lazy = chunkedBlob(source, blob, form.index, `${prefix}blob ${i} at byte ${blob.offset}`, target);
      if (blob.encoding === BLOB_CHUNKED_DIFF) diffPaths.push(path);
      if (target !== null || blob.encoding === BLOB_CHUNKED_DIFF) layers.set(path, lazy);
      else if (options.defer?.(path, blob.length) === true) deferred.set(lazy.bytes, lazy);
      else for (let c = 0; c < lazy.chunks; c++) if (lazy.hasData(c)) lazy.load(c);
      return lazy.bytes;
    },
    limits,
    header.version >= DIFF_SINCE_VERSION,
    section,
    header.version >= VALUES_SINCE_VERSION ? { bytes: values, offset: header.jsonOffset + header.jsonLength } : undefined,
  );
  const unused = taken.indexOf(0);
  if (unused >= 0) throw new SnapshotError('bad-blob', `blob ${unused}`, 'not referenced by the document');
  checkDiffBlobs(snapshot, diffPaths);
  return { snapshot, deferred, id: header.id, layers, diffPaths };
}

type CheckedBlob = { kind: 'stored'; stored: Uint8Array } | { kind: 'chunked'; index: ChunkIndex };

function checkSourceBlob(kind: ChecksumKind, source: SnapshotSource, blob: BlobEntry, i: number): CheckedBlob {
  const end = blob.offset + blob.storedLength;
  const padding = read(source, end, alignUp(end) - end);
  if (!isZero(padding, 0, padding.length)) throw new SnapshotError('bad-layout', `byte ${end}`, `padding after blob ${i} is not zero`);
  if (isChunkedEncoding(blob.encoding)) {
    const indexLength = Math.min(storedPagesOffset(BLOB_CHUNKED, blob.length), blob.storedLength);
    return { kind: 'chunked', index: checkChunkedIndex(kind, read(source, blob.offset, indexLength), blob, i) };
  }
  // Raw and sparse blobs are small (boot images, device buffers): read whole, as decode.ts does.
  const stored = read(source, blob.offset, blob.storedLength);
  checkBlobSum(kind, stored, blob, i);
  checkBlob(stored, blob.encoding, blob.length, `blob ${i} at byte ${blob.offset}`);
  return { kind: 'stored', stored };
}

function chunkedBlob(source: SnapshotSource, blob: BlobEntry, index: ChunkIndex, where: string, into: Uint8Array | null): DeferredBlob {
  const bytes = into ?? new Uint8Array(blob.length);
  const loaded = new Uint8Array(index.layout.chunks);
  const readAt = (dest: Uint8Array, offset: number): void => source.readInto(dest, blob.offset + offset);
  return {
    bytes,
    chunkPages: CHUNK_PAGES,
    chunks: index.layout.chunks,
    hasData: (c) => {
      const { start, end } = index.storedRange(c);
      return end > start;
    },
    load: (c) => {
      if (loaded[c] !== 0) return;
      loadChunk(index, c, bytes, readAt, where);
      loaded[c] = 1;
    },
  };
}
