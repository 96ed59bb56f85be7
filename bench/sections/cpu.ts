/**
 * The CPU figures: guest MIPS on the integer workload (against v86's JIT and interpreter and QEMU's
 * TCG), on the interrupt-heavy guest and on the Linux guest's whole run, under each kernel-irqchip
 * setting; and the Linux boot time to the init's first line (godwit's CLI, QEMU, v86).
 *
 * v86 and QEMU count no instructions: their MIPS is godwit's retired count for the same workload
 * divided by their time for it. v86: from its multiboot loader's entry into the guest to the guest's
 * isa-debug-exit write (bench/refs/v86-child.ts). QEMU: whole runs with rounds=Q minus whole runs
 * with rounds=1 (process start and boot cancel out), into godwit's instruction difference for the
 * same rounds (godwit's count grows by about the same number per round: measured from rounds=R and 1).
 * Q is 20 times R: QEMU is fast enough that R rounds would drown in its start-up noise.
 *
 * godwit runs the integer workload in a fresh child process per run, as v86 does (bench/godwit/
 * mips-child.ts), with the same in the suite's own long-lived process as a reference.
 * godwit with its block cache off (every instruction interpreted, GODWIT_BLOCK_CACHE=0) is a
 * reference too, on the integer workload and the Linux boot; and on the Linux boot, godwit as it was
 * before the CPU work (bench/lib/godwit-before.ts): issue 14 asks the boot to be 1.5 times as fast
 * as it was then, measured in the same run.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KernelIrqchip } from '../../machine/machine-config.ts';
import type { Figure, Goal } from '../lib/figures.ts';
import { BENCH_ELF, guestMips, linuxInstructionsToLine, LINUX_APPEND, LINUX_DIR, LINUX_INIT_LINE, type MipsResult } from '../godwit/cpu.ts';
import { binUntilLine, godwitUntilLine } from '../godwit/cli.ts';
import { BEFORE_CPU_WORK, ensureGodwitBefore } from '../lib/godwit-before.ts';
import { median } from '../lib/measure.ts';
import { childJob } from '../lib/child-job.ts';
import type { MipsJob } from '../godwit/mips-child.ts';
import { qemuArgs, qemuBenchRuns, qemuUntilLine } from '../refs/qemu.ts';
import { v86BootUntil, v86Job } from '../refs/v86.ts';
import { attempt, needs, refValue, type Attempt, type Suite } from './context.ts';

const GROUP = 'CPU';
/** The reference name of godwit interpreting every instruction. */
const BLOCK_CACHE_OFF = 'godwit, block cache off';
/** The environment that turns the CLI's block cache off. */
const NO_BLOCK_CACHE = { GODWIT_BLOCK_CACHE: '0' };
/** The reference name of godwit before issue 14's CPU work. */
const BEFORE = `godwit ${BEFORE_CPU_WORK} (before the CPU work)`;
const MODES: KernelIrqchip[] = ['on', 'split', 'off'];
/** The reference name of godwit measured in the suite's own process. */
const IN_PROCESS = "godwit in the suite's process";

/** godwit's integer workload in a fresh child process (bench/godwit/mips-child.ts). */
async function godwitMipsChild(modes: KernelIrqchip[], rounds: number, blockCache: boolean): Promise<Map<KernelIrqchip, MipsResult>> {
  const script = fileURLToPath(new URL('./godwit-mips-child.mjs', import.meta.url));
  const job: MipsJob = { modes, rounds, blockCache };
  const r = await childJob<Partial<Record<KernelIrqchip, MipsResult>>>('godwit integer workload', script, { ...job }, {}, 600_000);
  return new Map(modes.map((m) => [m, r[m]!]));
}

function lastLine(serial: string): string {
  return serial.trimEnd().split('\n').pop()?.trim() ?? '';
}

/** v86's MIPS for one run of the workload, checked to print what godwit printed. */
async function v86Mips(s: Suite, rounds: number, jit: boolean, godwit: MipsResult): Promise<number> {
  const env = s.v86.ok ? s.v86.value : (null as never);
  const r = await v86Job<{ ms: number; serial: string }>(env, { job: 'mips', kernel: resolve(BENCH_ELF), rounds, jit }, 300_000);
  if (lastLine(r.serial) !== lastLine(godwit.serial)) throw new Error(`v86 printed '${lastLine(r.serial)}', godwit '${lastLine(godwit.serial)}'`);
  return godwit.instructions / r.ms / 1000;
}

/** One value per run of a reference; the first failure ends the series and says why. */
class Series {
  readonly values: number[] = [];
  why: string | null = null;

  constructor(tool: { ok: true } | { ok: false; why: string }) {
    if (!tool.ok) this.why = tool.why;
  }

  async add(f: () => Promise<number>): Promise<void> {
    if (this.why !== null) return;
    const a = await attempt(f);
    if (a.ok) this.values.push(a.value);
    else this.why = a.why;
  }

  result(): Attempt<number> {
    return this.why !== null ? { ok: false, why: this.why } : { ok: true, value: median(this.values) };
  }
}

export async function integerFigures(s: Suite): Promise<void> {
  const rounds = s.options.quick ? 4 : 10;
  const qemuRounds = rounds * 20;
  const runs = s.options.quick ? 1 : 3;
  s.progress.step('integer workload');
  const one = guestMips('bench', ['split'], 1, 1).get('split')!;
  const jitSeries = new Series(s.v86);
  const interpSeries = new Series(s.v86);
  const qemuSeries = new Series(s.qemu);
  const godwitMips = new Map<KernelIrqchip, number[]>(MODES.map((m) => [m, []]));
  const interpretedMips = new Map<KernelIrqchip, number[]>(MODES.map((m) => [m, []]));
  let ref: MipsResult | null = null;
  const inProcessMips = new Map<KernelIrqchip, number[]>(MODES.map((m) => [m, []]));
  // Each round runs godwit under every setting, then every reference once, so that the machine's
  // load changes fall on all of them alike.
  for (let i = 0; i < runs; i++) {
    // godwit in a fresh process, as v86 is measured: nothing else has run there, so no other
    // guest's shapes share V8's feedback for the run loop.
    const g = await godwitMipsChild(MODES, rounds, true);
    for (const mode of MODES) {
      const r = g.get(mode)!;
      if (ref !== null && r.instructions !== ref.instructions) throw new Error(`bench: run ${i + 1} retired ${r.instructions} instructions, the first ${ref.instructions}`);
      godwitMips.get(mode)!.push(r.mips);
    }
    const interpreted = await godwitMipsChild(MODES, rounds, false);
    for (const mode of MODES) {
      const r = interpreted.get(mode)!;
      if (r.instructions !== g.get(mode)!.instructions) throw new Error(`bench: the block cache changed the instruction count (${g.get(mode)!.instructions} with, ${r.instructions} without)`);
      interpretedMips.get(mode)!.push(r.mips);
    }
    // The same in this long-lived process, after the machines of the other figures.
    const here = guestMips('bench', MODES, rounds, 1, i === 0);
    for (const mode of MODES) {
      if (here.get(mode)!.instructions !== g.get(mode)!.instructions) throw new Error('bench: the suite process retired another instruction count');
      inProcessMips.get(mode)!.push(here.get(mode)!.mips);
    }
    ref ??= g.get('split')!;
    const same = ref;
    await jitSeries.add(() => v86Mips(s, rounds, true, same));
    await interpSeries.add(() => v86Mips(s, rounds, false, same));
    await qemuSeries.add(async () => {
      const q = await qemuBenchRuns(resolve(BENCH_ELF), qemuRounds, 1);
      if (q.bigMs <= q.smallMs) throw new Error(`rounds=1 took as long as rounds=${qemuRounds}: too noisy to measure`);
      const perRound = (same.instructions - one.instructions) / (rounds - 1);
      return ((qemuRounds - 1) * perRound) / (q.bigMs - q.smallMs) / 1000;
    });
  }
  const jit = jitSeries.result();
  const interp = interpSeries.result();
  const qemu = qemuSeries.result();
  const instructions = ref!.instructions;
  for (const mode of MODES) {
    const refs: Record<string, number | null> = {};
    const missing: Record<string, string> = {};
    refValue(refs, missing, 'v86 JIT', jit, (v) => v);
    refValue(refs, missing, 'v86 interpreter', interp, (v) => v);
    refValue(refs, missing, 'QEMU TCG', qemu, (v) => v);
    refs[BLOCK_CACHE_OFF] = median(interpretedMips.get(mode)!);
    refs[IN_PROCESS] = median(inProcessMips.get(mode)!);
    const value = median(godwitMips.get(mode)!);
    const interpRef = refs['v86 interpreter'] ?? null;
    const goals: Goal[] = [
      { text: "above v86's interpreter", met: interpRef === null ? null : value > interpRef },
      { text: "at least 1.5x v86's interpreter", met: interpRef === null ? null : value >= 1.5 * interpRef },
    ];
    const note = `v86 and QEMU count no instructions: godwit's count for the same rounds over their time (${rounds} rounds, ${instructions} instructions; QEMU ${qemuRounds} rounds less 1); runs interleaved`;
    s.figures.push({ group: GROUP, name: `integer workload (bench.elf), kernel-irqchip=${mode}`, unit: 'MIPS', better: 'higher', value, references: refs, missing, goals, note });
  }
}

export function irqFigures(s: Suite): void {
  const rounds = s.options.quick ? 500 : 3000;
  const r = guestMips('irqbench', MODES, rounds, s.options.quick ? 1 : 3);
  s.progress.step('interrupt-heavy guest');
  for (const mode of MODES) {
    s.figures.push({
      group: GROUP,
      name: `interrupt-heavy guest (irqbench.elf, 2 CPUs), kernel-irqchip=${mode}`,
      unit: 'MIPS',
      better: 'higher',
      value: r.get(mode)!.mips,
      references: {},
    });
  }
}

function linuxArgs(): string[] {
  return ['-kernel', `${LINUX_DIR}/bzImage`, '-initrd', `${LINUX_DIR}/initramfs.cpio`, '-append', LINUX_APPEND];
}

async function bootTimes(runs: number, boot: () => Promise<{ ms: number }>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push((await boot()).ms);
  return median(times);
}

export async function linuxFigures(s: Suite): Promise<void> {
  const runs = s.options.quick ? 1 : 3;
  s.progress.step('Linux: godwit');
  // Quick: one setting and no warm-up (a Linux run is long enough to warm V8 up by itself).
  const modes: KernelIrqchip[] = s.options.quick ? ['split'] : MODES;
  const all = await attempt(() => guestMips('linux', modes, 0, runs, !s.options.quick));
  for (const mode of modes) {
    const f: Figure = { group: GROUP, name: `Linux guest, whole run, kernel-irqchip=${mode}`, unit: 'MIPS', better: 'higher', value: all.ok ? all.value.get(mode)!.mips : null, references: {} };
    if (!all.ok) f.missing = { godwit: all.why };
    s.figures.push(f);
  }
  const isInit = (l: string): boolean => l === LINUX_INIT_LINE;
  // The CLI from process start to the init's first line, under each setting (quick: one).
  const boots = new Map<KernelIrqchip, Attempt<number>>();
  const interpretedBoots = new Map<KernelIrqchip, Attempt<number>>();
  const beforeBoots = new Map<KernelIrqchip, Attempt<number>>();
  const beforeBin = ensureGodwitBefore(process.cwd(), (line) => s.log(line));
  for (const mode of modes) {
    s.progress.step(`Linux boot: godwit, kernel-irqchip=${mode}`);
    const args = ['-m', '128M', '-machine', `kernel-irqchip=${mode}`, ...linuxArgs(), '-no-reboot', '-serial', 'stdio'];
    // With and without the block cache and the build from before in turn, so that the machine's
    // load falls on all of them alike.
    const withCache: number[] = [];
    const without: number[] = [];
    const before: number[] = [];
    let beforeWhy: string | null = beforeBin.ok ? null : beforeBin.why;
    const done = await attempt(async () => {
      for (let i = 0; i < runs; i++) {
        withCache.push((await godwitUntilLine(args, isInit, 120_000)).ms);
        without.push((await godwitUntilLine(args, isInit, 120_000, NO_BLOCK_CACHE)).ms);
        if (beforeBin.ok && beforeWhy === null) {
          const b = await attempt(async () => (await binUntilLine(beforeBin.value, args, isInit, 120_000)).ms);
          if (b.ok) before.push(b.value);
          else beforeWhy = b.why;
        }
      }
      return runs;
    });
    boots.set(mode, done.ok ? { ok: true, value: median(withCache) } : done);
    interpretedBoots.set(mode, done.ok ? { ok: true, value: median(without) } : done);
    beforeBoots.set(mode, !done.ok ? done : beforeWhy !== null ? { ok: false, why: beforeWhy } : { ok: true, value: median(before) });
  }
  const instructions = await attempt(async () => {
    const counts = new Set(modes.map((mode) => linuxInstructionsToLine(mode, LINUX_INIT_LINE)));
    if (counts.size !== 1) throw new Error(`the settings reach the init's first line after different instruction counts: ${[...counts].join(', ')}`);
    return [...counts][0]!;
  });
  s.progress.step('Linux: QEMU');
  const qemu = await needs(s.qemu, () => bootTimes(runs, () => qemuUntilLine(qemuArgs(128, ['-cpu', '486,+apic,-fpu,+tsc', ...linuxArgs()]), isInit, 120_000)));
  s.progress.step('Linux: v86');
  const env = s.v86.ok ? s.v86.value : (null as never);
  const boot = (jit: boolean): Promise<Attempt<number>> =>
    needs(s.v86, () =>
      bootTimes(runs, () =>
        v86BootUntil(env, { job: 'linux', bzimage: resolve(LINUX_DIR, 'bzImage'), initrd: resolve(LINUX_DIR, 'initramfs.cpio'), cmdline: LINUX_APPEND, jit }, isInit, 300_000),
      ),
    );
  // Quick: the interpreter only (the JIT's compile time makes it the slower of the two at boot).
  const v86Jit: Attempt<number> = s.options.quick ? { ok: false, why: 'left out of --quick' } : await boot(true);
  const v86Interp = await boot(false);
  const refs: Record<string, number | null> = {};
  const missing: Record<string, string> = {};
  refValue(refs, missing, 'QEMU TCG', qemu, (v) => v);
  refValue(refs, missing, 'v86 JIT', v86Jit, (v) => v);
  refValue(refs, missing, 'v86 interpreter', v86Interp, (v) => v);
  const note = instructions.ok ? `${(instructions.value / 1e6).toFixed(2)} million instructions from reset to the line, the same under every setting (within 10,000)` : `instructions: ${instructions.why}`;
  for (const mode of modes) {
    const godwit = boots.get(mode)!;
    const interpreted = interpretedBoots.get(mode)!;
    const modeRefs = { ...refs };
    const modeMissing = { ...missing };
    refValue(modeRefs, modeMissing, BLOCK_CACHE_OFF, interpreted, (v) => v);
    refValue(modeRefs, modeMissing, BEFORE, beforeBoots.get(mode)!, (v) => v);
    const then = modeRefs[BEFORE] ?? null;
    s.figures.push({
      group: GROUP,
      name: `Linux boot to '${LINUX_INIT_LINE}', kernel-irqchip=${mode} (process start, 128 MiB)`,
      unit: 'ms',
      better: 'lower',
      value: godwit.ok ? godwit.value : null,
      references: modeRefs,
      missing: godwit.ok ? modeMissing : { ...modeMissing, godwit: godwit.why },
      goals: [{ text: `1.5x faster than godwit ${BEFORE_CPU_WORK} (before the CPU work)`, met: !godwit.ok || then === null ? null : 1.5 * godwit.value <= then }],
      note,
    });
  }
}
