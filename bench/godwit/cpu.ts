/**
 * godwit's guest MIPS, in-process through Machine (only Machine.run() is timed, not building the
 * machine): the integer workload (bench.elf), the interrupt-heavy SMP guest (irqbench.elf) and the
 * Linux guest's whole run (boot, /init's checks and workload, power-off), each under a given
 * kernel-irqchip setting. Every run must end at the guest's isa-debug-exit with status 1 and retire
 * the same instructions as the first run of the same guest: a benchmark that changed behaviour
 * would measure nothing.
 */
import { readFileSync } from 'node:fs';
import { Machine } from '../../machine/machine.ts';
import { defaultMachineConfig, type KernelIrqchip, type MachineConfig } from '../../machine/machine-config.ts';
import { median } from '../lib/measure.ts';
import { setBlockCacheEnabled } from '../../src/cpu/block-cache.ts';

export const BENCH_ELF = 'test/guests/bin/bench.elf';
export const IRQBENCH_ELF = 'test/guests/bin/irqbench.elf';
export const LINUX_DIR = 'test/guests/linux';
/** The Linux command line every system boots (linux.test.ts's: no calibration loops). */
export const LINUX_APPEND = 'console=ttyS0 lpj=10000000 no_timer_check';
/** The init's first line: the boot figures time every system to it. */
export const LINUX_INIT_LINE = 'init: godwit Linux guest init';

export interface GuestRun {
  instructions: number;
  ms: number;
  serial: string;
}

function runToExit(config: MachineConfig, maxInsns: number): GuestRun {
  const bytes: number[] = [];
  const m = new Machine(config, { serialOut: (b) => void (bytes.length < 1 << 20 && bytes.push(b)), log() {} });
  const t0 = performance.now();
  const r = m.run({ maxInsns });
  const ms = performance.now() - t0;
  const serial = Buffer.from(bytes).toString('latin1');
  if (r.reason !== 'debug-exit' || r.exitStatus !== 1) throw new Error(`${config.kernel?.name}: did not exit cleanly: ${r.message}`);
  return { instructions: m.retired, ms, serial };
}

export type GuestName = 'bench' | 'irqbench' | 'linux';

/**
 * Instructions from reset until the Linux guest's console holds `line` (a complete line), found by
 * running in steps of `step` instructions: the figure is exact to within one step.
 */
export function linuxInstructionsToLine(kernelIrqchip: KernelIrqchip, line: string, step = 10_000): number {
  const bytes: number[] = [];
  const m = new Machine(guestConfig('linux', kernelIrqchip, 0), { serialOut: (b) => void bytes.push(b), log() {} });
  const wanted = `${line}\r\n`;
  for (let k = step; ; k += step) {
    const r = m.run({ maxInsns: k });
    if (Buffer.from(bytes).toString('latin1').includes(wanted)) return m.retired;
    if (r.reason !== 'max-insns') throw new Error(`Linux ended before '${line}': ${r.message}`);
  }
}

export function guestConfig(guest: GuestName, kernelIrqchip: KernelIrqchip, rounds: number): MachineConfig {
  if (guest === 'bench') {
    return defaultMachineConfig({ kernel: { name: 'bench.elf', data: new Uint8Array(readFileSync(BENCH_ELF)) }, append: `rounds=${rounds}`, kernelIrqchip });
  }
  if (guest === 'irqbench') {
    return defaultMachineConfig({ kernel: { name: 'irqbench.elf', data: new Uint8Array(readFileSync(IRQBENCH_ELF)) }, append: `rounds=${rounds}`, smp: 2, kernelIrqchip });
  }
  return defaultMachineConfig({
    kernel: { name: 'bzImage', data: new Uint8Array(readFileSync(`${LINUX_DIR}/bzImage`)) },
    initrds: [{ name: 'initramfs.cpio', data: new Uint8Array(readFileSync(`${LINUX_DIR}/initramfs.cpio`)) }],
    append: LINUX_APPEND,
    noReboot: true,
    kernelIrqchip,
  });
}

export interface MipsResult {
  instructions: number;
  /** Median of the runs. */
  mips: number;
  ms: number;
  serial: string;
}

/**
 * MIPS of `guest` under each setting in `modes`: one short warm-up run per setting (unless
 * `warmUp` is false), then `runs` rounds that alternate between the settings, so that noise from
 * other load falls on all of them alike. `blockCache` false interprets every instruction (as
 * GODWIT_BLOCK_CACHE=0 does in the CLI).
 */
export function guestMips(
  guest: GuestName,
  modes: readonly KernelIrqchip[],
  rounds: number,
  runs: number,
  warmUp = true,
  onRun: () => void = () => {},
  blockCache = true,
): Map<KernelIrqchip, MipsResult> {
  setBlockCacheEnabled(blockCache);
  try {
    return mipsRuns(guest, modes, rounds, runs, warmUp, onRun);
  } finally {
    setBlockCacheEnabled(true);
  }
}

function mipsRuns(guest: GuestName, modes: readonly KernelIrqchip[], rounds: number, runs: number, warmUp: boolean, onRun: () => void): Map<KernelIrqchip, MipsResult> {
  const max = 4_000_000_000;
  if (warmUp) for (const mode of modes) runToExit(guestConfig(guest, mode, Math.max(1, Math.min(rounds, 2))), max);
  const all = new Map<KernelIrqchip, GuestRun[]>(modes.map((m) => [m, []]));
  let first: GuestRun | null = null;
  for (let i = 0; i < runs; i++) {
    for (const mode of modes) {
      const r = runToExit(guestConfig(guest, mode, rounds), max);
      first ??= r;
      if (r.instructions !== first.instructions) throw new Error(`${guest}: kernel-irqchip=${mode} retired ${r.instructions} instructions, the first run ${first.instructions}`);
      all.get(mode)!.push(r);
      onRun();
    }
  }
  const out = new Map<KernelIrqchip, MipsResult>();
  for (const [mode, rs] of all) {
    const ms = median(rs.map((r) => r.ms));
    out.set(mode, { instructions: rs[0]!.instructions, mips: median(rs.map((r) => r.instructions / r.ms / 1000)), ms, serial: rs[0]!.serial });
  }
  return out;
}
