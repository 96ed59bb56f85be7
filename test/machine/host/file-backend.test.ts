/** machine/host/file-backend.ts: a raw image file as a BlockBackend. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBackend } from '../../../machine/host/file-backend.ts';
import { isBlockIoError } from '../../../src/block/block-backend.ts';

let dir: string;
const IMAGE = Uint8Array.from({ length: 8192 }, (_, i) => (i * 11 + (i >> 8)) & 0xff);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'godwit-disk-'));
  execFileSync('mkfifo', [join(dir, 'fifo')]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function image(name: string): string {
  const path = join(dir, name);
  writeFileSync(path, IMAGE);
  return path;
}

function failure(f: () => unknown): { code?: unknown; kind?: unknown; name?: unknown } {
  try {
    f();
  } catch (e) {
    return e as { code?: unknown };
  }
  return { code: 'none' };
}

describe('FileBackend', () => {
  it('takes its size from the file and reads at any offset', () => {
    const d = FileBackend.open(image('a.img'), { readOnly: true });
    expect(d.size).toBe(8192);
    const buf = new Uint8Array(700);
    d.read(4000, buf);
    expect(Buffer.from(buf).equals(Buffer.from(IMAGE.subarray(4000, 4700)))).toBe(true);
    d.close();
  });

  it('writes, zeroes and flushes into the file', () => {
    const path = image('b.img');
    const d = FileBackend.open(path);
    d.write(510, Uint8Array.of(1, 2, 3, 4));
    d.writeZeroes(1024, 3000);
    d.discard(0, 8192);
    d.flush();
    d.close();
    const want = IMAGE.slice();
    want.set([1, 2, 3, 4], 510);
    want.fill(0, 1024, 4024);
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(want))).toBe(true);
  });

  it('refuses ranges outside the file and writes to a read-only image (BlockIoError)', () => {
    const path = image('c.img');
    const ro = FileBackend.open(path, { readOnly: true });
    const rw = FileBackend.open(path);
    for (const f of [
      () => ro.write(0, new Uint8Array(1)),
      () => ro.writeZeroes(0, 1),
      () => ro.discard(0, 1),
      () => rw.read(8190, new Uint8Array(4)),
      () => rw.write(-2, new Uint8Array(1)),
    ]) {
      expect(isBlockIoError(failure(f))).toBe(true);
    }
    ro.flush();
    ro.close();
    rw.close();
    expect(isBlockIoError(failure(() => rw.read(0, new Uint8Array(1))))).toBe(true);
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(IMAGE))).toBe(true);
  });

  it('refuses anything but a regular file, in either mode, before reading', () => {
    for (const readOnly of [true, false]) {
      expect(failure(() => FileBackend.open('/dev/zero', { readOnly }))).toMatchObject({ code: 'ENOTREG', kind: 'a character device' });
      expect(failure(() => FileBackend.open(join(dir, 'fifo'), { readOnly }))).toMatchObject({ code: 'ENOTREG', kind: 'a FIFO' });
      expect(failure(() => FileBackend.open(dir, { readOnly }))).toMatchObject({ code: 'ENOTREG', kind: 'a directory' });
      expect(failure(() => FileBackend.open(join(dir, 'missing'), { readOnly }))).toMatchObject({ code: 'ENOENT' });
    }
  });

  it('a file that shrinks under it gives BlockIoError, not short data', () => {
    const path = image('d.img');
    const d = FileBackend.open(path, { readOnly: true });
    writeFileSync(path, IMAGE.subarray(0, 1000));
    expect(isBlockIoError(failure(() => d.read(900, new Uint8Array(200))))).toBe(true);
    d.close();
  });
});
