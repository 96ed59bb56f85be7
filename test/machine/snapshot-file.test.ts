/** machine/snapshot-file.ts: atomic writes, and reads that check the header before the rest. */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSnapshotFile, writeFileAtomic } from '../../machine/snapshot-file.ts';
import { encodeSnapshot, concatChunks } from '../../migration/encode.ts';
import { decodeSnapshot } from '../../migration/decode.ts';
import { withLimits } from '../../migration/limits.ts';
import type { Snapshot } from '../../migration/snapshot.ts';
import { SnapshotError } from '../../migration/snapshot-error.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'godwit-snapfile-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function snapshot(fill: number): Snapshot {
  const data = new Uint8Array(3 * 4096).fill(0);
  data.fill(fill, 4096, 8192);
  return {
    config: { m: data.length },
    clock: { virtualTimeNs: 5n, retiredInstructions: 5n, run: {} },
    objects: new Map([['/machine/ram', { type: 'ram', version: 1, fields: { data } }]]),
    schemas: new Map([['ram@1', { fields: [{ name: 'data', kind: 'bytes', length: data.length }] }]]),
  };
}

describe('writeFileAtomic', () => {
  it('writes the chunks, and a failed write leaves the previous file intact and no temporary file', () => {
    const file = join(dir, 'snap.gw');
    const first = encodeSnapshot(snapshot(1));
    writeFileAtomic(file, first.chunks);
    const old = readFileSync(file);
    expect(old.length).toBe(first.totalLength);
    const second = encodeSnapshot(snapshot(2));
    expect(() => writeFileAtomic(file, second.chunks, { failAfterBytes: 5000 })).toThrow(/ENOSPC/);
    expect(readFileSync(file).equals(old)).toBe(true);
    expect(readdirSync(dir)).toEqual(['snap.gw']);
    writeFileAtomic(file, second.chunks);
    expect(readdirSync(dir)).toEqual(['snap.gw']);
    const back = decodeSnapshot(readSnapshotFile(file));
    expect((back.objects.get('/machine/ram')!.fields['data'] as Uint8Array)[4096]).toBe(2);
  });

  it('fails without touching anything when the directory does not exist', () => {
    expect(() => writeFileAtomic(join(dir, 'no', 'snap.gw'), [new Uint8Array(4)])).toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('readSnapshotFile', () => {
  it('reads a whole file into an aligned buffer', () => {
    const file = join(dir, 'a.gw');
    const bytes = concatChunks(encodeSnapshot(snapshot(3)).chunks);
    writeFileSync(file, bytes);
    const got = readSnapshotFile(file);
    expect(got.byteOffset).toBe(0);
    expect(Buffer.from(got).equals(Buffer.from(bytes))).toBe(true);
  });

  it.each([
    ['truncated', (b: Uint8Array) => b.subarray(0, b.length - 100), 'truncated', /^byte \d+: the file ends at byte \d+, its header declares \d+ bytes$/],
    ['extra bytes', (b: Uint8Array) => concatChunks([b, new Uint8Array(7)]), 'bad-layout', /7 bytes after the end the header declares/],
    ['short header', (b: Uint8Array) => b.subarray(0, 40), 'truncated', /header/],
    ['empty', () => new Uint8Array(0), 'truncated', /magic/],
    ['not a snapshot', () => new TextEncoder().encode('hello, world, this is not a snapshot at all'), 'bad-magic', /./],
  ])('%s: a SnapshotError before reading the rest', (_name, mangle, code, message) => {
    const file = join(dir, 'x.gw');
    writeFileSync(file, mangle(concatChunks(encodeSnapshot(snapshot(4)).chunks)));
    let error: unknown;
    try {
      readSnapshotFile(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SnapshotError);
    expect((error as SnapshotError).code).toBe(code);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses a file declaring more than the limits before reading it', () => {
    const file = join(dir, 'big.gw');
    writeFileSync(file, concatChunks(encodeSnapshot(snapshot(5)).chunks));
    expect(() => readSnapshotFile(file, { limits: withLimits({ maxDocumentBytes: 16 }) })).toThrow(
      expect.objectContaining({ name: 'SnapshotError', code: 'limit' }),
    );
  });

  it('passes file system errors through with their code', () => {
    expect(() => readSnapshotFile(join(dir, 'missing.gw'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

describe('writeFileAtomic: what it may replace', () => {
  const bytes = () => encodeSnapshot(snapshot(6)).chunks;
  const failure = (f: () => unknown): Record<string, unknown> => {
    try {
      f();
    } catch (e) {
      return e as Record<string, unknown>;
    }
    return { code: 'none' };
  };

  it('refuses a FIFO (or a link to one) and leaves it a FIFO, with no temporary file behind', () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    symlinkSync(fifo, join(dir, 'link'));
    for (const target of [fifo, join(dir, 'link')]) {
      expect(failure(() => writeFileAtomic(target, bytes()))).toMatchObject({ code: 'ENOTREG', reason: 'not a regular file (a FIFO)' });
    }
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['fifo', 'link']);
  });

  it('refuses a directory and a read-only file (root included), and leaves them as they were', () => {
    expect(failure(() => writeFileAtomic(dir, bytes()))).toMatchObject({ code: 'ENOTREG', kind: 'a directory' });
    const file = join(dir, 'ro.gw');
    writeFileSync(file, 'old');
    chmodSync(file, 0o444);
    expect(failure(() => writeFileAtomic(file, bytes()))).toMatchObject({ code: 'EACCES', reason: 'a read-only file (mode 0444)' });
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['ro.gw']);
  });

  it('replaces a regular file keeping its mode, and writes through a symbolic link, which stays', () => {
    const file = join(dir, 'mine.gw');
    writeFileSync(file, 'old');
    chmodSync(file, 0o600);
    symlinkSync(file, join(dir, 'alias.gw'));
    writeFileAtomic(join(dir, 'alias.gw'), bytes());
    expect(lstatSync(join(dir, 'alias.gw')).isSymbolicLink()).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(decodeSnapshot(readSnapshotFile(file)).objects.has('/machine/ram')).toBe(true);
  });

  it('removes the temporary files that killed writers left, and only those', () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const file = join(dir, 's.gw');
    const stale = [`.s.gw.tmp-${dead}-0`, `.s.gw.tmp-${dead}-7`];
    const kept = [`.s.gw.tmp-${process.pid}-99`, `.other.gw.tmp-${dead}-0`, '.s.gw.tmp-x-1'];
    for (const name of [...stale, ...kept]) writeFileSync(join(dir, name), new Uint8Array(10));
    writeFileAtomic(file, bytes());
    expect(readdirSync(dir).sort()).toEqual([...kept, 's.gw'].sort());
  });
});

describe('progress of large snapshot files', () => {
  it('reports the bytes written and read, in pieces, up to the total, and the bytes are unchanged', () => {
    const file = join(dir, 'big.gw');
    // 40 MiB of RAM with a non-zero byte in every page (zero pages are not stored): more than one
    // of the 32 MiB pieces progress is reported for.
    const data = new Uint8Array(40 << 20);
    for (let i = 0; i < data.length; i += 4096) data[i] = (i >>> 12) | 1;
    const s: Snapshot = {
      config: { m: data.length },
      clock: { virtualTimeNs: 5n, retiredInstructions: 5n, run: {} },
      objects: new Map([['/machine/ram', { type: 'ram', version: 1, fields: { data } }]]),
      schemas: new Map([['ram@1', { fields: [{ name: 'data', kind: 'bytes', length: data.length }] }]]),
    };
    const encoded = encodeSnapshot(s);
    const writes: Array<[number, number]> = [];
    writeFileAtomic(file, encoded.chunks, {}, (done, total) => writes.push([done, total]));
    expect(writes.length).toBeGreaterThan(2);
    expect(writes.every(([, total]) => total === encoded.totalLength)).toBe(true);
    expect(writes.map(([done]) => done)).toEqual([...writes.map(([done]) => done)].sort((a, b) => a - b));
    expect(writes[writes.length - 1]![0]).toBe(encoded.totalLength);
    const reads: Array<[number, number]> = [];
    const back = readSnapshotFile(file, {}, (done, total) => reads.push([done, total]));
    expect(reads.length).toBeGreaterThan(1);
    expect(reads[reads.length - 1]).toEqual([encoded.totalLength, encoded.totalLength]);
    expect(Buffer.from(back).equals(Buffer.from(concatChunks(encoded.chunks)))).toBe(true);
  });
});
