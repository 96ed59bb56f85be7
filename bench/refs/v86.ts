/**
 * The v86 reference, from the benchmark's side: each job runs in its own child process
 * (v86-child.mjs, bundled next to the benchmark by scripts/bench.mjs).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { timeUntilLine, type LineWait } from '../lib/measure.ts';

export interface V86Env {
  /** The package directory. */
  dir: string;
  /** The bundled child script. */
  child: string;
}

export function v86ChildScript(): string {
  return fileURLToPath(new URL('./v86-child.mjs', import.meta.url));
}

/** Runs one job; resolves with its RESULT. */
export function v86Job<T>(env: V86Env, job: Record<string, unknown>, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [env.child, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, V86_DIR: env.dir } });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`v86 ${String(job['job'])}: no result within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (c: string) => (out = (out + c).slice(-(1 << 20))));
    child.stderr.setEncoding('latin1');
    child.stderr.on('data', (c: string) => (err = (err + c).slice(-4096)));
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (line === undefined) reject(new Error(`v86 ${String(job['job'])} failed (exit ${code}): ${err.trim().split('\n').pop() ?? ''}`));
      else resolve(JSON.parse(line.slice(7)) as T);
    });
  });
}

/** Spawns a boot job and times it until `match` sees its line on the serial port. */
export function v86BootUntil(env: V86Env, job: Record<string, unknown>, match: (line: string) => boolean, timeoutMs: number): Promise<LineWait> {
  process.env['V86_DIR'] = env.dir;
  return timeUntilLine(process.execPath, [env.child, JSON.stringify(job)], match, timeoutMs);
}

export interface V86Snapshot {
  saveMs: number[];
  saveStateMs: number[];
  loadMs: number[];
  restoreStateMs: number[];
  bytes: number;
  beaconAfterRestore: boolean;
}
