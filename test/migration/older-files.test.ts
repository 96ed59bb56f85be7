/**
 * Files written by earlier builds still read: versions 2 and 3 (values in the document), and
 * version 4 (the value section, checksums by MurmurHash3 where version 5 has the XXH32 pair).
 * - fixtures/v2-full.gw: sampleSnapshot(1 MiB, pages 0, 3 and 200), a full snapshot (version 2);
 * - fixtures/v3-diff.gw: the same with the PIT's mode 5 and RAM page 5 filled with 0x5a, a diff
 *   (version 3) against v2-full.gw storing that one page.
 * Both written by the encoder of commit f503e13, the last to write those versions.
 * - fixtures/v4-full.gw and fixtures/v4-diff.gw: the same two snapshots as version 4, the diff
 *   against v4-full.gw, written by the encoder of commit f9ecbdb, the last to write version 4.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSnapshotChain, type ChainFile } from '../../migration/decode-chain.ts';
import { decodeSnapshot, decodeSnapshotFile } from '../../migration/decode.ts';
import { concatChunks, encodeSnapshot, encodeSnapshotBytes } from '../../migration/encode.ts';
import { WRITE_FORMAT_VERSION, readHeader } from '../../migration/header.ts';
import { DEFAULT_LIMITS } from '../../migration/limits.ts';
import { exportSnapshotJson } from '../../migration/json-export.ts';
import type { Snapshot } from '../../migration/snapshot.ts';
import { treesEqual } from '../../src/visit/state-tree.ts';
import { sampleSnapshot } from './sample-snapshot.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));

function expectSame(a: Snapshot, b: Snapshot): void {
  expect(a.config).toEqual(b.config);
  expect(a.clock).toEqual(b.clock);
  expect([...a.objects.keys()].sort()).toEqual([...b.objects.keys()].sort());
  for (const [path, o] of a.objects) {
    const other = b.objects.get(path)!;
    expect([o.type, o.version]).toEqual([other.type, other.version]);
    expect(treesEqual(o.fields, other.fields), path).toBe(true);
  }
  expect(JSON.stringify([...a.schemas].sort())).toBe(JSON.stringify([...b.schemas].sort()));
}

function modified(): Snapshot {
  const s = sampleSnapshot(1 << 20, [0, 3, 200]);
  s.objects.get('/machine/pit')!.fields['mode'] = 5;
  (s.objects.get('/machine/ram')!.fields['data'] as Uint8Array).fill(0x5a, 5 * 4096, 6 * 4096);
  return s;
}

describe('files of earlier format versions', () => {
  it('reads a version 2 full snapshot, and writes it again as the current version with the same content', () => {
    const file = fixture('v2-full.gw');
    const d = decodeSnapshotFile(file);
    expect(d.container.header.version).toBe(2);
    expectSame(d.snapshot, sampleSnapshot(1 << 20, [0, 3, 200]));
    const again = encodeSnapshotBytes(d.snapshot);
    expect(decodeSnapshotFile(again).container.header.version).toBe(WRITE_FORMAT_VERSION);
    expectSame(decodeSnapshot(again), d.snapshot);
    // The JSON export of either file is the same.
    expect(exportSnapshotJson(decodeSnapshot(again))).toBe(exportSnapshotJson(d.snapshot));
  });

  it('reads a version 3 diff on its version 2 base as one whole snapshot', () => {
    const files = new Map([
      ['v2-full.gw', fixture('v2-full.gw')],
      ['v3-diff.gw', fixture('v3-diff.gw')],
    ]);
    const open = (name: string): ChainFile => {
      const bytes = files.get(name)!;
      return { name, source: { length: bytes.length, readInto: (dest, at) => dest.set(bytes.subarray(at, at + dest.length)) } };
    };
    expect(decodeSnapshotFile(files.get('v3-diff.gw')!).container.header.version).toBe(3);
    const chain = decodeSnapshotChain(open('v3-diff.gw'), { openBase: (base) => open(base.path) });
    expect(chain.chain.map((link) => link.name)).toEqual(['v3-diff.gw', 'v2-full.gw']);
    expectSame(chain.snapshot, modified());
    // Written again (a full snapshot of the current version, as `snapshot merge` writes it), it reads the same.
    expectSame(decodeSnapshot(encodeSnapshotBytes(chain.snapshot)), modified());
  });

  it('reads a version 4 full snapshot and a version 4 diff on it, with their MurmurHash3 checksums', () => {
    const full = fixture('v4-full.gw');
    expect(decodeSnapshotFile(full).container.header.version).toBe(4);
    expectSame(decodeSnapshot(full), sampleSnapshot(1 << 20, [0, 3, 200]));
    const files = new Map([
      ['v4-full.gw', full],
      ['v4-diff.gw', fixture('v4-diff.gw')],
    ]);
    const open = (name: string): ChainFile => {
      const bytes = files.get(name)!;
      return { name, source: { length: bytes.length, readInto: (dest, at) => dest.set(bytes.subarray(at, at + dest.length)) } };
    };
    // Deferred RAM too: each chunk is verified as it loads.
    for (const defer of [false, true]) {
      const chain = decodeSnapshotChain(open('v4-diff.gw'), { openBase: (base) => open(base.path), ...(defer ? { defer: () => true } : {}) });
      for (const d of chain.deferred.values()) for (let c = 0; c < d.chunks; c++) if (d.hasData(c)) d.load(c);
      if (defer) expect(chain.deferred.size).toBe(1);
      expectSame(chain.snapshot, modified());
    }
    // A byte of a RAM chunk changed: its checksum (MurmurHash3, as version 4 has it) no longer matches.
    const bad = full.slice();
    bad[bad.length - 4096 + 10]! ^= 1;
    expect(() => decodeSnapshot(bad)).toThrow(/checksum mismatch/);
  });

  it('reads a current diff on a version 4 base: each file is checked with its own hash', () => {
    const base = fixture('v4-full.gw');
    const s = modified();
    const dirty = new Uint8Array(256);
    dirty[5] = 1;
    const encoded = encodeSnapshot({ ...s, base: { path: 'v4-full.gw', id: readHeader(base, DEFAULT_LIMITS).id } }, { diff: new Map([['/machine/ram.data', dirty]]) });
    const diff = concatChunks(encoded.chunks);
    expect(decodeSnapshotFile(diff).container.header.version).toBe(WRITE_FORMAT_VERSION);
    const files = new Map([
      ['v4-full.gw', base],
      ['new-diff.gw', diff],
    ]);
    const open = (name: string): ChainFile => {
      const bytes = files.get(name)!;
      return { name, source: { length: bytes.length, readInto: (dest, at) => dest.set(bytes.subarray(at, at + dest.length)) } };
    };
    expectSame(decodeSnapshotChain(open('new-diff.gw'), { openBase: (b) => open(b.path) }).snapshot, modified());
  });
});
