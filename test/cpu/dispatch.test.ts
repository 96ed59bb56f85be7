/**
 * The opcode tables are indexed by operand size (OPS[0x100 | op] for 32 bits) and prefix state is
 * cleared by the prefix handlers, by a fault, and (for the sizes) by a CS load, not at every
 * instruction: check that prefixes never leak into the next instruction on any of those paths.
 */
import { describe, expect, it } from 'vitest';
import { Cpu } from '../../src/cpu/cpu.ts';
import { EAX, EBX, ECX, ES, SEG_NONE } from '../../src/cpu/constants.ts';
import { PhysicalMemory } from '../../src/memory/physical-memory.ts';
import { standaloneCpu } from '../../src/cpu/standalone-cpu.ts';

const GDT = 0x500;
const IDT = 0x600;
const CODE = 0x1000;

/** Flat 32-bit protected mode with a GDT (0x08 code32, 0x10 data, 0x18 code16) and an IDT. */
function makeCpu(code: number[]): Cpu {
  const mem = new PhysicalMemory(1 << 20);
  const cpu = standaloneCpu(mem);
  const gdt = [0, 0, 0x0000ffff, 0x00cf9a00, 0x0000ffff, 0x00cf9200, 0x0000ffff, 0x00009a00];
  gdt.forEach((v, i) => (mem.i32[(GDT >> 2) + i] = v | 0));
  cpu.reset();
  cpu.enterFlatProtectedMode(GDT, gdt.length * 4 - 1, 0x08, 0x10, CODE);
  cpu.idtBase = IDT;
  cpu.idtLimit = 0x7ff;
  mem.u8.set(code, CODE);
  return cpu;
}

/** Interrupt gate for `vector` to 0x08:handler. */
function gate(cpu: Cpu, vector: number, handler: number): void {
  const i = (IDT >> 2) + vector * 2;
  cpu.mem.i32[i] = (0x08 << 16) | (handler & 0xffff);
  cpu.mem.i32[i + 1] = (handler & 0xffff0000) | 0x8e00;
}

function runToHalt(cpu: Cpu): void {
  for (let i = 0; i < 100 && !cpu.halted; i++) cpu.run(1000);
  expect(cpu.halted).toBe(true);
}

describe('operand-size dispatch and prefixes', () => {
  it('0x66 applies to one instruction only', () => {
    // mov ax, 0x1234; mov ecx, 0x89abcdef; inc ax (66 40); inc ecx; hlt
    const cpu = makeCpu([0x66, 0xb8, 0x34, 0x12, 0xb9, 0xef, 0xcd, 0xab, 0x89, 0x66, 0x40, 0x41, 0xf4]);
    cpu.r32[EAX] = 0x7777ffff;
    runToHalt(cpu);
    expect(cpu.r32[EAX]! >>> 0).toBe(0x77771235);
    expect(cpu.r32[ECX]! >>> 0).toBe(0x89abcdf0);
    expect(cpu.op32).toBe(true);
  });

  it('a segment override applies to one instruction only', () => {
    // mov eax, es:[ebx]; mov ecx, [ebx]; hlt
    const cpu = makeCpu([0x26, 0x8b, 0x03, 0x8b, 0x0b, 0xf4]);
    cpu.setSeg(ES, 0x10, 0x10000, 0xfffff, cpu.segAttr[ES]!);
    cpu.r32[EBX] = 0x2000;
    cpu.mem.i32[0x2000 >> 2] = 0x11111111;
    cpu.mem.i32[0x12000 >> 2] = 0x22222222;
    runToHalt(cpu);
    expect(cpu.r32[EAX]).toBe(0x22222222);
    expect(cpu.r32[ECX]).toBe(0x11111111);
  });

  it('a fault inside a prefixed instruction clears the prefixes before the handler runs', () => {
    // 66 26 8b 03: mov ax, es:[ebx] beyond the ES limit -> #GP; the handler does mov eax, [ebx]; hlt
    const cpu = makeCpu([0x66, 0x26, 0x8b, 0x03, 0xf4]);
    gate(cpu, 13, 0x3000);
    cpu.mem.u8.set([0x8b, 0x03, 0xf4], 0x3000);
    cpu.r32[4] = 0x8000; // ESP
    cpu.setSeg(ES, 0x10, 0, 0xfff, cpu.segAttr[ES]!);
    cpu.r32[EBX] = 0x2000;
    cpu.mem.i32[0x2000 >> 2] = 0x33333333;
    runToHalt(cpu);
    expect(cpu.eip).toBe(0x3003);
    expect(cpu.r32[EAX]).toBe(0x33333333);
    expect(cpu.prefixSeg).toBe(SEG_NONE);
  });

  it('a far jump to a 16-bit code segment switches the default operand size at once', () => {
    // jmp 0x18:0x4000; there: mov ax, 0x1234 (b8 34 12 in 16-bit code); hlt
    const cpu = makeCpu([0xea, 0x00, 0x40, 0x00, 0x00, 0x18, 0x00]);
    cpu.mem.u8.set([0xb8, 0x34, 0x12, 0xf4], 0x4000);
    cpu.r32[EAX] = 0x5555aaaa;
    runToHalt(cpu);
    expect(cpu.csBig).toBe(false);
    expect(cpu.r32[EAX]! >>> 0).toBe(0x55551234);
    expect(cpu.op32).toBe(false);
  });
});
