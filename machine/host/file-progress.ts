/**
 * A progress bar on stderr for the CLI's large snapshot reads and writes (--save, -incoming): drawn
 * only when stderr is a terminal and the file is large enough to take a while; the line is cleared
 * when the file is done, so that the CLI's own output is unchanged. When stderr is not a terminal
 * nothing is printed.
 */
import type { FileProgress } from '../snapshot-file.ts';

/** Smaller files finish before a bar would be seen. */
export const PROGRESS_MIN_BYTES = 64 << 20;

interface TerminalLike {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

/** A FileProgress drawing `verb PATH [####   ] 45% 120/256 MiB`, or undefined off a terminal. */
export function fileProgress(verb: string, path: string, stream: TerminalLike = process.stderr): FileProgress | undefined {
  if (stream.isTTY !== true) return undefined;
  let shown = -1;
  return (done, total) => {
    if (total < PROGRESS_MIN_BYTES) return;
    const percent = Math.floor((done / total) * 100);
    if (percent === shown) return;
    shown = percent;
    if (done >= total) {
      stream.write('\r\x1b[K');
      return;
    }
    const width = 30;
    const fill = Math.round((percent / 100) * width);
    const mib = (n: number): string => (n / (1 << 20)).toFixed(0);
    const line = `godwit: ${verb} ${path} [${'#'.repeat(fill)}${' '.repeat(width - fill)}] ${percent}% ${mib(done)}/${mib(total)} MiB`;
    stream.write(`\r${line.slice(0, (stream.columns || 100) - 1)}\x1b[K`);
  };
}
