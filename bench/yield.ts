/**
 * The cost of yielding to the host's event loop (machine/run-session.ts): guest MIPS on
 * test/guests/bin/bench.elf run straight through Machine.run(), and through a RunSession that stops
 * every QUANTUM instructions, flushes and yields with setImmediate, as the CLI does.
 *
 *   npm run bench -- yield [--rounds N] [--runs N] [--quantum N]
 *
 * Runs alternate (straight, session, straight, ...) after a warm-up of each; the figure is the
 * best CPU time of each kind, and the slowdown of the session in percent (the budget is 3%). Both
 * kinds must retire the same instructions and print the same output.
 */
import { readFileSync } from 'node:fs';
import { Machine } from '../machine/machine.ts';
import { defaultMachineConfig } from '../machine/machine-config.ts';
import { QUANTUM, RunSession } from '../machine/run-session.ts';

function parseArgs(argv: readonly string[]): { rounds: number; runs: number; quantum: number } {
  const o = { rounds: 21, runs: 5, quantum: QUANTUM };
  for (let i = 0; i < argv.length; i += 2) {
    const n = Number(argv[i + 1]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${argv[i]}: not a count: ${argv[i + 1]}`);
    if (argv[i] === '--rounds') o.rounds = n;
    else if (argv[i] === '--runs') o.runs = n;
    else if (argv[i] === '--quantum') o.quantum = n;
    else throw new Error(`unknown option ${argv[i]} (usage: yield [--rounds N] [--runs N] [--quantum N])`);
  }
  return o;
}

interface Figures {
  insns: number;
  cpuMs: number;
  serial: string;
}

const kernel = new Uint8Array(readFileSync('test/guests/bin/bench.elf'));

function machine(rounds: number, out: number[]): Machine {
  const config = defaultMachineConfig({ kernel: { name: 'bench.elf', data: kernel }, append: `rounds=${rounds}` });
  return new Machine(config, { serialOut: (b) => out.push(b), log: () => {} });
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function straight(rounds: number): Figures {
  const out: number[] = [];
  const m = machine(rounds, out);
  const t = cpuMs();
  const r = m.run({});
  const ms = cpuMs() - t;
  if (r.reason !== 'debug-exit') throw new Error(`straight run ended with ${r.reason}`);
  return { insns: m.position().insns, cpuMs: ms, serial: Buffer.from(out).toString('latin1') };
}

async function session(rounds: number, quantum: number): Promise<Figures> {
  const out: number[] = [];
  const m = machine(rounds, out);
  let yields = 0;
  const s = new RunSession(
    m,
    {
      yieldToHost: () => (yields++, new Promise((resolve) => setImmediate(resolve))),
      flush: () => {},
      inputOpen: () => false,
      controlOpen: () => false,
      now: () => performance.now(),
      wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    },
    { quantum },
  );
  const t = cpuMs();
  const r = await s.run();
  const ms = cpuMs() - t;
  if (r.reason !== 'debug-exit') throw new Error(`session ended with ${r.reason}`);
  if (yields === 0) throw new Error('the session never yielded');
  return { insns: m.position().insns, cpuMs: ms, serial: Buffer.from(out).toString('latin1') };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  straight(3);
  await session(3, o.quantum);
  let bestStraight = Infinity;
  let bestSession = Infinity;
  let reference: Figures | null = null;
  for (let i = 0; i < o.runs; i++) {
    for (const f of [straight(o.rounds), await session(o.rounds, o.quantum)]) {
      reference ??= f;
      if (f.insns !== reference.insns || f.serial !== reference.serial) throw new Error('a run behaved differently: nothing to compare');
    }
    const a = straight(o.rounds);
    const b = await session(o.rounds, o.quantum);
    bestStraight = Math.min(bestStraight, a.cpuMs);
    bestSession = Math.min(bestSession, b.cpuMs);
  }
  const insns = reference!.insns;
  const mips = (ms: number) => (insns / ms / 1000).toFixed(1);
  console.log(`instructions            ${insns}`);
  console.log(`slice (instructions)    ${o.quantum}`);
  console.log(`straight MIPS           ${mips(bestStraight)}`);
  console.log(`session MIPS            ${mips(bestSession)}`);
  console.log(`yield cost              ${(((bestSession - bestStraight) / bestStraight) * 100).toFixed(2)} %`);
}

await main();
