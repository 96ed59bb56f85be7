/**
 * What every section of the benchmark suite shares: options, the scratch directory, the references'
 * tools (or why each is missing), the progress bar and the figures collected so far.
 */
import type { Figure } from '../lib/figures.ts';
import type { Found } from '../lib/tools.ts';
import type { Progress } from '../lib/progress.ts';
import type { V86Env } from '../refs/v86.ts';
import { reason } from '../lib/measure.ts';

export interface SuiteOptions {
  quick: boolean;
  /** Timed runs per measurement (after a warm-up). */
  runs: number;
  /** RAM sizes (MiB) of the snapshot figures. */
  sizes: number[];
}

export interface Suite {
  options: SuiteOptions;
  dir: string;
  qemu: Found<string>;
  v86: Found<V86Env>;
  /** Whether the CLI takes -drive (virtio-blk): the disk figures need it. */
  drive: boolean;
  figures: Figure[];
  progress: Progress;
  log(line: string): void;
}

export type Attempt<T> = { ok: true; value: T } | { ok: false; why: string };

/** Runs a measurement; a failure becomes the reason its cells are empty. */
export async function attempt<T>(f: () => T | Promise<T>): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await f() };
  } catch (e) {
    return { ok: false, why: reason(e) };
  }
}

/** A reference value from an attempt, recording why it is missing. */
export function refValue<T>(refs: Record<string, number | null>, missing: Record<string, string>, name: string, a: Attempt<T>, pick: (v: T) => number): void {
  if (a.ok) refs[name] = pick(a.value);
  else {
    refs[name] = null;
    missing[name] = a.why;
  }
}

/** `a` unless a tool is missing, in which case its reason. */
export function needs<T>(tool: Found<unknown>, f: () => T | Promise<T>): Promise<Attempt<T>> {
  if (!tool.ok) return Promise.resolve({ ok: false, why: tool.why });
  return attempt(f);
}
