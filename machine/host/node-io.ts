/**
 * The CLI's window on the host, for Node: files, stdout, stderr, environment. Tests give the CLI a
 * fake one instead.
 */
import * as fs from 'node:fs';
import type { ByteOutput } from './byte-output.ts';
import { readInputFile } from './input-file.ts';

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
}

/** A file written with synchronous writes, so that nothing is lost when the process exits. */
export function openFileOutput(path: string): ByteOutput {
  const fd = fs.openSync(path, 'w');
  let open = true;
  return {
    write(bytes) {
      let done = 0;
      while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done);
    },
    close() {
      if (open) fs.closeSync(fd);
      open = false;
    },
  };
}

/**
 * process.stdout (synchronous for files, pipes and terminals on Linux). When the reader goes away
 * (`godwit ... | head`), further output is dropped instead of failing with EPIPE.
 */
export function stdoutOutput(): ByteOutput {
  let broken = false;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    broken = true;
  });
  return {
    write(bytes) {
      if (!broken) process.stdout.write(bytes);
    },
    close() {},
  };
}

export function nodeIo(): CliIo {
  return {
    readFile: (path, maxBytes = Number.MAX_SAFE_INTEGER) => readInputFile(path, maxBytes),
    openOutput: openFileOutput,
    stdout: stdoutOutput(),
    stdoutIsTty: process.stdout.isTTY === true,
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
  };
}
