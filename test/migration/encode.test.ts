import { describe, expect, it } from 'vitest';
import { concatChunks, encodeSnapshot, encodeSnapshotBytes } from '../../migration/encode.ts';
import { decodeSnapshot, readSnapshotHeader, verifyContainer } from '../../migration/decode.ts';
import { CHUNK_BYTES } from '../../migration/chunked-blob.ts';
import { BLOB_CHUNKED, BLOB_RAW, BLOB_SPARSE, WRITE_FORMAT_VERSION, HEADER_BYTES, MAGIC, alignUp } from '../../migration/header.ts';
import { newNode, treesEqual } from '../../src/visit/state-tree.ts';
import { isStateError } from '../../src/util/errors.ts';
import type { Snapshot } from '../../migration/snapshot.ts';
import { documentOf } from './forge.ts';
import { PIT_SCHEMA, Rng, pitFields, sampleSnapshot } from './sample-snapshot.ts';

function expectSame(a: Snapshot, b: Snapshot): void {
  expect(b.config).toEqual(a.config);
  expect(b.clock.virtualTimeNs).toBe(a.clock.virtualTimeNs);
  expect(b.clock.retiredInstructions).toBe(a.clock.retiredInstructions);
  expect(b.clock.run).toEqual(a.clock.run);
  expect([...b.objects.keys()]).toEqual([...a.objects.keys()].sort());
  for (const [path, obj] of a.objects) {
    const got = b.objects.get(path)!;
    expect(got.type).toBe(obj.type);
    expect(got.version).toBe(obj.version);
    expect(treesEqual(got.fields, obj.fields), path).toBe(true);
  }
  expect(new Map([...b.schemas].map(([k, v]) => [k, JSON.stringify(v)]))).toEqual(
    new Map([...a.schemas].map(([k, v]) => [k, JSON.stringify(v)])),
  );
}

describe('encode -> decode', () => {
  it('round-trips every kind of field, 64-bit extremes exactly, and __proto__/constructor as data', () => {
    const s = sampleSnapshot();
    const back = decodeSnapshot(encodeSnapshotBytes(s));
    expectSame(s, back);
    const pit = back.objects.get('/machine/pit')!.fields;
    expect(pit['deadline']).toBe(18446744073709551615n);
    expect(pit['offset']).toBe(-9223372036854775808n);
    expect(pit['tscs']).toEqual([0n, 18446744073709551615n]);
    expect(Object.getPrototypeOf(pit)).toBe(null);
    expect(Object.hasOwn(pit, '__proto__')).toBe(true);
    expect(pit['__proto__']).toBe(7);
    expect(pit['constructor']).toBe(-5);
    expect(Object.hasOwn(pit, 'sipi')).toBe(false);
  });

  it('writes a header that says what the file is, and 4 KiB aligned blobs', () => {
    const s = sampleSnapshot();
    const e = encodeSnapshot(s);
    const file = concatChunks(e.chunks);
    expect(file.length).toBe(e.totalLength);
    expect(file.subarray(0, 8)).toEqual(MAGIC);
    expect(new TextDecoder().decode(file.subarray(0, 8))).toBe('GODWITSN');
    expect(new DataView(file.buffer).getUint32(8, true)).toBe(WRITE_FORMAT_VERSION);
    const h = readSnapshotHeader(file.subarray(0, HEADER_BYTES));
    expect(h.totalLength).toBe(file.length);
    const { blobs } = verifyContainer(file);
    expect(blobs).toHaveLength(1);
    expect(blobs[0]!.offset % 4096).toBe(0);
    expect(blobs[0]!.encoding).toBe(BLOB_SPARSE);
    // 3 non-zero pages of 16 stored, after a one-page bitmap.
    expect(blobs[0]!.storedLength).toBe(4096 + 3 * 4096);
    expect(e.blobs).toEqual([{ path: '/machine/ram.data', length: 65536, storedLength: 16384, storedPages: 3 }]);
    // The document names the objects; their values are in the value section that follows it.
    const doc = JSON.parse(documentOf(file));
    expect(doc.objects['/machine/ram']).toEqual({ type: 'ram', version: 1 });
    expect(doc.clock.retiredInstructions).toBe('18446744073709551615');
    expect(h.valuesLength).toBe(e.valuesLength);
    expect(h.blobsOffset).toBe(alignUp(h.jsonOffset + h.jsonLength + h.valuesLength));
  });

  it('is deterministic: the same snapshot gives the same bytes', () => {
    const a = encodeSnapshotBytes(sampleSnapshot());
    const b = encodeSnapshotBytes(sampleSnapshot());
    expect(a.length).toBe(b.length);
    expect(a.every((byte, i) => byte === b[i])).toBe(true);
  });

  it('hands out RAM pages as views, not copies', () => {
    const s = sampleSnapshot(64 * 1024, [1, 2, 9]);
    const ram = s.objects.get('/machine/ram')!.fields['data'] as Uint8Array;
    const e = encodeSnapshot(s);
    const views = e.chunks.filter((c) => c.buffer === ram.buffer);
    // Pages 1-2 are one run, page 9 another.
    expect(views.map((v) => [v.byteOffset, v.length])).toEqual([
      [4096, 8192],
      [9 * 4096, 4096],
    ]);
  });

  it('round-trips sparse RAM with random pages, odd sizes, empty and full RAM', () => {
    const rng = new Rng(2024);
    for (let trial = 0; trial < 25; trial++) {
      const pages = 1 + rng.below(300);
      const bytes = pages * 4096 - (trial % 3 === 0 ? rng.below(4000) : 0);
      const density = trial % 5;
      const present: number[] = [];
      for (let p = 0; p < pages; p++) {
        if (density === 4 || (density > 0 && rng.below(4) < density)) present.push(p);
      }
      const s = sampleSnapshot(bytes, present, trial + 1);
      const e = encodeSnapshot(s);
      const expectedPages = present.length;
      expect(e.blobs[0]!.storedPages).toBe(expectedPages);
      const back = decodeSnapshot(concatChunks(e.chunks));
      expectSame(s, back);
      const { blobs } = verifyContainer(concatChunks(e.chunks));
      // From 1 MiB on, byte strings are chunked; below, raw when no page is zero, else sparse.
      expect(blobs[0]!.encoding).toBe(bytes >= CHUNK_BYTES ? BLOB_CHUNKED : expectedPages === pages ? BLOB_RAW : BLOB_SPARSE);
    }
  });

  it('keeps byte strings under 4 KiB in the value section, and 4 KiB and over as blobs', () => {
    const s = sampleSnapshot(4096, [0]);
    const small = new Uint8Array(4095).fill(0xab);
    const fields = newNode();
    fields['small'] = small;
    s.objects.set('/machine/peripheral/disk0', { type: 'overlay', version: 0, fields });
    s.schemas.set('overlay@0', { fields: [{ name: 'small', kind: 'bytes', length: 4095 }] });
    const e = encodeSnapshot(s);
    const file = concatChunks(e.chunks);
    expect(e.blobs.map((b) => b.path)).toEqual(['/machine/ram.data']);
    const values = verifyContainer(file).values;
    // The overlay's values come first (sorted paths): its 4095 bytes, as they are.
    expect(values.subarray(0, 4095)).toEqual(small);
    expectSame(s, decodeSnapshot(file));
  });

  it('round-trips a snapshot without blobs', () => {
    const s: Snapshot = {
      config: {},
      clock: { virtualTimeNs: 0n, retiredInstructions: 0n, run: {} },
      objects: new Map([['/machine/pit', { type: 'i8254', version: 2, fields: pitFields() }]]),
      schemas: new Map([['i8254@2', PIT_SCHEMA]]),
    };
    const file = encodeSnapshotBytes(s);
    expect(file.length % 4096).toBe(0);
    expectSame(s, decodeSnapshot(file));
  });

  it('refuses to write a snapshot that could not be loaded', () => {
    const s = sampleSnapshot();
    s.objects.get('/machine/pit')!.fields['mode'] = 300;
    expect(() => encodeSnapshot(s)).toThrow(/\/machine\/pit\.mode: expected u8, got 300/);
    const t = sampleSnapshot();
    t.schemas.delete('ram@1');
    expect(() => encodeSnapshot(t)).toThrow(/no schema for ram@1/);
    const u = sampleSnapshot();
    (u.config as Record<string, unknown>)['bad'] = 1n;
    try {
      encodeSnapshot(u);
      expect.unreachable();
    } catch (e) {
      expect(isStateError(e)).toBe(true);
      expect((e as Error).message).toBe('config.bad: expected plain JSON, got 1n');
    }
    const v = sampleSnapshot();
    v.clock.run['t'] = Number.NaN;
    expect(() => encodeSnapshot(v)).toThrow('clock.run.t: NaN is not a JSON number');
    const w = sampleSnapshot();
    (w.config as Record<string, unknown>)['ram'] = new Uint8Array(2);
    expect(() => encodeSnapshot(w)).toThrow('config.ram: expected plain JSON, got bytes[2]');
  });
});
