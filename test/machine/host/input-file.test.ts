/** machine/host/input-file.ts: only regular files, never more than the limit, checked before reading. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readInputFile } from '../../../machine/host/input-file.ts';
import { readSnapshotFile } from '../../../machine/snapshot-file.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'godwit-input-'));
  writeFileSync(join(dir, 'k'), Uint8Array.of(1, 2, 3, 4));
  execFileSync('mkfifo', [join(dir, 'fifo')]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function failure(f: () => unknown): { code: unknown; kind?: unknown; size?: unknown } {
  try {
    f();
  } catch (e) {
    return e as { code: unknown };
  }
  return { code: 'none' };
}

describe('readInputFile', () => {
  it('reads a regular file up to its limit', () => {
    expect(Array.from(readInputFile(join(dir, 'k'), 4))).toEqual([1, 2, 3, 4]);
    expect(failure(() => readInputFile(join(dir, 'k'), 3))).toMatchObject({ code: 'EFBIG', size: 4 });
  });

  it('refuses devices, FIFOs (without waiting for a writer) and directories before reading', () => {
    expect(failure(() => readInputFile('/dev/zero', 1 << 20))).toMatchObject({ code: 'ENOTREG', kind: 'a character device' });
    expect(failure(() => readInputFile('/dev/urandom', 1 << 20))).toMatchObject({ code: 'ENOTREG', kind: 'a character device' });
    expect(failure(() => readInputFile(join(dir, 'fifo'), 1 << 20))).toMatchObject({ code: 'ENOTREG', kind: 'a FIFO' });
    expect(failure(() => readInputFile(dir, 1 << 20))).toMatchObject({ code: 'ENOTREG', kind: 'a directory' });
    expect(failure(() => readInputFile(join(dir, 'missing'), 1 << 20))).toMatchObject({ code: 'ENOENT' });
  });

  it('a snapshot is read from a regular file only: a FIFO is refused at once', () => {
    expect(failure(() => readSnapshotFile(join(dir, 'fifo')))).toMatchObject({ code: 'ENOTREG', kind: 'a FIFO' });
    expect(failure(() => readSnapshotFile('/dev/zero'))).toMatchObject({ code: 'ENOTREG' });
  });
});
