/**
 * REP MOVS / REP STOS: the bulk path (whole runs of iterations on plain RAM) must give exactly what
 * one iteration at a time gives: element-by-element order for overlapping moves, page and segment
 * edges, both directions, unaligned elements, ROM destinations, and one retired instruction per
 * iteration however the run is cut into batches.
 */
import { describe, expect, it } from 'vitest';
import { Cpu } from '../../src/cpu/cpu.ts';
import { DF, ECX, EDI, ES, ESI, EAX } from '../../src/cpu/constants.ts';
import { PhysicalMemory, PAGE_ROM } from '../../src/memory/physical-memory.ts';
import { standaloneCpu } from '../../src/cpu/standalone-cpu.ts';

const CODE = 0x1000;

function makeCpu(code: number[]): Cpu {
  const mem = new PhysicalMemory(1 << 20);
  const cpu = standaloneCpu(mem);
  cpu.reset();
  cpu.enterFlatProtectedMode(0, 0xffff, 0x08, 0x10, CODE);
  mem.u8.set(code, CODE);
  return cpu;
}

/** Fill [from, to) with a byte pattern that differs at every offset. */
function pattern(cpu: Cpu, from: number, to: number): void {
  for (let a = from; a < to; a++) cpu.mem.u8[a] = (a * 7 + (a >> 8)) & 0xff;
}

/** Run until HLT in batches of `batch` instructions. */
function runAll(cpu: Cpu, batch: number): void {
  for (let i = 0; i < 1e7 && !cpu.halted; i++) cpu.run(batch);
  expect(cpu.halted).toBe(true);
}

interface Case {
  name: string;
  /** Opcode bytes of the string instruction (after F3). */
  op: number[];
  size: number;
  count: number;
  src: number;
  dst: number;
  down: boolean;
}

const CASES: Case[] = [
  { name: 'movsd forward across pages', op: [0xa5], size: 4, count: 3000, src: 0x10000, dst: 0x20000, down: false },
  { name: 'movsb overlapping by one (pattern fill)', op: [0xa4], size: 1, count: 5000, src: 0x30000, dst: 0x30001, down: false },
  { name: 'movsd unaligned, overlapping by two', op: [0xa5], size: 4, count: 2000, src: 0x40001, dst: 0x40003, down: false },
  { name: 'movsw backward across pages', op: [0xa5 - 0], size: 2, count: 3001, src: 0x52ffe, dst: 0x61001, down: true },
  { name: 'movsd backward overlapping', op: [0xa5], size: 4, count: 1500, src: 0x70ffc, dst: 0x70ffe, down: true },
  { name: 'stosd forward unaligned', op: [0xab], size: 4, count: 2500, src: 0, dst: 0x80ffe, down: false },
  { name: 'stosb backward across pages', op: [0xaa], size: 1, count: 9000, src: 0, dst: 0x93fff, down: true },
  { name: 'stosw forward', op: [0xab], size: 2, count: 4097, src: 0, dst: 0xa0000 - 0x3000, down: false },
];

/** What the iterations do, one element at a time, on a copy of RAM. */
function reference(ram: Uint8Array, c: Case, eax: number): void {
  const delta = c.down ? -c.size : c.size;
  let s = c.src;
  let d = c.dst;
  for (let k = 0; k < c.count; k++) {
    let v = eax;
    if (c.op[0] === 0xa4 || c.op[0] === 0xa5) {
      v = 0;
      for (let j = 0; j < c.size; j++) v |= ram[s + j]! << (8 * j);
    }
    for (let j = 0; j < c.size; j++) ram[d + j] = (v >>> (8 * j)) & 0xff;
    s += delta;
    d += delta;
  }
}

function setup(c: Case): Cpu {
  // F3 [66] op; HLT
  const code = [0xf3, ...(c.size === 2 ? [0x66] : []), ...c.op, 0xf4];
  const cpu = makeCpu(code);
  pattern(cpu, 0x10000, 0xa0000);
  cpu.r32[ESI] = c.src;
  cpu.r32[EDI] = c.dst;
  cpu.r32[ECX] = c.count;
  cpu.r32[EAX] = 0x8badf00d | 0;
  if (c.down) cpu.flags |= DF;
  return cpu;
}

describe('REP MOVS / STOS', () => {
  for (const c of CASES) {
    it(`${c.name}: same memory and registers as one iteration at a time, in any batching`, () => {
      const expected = new Uint8Array(setup(c).mem.u8);
      reference(expected, c, 0x8badf00d | 0);
      const delta = c.down ? -c.size : c.size;
      for (const batch of [1, 7, 4096, 1 << 20]) {
        const cpu = setup(c);
        runAll(cpu, batch);
        expect(cpu.r32[ECX]).toBe(0);
        expect(cpu.r32[EDI]).toBe((c.dst + c.count * delta) | 0);
        if (c.op[0] === 0xa4 || c.op[0] === 0xa5) expect(cpu.r32[ESI]).toBe((c.src + c.count * delta) | 0);
        // one per iteration, plus the HLT
        expect(cpu.retired).toBe(c.count + 1);
        expect(Buffer.compare(cpu.mem.u8, expected)).toBe(0);
      }
    });
  }

  it('stops at the batch limit with EIP on the instruction and ECX counting what is left', () => {
    const c = CASES[0]!;
    const cpu = setup(c);
    cpu.run(1234);
    expect(cpu.retired).toBe(1234);
    expect(cpu.eip).toBe(CODE);
    expect(cpu.r32[ECX]).toBe(c.count - 1234);
    expect(cpu.r32[ESI]).toBe(c.src + 1234 * 4);
    cpu.run(1);
    expect(cpu.retired).toBe(1235);
    expect(cpu.r32[ECX]).toBe(c.count - 1235);
  });

  it('leaves ROM unwritten and still counts every iteration', () => {
    const cpu = makeCpu([0xf3, 0xab, 0xf4]);
    cpu.mem.setPageKind(0x50000, 0x1000, PAGE_ROM);
    pattern(cpu, 0x4f000, 0x52000);
    const before = new Uint8Array(cpu.mem.u8);
    cpu.r32[EDI] = 0x4fff0;
    cpu.r32[ECX] = 0x1000;
    cpu.r32[EAX] = 0x01020304;
    runAll(cpu, 1 << 20);
    expect(cpu.retired).toBe(0x1001);
    const u8 = cpu.mem.u8;
    expect(Array.from(u8.subarray(0x4fff0, 0x4fff4))).toEqual([4, 3, 2, 1]);
    expect(Buffer.compare(u8.subarray(0x50000, 0x51000), before.subarray(0x50000, 0x51000))).toBe(0);
    expect(Array.from(u8.subarray(0x51000, 0x51004))).toEqual([4, 3, 2, 1]);
  });

  it('honours a segment limit: the bulk path stops short of it', () => {
    // ES limit 0x2fff: a forward STOSB of 0x100 bytes from 0x2f80 faults at 0x3000; #GP with no IDT
    // entry ends in a triple fault, which is a host exception here. Before that every byte below
    // the limit is written, one retired instruction each.
    const cpu = makeCpu([0xf3, 0xaa, 0xf4]);
    cpu.setSeg(ES, 0x10, 0, 0x2fff, cpu.segAttr[ES]! & ~0x8000);
    cpu.r32[EDI] = 0x2f80;
    cpu.r32[ECX] = 0x100;
    cpu.r32[EAX] = 0x55;
    expect(() => runAll(cpu, 1 << 20)).toThrow();
    expect(cpu.r32[ECX]).toBe(0x80);
    expect(cpu.r32[EDI]).toBe(0x3000);
    expect(cpu.mem.u8[0x2fff]).toBe(0x55);
    expect(cpu.mem.u8[0x3000]).toBe(0);
  });
});
