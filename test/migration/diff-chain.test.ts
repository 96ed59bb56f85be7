/**
 * Diff snapshots (format version 3) and their chains, through the decoders alone: a diff stores
 * exactly the changed pages (zero ones too), a chain of diffs decodes to the newest byte string
 * eagerly and deferred, zero pages of a diff cover the base's, and a wrong, missing or cyclic
 * base, too long a chain, or a truncated base is one SnapshotError.
 */
import { describe, expect, it } from 'vitest';
import { decodeSnapshotChain, type ChainFile } from '../../migration/decode-chain.ts';
import { decodeSnapshotFile } from '../../migration/decode.ts';
import type { SnapshotSource } from '../../migration/decode-source.ts';
import { encodeSnapshot, encodeSnapshotBytes, concatChunks } from '../../migration/encode.ts';
import { BLOB_CHUNKED_DIFF, WRITE_FORMAT_VERSION, H_VERSION, readHeader } from '../../migration/header.ts';
import { DEFAULT_LIMITS } from '../../migration/limits.ts';
import { isSnapshotError } from '../../migration/snapshot-error.ts';
import type { Snapshot } from '../../migration/snapshot.ts';
import { newNode } from '../../src/visit/state-tree.ts';
import { Rng } from './sample-snapshot.ts';
import { jsonValuesFile, resealHeader } from './forge.ts';
import { decodeSnapshot } from '../../migration/decode.ts';

const PAGE = 4096;
const LENGTH = 3 << 20;
const PATH = '/machine/ram.data';

function snapshotOf(ram: Uint8Array, base?: { path: string; id: string }): Snapshot {
  const fields = newNode();
  fields['data'] = ram;
  return {
    ...(base === undefined ? {} : { base }),
    config: {},
    clock: { virtualTimeNs: 1n, retiredInstructions: 2n, run: {} },
    objects: new Map([['/machine/ram', { type: 'ram', version: 1, fields }]]),
    schemas: new Map([['ram@1', { fields: [{ name: 'data', kind: 'bytes', length: ram.length }] }]]),
  };
}

function sourceOf(bytes: Uint8Array): SnapshotSource {
  return { length: bytes.length, readInto: (dest, at) => dest.set(bytes.subarray(at, at + dest.length)) };
}

const idOf = (file: Uint8Array) => readHeader(file, DEFAULT_LIMITS).id;

/** Writes pages of `ram` (and marks them in `dirty`): random bytes, or zeros for every third. */
function scribble(ram: Uint8Array, dirty: Uint8Array, rng: Rng, count: number): void {
  for (let i = 0; i < count; i++) {
    const p = rng.below(ram.length / PAGE);
    if (i % 3 === 0) ram.fill(0, p * PAGE, (p + 1) * PAGE);
    else for (let a = p * PAGE; a < (p + 1) * PAGE; a += 97) ram[a] = 1 + rng.below(255);
    dirty[p] = 1;
  }
}

/** A full file and three diffs on top of it, named s0, d1, d2, d3; and the final RAM. */
function chainFiles() {
  const rng = new Rng(7);
  const ram = new Uint8Array(LENGTH);
  for (let a = 0; a < LENGTH; a += 61) ram[a] = rng.below(256);
  const files = new Map<string, Uint8Array>();
  files.set('s0', encodeSnapshotBytes(snapshotOf(ram)));
  let prev = 's0';
  for (const name of ['d1', 'd2', 'd3']) {
    const dirty = new Uint8Array(LENGTH / PAGE);
    scribble(ram, dirty, rng, 40);
    const encoded = encodeSnapshot(snapshotOf(ram, { path: prev, id: idOf(files.get(prev)!) }), { diff: new Map([[PATH, dirty]]) });
    expect(encoded.blobs[0]!.storedPages).toBe(dirty.reduce((n, v) => n + v, 0));
    files.set(name, concatChunks(encoded.chunks));
    prev = name;
  }
  return { files, ram };
}

function open(files: Map<string, Uint8Array>) {
  return (base: { path: string }): ChainFile => {
    const bytes = files.get(base.path);
    if (bytes === undefined) throw new Error(`ENOENT: no such file '${base.path}'`);
    return { name: base.path, source: sourceOf(bytes) };
  };
}

function chainError(files: Map<string, Uint8Array>, head: string, maxDepth?: number): string {
  try {
    decodeSnapshotChain({ name: head, source: sourceOf(files.get(head)!) }, { openBase: open(files), ...(maxDepth === undefined ? {} : { maxDepth }) });
  } catch (e) {
    if (!isSnapshotError(e)) throw e;
    expect(e.message).not.toContain('\n');
    return e.message;
  }
  throw new Error('expected a SnapshotError');
}

const ramOf = (s: Snapshot) => s.objects.get('/machine/ram')!.fields['data'] as Uint8Array;

describe('diff snapshots', () => {
  it('write a version 4 file whose RAM blob holds exactly the changed pages; full files are version 4 too', () => {
    const { files } = chainFiles();
    const view = (f: Uint8Array) => new DataView(f.buffer, f.byteOffset).getUint32(H_VERSION, true);
    expect(view(files.get('s0')!)).toBe(WRITE_FORMAT_VERSION);
    expect(view(files.get('d1')!)).toBe(WRITE_FORMAT_VERSION);
    const d = decodeSnapshotFile(files.get('d2')!);
    expect(d.container.blobs[0]!.encoding).toBe(BLOB_CHUNKED_DIFF);
    expect(d.snapshot.base).toEqual({ path: 'd1', id: idOf(files.get('d1')!) });
    expect(d.diffPaths).toEqual([PATH]);
  });

  it('decode a chain of three diffs to the newest RAM, eagerly and deferred', () => {
    const { files, ram } = chainFiles();
    const head = { name: 'd3', source: sourceOf(files.get('d3')!) };
    const eager = decodeSnapshotChain(head, { openBase: open(files) });
    expect(eager.chain.map((l) => l.name)).toEqual(['d3', 'd2', 'd1', 's0']);
    expect(eager.snapshot.base).toBeUndefined();
    expect(Buffer.compare(ramOf(eager.snapshot), ram)).toBe(0);
    const lazy = decodeSnapshotChain(head, { openBase: open(files), defer: () => true });
    const blob = lazy.deferred.get(ramOf(lazy.snapshot))!;
    // Chunks in any order, each from every layer.
    for (let c = blob.chunks - 1; c >= 0; c--) if (blob.hasData(c)) blob.load(c);
    expect(Buffer.compare(ramOf(lazy.snapshot), ram)).toBe(0);
  });

  it('take the pages a diff does not hold from the base, and its zero pages over the base', () => {
    const rng = new Rng(3);
    const ram = new Uint8Array(LENGTH);
    ram.fill(5, 0, 40 * PAGE);
    const files = new Map<string, Uint8Array>([['s0', encodeSnapshotBytes(snapshotOf(ram))]]);
    const dirty = new Uint8Array(LENGTH / PAGE);
    scribble(ram, dirty, rng, 10);
    files.set('d1', concatChunks(encodeSnapshot(snapshotOf(ram, { path: 's0', id: idOf(files.get('s0')!) }), { diff: new Map([[PATH, dirty]]) }).chunks));
    const got = decodeSnapshotChain({ name: 'd1', source: sourceOf(files.get('d1')!) }, { openBase: open(files) });
    expect(Buffer.compare(ramOf(got.snapshot), ram)).toBe(0);
  });

  it('refuse a base in a version 2 document, a malformed base, and a diff read alone as whole', () => {
    const ram = new Uint8Array(LENGTH);
    const errorOf = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        if (!isSnapshotError(e)) throw e;
        return e.message;
      }
      throw new Error('expected a SnapshotError');
    };
    const withBase = encodeSnapshotBytes(snapshotOf(ram, { path: 's0', id: '0123456789abcdef' }));
    // A document with values (version 3) read as version 2.
    const v2 = jsonValuesFile(snapshotOf(ram, { path: 's0', id: '0123456789abcdef' }));
    new DataView(v2.buffer).setUint32(H_VERSION, 2, true);
    expect(errorOf(() => decodeSnapshotFile(resealHeader(v2)))).toBe('document."base": unknown key');
    expect(errorOf(() => decodeSnapshotFile(encodeSnapshotBytes(snapshotOf(ram, { path: 's0', id: 'ABC' }))))).toMatch(/^document\.base\.id: expected 16 lowercase hex digits/);
    expect(errorOf(() => decodeSnapshotFile(encodeSnapshotBytes(snapshotOf(ram, { path: '', id: '0123456789abcdef' }))))).toMatch(/^document\.base\.path: expected a file path/);
    expect(errorOf(() => decodeSnapshot(withBase))).toMatch(/^document\.base: a diff snapshot of 's0'/);
  });

  it('refuse a wrong, missing or cyclic base, too long a chain, and a truncated base', () => {
    const { files } = chainFiles();
    // d2 in place of d1: another snapshot.
    const wrong = new Map(files);
    wrong.set('d1', files.get('d2')!);
    expect(chainError(wrong, 'd3')).toMatch(/'d2'.*'d1' is not the snapshot 'd2' is a diff against/);
    const missing = new Map(files);
    missing.delete('s0');
    expect(chainError(missing, 'd3')).toMatch(/base of 'd1': cannot open 's0': ENOENT/);
    // d1 under the name s0: its base is itself.
    const cycle = new Map(files);
    cycle.set('s0', files.get('d1')!);
    expect(chainError(cycle, 's0')).toMatch(/base of 's0': the chain is a cycle: 's0' -> 's0'/);
    expect(chainError(files, 'd3', 2)).toMatch(/follows more than 2 bases/);
    // A truncated base.
    const cut = new Map(files);
    cut.set('d1', files.get('d1')!.subarray(0, files.get('d1')!.length - PAGE));
    expect(chainError(cut, 'd2')).toMatch(/base 'd1' of 'd2'.*truncated|base 'd1' of 'd2'.*ends/);
  });
});
