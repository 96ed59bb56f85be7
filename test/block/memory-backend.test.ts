import { describe, expect, it } from 'vitest';
import { isBlockIoError } from '../../src/block/block-backend.ts';
import { MemoryBackend } from '../../src/block/memory-backend.ts';

function pattern(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);
}

function throwsBlockIo(f: () => void): boolean {
  try {
    f();
  } catch (e) {
    return isBlockIoError(e);
  }
  return false;
}

describe('MemoryBackend', () => {
  it('reads and writes bytes at any offset', () => {
    const d = new MemoryBackend(pattern(4096));
    const buf = new Uint8Array(10);
    d.read(100, buf);
    expect([...buf]).toEqual([...pattern(4096).subarray(100, 110)]);
    d.write(4090, Uint8Array.of(1, 2, 3, 4, 5, 6));
    d.read(4088, buf.subarray(0, 8));
    expect([...buf.subarray(0, 8)]).toEqual([...pattern(4096).subarray(4088, 4090), 1, 2, 3, 4, 5, 6]);
  });

  it('write-zeroes zeros the range only; discard keeps the bytes; flush is counted', () => {
    const d = new MemoryBackend(pattern(2048));
    d.writeZeroes(512, 512);
    expect(d.bytes.subarray(512, 1024).every((b) => b === 0)).toBe(true);
    expect(d.bytes[511]).toBe(pattern(2048)[511]);
    expect(d.bytes[1024]).toBe(pattern(2048)[1024]);
    d.discard(0, 2048);
    expect([...d.bytes.subarray(0, 512)]).toEqual([...pattern(2048).subarray(0, 512)]);
    d.flush();
    d.flush();
    expect(d.flushes).toBe(2);
  });

  it('refuses ranges outside the disk and changes nothing', () => {
    const d = new MemoryBackend(pattern(1024));
    expect(throwsBlockIo(() => d.write(1020, new Uint8Array(8)))).toBe(true);
    expect(throwsBlockIo(() => d.read(-1, new Uint8Array(1)))).toBe(true);
    expect(throwsBlockIo(() => d.writeZeroes(0, 1025))).toBe(true);
    expect(throwsBlockIo(() => d.discard(1.5, 1))).toBe(true);
    expect(throwsBlockIo(() => d.read(2 ** 60, new Uint8Array(1)))).toBe(true);
    expect([...d.bytes]).toEqual([...pattern(1024)]);
  });

  it('a read-only disk refuses writes, write-zeroes and discard but flushes', () => {
    const d = new MemoryBackend(pattern(1024), { readOnly: true });
    expect(throwsBlockIo(() => d.write(0, new Uint8Array(1)))).toBe(true);
    expect(throwsBlockIo(() => d.writeZeroes(0, 1))).toBe(true);
    expect(throwsBlockIo(() => d.discard(0, 1))).toBe(true);
    d.flush();
    expect([...d.bytes]).toEqual([...pattern(1024)]);
  });
});
