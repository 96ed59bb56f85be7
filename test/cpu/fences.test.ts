/**
 * LFENCE, MFENCE and SFENCE (0F AE /5 /6 /7, register forms) execute as no-ops whatever CPUID says,
 * as Linux 6.1's TSC-deadline code needs; the rest of group 15 (memory forms, prefixed forms, LOCK)
 * raises #UD.
 */
import { describe, expect, it } from 'vitest';
import { Cpu } from '../../src/cpu/cpu.ts';
import { DEFAULT_CPU_MODEL } from '../../src/cpu/cpu-config.ts';
import { EAX } from '../../src/cpu/constants.ts';
import { PhysicalMemory } from '../../src/memory/physical-memory.ts';
import { IoBus } from '../../src/bus/io-bus.ts';

const GDT = 0x500;
const IDT = 0x600;
const CODE = 0x1000;
const UD_HANDLER = 0x2000;

/** Flat 32-bit protected mode; #UD goes to a handler that sets EAX to 0x0d0d and halts. */
function makeCpu(code: number[]): Cpu {
  const mem = new PhysicalMemory(1 << 20);
  const cpu: Cpu = new Cpu({
    mem,
    io: new IoBus(),
    intr: { hasInterrupt: () => false, acknowledge: () => 0 },
    now: () => cpu.retired,
    model: DEFAULT_CPU_MODEL,
  });
  const gdt = [0, 0, 0x0000ffff, 0x00cf9a00, 0x0000ffff, 0x00cf9200];
  gdt.forEach((v, i) => (mem.i32[(GDT >> 2) + i] = v | 0));
  cpu.reset();
  cpu.enterFlatProtectedMode(GDT, gdt.length * 4 - 1, 0x08, 0x10, CODE);
  cpu.r32[4] = 0x8000;
  cpu.idtBase = IDT;
  cpu.idtLimit = 0x7ff;
  const i = (IDT >> 2) + 6 * 2;
  mem.i32[i] = (0x08 << 16) | UD_HANDLER;
  mem.i32[i + 1] = 0x8e00;
  mem.u8.set([0xb8, 0x0d, 0x0d, 0, 0, 0xf4], UD_HANDLER); // mov eax, 0xd0d; hlt
  mem.u8.set([...code, 0xb8, 0x0c, 0x0c, 0, 0, 0xf4], CODE); // ...; mov eax, 0xc0c; hlt
  return cpu;
}

function outcome(code: number[]): string {
  const cpu = makeCpu(code);
  for (let n = 0; n < 100 && !cpu.halted; n++) cpu.run(1000);
  const eax = cpu.r32[EAX]!;
  return eax === 0xc0c ? 'ran' : eax === 0xd0d ? '#UD' : `eax=${eax.toString(16)}`;
}

describe('group 15 (0F AE)', () => {
  it('runs LFENCE, MFENCE and SFENCE with any r/m field, though CPUID shows no SSE', () => {
    for (let modrm = 0xe8; modrm <= 0xff; modrm++) expect(outcome([0x0f, 0xae, modrm]), modrm.toString(16)).toBe('ran');
    // Linux 6.1's weak_wrmsr_fence(): mfence; lfence.
    expect(outcome([0x0f, 0xae, 0xf0, 0x0f, 0xae, 0xe8])).toBe('ran');
  });

  it('raises #UD for the memory forms, the other register forms, prefixed forms and LOCK', () => {
    for (let reg = 0; reg < 8; reg++) expect(outcome([0x0f, 0xae, (reg << 3) | 0x05, 0, 0x30, 0, 0]), `/${reg} mem`).toBe('#UD');
    for (let modrm = 0xc0; modrm < 0xe8; modrm++) expect(outcome([0x0f, 0xae, modrm]), modrm.toString(16)).toBe('#UD');
    expect(outcome([0x66, 0x0f, 0xae, 0xf0])).toBe('#UD'); // TPAUSE without WAITPKG
    expect(outcome([0xf3, 0x0f, 0xae, 0xf0])).toBe('#UD'); // UMONITOR
    expect(outcome([0xf2, 0x0f, 0xae, 0xf0])).toBe('#UD'); // UMWAIT
    expect(outcome([0xf3, 0x0f, 0xae, 0xe8])).toBe('#UD'); // INCSSP
    expect(outcome([0xf0, 0x0f, 0xae, 0xf0])).toBe('#UD'); // LOCK MFENCE
  });
});
