/**
 * Faults leave no half-done state: an ADC or RCL to memory whose write faults must not change the
 * flags (the restarted instruction reads CF again), and a single-stepped OUT still traps.
 */
import { describe, expect, it } from 'vitest';
import { Cpu } from '../../src/cpu/cpu.ts';
import { CF, EAX, EBX, ECX, TF } from '../../src/cpu/constants.ts';
import { PhysicalMemory } from '../../src/memory/physical-memory.ts';
import { standaloneCpu } from '../../src/cpu/standalone-cpu.ts';

const GDT = 0x500;
const IDT = 0x600;
const CODE = 0x1000;
const HANDLER = 0x2000;
const PD = 0x10000;
const PT = 0x11000;
const DATA = 0x40000;

function makeCpu(code: number[], handler: number[]): Cpu {
  const mem = new PhysicalMemory(1 << 20);
  const cpu = standaloneCpu(mem);
  [0, 0, 0x0000ffff, 0x00cf9a00, 0x0000ffff, 0x00cf9200].forEach((v, i) => (mem.i32[(GDT >> 2) + i] = v | 0));
  cpu.reset();
  cpu.enterFlatProtectedMode(GDT, 23, 0x08, 0x10, CODE);
  cpu.idtBase = IDT;
  cpu.idtLimit = 0x7ff;
  for (const v of [1, 14]) {
    mem.i32[(IDT >> 2) + v * 2] = (0x08 << 16) | HANDLER;
    mem.i32[(IDT >> 2) + v * 2 + 1] = 0x8e00;
  }
  // Identity-map the first 4 MiB with 4 KiB pages; DATA is read-only.
  mem.i32[PD >> 2] = PT | 3;
  for (let p = 0; p < 1024; p++) mem.i32[(PT >> 2) + p] = (p << 12) | (p << 12 === DATA ? 1 : 3);
  cpu.cr3 = PD;
  cpu.writeCr0(cpu.cr0 | (1 << 31) | (1 << 16));
  cpu.r32[4] = 0x8000;
  mem.u8.set(code, CODE);
  mem.u8.set(handler, HANDLER);
  return cpu;
}

describe('faults leave no half-done state', () => {
  it('ADC to a read-only page keeps CF for the restart', () => {
    // stc; adc [ebx], ecx; hlt -- the #PF handler makes the page writable: mov dword [PT+0x100], DATA|3; invlpg [ebx]; add esp, 4; iret
    const cpu = makeCpu(
      [0xf9, 0x11, 0x0b, 0xf4],
      [0xc7, 0x05, ...le(PT + (DATA >> 12) * 4), ...le(DATA | 3), 0x0f, 0x01, 0x3b, 0x83, 0xc4, 0x04, 0xcf],
    );
    cpu.r32[EBX] = DATA;
    cpu.r32[ECX] = 5;
    cpu.mem.i32[DATA >> 2] = 10;
    for (let i = 0; i < 10 && !cpu.halted; i++) cpu.run(100);
    expect(cpu.halted).toBe(true);
    expect(cpu.mem.i32[DATA >> 2]).toBe(16);
    expect(cpu.cr2).toBe(DATA);
  });

  it('RCL on a read-only page keeps CF for the restart', () => {
    // stc; rcl dword [ebx], 1; hlt
    const cpu = makeCpu(
      [0xf9, 0xd1, 0x13, 0xf4],
      [0xc7, 0x05, ...le(PT + (DATA >> 12) * 4), ...le(DATA | 3), 0x0f, 0x01, 0x3b, 0x83, 0xc4, 0x04, 0xcf],
    );
    cpu.r32[EBX] = DATA;
    cpu.mem.i32[DATA >> 2] = 0x40;
    for (let i = 0; i < 10 && !cpu.halted; i++) cpu.run(100);
    expect(cpu.mem.i32[DATA >> 2]).toBe(0x81);
    expect(cpu.getFlags() & CF).toBe(0);
  });

  it('single-stepping an OUT traps after it', () => {
    // out 0x80, al; nop; hlt -- #DB handler: mov ebx, [esp]; and dword [esp+8], ~TF; iret
    const cpu = makeCpu([0xe6, 0x80, 0x90, 0xf4], [0x8b, 0x1c, 0x24, 0x81, 0x64, 0x24, 0x08, ...le(~TF), 0xcf]);
    // A device that, like the PIC, asks the CPU to look at interrupts again after the write.
    cpu.io.register(0x80, 1, { ioRead: () => 0xff, ioWrite: () => cpu.requestCheck() });
    cpu.r32[EAX] = 0;
    cpu.flags |= TF;
    for (let i = 0; i < 10 && !cpu.halted; i++) cpu.run(100);
    expect(cpu.halted).toBe(true);
    expect(cpu.r32[EBX]).toBe(CODE + 2); // the trap came right after the OUT
  });
});

function le(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

describe('debug registers', () => {
  const handler = [0x8b, 0x1c, 0x24, 0x0f, 0x21, 0xf1, 0x81, 0x4c, 0x24, 0x08, ...le(1 << 16), 0xcf]; // mov ebx,[esp]; mov ecx,dr6; or dword [esp+8], RF; iret

  it('an execute breakpoint faults before the instruction, and RF lets it run once', () => {
    // nop; inc eax; hlt, with DR0 = CODE+1 (execute, enabled in DR7 L0)
    const cpu = makeCpu([0x90, 0x40, 0xf4], handler);
    cpu.dr[0] = CODE + 1;
    cpu.dr[7] = 0x401;
    cpu.updateBreakpoints();
    for (let i = 0; i < 10 && !cpu.halted; i++) cpu.run(100);
    expect(cpu.halted).toBe(true);
    expect(cpu.r32[EBX]).toBe(CODE + 1); // faulted with EIP at the breakpoint
    expect(cpu.r32[ECX]! & 0xf).toBe(1); // DR6.B0
    expect(cpu.r32[EAX]).toBe(1); // and the instruction then ran exactly once
  });

  it('an execute breakpoint armed by MOV DR7 applies from the next instruction on', () => {
    // mov eax, CODE+17; mov dr0, eax; mov eax, 0x401; mov dr7, eax; nop; inc eax (DR0); hlt
    const cpu = makeCpu([0xb8, ...le(CODE + 17), 0x0f, 0x23, 0xc0, 0xb8, ...le(0x401), 0x0f, 0x23, 0xf8, 0x90, 0x40, 0xf4], handler);
    for (let i = 0; i < 10 && !cpu.halted; i++) cpu.run(100);
    expect(cpu.halted).toBe(true);
    expect(cpu.r32[EBX]).toBe(CODE + 17); // faulted with EIP at the breakpoint
    expect(cpu.r32[EAX]).toBe(0x402); // and the instruction then ran exactly once
  });

  it('a data write breakpoint traps after the writing instruction', () => {
    // mov [ebx+0x10], eax; nop; hlt, with DR1 = DATA+0x12 (write, 1 byte) -- the dword write covers it
    const cpu = makeCpu([0x89, 0x43, 0x10, 0x90, 0xf4], handler);
    cpu.mem.i32[(PT >> 2) + (DATA >> 12)] = DATA | 3;
    cpu.r32[EBX] = DATA;
    cpu.dr[1] = DATA + 0x12;
    cpu.dr[7] = 0x400 | (1 << 2) | (1 << 20); // L1, R/W1 = 01 (writes)
    cpu.updateBreakpoints();
    for (let i = 0; i < 10 && !cpu.halted; i++) cpu.run(100);
    expect(cpu.halted).toBe(true);
    expect(cpu.r32[EBX]).toBe(CODE + 3); // a trap: EIP after the MOV
    expect(cpu.r32[ECX]! & 0xf).toBe(2); // DR6.B1
  });
});
