/**
 * QMP's framing: a stream of JSON values, one after the other, with or without whitespace between
 * them (QEMU's json-streamer). The splitter cuts the text into top-level values by counting braces
 * and brackets outside strings, without parsing; JSON.parse then parses each value alone.
 *
 * Hostile input is bounded: a value longer than maxBytes, or nested deeper than maxDepth, is
 * reported once and skipped up to its end without being kept (its text is never buffered), so a
 * client that sends an endless string costs nothing but the time to read it.
 */

export const MAX_QMP_MESSAGE = 1024 * 1024;
export const MAX_QMP_DEPTH = 64;

export type SplitResult = { kind: 'value'; text: string } | { kind: 'error'; desc: string };

export class JsonSplitter {
  private readonly maxBytes: number;
  private readonly maxDepth: number;
  private buf = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Skipping an oversized or too deep value: nothing is kept until it ends. */
  private skipping = false;
  /** A bare scalar at the top level (a number, true, a stray word) is being read. */
  private inScalar = false;

  constructor(maxBytes = MAX_QMP_MESSAGE, maxDepth = MAX_QMP_DEPTH) {
    this.maxBytes = maxBytes;
    this.maxDepth = maxDepth;
  }

  /** Feeds text; returns the complete values (and errors) found, in order. */
  push(text: string): SplitResult[] {
    const out: SplitResult[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) {
          this.inString = false;
          if (this.depth === 0) start = this.emit(out, text, start, i + 1);
        }
      } else if (c === 0x22) {
        if (this.inScalar) start = this.emit(out, text, start, i);
        this.inString = true;
      } else if (c === 0x7b || c === 0x5b) {
        if (this.inScalar) start = this.emit(out, text, start, i);
        this.depth++;
        if (this.depth > this.maxDepth && !this.skipping) {
          this.skipping = true;
          this.buf = '';
          out.push({ kind: 'error', desc: 'JSON nesting depth limit exceeded' });
        }
      } else if (c === 0x7d || c === 0x5d) {
        if (this.inScalar) start = this.emit(out, text, start, i);
        this.depth--;
        if (this.depth <= 0) {
          // A closing brace with nothing open is a value of its own (QEMU reports it).
          this.depth = 0;
          start = this.emit(out, text, start, i + 1);
        }
      } else if (this.depth === 0) {
        const space = c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
        if (space) {
          if (this.inScalar) start = this.emit(out, text, start, i);
          else start = i + 1;
        } else {
          this.inScalar = true;
        }
      }
      if (!this.skipping && this.buf.length + (i + 1 - start) > this.maxBytes) {
        this.skipping = true;
        this.buf = '';
        out.push({ kind: 'error', desc: 'JSON token size limit exceeded' });
      }
      if (this.skipping) start = i + 1;
    }
    if (!this.skipping && start < text.length) this.buf += text.slice(start);
    return out;
  }

  private emit(out: SplitResult[], text: string, start: number, end: number): number {
    const value = this.buf + text.slice(start, end);
    this.buf = '';
    this.inScalar = false;
    if (this.skipping) {
      this.skipping = false;
      return end;
    }
    if (value.trim() !== '') out.push({ kind: 'value', text: value });
    return end;
  }
}
