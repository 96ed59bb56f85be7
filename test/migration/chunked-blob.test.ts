/**
 * The chunked blob encoding (format version 2): round trips through both decoders (whole bytes and
 * a random-access source), each chunk verified on its own, and hostile indexes refused with a
 * message that names the blob, the chunk or the byte.
 */
import { describe, expect, it } from 'vitest';
import { checksumOf } from '../../migration/checksum.ts';
import { CHUNK_BYTES, chunkedLayout, encodeChunkedBlob } from '../../migration/chunked-blob.ts';
import { decodeSnapshot } from '../../migration/decode.ts';
import { decodeSnapshotSource, type SnapshotSource } from '../../migration/decode-source.ts';
import { concatChunks } from '../../migration/encode.ts';
import { BLOB_CHUNKED, H_VERSION } from '../../migration/header.ts';
import { isSnapshotError } from '../../migration/snapshot-error.ts';
import { JSON_FORGE_KIND, blobDocument, forgeFile, resealHeader } from './forge.ts';
import { openSnapshotFile } from '../../machine/snapshot-file.ts';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from './sample-snapshot.ts';

/** A byte string of `length` bytes with random pages filled (about `density` of them). */
function image(length: number, density: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  const out = new Uint8Array(length);
  for (let p = 0; p * 4096 < length; p++) {
    if (rng.below(100) >= density * 100) continue;
    for (let i = p * 4096; i < Math.min(length, (p + 1) * 4096); i += 61) out[i] = 1 + rng.below(255);
  }
  return out;
}

function fileOf(data: Uint8Array, mutate: (stored: Uint8Array) => void = () => {}): Uint8Array {
  const blob = encodeChunkedBlob(JSON_FORGE_KIND, data);
  const stored = concatChunks(blob.chunks);
  mutate(stored);
  const layout = chunkedLayout(data.length);
  return forgeFile(blobDocument([data.length]), [{ stored, length: data.length, encoding: BLOB_CHUNKED, sum: checksumOf(JSON_FORGE_KIND, stored.subarray(0, layout.dataOffset)) }]);
}

function sourceOf(bytes: Uint8Array): SnapshotSource & { reads: number } {
  const s = {
    reads: 0,
    length: bytes.length,
    readInto(dest: Uint8Array, position: number) {
      s.reads++;
      dest.set(bytes.subarray(position, position + dest.length));
    },
  };
  return s;
}

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (!isSnapshotError(e)) throw e;
    return e.message;
  }
  throw new Error('expected a SnapshotError, decoding succeeded');
}

const dataOf = (s: ReturnType<typeof decodeSnapshot>) => s.objects.get('/machine/b0')!.fields['data'] as Uint8Array;

describe('chunked blobs', () => {
  it('round-trip through both decoders at odd sizes and densities, eager and deferred', () => {
    for (const [length, density, seed] of [[CHUNK_BYTES, 1, 1], [3 * CHUNK_BYTES + 4096 * 7 + 123, 0.5, 2], [2 * CHUNK_BYTES, 0, 3], [CHUNK_BYTES + 1, 0.1, 4]] as const) {
      const data = image(length, density, seed);
      const file = fileOf(data);
      expect(Buffer.compare(dataOf(decodeSnapshot(file)), data)).toBe(0);
      expect(Buffer.compare(dataOf(decodeSnapshotSource(sourceOf(file)).snapshot), data)).toBe(0);
      const { snapshot, deferred } = decodeSnapshotSource(sourceOf(file), { defer: () => true });
      const lazy = deferred.get(dataOf(snapshot))!;
      for (let c = lazy.chunks - 1; c >= 0; c--) if (lazy.hasData(c)) lazy.load(c);
      expect(Buffer.compare(lazy.bytes, data), `${length}`).toBe(0);
    }
  });

  it('a deferred blob reads nothing of its pages until a chunk is loaded', () => {
    const data = image(8 * CHUNK_BYTES, 1, 5);
    const source = sourceOf(fileOf(data));
    const { snapshot, deferred } = decodeSnapshotSource(source, { defer: () => true });
    const before = source.reads;
    const lazy = deferred.get(dataOf(snapshot))!;
    expect(lazy.bytes.every((b) => b === 0)).toBe(true);
    lazy.load(5);
    lazy.load(5);
    expect(source.reads - before).toBe(1);
  });

  it('names the chunk whose checksum fails, in either decoder', () => {
    const data = image(4 * CHUNK_BYTES, 1, 6);
    const layout = chunkedLayout(data.length);
    const file = fileOf(data, (stored) => (stored[layout.dataOffset + 2 * CHUNK_BYTES + 10]! ^= 1));
    expect(errorOf(() => decodeSnapshot(file))).toMatch(/blob 0 at byte \d+: chunk 2 \(bytes 0x200000-0x2fffff\) checksum mismatch/);
    expect(errorOf(() => decodeSnapshotSource(sourceOf(file)))).toMatch(/chunk 2 \(bytes 0x200000-0x2fffff\) checksum mismatch/);
    const { snapshot, deferred } = decodeSnapshotSource(sourceOf(file), { defer: () => true });
    const lazy = deferred.get(dataOf(snapshot))!;
    lazy.load(1);
    expect(errorOf(() => lazy.load(2))).toMatch(/chunk 2 .* checksum mismatch/);
  });

  it('reads a chunk with one read, however sparse, and a chunk that fails its checksum leaves the byte string as it was', () => {
    const data = image(4 * CHUNK_BYTES, 0.5, 7);
    const layout = chunkedLayout(data.length);
    const source = sourceOf(fileOf(data, (stored) => (stored[stored.length - 5]! ^= 1)));
    const { snapshot, deferred } = decodeSnapshotSource(source, { defer: () => true });
    const lazy = deferred.get(dataOf(snapshot))!;
    const before = source.reads;
    lazy.load(1);
    expect(source.reads - before).toBe(1);
    expect(Buffer.compare(lazy.bytes.subarray(CHUNK_BYTES, 2 * CHUNK_BYTES), data.subarray(CHUNK_BYTES, 2 * CHUNK_BYTES))).toBe(0);
    // The last chunk is corrupt (its last stored byte): nothing of it lands.
    expect(layout.chunks).toBe(4);
    expect(errorOf(() => lazy.load(3))).toMatch(/chunk 3 .* checksum mismatch/);
    expect(lazy.bytes.subarray(3 * CHUNK_BYTES).every((b) => b === 0)).toBe(true);
  });

  it('refuses hostile indexes', () => {
    const length = 2 * CHUNK_BYTES + 3 * 4096;
    const data = image(length, 0.5, 7);
    const layout = chunkedLayout(length);
    const cases: Array<[string, (s: Uint8Array) => void, RegExp]> = [
      ['bit past the last page', (s) => (s[Math.floor(layout.pages / 8)]! |= 1 << (layout.pages % 8)), /page bitmap marks pages past the last page 514/],
      ['bitmap padding', (s) => (s[layout.tableOffset - 1] = 1), /page bitmap padding is not zero/],
      ['table padding', (s) => (s[layout.dataOffset - 1] = 1), /chunk table padding is not zero/],
      ['a bit more than stored', (s) => (s[0]! ^= 1), /chunked blob stores \d+ bytes, its bitmap accounts for \d+/],
    ];
    for (const [name, mutate, message] of cases) {
      const file = fileOf(data, mutate);
      expect(errorOf(() => decodeSnapshot(file)), name).toMatch(message);
      expect(errorOf(() => decodeSnapshotSource(sourceOf(file))), name).toMatch(message);
    }
    // Shorter than its own index.
    const short = forgeFile(blobDocument([length]), [{ stored: new Uint8Array(100), length, encoding: BLOB_CHUNKED }]);
    expect(errorOf(() => decodeSnapshot(short))).toMatch(/shorter than its \d+-byte index/);
    expect(errorOf(() => decodeSnapshotSource(sourceOf(short)))).toMatch(/shorter than its \d+-byte index/);
  });

  it('is unknown in a version 1 file, and version 1 files of the other encodings still load', () => {
    const data = image(CHUNK_BYTES, 0.5, 8);
    const v1 = setVersion(fileOf(data), 1);
    expect(errorOf(() => decodeSnapshot(v1))).toMatch(/unknown blob encoding 2 in a version 1 file/);
    const raw = setVersion(forgeFile(blobDocument([3]), [{ stored: new Uint8Array([1, 2, 3]) }]), 1);
    expect([...dataOf(decodeSnapshot(raw))]).toEqual([1, 2, 3]);
  });

  it('a snapshot file that shrinks after it was opened is a SnapshotError naming the byte', () => {
    const dir = mkdtempSync(join(tmpdir(), 'godwit-chunked-'));
    try {
      const path = join(dir, 'shrinks.gw');
      const file = fileOf(image(4 * CHUNK_BYTES, 1, 9));
      writeFileSync(path, file);
      const opened = openSnapshotFile(path);
      const { snapshot, deferred } = decodeSnapshotSource(opened.source, { defer: () => true });
      truncateSync(path, file.length - 3 * CHUNK_BYTES);
      const lazy = deferred.get(dataOf(snapshot))!;
      expect(errorOf(() => lazy.load(3))).toMatch(/the file ends at byte \d+ \(it shrank after it was opened\)/);
      opened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function setVersion(file: Uint8Array, version: number): Uint8Array {
  new DataView(file.buffer, file.byteOffset).setUint32(H_VERSION, version, true);
  return resealHeader(file);
}
