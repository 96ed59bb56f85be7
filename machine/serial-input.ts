/**
 * Console input on its way to COM1: bytes from the host (a terminal, a pipe, a socket) wait here
 * until the run is at a boundary and the UART has room in its receive FIFO. The queue is bounded:
 * past its high mark the source is asked to pause (a terminal or socket stops being read, so the
 * kernel's buffers and then the sender hold the rest), below its low mark to resume.
 */

/** Bytes queued before the source is paused. */
export const INPUT_HIGH_MARK = 64 * 1024;
const INPUT_LOW_MARK = 16 * 1024;
/** Most bytes offered to the UART at once (its FIFO holds 16). */
const OFFER_BYTES = 64;

export class SerialInput {
  private chunks: Uint8Array[] = [];
  private head = 0;
  private queued = 0;
  private paused = false;
  private ended = false;
  /** Called with true when the source should stop, false when it may go on. */
  onPressure: (pause: boolean) => void = () => {};

  /** Bytes waiting. */
  get pending(): number {
    return this.queued;
  }

  /** True once the source has ended (EOF) and everything it sent has been taken. */
  get drained(): boolean {
    return this.ended && this.queued === 0;
  }

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes.slice());
    this.queued += bytes.length;
    if (!this.paused && this.queued >= INPUT_HIGH_MARK) {
      this.paused = true;
      this.onPressure(true);
    }
  }

  /** The source ended: no more bytes will come. */
  end(): void {
    this.ended = true;
  }

  /** Drops everything queued (a replay ignores live input). */
  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.queued = 0;
    this.release();
  }

  /**
   * Offers the oldest bytes to `take`, which returns how many it took; returns those bytes (null
   * when none were taken).
   */
  pump(take: (bytes: Uint8Array) => number): Uint8Array | null {
    if (this.queued === 0) return null;
    const offer = new Uint8Array(Math.min(OFFER_BYTES, this.queued));
    let filled = 0;
    for (let i = 0; filled < offer.length; i++) {
      const chunk = this.chunks[i]!;
      const from = i === 0 ? this.head : 0;
      const n = Math.min(chunk.length - from, offer.length - filled);
      offer.set(chunk.subarray(from, from + n), filled);
      filled += n;
    }
    const taken = take(offer);
    if (taken <= 0) return null;
    this.consume(taken);
    this.release();
    return offer.slice(0, taken);
  }

  private consume(n: number): void {
    this.queued -= n;
    let left = n;
    while (left > 0) {
      const chunk = this.chunks[0]!;
      const avail = chunk.length - this.head;
      if (avail > left) {
        this.head += left;
        return;
      }
      left -= avail;
      this.chunks.shift();
      this.head = 0;
    }
  }

  private release(): void {
    if (this.paused && this.queued <= INPUT_LOW_MARK) {
      this.paused = false;
      this.onPressure(false);
    }
  }
}
