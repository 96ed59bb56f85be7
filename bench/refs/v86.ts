/**
 * The v86 reference, from the benchmark's side: each job runs in its own child process
 * (v86-child.mjs, bundled next to the benchmark by scripts/bench.mjs).
 */
import { fileURLToPath } from 'node:url';
import { timeUntilLine, type LineWait } from '../lib/measure.ts';
import { childJob } from '../lib/child-job.ts';

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
  return childJob<T>(`v86 ${String(job['job'])}`, env.child, job, { V86_DIR: env.dir }, timeoutMs);
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
