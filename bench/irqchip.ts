/**
 * The interrupt-heavy guest (test/guests/bin/irqbench.elf: APIC timer, self-IPIs, ping-pong IPIs
 * between two CPUs) under each kernel-irqchip setting: MIPS, and how often the vCPU loop is left.
 * With the LAPIC in the kernel (on, split) an interrupt is injected inside the vCPU loop; with the
 * userspace APIC (off) every injection leaves it first, as with QEMU's userspace irqchip.
 *
 *   npm run bench -- irqchip [--rounds N] [--runs N] [--smp N] [--json PATH]
 *
 * Runs alternate between the settings so that machine noise falls on all of them alike. Every run
 * must retire the same instructions and print the same output.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Machine } from '../machine/machine.ts';
import { defaultMachineConfig } from '../machine/machine-config.ts';
import type { KernelIrqchip } from '../machine/machine-config.ts';

const MODES: KernelIrqchip[] = ['on', 'split', 'off'];
const USAGE = 'usage: irqchip [--rounds N] [--runs N] [--smp N] [--json PATH]';

interface Options {
  rounds: number;
  runs: number;
  smp: number;
  json: string | null;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { rounds: 5000, runs: 3, smp: 2, json: null };
  for (let i = 0; i < argv.length; i += 2) {
    const arg = argv[i]!;
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
    const n = Number(value);
    if (arg === '--json') o.json = value;
    else if (!Number.isInteger(n) || n < 1) throw new Error(`${arg}: not a count: ${value}`);
    else if (arg === '--rounds') o.rounds = n;
    else if (arg === '--runs') o.runs = n;
    else if (arg === '--smp') o.smp = n;
    else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  return o;
}

interface Run {
  instructions: number;
  ms: number;
  exits: number;
  serial: string;
}

function runOnce(kernel: Uint8Array, mode: KernelIrqchip, o: Options): Run {
  const bytes: number[] = [];
  const config = defaultMachineConfig({
    kernel: { name: 'irqbench.elf', data: kernel },
    append: `rounds=${o.rounds}`,
    smp: o.smp,
    kernelIrqchip: mode,
  });
  const machine = new Machine(config, { serialOut: (b) => bytes.push(b), log: () => {} });
  let exits = 0;
  for (const cpu of machine.board.cpus) {
    const run = cpu.run.bind(cpu);
    cpu.run = (budget: number) => {
      exits++;
      run(budget);
    };
  }
  const t0 = performance.now();
  const result = machine.run({});
  const ms = performance.now() - t0;
  const serial = Buffer.from(bytes).toString('latin1');
  if (result.reason !== 'debug-exit' || result.exitStatus !== 1) throw new Error(`irqbench did not exit cleanly: ${result.message}\n${serial}`);
  return { instructions: machine.stats().retiredInstructions, ms, exits, serial };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function main(argv: readonly string[]): void {
  const o = parseArgs(argv);
  const kernel = new Uint8Array(readFileSync('test/guests/bin/irqbench.elf'));
  for (const mode of MODES) runOnce(kernel, mode, { ...o, rounds: Math.min(o.rounds, 200) }); // warm-up
  const runs = new Map<KernelIrqchip, Run[]>(MODES.map((m) => [m, []]));
  let reference: Run | null = null;
  for (let i = 0; i < o.runs; i++) {
    for (const mode of MODES) {
      const r = runOnce(kernel, mode, o);
      if (reference === null) reference = r;
      else if (r.instructions !== reference.instructions || r.serial !== reference.serial) {
        throw new Error(`kernel-irqchip=${mode} differs from the first run (${r.instructions} vs ${reference.instructions} instructions)`);
      }
      runs.get(mode)!.push(r);
    }
  }
  const insns = reference!.instructions;
  const rows: [string, string, string][] = [
    ['guest instructions (every setting)', String(insns), 'insns'],
    ['rounds / CPUs / timed runs per setting', `${o.rounds} / ${o.smp} / ${o.runs}`, ''],
  ];
  const doc: Record<string, unknown> = { benchmark: 'irqchip', rounds: o.rounds, smp: o.smp, runs: o.runs, instructions: insns, modes: {} };
  for (const mode of MODES) {
    const rs = runs.get(mode)!;
    const mips = rs.map((r) => insns / r.ms / 1000);
    const exits = rs[0]!.exits;
    rows.push([`kernel-irqchip=${mode}: MIPS (median)`, median(mips).toFixed(2), 'M insns/s']);
    rows.push([`kernel-irqchip=${mode}: MIPS (min..max)`, `${Math.min(...mips).toFixed(2)}..${Math.max(...mips).toFixed(2)}`, 'M insns/s']);
    rows.push([`kernel-irqchip=${mode}: vCPU loop exits`, String(exits), 'exits']);
    rows.push([`kernel-irqchip=${mode}: instructions per exit`, (insns / exits).toFixed(0), 'insns']);
    (doc['modes'] as Record<string, unknown>)[mode] = { wallMs: rs.map((r) => r.ms), mipsMedian: median(mips), exits };
  }
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(5, ...rows.map((r) => r[1].length));
  console.log(`${'figure'.padEnd(w0)}  ${'value'.padStart(w1)}  unit`);
  for (const [f, v, u] of rows) console.log(`${f.padEnd(w0)}  ${v.padStart(w1)}  ${u}`.trimEnd());
  console.log(`(guest: ${reference!.serial.trim().split('\n').slice(-4, -1).join(' | ')}; node ${process.version})`);
  if (o.json !== null) writeFileSync(o.json, `${JSON.stringify(doc, null, 2)}\n`);
}

try {
  main(process.argv.slice(2));
} catch (e) {
  console.error(`irqchip: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
