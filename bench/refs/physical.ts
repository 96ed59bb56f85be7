/**
 * The physical limit of a save and a load of N bytes on this machine, measured in the same run:
 * copying them in memory (one typed-array copy into a buffer allocated beforehand), writing them
 * through the file system with godwit's sync policy (temporary file in the same directory, fsync,
 * rename, fsync of the directory: machine/snapshot-file.ts), and reading them back into a new buffer
 * (as readSnapshotFile does).
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { median } from '../lib/measure.ts';

const IO_PIECE = 1 << 30;

export interface PhysicalResult {
  copyMs: number;
  writeMs: number;
  readMs: number;
}

function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function writeSynced(dir: string, name: string, data: Uint8Array): void {
  const temp = join(dir, `.${name}.tmp`);
  const fd = fs.openSync(temp, 'w');
  try {
    for (let done = 0; done < data.length; ) done += fs.writeSync(fd, data, done, Math.min(IO_PIECE, data.length - done));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, join(dir, name));
  syncDir(dir);
}

function readAll(file: string): Uint8Array {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const out = new Uint8Array(size);
    for (let done = 0; done < size; ) {
      const n = fs.readSync(fd, out, done, Math.min(IO_PIECE, size - done), done);
      if (n === 0) throw new Error(`${file} shrank`);
      done += n;
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

/** Copy, write and read `bytes` bytes of non-zero data, `runs` times each after a warm-up (unless `warmUp` is false). */
export function physicalLimit(bytes: number, dir: string, runs: number, warmUp = true): PhysicalResult {
  const src = new Uint8Array(bytes);
  const words = new Uint32Array(src.buffer, 0, bytes >>> 2);
  for (let i = 0; i < words.length; i++) words[i] = Math.imul(i + 1, 0x9e3779b9);
  const dst = new Uint8Array(bytes);
  // Touch the destination first: the copy, not the kernel's first-touch page faults, is the limit.
  dst.fill(1);
  const copy: number[] = [];
  const write: number[] = [];
  const read: number[] = [];
  const name = `physical-${bytes}.bin`;
  for (let run = warmUp ? 0 : 1; run <= runs; run++) {
    let t = performance.now();
    dst.set(src);
    if (run > 0) copy.push(performance.now() - t);
    t = performance.now();
    writeSynced(dir, name, src);
    if (run > 0) write.push(performance.now() - t);
    t = performance.now();
    const back = readAll(join(dir, name));
    if (run > 0) read.push(performance.now() - t);
    if (back.length !== bytes) throw new Error('physical: short read');
  }
  fs.rmSync(join(dir, name), { force: true });
  return { copyMs: median(copy), writeMs: median(write), readMs: median(read) };
}
