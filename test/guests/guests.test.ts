/**
 * Every committed guest runs to its isa-debug-exit (status 1, or expected/<name>.status) and prints
 * exactly its expected output (test/guests/expected/<name>.txt: generated natively for the
 * instruction suite, hand-written and checked under QEMU for the others; cpuinfo's is godwit's own
 * CPUID). The interrupt-controller
 * guests run under every kernel-irqchip setting and must retire the same instruction count.
 */
import { describe, expect, it } from 'vitest';
import { expectedOutput, expectedStatus, guestCpus, runGuest } from './run-guest.ts';
import type { KernelIrqchip } from '../../machine/machine-config.ts';

const GUESTS = ['hello', 'insn', 'exceptions', 'paging', 'ring3', 'interrupts', 'realmode', 'tasks', 'cpuinfo', 'dbgtrap', 'reset', 'exitcode', 'fences', 'memfill'];
const IRQCHIP_GUESTS = ['apic', 'ioapic', 'smp', 'irqbench', 'irqwin', 'pitstorm', 'timerslice', 'chipfuzz', 'rflag', 'apicmodes'];
const MODES: KernelIrqchip[] = ['on', 'split', 'off'];

describe('guest programs', () => {
  for (const name of GUESTS) {
    it(`${name} prints its expected output and exits with status ${expectedStatus(name)}`, () => {
      const run = runGuest(name);
      expect(run.serial).toBe(expectedOutput(name));
      expect(run.result.reason).toBe('debug-exit');
      expect(run.result.exitStatus).toBe(expectedStatus(name));
    });
  }
});

describe('interrupt-controller guests under every kernel-irqchip setting', () => {
  for (const name of IRQCHIP_GUESTS) {
    it(`${name} (-smp ${guestCpus(name)}): same output and instruction count on, split and off`, () => {
      const counts = new Set<number>();
      for (const kernelIrqchip of MODES) {
        const run = runGuest(name, { smp: guestCpus(name), kernelIrqchip, ramBytes: 32 << 20 });
        expect(run.serial, kernelIrqchip).toBe(expectedOutput(name));
        expect(run.result.exitStatus, kernelIrqchip).toBe(expectedStatus(name));
        counts.add(run.retired);
      }
      expect(counts.size).toBe(1);
    });
  }
});

describe('determinism', () => {
  it('two runs of the same guest retire the same instructions and leave the same RAM and output', () => {
    const a = runGuest('paging');
    const b = runGuest('paging');
    expect(b.retired).toBe(a.retired);
    expect(b.virtualTimeNs).toBe(a.virtualTimeNs);
    expect(b.ramHash).toBe(a.ramHash);
    expect(b.serialHash).toBe(a.serialHash);
    expect(a.retired).toBeGreaterThan(1000);
  });
});
