/**
 * Measuring helpers for the benchmarks: medians, timing a call, and timing a child process until a
 * line appears on its standard output (boot to the init's line, -incoming to the first beacon).
 */
import { spawn } from 'node:child_process';

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Calls f, pushes its wall time in ms onto `times`, returns its result. */
export function timed<T>(times: number[], f: () => T): T {
  const t0 = performance.now();
  const r = f();
  times.push(performance.now() - t0);
  return r;
}

export async function timedAsync<T>(times: number[], f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const r = await f();
  times.push(performance.now() - t0);
  return r;
}

export interface LineWait {
  /** ms from spawn to the end of the first stdout line that matched. */
  ms: number;
  /** Everything the process wrote to stdout until then. */
  stdout: string;
}

/**
 * Spawns `command args` and resolves with the time from the spawn to the first stdout line that
 * `match` accepts, then kills the process (SIGKILL: its exit is not part of the figure) and waits
 * for it to go. Rejects when the process exits first or after `timeoutMs`, with its last output.
 * `env` adds variables to this process's environment for the child.
 */
export function timeUntilLine(
  command: string,
  args: readonly string[],
  match: (line: string) => boolean,
  timeoutMs: number,
  cwd?: string,
  env: Readonly<Record<string, string>> = {},
): Promise<LineWait> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, ...(cwd === undefined ? {} : { cwd }) });
    let out = '';
    let err = '';
    let pending = '';
    let done = false;
    const finish = (f: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      child.once('close', f);
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`${command}: no matching line within ${timeoutMs} ms\n${tail(out, err)}`))), timeoutMs);
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (chunk: string) => {
      if (done) return;
      const now = performance.now();
      out += chunk;
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).replace(/\r$/, '');
        pending = pending.slice(nl + 1);
        if (match(line)) {
          finish(() => resolve({ ms: now - t0, stdout: out }));
          return;
        }
      }
    });
    child.stderr.setEncoding('latin1');
    child.stderr.on('data', (chunk: string) => {
      err += chunk;
      if (err.length > 16384) err = err.slice(-8192);
    });
    child.on('error', (e) => finish(() => reject(e)));
    child.on('exit', (code, signal) => {
      if (!done) finish(() => reject(new Error(`${command} exited (${code ?? signal}) before the line\n${tail(out, err)}`)));
    });
  });
}

function tail(out: string, err: string): string {
  const last = (s: string): string => s.trimEnd().split('\n').slice(-6).join('\n');
  return `stdout: ${last(out)}\nstderr: ${last(err)}`;
}

/** The error's first line, for a table cell. */
export function reason(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0]!.slice(0, 200);
}
