/**
 * Inspecting a snapshot costs what the file holds, not what it declares: a 240 KB file that declares
 * two all-zero 3.5 GiB byte strings is summarized without reading the pages it omits (in little
 * time here; memory-bounds.test.ts measures the memory); summaries computed from the stored form
 * equal those of the expanded bytes.
 */
import { describe, expect, it } from 'vitest';
import { decodeSnapshotFile } from '../../migration/decode.ts';
import { BLOB_RAW } from '../../migration/header.ts';
import { describeSnapshot } from '../../migration/inspect.ts';
import { byteStringSummary, exportSnapshotJson, nonZeroPages } from '../../migration/json-export.ts';
import { hash64 } from '../../src/util/hash.ts';
import { blobDocument as doc, forgeFile, sparseBlob as sparse } from './forge.ts';

const GIB_3_5 = 3584 * 1024 * 1024;

describe('inspection cost', () => {
  it('summarizes two declared 3.5 GiB all-zero blobs from a 240 KB file in little time', () => {
    // The memory side (the peak resident size of a process doing only this) is in memory-bounds.test.ts.
    const file = forgeFile(doc([GIB_3_5, GIB_3_5]), [sparse(GIB_3_5), sparse(GIB_3_5)]);
    expect(file.length).toBeLessThan(256 * 1024);
    const start = performance.now();
    const { snapshot, sources } = decodeSnapshotFile(file);
    const summary = describeSnapshot(snapshot, sources);
    const seconds = (performance.now() - start) / 1000;
    expect(summary.byteStringBytes).toBe(2 * GIB_3_5);
    expect(summary.nonZeroPages).toBe(0);
    // Reading the omitted pages would take tens of seconds here.
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
