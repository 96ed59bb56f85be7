/**
 * EFLAGS.RF in the image an event handler gets (SDM vol. 3, 17.3.1.1): 1 for every fault but an
 * instruction-breakpoint #DB, 1 for an interrupt or trap taken between two iterations of a REP
 * instruction; otherwise RF as it is, which is 0 once an instruction has started (INT n, INT3,
 * INTO, single-step traps, interrupts between instructions) and 1 right after an IRET that set it.
 */
import { describe, expect, it } from 'vitest';
import type { Cpu } from '../../src/cpu/cpu.ts';
import { EAX, ECX, EDI, ESI, ESP, IF, RF, TF } from '../../src/cpu/constants.ts';
import { CODE, flatCpu, gate, le } from './flat-cpu.ts';

const HALT = 0x2000;
const RECORD = 0x2100;
const LOG = 0x3000;
const LOGN = 0x2ffc;
const PD = 0x10000;
const PT = 0x11000;
const MISSING = 0x40000;

/**
 * A handler for events without an error code that appends (EIP, EFLAGS) of its frame to LOG and
 * returns: push eax; push ebx; mov ebx,[LOGN]; mov eax,[esp+8]; mov [ebx],eax; mov eax,[esp+16];
 * mov [ebx+4],eax; add dword [LOGN],8; pop ebx; pop eax; iret
 */
const RECORDER = [
  0x50, 0x53, 0x8b, 0x1d, ...le(LOGN), 0x8b, 0x44, 0x24, 0x08, 0x89, 0x03, 0x8b, 0x44, 0x24, 0x10, 0x89, 0x43, 0x04,
  0x83, 0x05, ...le(LOGN), 0x08, 0x5b, 0x58, 0xcf,
];

/** pushfd; and dword [esp], ~TF; popfd: single-stepping ends after the POPFD. */
const STOP_STEPPING = [0x9c, 0x81, 0x24, 0x24, ...le(~TF), 0x9d];

interface Rig {
  cpu: Cpu;
  /** The interrupt the fake controller raises once `at` instructions have retired (-1: none). */
  irq: { vector: number; at: number };
}

/**
 * Flat 32-bit protected mode with the first 4 MiB identity-mapped (MISSING not present), `code`
 * then HLT at CODE. Every vector goes to a handler that halts, except those listed in `recorded`.
 */
function makeRig(code: number[], recorded: number[] = []): Rig {
  const cpu = flatCpu([...code, 0xf4]);
  const mem = cpu.mem;
  const irq = { vector: 0x40, at: -1 };
  cpu.intr = {
    hasInterrupt: () => irq.at >= 0 && cpu.retired >= irq.at,
    acknowledge: () => {
      irq.at = -1;
      return irq.vector;
    },
  };
  for (let v = 0; v < 256; v++) gate(cpu, v, recorded.includes(v) ? RECORD : HALT);
  mem.u8[HALT] = 0xf4;
  mem.u8.set(RECORDER, RECORD);
  mem.i32[LOGN >> 2] = LOG;
  mem.i32[PD >> 2] = PT | 3;
  for (let p = 0; p < 1024; p++) mem.i32[(PT >> 2) + p] = p << 12 === MISSING ? 0 : (p << 12) | 3;
  cpu.cr3 = PD;
  cpu.writeCr0(cpu.cr0 | (1 << 31));
  return { cpu, irq };
}

/** Run until a HLT; `slice` instructions per run() (an interrupt is looked at between slices). */
function runToHalt(cpu: Cpu, slice = 1000): void {
  for (let i = 0; i < 5000 && !cpu.halted; i++) cpu.run(slice);
  expect(cpu.halted).toBe(true);
}

/** The frame of the handler that halted: EIP and EFLAGS image (`code` words above ESP first). */
function frame(cpu: Cpu, errorCode: boolean): { eip: number; rf: number } {
  const at = (cpu.r32[ESP]! >>> 0) + (errorCode ? 4 : 0);
  return { eip: cpu.mem.i32[at >> 2]! >>> 0, rf: (cpu.mem.i32[(at + 8) >> 2]! & RF) >>> 16 };
}

/** The (EIP, RF) pairs the recording handler saw. */
function recorded(cpu: Cpu): [number, number][] {
  const out: [number, number][] = [];
  const end = cpu.mem.i32[LOGN >> 2]!;
  for (let a = LOG; a < end; a += 8) out.push([cpu.mem.i32[a >> 2]! >>> 0, (cpu.mem.i32[(a + 4) >> 2]! & RF) >>> 16]);
  return out;
}

describe('RF in the EFLAGS image of faults', () => {
  const faults: [string, number[], boolean, (cpu: Cpu) => void][] = [
    ['#DE div by 0', [0x31, 0xc9, 0xf7, 0xf1], false, () => {}], // xor ecx,ecx; div ecx
    ['#UD ud2', [0x90, 0x0f, 0x0b], false, () => {}],
    ['#GP mov ds beyond the GDT', [0xb8, 0x80, 0, 0, 0, 0x8e, 0xd8], true, () => {}], // mov eax,0x80; mov ds,ax
    ['#PF not present', [0x8b, 0x07], true, (cpu) => (cpu.r32[EDI] = MISSING)], // mov eax,[edi]
    ['#BR bound', [0x62, 0x06], false, (cpu) => {
      cpu.r32[ESI] = 0x5000; // bounds [0, 1]
      cpu.mem.i32[0x5004 >> 2] = 1;
      cpu.r32[EAX] = 5;
    }],
  ];
  for (const [name, code, errorCode, setup] of faults) {
    it(`${name}: RF = 1, EIP at the faulting instruction, live RF clear in the handler`, () => {
      const { cpu } = makeRig(code);
      setup(cpu);
      runToHalt(cpu);
      const f = frame(cpu, errorCode);
      expect(f.rf).toBe(1);
      expect(f.eip).toBeGreaterThan(CODE - 1);
      expect(f.eip).toBeLessThan(CODE + code.length);
      expect(cpu.mem.u8[f.eip]).not.toBe(0xf4);
      expect(cpu.flags & RF).toBe(0);
    });
  }
});

describe('RF in the EFLAGS image of traps and interrupts', () => {
  it('INT n, INT3, INTO and ICEBP push RF = 0', () => {
    for (const code of [[0xcd, 0x40], [0xcc], [0xb0, 0x7f, 0x04, 0x01, 0xce], [0xf1]]) {
      const { cpu } = makeRig(code);
      runToHalt(cpu);
      expect(frame(cpu, false)).toEqual({ eip: CODE + code.length, rf: 0 });
    }
  });

  it('a single-step trap after an instruction pushes RF = 0', () => {
    // nop; nop; then STOP_STEPPING (traps after PUSHFD, AND and POPFD too)
    const { cpu } = makeRig([0x90, 0x90, ...STOP_STEPPING], [1]);
    cpu.flags |= TF;
    runToHalt(cpu);
    expect(recorded(cpu)).toEqual([
      [CODE + 1, 0],
      [CODE + 2, 0],
      [CODE + 3, 0],
      [CODE + 10, 0],
      [CODE + 11, 0],
    ]);
  });

  it('single-stepping REP MOVSB traps after every iteration, with RF = 1 until the last', () => {
    // rep movsb with ECX = 3; then STOP_STEPPING
    const { cpu } = makeRig([0xf3, 0xa4, ...STOP_STEPPING], [1]);
    cpu.r32[ESI] = 0x5000;
    cpu.r32[EDI] = 0x6000;
    cpu.r32[ECX] = 3;
    cpu.flags |= TF;
    runToHalt(cpu);
    expect(recorded(cpu).slice(0, 4)).toEqual([
      [CODE, 1],
      [CODE, 1],
      [CODE + 2, 0],
      [CODE + 3, 0],
    ]);
    expect(cpu.r32[ECX]).toBe(0);
  });

  it('an interrupt between two iterations of REP STOSB pushes RF = 1 and the REP resumes', () => {
    // mov ecx, 1000; rep stosb; nop
    const { cpu, irq } = makeRig([0xb9, ...le(1000), 0xf3, 0xaa, 0x90], [0x40]);
    cpu.r32[EDI] = 0x6000;
    cpu.flags |= IF;
    irq.at = 300;
    runToHalt(cpu, 1);
    expect(recorded(cpu)).toEqual([[CODE + 5, 1]]);
    expect(cpu.r32[ECX]).toBe(0);
    expect(cpu.r32[EDI]).toBe(0x6000 + 1000);
    expect(cpu.flags & RF).toBe(0);
  });

  it('an interrupt between two instructions pushes RF = 0', () => {
    const { cpu, irq } = makeRig([0x90, 0x90, 0x90, 0x90], [0x40]);
    cpu.flags |= IF;
    irq.at = 2;
    runToHalt(cpu, 1);
    expect(recorded(cpu)).toEqual([[CODE + 2, 0]]);
  });

  it('RF set by IRET shows in an interrupt taken at once, and is gone after one instruction', () => {
    // push RF|IF|2; push cs; push target; iret; target: int 0x41 -- the handler for 0x41 halts
    const target = CODE + 13;
    const code = (flags: number) => [0x68, ...le(flags), 0x6a, 0x08, 0x68, ...le(target), 0xcf, 0xcd, 0x41];
    const withIrq = makeRig(code(RF | IF | 2), [0x40]);
    withIrq.irq.at = 0;
    runToHalt(withIrq.cpu, 1);
    expect(recorded(withIrq.cpu)).toEqual([[target, 1]]);
    expect(frame(withIrq.cpu, false)).toEqual({ eip: target + 2, rf: 0 });

    // The same without IF: the IRET and INT n run in one batch of run(1000).
    const plain = makeRig(code(RF | 2));
    runToHalt(plain.cpu);
    expect(frame(plain.cpu, false)).toEqual({ eip: target + 2, rf: 0 });
  });
});

describe('RF and instruction breakpoints', () => {
  it('an execute breakpoint on REP STOSB fires once (RF = 0 in its image), not at every iteration', () => {
    // mov ecx, 5; rep stosb; nop -- DR0 on the REP; the #DB handler records its frame, then returns
    // with RF set in the image (or dword [esp+8], RF after the recorder's pops).
    const handler = [...RECORDER.slice(0, -1), 0x81, 0x4c, 0x24, 0x08, ...le(RF), 0xcf];
    const { cpu } = makeRig([0xb9, ...le(5), 0xf3, 0xaa, 0x90]);
    cpu.mem.u8.set(handler, RECORD + 0x80);
    gate(cpu, 1, RECORD + 0x80);
    cpu.r32[EDI] = 0x6000;
    cpu.dr[0] = CODE + 5;
    cpu.dr[7] = 0x401;
    cpu.updateBreakpoints();
    runToHalt(cpu);
    expect(recorded(cpu)).toEqual([[CODE + 5, 0]]);
    expect(cpu.r32[ECX]).toBe(0);
    expect(cpu.r32[EDI]).toBe(0x6005);
  });
});
