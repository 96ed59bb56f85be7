/**
 * Snapshot files on Node (docs/architecture.md section 7). Writing never destroys the previous file: the bytes go
 * to a temporary file in the same directory, which is fsynced and renamed over the target, and the
 * directory is fsynced so that the rename itself survives a crash. Reading checks the header before
 * reading the rest, so a file that declares more than the limits allow, or whose size disagrees with
 * its header, is refused before anything sized by it is allocated.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HEADER_BYTES } from '../migration/header.ts';
import { readSnapshotHeader, type DecodeOptions } from '../migration/decode.ts';
import { SnapshotError } from '../migration/snapshot-error.ts';
import { IO_CHUNK, NotRegularFileError, ReadOnlyTargetError, fileKind, openRegularFile, readFully } from './host/input-file.ts';

/** Distinguishes temporary files of one process (with the pid, of concurrent writers too). */
let tempCounter = 0;

/** The hook a test uses to make a write fail half-way (after `bytes` bytes). */
export interface WriteFaults {
  failAfterBytes?: number;
}

function writeAll(fd: number, chunk: Uint8Array): void {
  let done = 0;
  while (done < chunk.length) done += fs.writeSync(fd, chunk, done, Math.min(chunk.length - done, IO_CHUNK));
}

/** The temporary files of writes to `base`: `.BASE.tmp-PID-N`. */
function tempPattern(base: string): RegExp {
  return new RegExp(`^\\.${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.tmp-(\\d+)-\\d+$`);
}

/** Whether a process with this id exists (one of another user counts: EPERM). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: unknown }).code === 'EPERM';
  }
}

/**
 * Removes the temporary files that writes to `base` in `dir` left behind when their process died
 * (kill -9 in the middle of a save): those of processes that no longer exist. Best effort.
 */
export function removeStaleTemps(dir: string, base: string): string[] {
  const pattern = tempPattern(base);
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = pattern.exec(name);
    if (m === null) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processExists(pid)) continue;
    try {
      fs.unlinkSync(path.join(dir, name));
      removed.push(name);
    } catch {
      // Gone already, or not ours to remove.
    }
  }
  return removed;
}

/**
 * Where a write to `target` goes, after checking what is there: a new path, or an existing regular
 * file that is not read-only (a symbolic link is followed, so the link stays and its file is
 * replaced). A device node, FIFO, socket or directory is refused (NotRegularFileError), so is a
 * read-only file (ReadOnlyTargetError): renaming over them would replace them with a regular file.
 * Returns the path to rename over and the mode the new file keeps (null for a new path: the umask's).
 */
export function checkWriteTarget(target: string): { file: string; mode: number | null } {
  let file = path.resolve(target);
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return { file, mode: null };
    throw e;
  }
  if (!st.isFile()) throw new NotRegularFileError(target, fileKind(st));
  if ((st.mode & 0o222) === 0) throw new ReadOnlyTargetError(target, st.mode);
  fs.accessSync(file, fs.constants.W_OK);
  file = fs.realpathSync(file);
  return { file, mode: st.mode & 0o7777 };
}

/**
 * Writes `chunks` to `target` atomically: temporary file, fsync, rename, fsync of the directory.
 * Only onto a new path or a writable regular file (checkWriteTarget), whose mode the new file keeps.
 * On any error the temporary file is removed and `target` is left as it was; the error is rethrown.
 * Temporary files of earlier writes whose process died are removed first.
 */
export function writeFileAtomic(target: string, chunks: readonly Uint8Array[], faults: WriteFaults = {}): void {
  const { file, mode } = checkWriteTarget(target);
  const dir = path.dirname(file);
  const base = path.basename(file);
  removeStaleTemps(dir, base);
  const temp = path.join(dir, `.${base}.tmp-${process.pid}-${tempCounter++}`);
  const fd = fs.openSync(temp, 'wx', mode === null ? 0o644 : 0o600);
  let renamed = false;
  try {
    if (mode !== null) fs.fchmodSync(fd, mode);
    let written = 0;
    for (const chunk of chunks) {
      if (faults.failAfterBytes !== undefined && written + chunk.length > faults.failAfterBytes) {
        writeAll(fd, chunk.subarray(0, Math.max(0, faults.failAfterBytes - written)));
        throw Object.assign(new Error('ENOSPC: no space left on device (simulated)'), { code: 'ENOSPC' });
      }
      writeAll(fd, chunk);
      written += chunk.length;
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(temp, file);
    renamed = true;
  } finally {
    if (!renamed) {
      try {
        fs.closeSync(fd);
      } catch {
        // Already closed.
      }
      fs.rmSync(temp, { force: true });
    }
  }
  syncDirectory(dir);
}

/** fsync a directory so that a rename in it is durable (not possible on every platform: ignored). */
function syncDirectory(dir: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Windows cannot open a directory; the rename has happened all the same.
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/**
 * Reads a snapshot file's bytes after checking that it is a regular file (NotRegularFileError), its
 * header (magic, version, checksum, declared sizes against the limits) and that the file is exactly
 * as long as the header says. Container errors are SnapshotErrors; file system errors are rethrown
 * as they are (with their `code`). The result starts
 * at offset 0 of its own ArrayBuffer (aligned, as decodeSnapshot prefers).
 */
export function readSnapshotFile(file: string, options: DecodeOptions = {}): Uint8Array {
  // Only a regular file: a FIFO is refused at once instead of blocking for a writer.
  const { fd, size } = openRegularFile(file);
  try {
    const first = new Uint8Array(Math.min(size, HEADER_BYTES));
    const got = readFully(fd, first, 0);
    const header = readSnapshotHeader(first.subarray(0, got), options);
    if (size < header.totalLength) {
      throw new SnapshotError('truncated', `byte ${size}`, `the file ends at byte ${size}, its header declares ${header.totalLength} bytes`);
    }
    if (size > header.totalLength) {
      throw new SnapshotError('bad-layout', `byte ${header.totalLength}`, `${size - header.totalLength} bytes after the end the header declares`);
    }
    const bytes = new Uint8Array(size);
    const all = readFully(fd, bytes, 0);
    if (all !== size) throw new SnapshotError('truncated', `byte ${all}`, `the file shrank while being read (${all} of ${size} bytes)`);
    return bytes;
  } finally {
    fs.closeSync(fd);
  }
}
