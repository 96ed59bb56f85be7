/**
 * The Linux guest (test/guests/linux: bzImage, initramfs.cpio, built by scripts/build-linux.sh) boots
 * to its /init, which checks mounts, CPUs, clock source, PCI, sleeping and a workload on every CPU,
 * and powers off through isa-debug-exit with status 1 when all passed. Its deterministic lines
 * ("init: ...") must match test/guests/linux/expected/, and every kernel-irqchip setting must give the
 * same serial output and instruction count.
 *
 * The command line skips two calibration loops that cost guest time but test nothing of ours
 * (`lpj=` for the delay loop of each CPU, `no_timer_check` for the timer IRQ check).
 *
 * With local APICs Linux 6.1 programs the TSC-deadline timer and executes MFENCE right after
 * (__setup_APIC_LVTT): the CPU model implements the fences its CPUID implies (SSE2).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../../machine/machine.ts';
import { defaultCpuConfig, defaultMachineConfig } from '../../../machine/machine-config.ts';
import type { KernelIrqchip, MachineConfig } from '../../../machine/machine-config.ts';
import type { RunResult } from '../../../machine/machine-api.ts';

const DIR = fileURLToPath(new URL('./', import.meta.url));
const APPEND = 'console=ttyS0 lpj=10000000 no_timer_check';
/** Far more than a boot needs (about 40 million instructions with one CPU, 50 million with two). */
const MAX_INSNS = 400_000_000;
const MODES: KernelIrqchip[] = ['on', 'split', 'off'];

interface LinuxRun {
  result: RunResult;
  serial: string;
  retired: number;
}

function bootLinux(overrides: Partial<MachineConfig>): LinuxRun {
  const bytes: number[] = [];
  const config = defaultMachineConfig({
    kernel: { name: 'bzImage', data: new Uint8Array(readFileSync(`${DIR}bzImage`)) },
    initrds: [{ name: 'initramfs.cpio', data: new Uint8Array(readFileSync(`${DIR}initramfs.cpio`)) }],
    append: APPEND,
    noReboot: true,
    ...overrides,
  });
  const machine = new Machine(config, { serialOut: (b) => bytes.push(b), log: () => {} });
  const result = machine.run({ maxInsns: MAX_INSNS });
  return { result, serial: Buffer.from(bytes).toString('latin1'), retired: machine.retired };
}

/** The init's deterministic lines ("init: ..."), each ending in a newline. */
function initLines(serial: string): string {
  return serial
    .split(/\r?\n/)
    .filter((l) => l.startsWith('init: '))
    .map((l) => `${l}\n`)
    .join('');
}

function expected(name: string): string {
  return readFileSync(`${DIR}expected/${name}.txt`, 'utf8');
}

describe('Linux guest', () => {
  it('boots without local APICs (8259 PIC only) to an init that passes every check, kernel-irqchip on and off', () => {
    const noApic = { ...defaultCpuConfig(), features: { ...defaultCpuConfig().features, apic: false } };
    const runs = (['on', 'off'] as const).map((kernelIrqchip) => bootLinux({ cpu: noApic, kernelIrqchip }));
    for (const run of runs) {
      expect(initLines(run.serial)).toBe(expected('pic-1cpu'));
      expect(run.serial).toContain('Run /init as init process');
      expect(run.result.reason).toBe('debug-exit');
      expect(run.result.exitStatus).toBe(1);
    }
    expect(runs[1]!.serial).toBe(runs[0]!.serial);
    expect(runs[1]!.retired).toBe(runs[0]!.retired);
  });

  it('boots on 2 CPUs with local APICs and the IOAPIC: same output and instruction count on, split and off', () => {
    const runs = MODES.map((kernelIrqchip) => bootLinux({ smp: 2, kernelIrqchip }));
    for (const [i, run] of runs.entries()) {
      expect(initLines(run.serial), MODES[i]).toBe(expected('apic-2cpu'));
      expect(run.result.exitStatus, MODES[i]).toBe(1);
      expect(run.serial, MODES[i]).toBe(runs[0]!.serial);
      expect(run.retired, MODES[i]).toBe(runs[0]!.retired);
    }
  });
});
