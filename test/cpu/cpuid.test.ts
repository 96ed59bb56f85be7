/**
 * CPUID leaf 1 as the guest sees it: EDX.APIC follows IA32_APIC_BASE's global enable (SDM vol. 3,
 * 10.4.3), and no SSE/SSE2 is announced (the fences run regardless: fences.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CPU_MODEL } from '../../src/cpu/cpu-config.ts';
import type { CpuModel } from '../../src/cpu/cpu-config.ts';
import { EAX, EDX } from '../../src/cpu/constants.ts';
import type { MsrHandler } from '../../src/cpu/cpu-state.ts';
import { flatCpu } from './flat-cpu.ts';

const APIC = 1 << 9;

/** CPUID.1:EDX from a CPU whose IA32_APIC_BASE is `base` (held by an MSR handler, or by the CPU). */
function leaf1Edx(model: CpuModel, base: bigint, withHandler: boolean): number {
  const msr: MsrHandler = { readMsr: (i) => (i === 0x1b ? base : null), writeMsr: () => false };
  const cpu = flatCpu([0x0f, 0xa2, 0xf4], withHandler ? { model, msr } : { model }); // cpuid; hlt
  cpu.apicBase = base;
  cpu.r32[EAX] = 1;
  cpu.run(10);
  expect(cpu.halted).toBe(true);
  return cpu.r32[EDX]!;
}

describe('CPUID leaf 1', () => {
  const withApic: CpuModel = { ...DEFAULT_CPU_MODEL, apic: true };

  it('announces the APIC only while IA32_APIC_BASE has it enabled', () => {
    for (const handler of [true, false]) {
      expect(leaf1Edx(withApic, 0xfee00900n, handler) & APIC).toBe(APIC);
      expect(leaf1Edx(withApic, 0xfee00100n, handler) & APIC).toBe(0);
    }
    expect(leaf1Edx(DEFAULT_CPU_MODEL, 0xfee00900n, false) & APIC).toBe(0); // -cpu -apic
  });

  it('announces neither SSE nor SSE2', () => {
    expect(leaf1Edx(withApic, 0xfee00900n, true) & (3 << 25)).toBe(0);
  });
});
