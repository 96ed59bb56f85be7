/**
 * The disk benchmark guest's phase lines (test/guests/src/diskbench.c) and their host timing:
 *
 *   phase randread begin depth=16 size=4096
 *   phase randread end ops=64 bytes=262144 tsc=123456 blank=0
 *
 * A phase's host time is the wall time between its two lines as they leave the emulator (godwit:
 * the machine's serial output callback, which runs inside the OUT instruction; QEMU: the lines as
 * its standard output delivers them). Its virtual time is the guest's own TSC difference, which
 * godwit's TSC counts in virtual ns (deterministic: it follows from the latency model).
 */

export interface DiskPhase {
  name: string;
  /** Requests in flight at most, and bytes per request. */
  depth: number;
  size: number;
  ops: number;
  bytes: number;
  /** TSC ticks from the begin line to the end line (virtual ns under godwit). */
  virtualNs: number;
  /** Sectors read that were all zero (never written on a sparse image). */
  blank: number;
  /** Host ms between the two lines, when they were timed. */
  hostMs: number | null;
}

/** A line of output with the host time it was complete at (ms, performance.now()). */
export interface TimedLine {
  text: string;
  ms: number;
}

const BEGIN = /^phase (\w+) begin depth=(\d+) size=(\d+)$/;
const END = /^phase (\w+) end ops=(\d+) bytes=(\d+) tsc=(\d+) blank=(\d+)$/;

/** The phases of a run from its timed lines; a begin line without its end line is left out. */
export function phasesOf(lines: readonly TimedLine[]): DiskPhase[] {
  const out: DiskPhase[] = [];
  let open: { name: string; depth: number; size: number; ms: number } | null = null;
  for (const line of lines) {
    const b = BEGIN.exec(line.text);
    if (b !== null) {
      open = { name: b[1]!, depth: Number(b[2]), size: Number(b[3]), ms: line.ms };
      continue;
    }
    const e = END.exec(line.text);
    if (e === null || open === null || e[1] !== open.name) continue;
    out.push({
      name: open.name,
      depth: open.depth,
      size: open.size,
      ops: Number(e[2]),
      bytes: Number(e[3]),
      virtualNs: Number(e[4]),
      blank: Number(e[5]),
      hostMs: Number.isNaN(line.ms) || Number.isNaN(open.ms) ? null : line.ms - open.ms,
    });
    open = null;
  }
  return out;
}

/** The phases of untimed output (hostMs null). */
export function parsePhaseLines(serial: string): DiskPhase[] {
  return phasesOf(serial.split('\n').map((text) => ({ text: text.replace(/\r$/, ''), ms: NaN })));
}

/**
 * Collects output bytes into lines, each stamped with the host time its newline arrived: give
 * `byte` as the machine's serialOut, or `chunk` for a child process's output.
 */
export class LineClock {
  readonly lines: TimedLine[] = [];
  private pending = '';

  byte(b: number): void {
    if (b === 10) this.endLine(performance.now());
    else if (this.pending.length < 4096) this.pending += String.fromCharCode(b);
  }

  chunk(text: string, ms = performance.now()): void {
    let at = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', at)) {
      this.pending += text.slice(at, nl);
      this.endLine(ms);
      at = nl + 1;
    }
    this.pending += text.slice(at);
  }

  /** Everything so far, as text. */
  text(): string {
    return this.lines.map((l) => `${l.text}\n`).join('') + this.pending;
  }

  private endLine(ms: number): void {
    this.lines.push({ text: this.pending.replace(/\r$/, ''), ms });
    this.pending = '';
  }
}
