/**
 * LFENCE, MFENCE and SFENCE (0F AE /5 /6 /7, register forms) execute as no-ops whatever CPUID says,
 * as Linux 6.1's TSC-deadline code needs; the rest of group 15 (memory forms, prefixed forms, LOCK)
 * raises #UD.
 */
import { describe, expect, it } from 'vitest';
import { EAX } from '../../src/cpu/constants.ts';
import { flatCpu, gate } from './flat-cpu.ts';

const UD_HANDLER = 0x2000;

/** Runs `code`, then MOV EAX, 0xC0C; HLT. #UD goes to a handler that sets EAX to 0xD0D and halts. */
function makeCpu(code: number[]) {
  const cpu = flatCpu([...code, 0xb8, 0x0c, 0x0c, 0, 0, 0xf4]);
  gate(cpu, 6, UD_HANDLER);
  cpu.mem.u8.set([0xb8, 0x0d, 0x0d, 0, 0, 0xf4], UD_HANDLER);
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
