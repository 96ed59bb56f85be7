/**
 * godwit's integer-workload MIPS in a process of its own, as the suite measures v86 (each v86 job
 * runs in a fresh child): bundled next to the suite by scripts/bench.mjs as godwit-mips-child.mjs.
 *
 *   node godwit-mips-child.mjs '{"modes":["on","split","off"],"rounds":N,"blockCache":BOOL}'
 *
 * One warm-up run per setting, then one timed run of each (guestMips); the result is the last line,
 * `RESULT {"on": MipsResult, ...}`.
 */
import { writeSync } from 'node:fs';
import type { KernelIrqchip } from '../../machine/machine-config.ts';
import { guestMips, type MipsResult } from './cpu.ts';

export interface MipsJob {
  modes: KernelIrqchip[];
  rounds: number;
  blockCache: boolean;
}

function main(): void {
  const job = JSON.parse(process.argv[2] ?? '{}') as MipsJob;
  const runs = guestMips('bench', job.modes, job.rounds, 1, true, () => {}, job.blockCache);
  const result: Partial<Record<KernelIrqchip, MipsResult>> = Object.fromEntries(runs);
  writeSync(1, `RESULT ${JSON.stringify(result)}\n`);
}

try {
  main();
} catch (e) {
  process.stderr.write(`godwit-mips-child: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
}
