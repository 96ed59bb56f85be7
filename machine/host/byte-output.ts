/**
 * Where serial output goes on the host. A ByteOutput takes chunks of bytes; a BufferedSerialSink
 * collects the guest's bytes one at a time and hands them over in chunks (and at the end). The CLI
 * hands over each line (flushOnNewline): its outputs write synchronously, so every complete line is
 * in the file or pipe even if the process is killed the next moment.
 */

export interface ByteOutput {
  write(bytes: Uint8Array): void;
  /** Flush and release the output (does not close the process's stdout). */
  close(): void;
}

/** `-serial none`: bytes go nowhere. */
export const NULL_OUTPUT: ByteOutput = { write() {}, close() {} };

export interface SerialSink {
  /** One byte from the guest. */
  put(byte: number): void;
  /** Hand over what is buffered. */
  flush(): void;
  /** Flush and close the output. */
  close(): void;
}

const DEFAULT_CAPACITY = 64 * 1024;

export class BufferedSerialSink implements SerialSink {
  private readonly output: ByteOutput;
  private readonly buffer: Uint8Array;
  private length = 0;
  private readonly flushOnNewline: boolean;

  /** flushOnNewline: hand over each complete line (so that a killed process loses no line). */
  constructor(output: ByteOutput, flushOnNewline = false, capacity = DEFAULT_CAPACITY) {
    this.output = output;
    this.flushOnNewline = flushOnNewline;
    this.buffer = new Uint8Array(capacity);
  }

  put(byte: number): void {
    this.buffer[this.length++] = byte;
    if (this.length === this.buffer.length || (this.flushOnNewline && byte === 0x0a)) this.flush();
  }

  flush(): void {
    if (this.length === 0) return;
    this.output.write(this.buffer.slice(0, this.length));
    this.length = 0;
  }

  close(): void {
    this.flush();
    this.output.close();
  }
}

/** Keeps every byte (for the serial hash of `--stats`) in a buffer that grows by doubling. */
export class ByteRecorder {
  private data = new Uint8Array(4096);
  private length = 0;

  put(byte: number): void {
    if (this.length === this.data.length) {
      const bigger = new Uint8Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = byte;
  }

  get size(): number {
    return this.length;
  }

  bytes(): Uint8Array {
    return this.data.subarray(0, this.length);
  }
}
