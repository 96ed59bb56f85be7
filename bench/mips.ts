/**
 * Guest MIPS on the integer workload test/guests/bin/bench.elf (CRC32, sieve, quicksort, a bytecode
 * interpreter, string instructions), run in-process through machine/machine.ts's Machine.
 *
 *   npm run bench -- mips [--rounds N] [--runs N] [--warmup-rounds N] [--kernel PATH] [--json PATH]
 *
 * One warm-up run (so that V8 has compiled the hot paths), then `--runs` timed runs of the same
 * guest with `-append rounds=N`. Only Machine.run() is timed, not building the machine. Every run
 * must end at the guest's isa-debug-exit with status 1 and retire the same instructions and print
 * the same output as the first: a benchmark that changed behaviour would measure nothing useful.
 * Prints a table (figure, value, unit); `--json PATH` also writes the figures for comparisons.
 * GODWIT_BLOCK_CACHE=0 in the environment runs the interpreter alone (src/cpu/block-cache.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Machine } from '../machine/machine.ts';
import { defaultMachineConfig } from '../machine/machine-config.ts';
import { blockCacheEnabled, setBlockCacheEnabled } from '../src/cpu/block-cache.ts';

interface Options {
  rounds: number;
  runs: number;
  warmupRounds: number;
  kernel: string;
  json: string | null;
}

const USAGE = 'usage: mips [--rounds N] [--runs N] [--warmup-rounds N] [--kernel PATH] [--json PATH]';

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { rounds: 21, runs: 5, warmupRounds: 3, kernel: 'test/guests/bin/bench.elf', json: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
    i++;
    const count = (): number => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${arg}: not a count: ${value}`);
      return n;
    };
    if (arg === '--rounds') o.rounds = count();
    else if (arg === '--runs') o.runs = Math.max(1, count());
    else if (arg === '--warmup-rounds') o.warmupRounds = count();
    else if (arg === '--kernel') o.kernel = value;
    else if (arg === '--json') o.json = value;
    else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  return o;
}

interface RunFigures {
  instructions: number;
  /** Wall time of Machine.run(). */
  ms: number;
  /** CPU time of this process during Machine.run() (user + system): less sensitive to other load. */
  cpuMs: number;
  serial: string;
}

function runOnce(kernel: Uint8Array, rounds: number): RunFigures {
  const bytes: number[] = [];
  const config = defaultMachineConfig({ kernel: { name: 'bench.elf', data: kernel }, append: `rounds=${rounds}` });
  const machine = new Machine(config, { serialOut: (b) => bytes.push(b), log: () => {} });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = machine.run({});
  const ms = performance.now() - t0;
  const c1 = process.cpuUsage(c0);
  const cpuMs = (c1.user + c1.system) / 1000;
  const serial = Buffer.from(bytes).toString('latin1');
  if (result.reason !== 'debug-exit' || result.exitStatus !== 1) {
    throw new Error(`bench guest did not exit cleanly: ${result.message}\n${serial}`);
  }
  return { instructions: machine.stats().retiredInstructions, ms, cpuMs, serial };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function main(argv: readonly string[]): void {
  const o = parseArgs(argv);
  if (process.env.GODWIT_BLOCK_CACHE === '0') setBlockCacheEnabled(false);
  const kernel = new Uint8Array(readFileSync(o.kernel));
  if (o.warmupRounds > 0) runOnce(kernel, o.warmupRounds);
  const runs: RunFigures[] = [];
  for (let i = 0; i < o.runs; i++) {
    const r = runOnce(kernel, o.rounds);
    const first = runs[0];
    if (first !== undefined && (r.instructions !== first.instructions || r.serial !== first.serial)) {
      throw new Error(`run ${i + 1} differs from run 1 (${r.instructions} vs ${first.instructions} instructions)`);
    }
    runs.push(r);
  }
  const insns = runs[0]!.instructions;
  const ms = runs.map((r) => r.ms);
  const mips = ms.map((t) => insns / t / 1000);
  const cpuMips = runs.map((r) => insns / r.cpuMs / 1000);
  const rows: [string, string, string][] = [
    ['guest instructions', String(insns), 'insns'],
    ['rounds', String(o.rounds), ''],
    ['timed runs', String(o.runs), ''],
    ['wall time (median)', median(ms).toFixed(1), 'ms'],
    ['wall time (min)', Math.min(...ms).toFixed(1), 'ms'],
    ['wall time (max)', Math.max(...ms).toFixed(1), 'ms'],
    ['MIPS (median)', median(mips).toFixed(2), 'M insns/s'],
    ['MIPS (min)', Math.min(...mips).toFixed(2), 'M insns/s'],
    ['MIPS (max)', Math.max(...mips).toFixed(2), 'M insns/s'],
    ['MIPS per CPU second (median)', median(cpuMips).toFixed(2), 'M insns/CPU-s'],
    ['MIPS per CPU second (max)', Math.max(...cpuMips).toFixed(2), 'M insns/CPU-s'],
  ];
  const w0 = Math.max(6, ...rows.map((r) => r[0].length));
  const w1 = Math.max(5, ...rows.map((r) => r[1].length));
  console.log(`${'figure'.padEnd(w0)}  ${'value'.padStart(w1)}  unit`);
  for (const [f, v, u] of rows) console.log(`${f.padEnd(w0)}  ${v.padStart(w1)}  ${u}`.trimEnd());
  const lastLine = runs[0]!.serial.trimEnd().split('\n').pop() ?? '';
  console.log(`(guest: ${lastLine.trim()}; block cache ${blockCacheEnabled() ? 'on' : 'off'}; node ${process.version})`);
  if (o.json !== null) {
    const doc = {
      benchmark: 'mips',
      kernel: o.kernel,
      rounds: o.rounds,
      runs: o.runs,
      instructions: insns,
      wallMs: ms,
      cpuMs: runs.map((r) => r.cpuMs),
      mips: { median: median(mips), min: Math.min(...mips), max: Math.max(...mips) },
      mipsPerCpuSecond: { median: median(cpuMips), max: Math.max(...cpuMips) },
      guestResult: lastLine.trim(),
      node: process.version,
    };
    writeFileSync(o.json, `${JSON.stringify(doc, null, 2)}\n`);
  }
}

try {
  main(process.argv.slice(2));
} catch (e) {
  console.error(`mips: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
