/**
 * The CLI's window on the host, for Node: files, stdout, stderr, environment. Tests give the CLI a
 * fake one instead.
 */
import * as fs from 'node:fs';
import * as tty from 'node:tty';
import type { ByteOutput } from './byte-output.ts';
import { IO_CHUNK, readInputFile } from './input-file.ts';
import type { BlockBackend } from '../../src/block/block-backend.ts';
import type { DriveSpec } from '../drive.ts';
import { openDriveFile } from './drives.ts';

export interface CliIo {
  /**
   * Whole file contents, at most `maxBytes` (no limit when absent); throws the fs error (with its
   * `code`) on failure, and refuses what is not a regular file (host/input-file.ts).
   */
  readFile(path: string, maxBytes?: number): Uint8Array;
  /** Create or truncate a file for output; throws the fs error on failure. */
  openOutput(path: string): ByteOutput;
  /** The process's standard output, as bytes. */
  stdout: ByteOutput;
  stdoutIsTty: boolean;
  /** One or more complete lines for standard error. */
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  /** Open a -drive's image (host/drives.ts); absent: the front end has no disks. */
  openDrive?(drive: DriveSpec): BlockBackend;
}

/** Milliseconds to wait before writing again to a non-blocking descriptor that is full (EAGAIN). */
const EAGAIN_WAIT_MS = 1;
const waitCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes all of `bytes` to `fd` with synchronous system calls of at most IO_CHUNK bytes. A
 * non-blocking descriptor (a pipe someone set O_NONBLOCK on) that is full is waited for; any other
 * error is thrown as the fs error, with its `code`.
 */
export function writeAllSync(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    try {
      done += fs.writeSync(fd, bytes, done, Math.min(bytes.length - done, IO_CHUNK));
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'EAGAIN') throw e;
      Atomics.wait(waitCell, 0, 0, EAGAIN_WAIT_MS);
    }
  }
}

/** A file written with synchronous writes, so that nothing is lost when the process exits. */
export function openFileOutput(path: string): ByteOutput {
  const fd = fs.openSync(path, 'w');
  let open = true;
  return {
    write(bytes) {
      writeAllSync(fd, bytes);
    },
    close() {
      if (open) fs.closeSync(fd);
      open = false;
    },
  };
}

/**
 * Standard output, written with synchronous system calls on descriptor 1 (never through
 * process.stdout, whose errors arrive later as events): bytes reach the file, pipe or terminal before
 * write returns, and an error (ENOSPC on a full disk, EIO) is thrown then, with its `code`. When the
 * reader goes away (`godwit ... | head`), further output is dropped instead of failing with EPIPE.
 */
export function stdoutOutput(): ByteOutput {
  let broken = false;
  return {
    write(bytes) {
      if (broken) return;
      try {
        writeAllSync(1, bytes);
      } catch (e) {
        if ((e as { code?: unknown }).code !== 'EPIPE') throw e;
        broken = true;
      }
    },
    close() {},
  };
}

export function nodeIo(): CliIo {
  return {
    readFile: (path, maxBytes = Number.MAX_SAFE_INTEGER) => readInputFile(path, maxBytes),
    openOutput: openFileOutput,
    stdout: stdoutOutput(),
    stdoutIsTty: tty.isatty(1),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    openDrive: openDriveFile,
  };
}
