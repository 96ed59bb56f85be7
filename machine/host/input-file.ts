/**
 * Reading input files on Node (-kernel, -initrd, snapshots) as hostile input: only regular files, and
 * never more than a limit the caller gives, checked before anything is read or allocated. A FIFO is
 * opened without blocking and refused, so `-kernel /dev/zero` or a pipe with no writer fails at once
 * with one line instead of hanging with memory growing.
 */
import * as fs from 'node:fs';

/** Largest piece one read or write system call is given (Node refuses more than 2 GiB - 1 at once). */
export const IO_CHUNK = 1 << 30;

/** An input that is not a regular file: `code` ENOTREG, `kind` says what it is. */
export class NotRegularFileError extends Error {
  override readonly name = 'NotRegularFileError' as const;
  readonly code = 'ENOTREG';
  readonly kind: string;
  /** For messages: `not a regular file (a FIFO)`. */
  readonly reason: string;
  constructor(path: string, kind: string) {
    super(`'${path}' is not a regular file (${kind})`);
    this.kind = kind;
    this.reason = `not a regular file (${kind})`;
  }
}

/** An output target that must not be replaced: a read-only file (`code` EACCES). */
export class ReadOnlyTargetError extends Error {
  override readonly name = 'ReadOnlyTargetError' as const;
  readonly code = 'EACCES';
  readonly reason: string;
  constructor(path: string, mode: number) {
    super(`'${path}' is read-only`);
    this.reason = `a read-only file (mode ${(mode & 0o777).toString(8).padStart(4, '0')})`;
  }
}

/** An input larger than the caller allows: `code` EFBIG, `size` its size in bytes. */
export class InputTooLargeError extends Error {
  override readonly name = 'InputTooLargeError' as const;
  readonly code = 'EFBIG';
  readonly size: number;
  readonly limit: number;
  constructor(path: string, size: number, limit: number) {
    super(`'${path}' is ${size} bytes, more than ${limit}`);
    this.size = size;
    this.limit = limit;
  }
}

/** What a stat says a non-regular file is, for messages. */
export function fileKind(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** Opens a regular file for reading without blocking on a FIFO; returns the fd and its size. */
export function openRegularFile(path: string): { fd: number; size: number } {
  const fd = fs.openSync(path, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new NotRegularFileError(path, fileKind(st));
    return { fd, size: st.size };
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

/** Reads into `into` from `position` until it is full or the file ends; returns the bytes read. */
export function readFully(fd: number, into: Uint8Array, position: number): number {
  let done = 0;
  while (done < into.length) {
    const n = fs.readSync(fd, into, done, Math.min(into.length - done, IO_CHUNK), position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/**
 * The whole contents of a regular file of at most `maxBytes` bytes. Errors: the fs error (with its
 * `code`), NotRegularFileError, InputTooLargeError; a file that shrinks while being read is EIO.
 */
export function readInputFile(path: string, maxBytes: number): Uint8Array {
  const { fd, size } = openRegularFile(path);
  try {
    if (size > maxBytes) throw new InputTooLargeError(path, size, maxBytes);
    const out = new Uint8Array(size);
    const got = readFully(fd, out, 0);
    if (got !== size) throw Object.assign(new Error(`'${path}' shrank while being read`), { code: 'EIO' });
    return out;
  } finally {
    fs.closeSync(fd);
  }
}
