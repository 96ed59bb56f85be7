/**
 * Everything a guest runs is hostile input: random bytes executed in real mode, 32-bit protected
 * mode and with paging on must only ever raise guest exceptions (or shut the CPU down with a triple
 * fault), never a host exception out of the run loop.
 */
import { describe, expect, it } from 'vitest';
import { Cpu } from '../../src/cpu/cpu.ts';
import { TripleFault } from '../../src/cpu/fault.ts';
import { PhysicalMemory } from '../../src/memory/physical-memory.ts';
import { standaloneCpu } from '../../src/cpu/standalone-cpu.ts';

function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

function randomCpu(seed: number, mode: 'real' | 'protected' | 'paging'): Cpu {
  const next = rng(seed);
  const mem = new PhysicalMemory(2 << 20);
  for (let i = 0; i < mem.i32.length; i++) mem.i32[i] = i < 0x40000 ? next() | 0 : 0;
  const cpu = standaloneCpu(mem);
  cpu.reset();
  if (mode !== 'real') {
    // A flat GDT at 0x500 and random IDT contents; code runs from random bytes at 0x10000.
    [0, 0, 0x0000ffff, 0x00cf9a00, 0x0000ffff, 0x00cf9200].forEach((v, i) => (mem.i32[(0x500 >> 2) + i] = v | 0));
    cpu.enterFlatProtectedMode(0x500, 23, 0x08, 0x10, 0x10000);
    cpu.idtBase = 0x800;
    cpu.idtLimit = 0x7ff;
    if (mode === 'paging') {
      // One 4 MiB identity page (PSE), user and writable; the rest of the directory is empty.
      mem.i32[0x100000 >> 2] = 0x87;
      cpu.writeCr4(1 << 4);
      cpu.cr3 = 0x100000;
      cpu.writeCr0(cpu.cr0 | (1 << 31));
    }
  } else {
    cpu.setSegReal(1, 0x1000);
    cpu.eip = 0;
  }
  for (let r = 0; r < 8; r++) cpu.r32[r] = next() | 0;
  return cpu;
}

describe('random code', () => {
  for (const mode of ['real', 'protected', 'paging'] as const) {
    it(`never throws a host error (${mode})`, () => {
      let retired = 0;
      for (let seed = 1; seed <= 40; seed++) {
        const cpu = randomCpu(seed * 7919, mode);
        try {
          for (let i = 0; i < 50 && !cpu.halted; i++) cpu.run(2000);
        } catch (e) {
          if (!(e instanceof TripleFault)) throw new Error(`seed ${seed}: ${String(e)}`, { cause: e });
        }
        retired += cpu.retired;
      }
      expect(retired).toBeGreaterThan(40); // the random bytes did run
    });
  }
});
