/**
 * CPUID leaf 1 as the guest sees it: EDX.APIC follows IA32_APIC_BASE's global enable (SDM vol. 3,
 * 10.4.3), and no SSE/SSE2 is announced (the fences run regardless: fences.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { Cpu } from '../../src/cpu/cpu.ts';
import { DEFAULT_CPU_MODEL } from '../../src/cpu/cpu-config.ts';
import type { CpuModel } from '../../src/cpu/cpu-config.ts';
import { EAX, EDX } from '../../src/cpu/constants.ts';
import type { MsrHandler } from '../../src/cpu/cpu-state.ts';
import { PhysicalMemory } from '../../src/memory/physical-memory.ts';
import { IoBus } from '../../src/bus/io-bus.ts';

const GDT = 0x500;
const CODE = 0x1000;
const APIC = 1 << 9;

/** CPUID.1:EDX from a CPU whose IA32_APIC_BASE is `base` (held by `msr`, or by the CPU itself). */
function leaf1Edx(model: CpuModel, base: bigint, withHandler: boolean): number {
  const mem = new PhysicalMemory(1 << 20);
  const msr: MsrHandler = { readMsr: (i) => (i === 0x1b ? base : null), writeMsr: () => false };
  const cpu: Cpu = new Cpu({
    mem,
    io: new IoBus(),
    intr: { hasInterrupt: () => false, acknowledge: () => 0 },
    now: () => cpu.retired,
    model,
    ...(withHandler ? { msr } : {}),
  });
  [0, 0, 0x0000ffff, 0x00cf9a00, 0x0000ffff, 0x00cf9200].forEach((v, i) => (mem.i32[(GDT >> 2) + i] = v | 0));
  cpu.reset();
  cpu.enterFlatProtectedMode(GDT, 23, 0x08, 0x10, CODE);
  cpu.apicBase = base;
  mem.u8.set([0x0f, 0xa2, 0xf4], CODE); // cpuid; hlt
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
