/**
 * Inspecting a snapshot costs what the file holds, not what it declares: a 240 KB file that declares
 * two all-zero 3.5 GiB byte strings is summarized without reading (or touching the memory of) the
 * pages it omits; summaries computed from the stored form equal those of the expanded bytes.
 */
import { describe, expect, it } from 'vitest';
import { decodeSnapshotFile } from '../../migration/decode.ts';
import { BLOB_RAW, BLOB_SPARSE } from '../../migration/header.ts';
import { describeSnapshot } from '../../migration/inspect.ts';
import { byteStringSummary, exportSnapshotJson, nonZeroPages } from '../../migration/json-export.ts';
import { bitmapBytes } from '../../migration/sparse-blob.ts';
import { hash64 } from '../../src/util/hash.ts';
import { forgeFile } from './forge.ts';

const GIB_3_5 = 3584 * 1024 * 1024;

function doc(lengths: number[]): string {
  const objects: Record<string, unknown> = {};
  lengths.forEach((length, i) => {
    objects[`/machine/b${i}`] = { type: `blob${i}`, version: 1, fields: { data: { blob: i, bytes: length } } };
  });
  const schemas: Record<string, unknown> = {};
  lengths.forEach((length, i) => {
    schemas[`blob${i}@1`] = { fields: [{ name: 'data', kind: 'bytes', length }] };
  });
  return JSON.stringify({ config: {}, clock: { virtualTimeNs: '0', retiredInstructions: '0', run: {} }, objects, schemas });
}

/** A sparse blob of `length` bytes storing the given pages with the given fill bytes. */
function sparse(length: number, pages: Map<number, number>): { stored: Uint8Array; length: number; encoding: number } {
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

describe('inspection cost', () => {
  it('summarizes two declared 3.5 GiB all-zero blobs from a 240 KB file in little time and memory', () => {
    const file = forgeFile(doc([GIB_3_5, GIB_3_5]), [sparse(GIB_3_5, new Map()), sparse(GIB_3_5, new Map())]);
    expect(file.length).toBeLessThan(256 * 1024);
    const rss = process.memoryUsage().rss;
    const start = performance.now();
    const { snapshot, sources } = decodeSnapshotFile(file);
    const summary = describeSnapshot(snapshot, sources);
    const seconds = (performance.now() - start) / 1000;
    const grew = (process.memoryUsage().rss - rss) / 2 ** 20;
    expect(summary.byteStringBytes).toBe(2 * GIB_3_5);
    expect(summary.nonZeroPages).toBe(0);
    // Reading the omitted pages would take tens of seconds and 7 GiB here.
    expect(grew).toBeLessThan(256);
    expect(seconds).toBeLessThan(10);
  });

  it('summaries from the stored form equal those of the expanded bytes: sparse, raw, and stored zero pages', () => {
    const length = 40 * 4096 + 100;
    // Page 3 is stored but all zero (a hostile or careless writer): it is not a non-zero page.
    const pages = new Map([[0, 1], [3, 0], [17, 0xff], [40, 7]]);
    const raw = Uint8Array.from({ length: 3 * 4096 + 5 }, (_, i) => (i % 5 === 0 ? 0 : i & 0xff));
    raw.fill(0, 4096, 8192);
    const file = forgeFile(doc([length, raw.length]), [sparse(length, pages), { stored: raw, length: raw.length, encoding: BLOB_RAW }]);
    const { snapshot, sources } = decodeSnapshotFile(file);
    for (const obj of snapshot.objects.values()) {
      const bytes = obj.fields['data'] as Uint8Array;
      expect(sources.has(bytes)).toBe(true);
      expect(byteStringSummary(bytes, sources)).toEqual({ bytes: bytes.length, nonZeroPages: nonZeroPages(bytes), hash64: hash64(bytes) });
    }
    expect(describeSnapshot(snapshot, sources).nonZeroPages).toBe(3 + 3);
    expect(exportSnapshotJson(snapshot, { sources })).toBe(exportSnapshotJson(snapshot));
  });
});
