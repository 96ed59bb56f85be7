/**
 * Privilege changes read two descriptors (CS and SS) and set the accessed bit of each in its own
 * GDT entry. Linux's first IRET to user mode found the user CS not yet accessed; the bit must not
 * land in the user SS/DS entry (which would turn it into a code segment, and every later load of
 * DS = __USER_DS would make writes through DS fault).
 */
import { describe, expect, it } from 'vitest';
import { Cpu } from '../../src/cpu/cpu.ts';
import { ESP } from '../../src/cpu/constants.ts';
import { PhysicalMemory } from '../../src/memory/physical-memory.ts';
import { standaloneCpu } from '../../src/cpu/standalone-cpu.ts';

const GDT = 0x500;
const IDT = 0x600;
const TSS = 0x800;
const KCODE = 0x1000;
const UCODE = 0x2000;
const HANDLER = 0x3000;
const KSTACK = 0x8000;
const USTACK = 0x9000;

/** Selectors: kernel code 0x08, kernel data 0x10, user code 0x1b, user data 0x23, TSS 0x28, call gate 0x33. */
const KCS = 0x08;
const KDS = 0x10;
const UCS = 0x1b;
const UDS = 0x23;
const TSS_SEL = 0x28;
const GATE = 0x33;

/** Type/attribute byte (byte 5) of a GDT entry. */
function typeByte(cpu: Cpu, selector: number): number {
  return cpu.mem.u8[GDT + (selector & ~7) + 5]!;
}

/**
 * A flat machine whose GDT holds descriptors with the accessed bit clear: ring-0 code at KCODE,
 * ring-3 code at UCODE, an INT 0x80 trap gate and a call gate to HANDLER, a TSS with SS0:ESP0 =
 * KDS:KSTACK.
 */
function makeCpu(kernel: number[], user: number[], handler: number[] = [0xf4]): Cpu {
  const mem = new PhysicalMemory(1 << 20);
  const cpu = standaloneCpu(mem);
  const gdt = [
    [0, 0],
    [0x0000ffff, 0x00cf9a00], // 0x08 ring-0 code, not accessed
    [0x0000ffff, 0x00cf9200], // 0x10 ring-0 data, not accessed
    [0x0000ffff, 0x00cffa00], // 0x18 ring-3 code, not accessed
    [0x0000ffff, 0x00cff200], // 0x20 ring-3 data, not accessed
    [(TSS << 16) | 0x67, 0x00008900], // 0x28 32-bit TSS, available
    [(KCS << 16) | (HANDLER & 0xffff), (HANDLER & 0xffff0000) | 0xec00], // 0x30 32-bit call gate, DPL 3
  ];
  gdt.forEach(([lo, hi], i) => {
    mem.i32[(GDT >> 2) + i * 2] = lo! | 0;
    mem.i32[(GDT >> 2) + i * 2 + 1] = hi! | 0;
  });
  mem.i32[(TSS + 4) >> 2] = KSTACK;
  mem.i32[(TSS + 8) >> 2] = KDS;
  mem.i32[(IDT >> 2) + 0x80 * 2] = (KCS << 16) | HANDLER;
  mem.i32[(IDT >> 2) + 0x80 * 2 + 1] = 0xef00; // present, DPL 3, 32-bit trap gate
  cpu.reset();
  cpu.enterFlatProtectedMode(GDT, gdt.length * 8 - 1, KCS, KDS, KCODE);
  cpu.idtBase = IDT;
  cpu.idtLimit = 0x7ff;
  cpu.tr = { selector: TSS_SEL, base: TSS, limit: 0x67, attr: 0x8b };
  cpu.r32[ESP] = KSTACK;
  mem.u8.set(kernel, KCODE);
  mem.u8.set(user, UCODE);
  mem.u8.set(handler, HANDLER);
  // enterFlatProtectedMode loads the segment caches directly; start from clear accessed bits.
  for (const sel of [KCS, KDS, UCS, UDS]) mem.u8[GDT + sel + 5] = mem.u8[GDT + sel + 5]! & ~1;
  return cpu;
}

function le(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** push UDS; push USTACK; pushfd / push UCS; push UCODE: the frame of a return to ring 3. */
function pushReturnFrame(withFlags: boolean): number[] {
  return [0x6a, UDS, 0x68, ...le(USTACK), ...(withFlags ? [0x9c] : []), 0x6a, UCS, 0x68, ...le(UCODE)];
}

const JMP_SELF = [0xeb, 0xfe];

describe('accessed bits on privilege changes', () => {
  it('IRET to ring 3 sets the accessed bit of the user CS entry, not of the user SS entry', () => {
    const cpu = makeCpu([...pushReturnFrame(true), 0xcf], JMP_SELF);
    cpu.run(20);
    expect(cpu.cpl).toBe(3);
    expect(cpu.sel[1]).toBe(UCS);
    expect(typeByte(cpu, UCS)).toBe(0xfb);
    expect(typeByte(cpu, UDS)).toBe(0xf3);
  });

  it('RETF to ring 3 sets the accessed bit of the user CS entry, not of the user SS entry', () => {
    const cpu = makeCpu([...pushReturnFrame(false), 0xcb], JMP_SELF);
    cpu.run(20);
    expect(cpu.cpl).toBe(3);
    expect(typeByte(cpu, UCS)).toBe(0xfb);
    expect(typeByte(cpu, UDS)).toBe(0xf3);
  });

  it('INT from ring 3 sets the accessed bit of the kernel CS entry, not of the kernel SS entry', () => {
    // Ring 0: IRET to ring 3, which runs INT 0x80 into the handler (HLT).
    const cpu = makeCpu([...pushReturnFrame(true), 0xcf], [0xcd, 0x80, ...JMP_SELF]);
    cpu.run(20);
    expect(cpu.halted).toBe(true);
    expect(cpu.cpl).toBe(0);
    expect(typeByte(cpu, KCS)).toBe(0x9b);
    expect(typeByte(cpu, KDS)).toBe(0x93);
    // The user data entry IRET loaded SS from keeps its type too.
    expect(typeByte(cpu, UDS)).toBe(0xf3);
  });

  it('CALL through a call gate from ring 3 sets the accessed bit of the kernel CS entry, not of the kernel SS entry', () => {
    // Ring 0: IRET to ring 3, which calls far through the gate into the handler (HLT).
    const cpu = makeCpu([...pushReturnFrame(true), 0xcf], [0x9a, ...le(0), GATE, 0, ...JMP_SELF]);
    cpu.run(20);
    expect(cpu.halted).toBe(true);
    expect(cpu.cpl).toBe(0);
    expect(typeByte(cpu, KCS)).toBe(0x9b);
    expect(typeByte(cpu, KDS)).toBe(0x93);
  });
});
