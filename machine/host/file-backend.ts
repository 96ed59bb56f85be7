/**
 * A raw disk image file as a BlockBackend (Node only): reads and writes with pread/pwrite-style
 * system calls on one file descriptor, flush is fdatasync, discard keeps the bytes (QEMU's default
 * discard=ignore). The size comes from fstat when the file is opened and never changes; only
 * regular files are accepted (a FIFO or a device is refused before anything is read). Host errors
 * during I/O become BlockIoError, which the device reports to the guest as an I/O error.
 */
import * as fs from 'node:fs';
import { type BlockBackend, BlockIoError, checkRange, checkWritable } from '../../src/block/block-backend.ts';
import { fileKind, IO_CHUNK, NotRegularFileError } from './input-file.ts';

const ZERO_CHUNK_BYTES = 1 << 16;

export interface FileBackendOptions {
  readOnly?: boolean;
}

export class FileBackend implements BlockBackend {
  readonly path: string;
  readonly size: number;
  readonly readOnly: boolean;
  private fd: number;

  private constructor(path: string, fd: number, size: number, readOnly: boolean) {
    this.path = path;
    this.fd = fd;
    this.size = size;
    this.readOnly = readOnly;
  }

  /**
   * Opens `path` (read-only, or for reading and writing). Errors: the fs error of the open (with
   * its `code`: ENOENT, EACCES...), NotRegularFileError for anything but a regular file.
   */
  static open(path: string, options: FileBackendOptions = {}): FileBackend {
    const readOnly = options.readOnly === true;
    const flags = (readOnly ? fs.constants.O_RDONLY : fs.constants.O_RDWR) | (fs.constants.O_NONBLOCK ?? 0);
    let fd: number;
    try {
      fd = fs.openSync(path, flags);
    } catch (e) {
      // A directory cannot be opened for writing: say what it is, as for the other kinds.
      if ((e as { code?: unknown }).code === 'EISDIR') throw new NotRegularFileError(path, 'a directory');
      throw e;
    }
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) throw new NotRegularFileError(path, fileKind(st));
      return new FileBackend(path, fd, st.size, readOnly);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  read(offset: number, dest: Uint8Array): void {
    checkRange(this.size, offset, dest.length);
    let done = 0;
    while (done < dest.length) {
      const n = this.io(() => fs.readSync(this.fd, dest, done, Math.min(dest.length - done, IO_CHUNK), offset + done));
      if (n === 0) throw new BlockIoError(`'${this.path}' ended at ${offset + done} (it shrank after it was opened)`);
      done += n;
    }
  }

  write(offset: number, src: Uint8Array): void {
    checkRange(this.size, offset, src.length);
    checkWritable(this);
    this.writeAll(offset, src);
  }

  flush(): void {
    if (this.readOnly) return;
    this.io(() => fs.fdatasyncSync(this.fd));
  }

  discard(offset: number, length: number): void {
    checkRange(this.size, offset, length);
    checkWritable(this);
  }

  writeZeroes(offset: number, length: number): void {
    checkRange(this.size, offset, length);
    checkWritable(this);
    const zeros = new Uint8Array(Math.min(length, ZERO_CHUNK_BYTES));
    for (let done = 0; done < length; done += zeros.length) {
      this.writeAll(offset + done, zeros.subarray(0, Math.min(zeros.length, length - done)));
    }
  }

  /** Close the file; the backend must not be used afterwards. */
  close(): void {
    if (this.fd < 0) return;
    fs.closeSync(this.fd);
    this.fd = -1;
  }

  private writeAll(offset: number, src: Uint8Array): void {
    let done = 0;
    while (done < src.length) {
      const n = this.io(() => fs.writeSync(this.fd, src, done, Math.min(src.length - done, IO_CHUNK), offset + done));
      if (n <= 0) throw new BlockIoError(`'${this.path}': no progress writing at ${offset + done}`);
      done += n;
    }
  }

  private io<T>(call: () => T): T {
    if (this.fd < 0) throw new BlockIoError(`'${this.path}' is closed`);
    try {
      return call();
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      throw new BlockIoError(`'${this.path}': ${typeof code === 'string' ? code : (e as Error).message}`);
    }
  }
}
