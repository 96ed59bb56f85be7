/**
 * Files written by earlier builds still read (format versions 2 and 3, values in the document). The
 * fixtures were written by the encoder of commit f503e13, the last to write them:
 * - fixtures/v2-full.gw: sampleSnapshot(1 MiB, pages 0, 3 and 200), a full snapshot (version 2);
 * - fixtures/v3-diff.gw: the same with the PIT's mode 5 and RAM page 5 filled with 0x5a, a diff
 *   (version 3) against v2-full.gw storing that one page.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSnapshotChain, type ChainFile } from '../../migration/decode-chain.ts';
import { decodeSnapshot, decodeSnapshotFile } from '../../migration/decode.ts';
import { encodeSnapshotBytes } from '../../migration/encode.ts';
import { WRITE_FORMAT_VERSION } from '../../migration/header.ts';
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
  it('reads a version 2 full snapshot, and writes it again as version 4 with the same content', () => {
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
    // Written again (a version 4 full snapshot, as `snapshot merge` writes it), it reads the same.
    expectSame(decodeSnapshot(encodeSnapshotBytes(chain.snapshot)), modified());
  });
});
