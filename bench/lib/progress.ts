/**
 * A progress bar for long work on a terminal: one line on stderr, redrawn in place; when stderr is
 * not a terminal it prints nothing until `done`, which prints one final line. Hand-written: twenty
 * lines do not justify a dependency.
 */
export class Progress {
  private done_ = 0;
  private readonly t0 = performance.now();
  private readonly tty: boolean;
  private readonly label: string;
  private readonly total: number;
  private readonly stream: NodeJS.WriteStream;

  constructor(label: string, total: number, stream: NodeJS.WriteStream = process.stderr) {
    this.label = label;
    this.total = total;
    this.stream = stream;
    this.tty = stream.isTTY === true;
    this.draw('');
  }

  /** One step done; `what` says what runs next. */
  step(what = ''): void {
    this.done_ = Math.min(this.total, this.done_ + 1);
    if (process.env['GODWIT_BENCH_TRACE']) this.stream.write(`${this.label}: ${((performance.now() - this.t0) / 1000).toFixed(1)} s: ${what}\n`);
    this.draw(what);
  }

  private draw(what: string): void {
    if (!this.tty) return;
    const width = 30;
    const fill = this.total === 0 ? width : Math.round((this.done_ / this.total) * width);
    const s = ((performance.now() - this.t0) / 1000).toFixed(0);
    const line = `${this.label} [${'#'.repeat(fill)}${' '.repeat(width - fill)}] ${this.done_}/${this.total} ${s}s ${what}`;
    const cols = this.stream.columns || 100;
    this.stream.write(`\r${line.slice(0, cols - 1).padEnd(Math.min(cols - 1, line.length + 10))}`);
  }

  /** The final line (terminal or not). */
  done(summary = ''): void {
    const s = ((performance.now() - this.t0) / 1000).toFixed(1);
    this.stream.write(`${this.tty ? '\r\x1b[K' : ''}${this.label}: done in ${s} s${summary === '' ? '' : `: ${summary}`}\n`);
  }
}
