/**
 * The run loop (src/cpu/run-batch.ts) executes the hottest 32-bit opcodes in a switch of its own
 * instead of through the opcode table. Check, opcode by opcode and over every ModRM byte, that one
 * instruction run through the loop leaves exactly the state the table's handler leaves: registers,
 * EIP, flags (including the lazy-flag record), and memory.
 */
import { describe, expect, it } from 'vitest';
import { Cpu } from '../../src/cpu/cpu.ts';
import { FAULT } from '../../src/cpu/fault.ts';
import { OPS } from '../../src/cpu/ops-core.ts';
import { ALU_CMP, ALU_ADD, ALU_XOR } from '../../src/cpu/cpu-alu.ts';
import { CS, DS } from '../../src/cpu/constants.ts';
import { PhysicalMemory } from '../../src/memory/physical-memory.ts';
import { standaloneCpu } from '../../src/cpu/standalone-cpu.ts';

const GDT = 0x500;
const IDT = 0x600;
const CODE = 0x1000;
const MEM = 1 << 20;
const HANDLER = 0x9000;

function newCpu(): Cpu {
  const cpu = standaloneCpu(new PhysicalMemory(MEM));
  return cpu;
}

/**
 * Two CPUs, one per path, used again for every case: a CPU costs two 4 MiB TLB arrays to build,
 * which made this file the slowest of the suite. Each case resets them and their memory.
 */
const pair = { loop: newCpu(), table: newCpu() };

/** `cpu` (cleared) in flat 32-bit protected mode, registers and a data area filled from `seed`. */
function makeCpu(cpu: Cpu, code: number[], seed: number): Cpu {
  const mem = cpu.mem;
  mem.u8.fill(0);
  const gdt = [0, 0, 0x0000ffff, 0x00cf9a00, 0x0000ffff, 0x00cf9200];
  gdt.forEach((v, i) => (mem.i32[(GDT >> 2) + i] = v | 0));
  cpu.reset();
  cpu.retired = 0;
  cpu.blockCache?.clear();
  cpu.enterFlatProtectedMode(GDT, gdt.length * 4 - 1, 0x08, 0x10, CODE);
  cpu.idtBase = IDT;
  cpu.idtLimit = 0x7ff;
  let s = seed | 1;
  const rand = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s | 0;
  };
  // Small register values keep memory operands inside RAM; some are negative or large.
  for (let r = 0; r < 8; r++) cpu.r32[r] = r === 3 ? rand() : 0x2000 + (rand() & 0x3ffc);
  for (let a = 0x2000; a < 0x8000; a += 4) mem.i32[a >> 2] = rand();
  // Flags: concrete values, or the lazy record of an operation on random operands.
  const kind = seed % 4;
  if (kind === 0) cpu.setArithFlags(rand());
  else {
    const op = kind === 1 ? ALU_CMP : kind === 2 ? ALU_ADD : ALU_XOR;
    cpu.alu32(op, rand() & (kind === 1 ? 0xff : -1), rand() & 0xff);
  }
  mem.u8.set(code, CODE);
  // Every exception goes to an interrupt gate at HANDLER (a faulting case must fault the same way).
  for (let v = 0; v < 32; v++) {
    mem.i32[(IDT >> 2) + v * 2] = (0x08 << 16) | HANDLER;
    mem.i32[(IDT >> 2) + v * 2 + 1] = 0x8e00;
  }
  mem.u8[HANDLER] = 0xf4;
  return cpu;
}

function snapshot(cpu: Cpu): unknown {
  return {
    r32: Array.from(cpu.r32),
    eip: cpu.eip,
    flags: cpu.getFlags(),
    lazy: [cpu.lazy, cpu.lop, cpu.la, cpu.lb, cpu.lres, cpu.lbits],
    mem: Array.from(cpu.mem.i32.subarray(0x2000 >> 2, 0x8000 >> 2)),
    retired: cpu.retired,
  };
}

/** One instruction through the run loop, and through the table's handler; returns both states. */
function both(code: number[], seed: number, setup: (c: Cpu) => void = () => {}): [unknown, unknown] {
  const viaLoop = makeCpu(pair.loop, code, seed);
  setup(viaLoop);
  viaLoop.run(1);
  const viaTable = makeCpu(pair.table, code, seed);
  setup(viaTable);
  viaTable.instrStart = viaTable.eip;
  const op = viaTable.fetch8() | 0x100;
  try {
    OPS[op]!(viaTable);
    viaTable.retiredBase += 1;
  } catch (e) {
    if (e !== FAULT) throw e;
    // run(1) delivers the fault and goes on to retire the handler's first instruction (HLT).
    viaTable.clearPrefixes();
    viaTable.eip = viaTable.instrStart;
    viaTable.deliverException(FAULT.vector, FAULT.errorCode, FAULT.hasErrorCode);
    viaTable.run(1);
  }
  return [snapshot(viaLoop), snapshot(viaTable)];
}

// SIB 0x08 ([EAX + ECX]) and displacement bytes 1, 0, 0, 0 follow the ModRM byte.
const TAIL = [0x08, 0x01, 0x00, 0x00, 0x00, 0xf4];
const MODRM_OPS = [0x01, 0x03, 0x09, 0x0b, 0x21, 0x23, 0x29, 0x2b, 0x31, 0x33, 0x39, 0x3b, 0x85, 0x89, 0x8b, 0x8d];

describe('run loop fast paths match the opcode table', () => {
  for (const op of MODRM_OPS) {
    it(`opcode ${op.toString(16)} with every ModRM byte`, () => {
      for (let modrm = 0; modrm < 256; modrm++) {
        const [a, b] = both([op, modrm, ...TAIL], modrm * 7 + op);
        expect(a, `modrm ${modrm.toString(16)}`).toEqual(b);
      }
    });
  }

  it('memory operands beyond the DS limit fault as the table does', () => {
    const small = (c: Cpu): void => {
      c.setSeg(DS, 0x10, 0, 0x2fff, c.segAttr[DS]!); // most operands are beyond 0x2fff
    };
    for (const op of MODRM_OPS) {
      for (let modrm = 0; modrm < 0xc0; modrm += 3) {
        const [a, b] = both([op, modrm, ...TAIL], modrm + op, small);
        expect(a, `op ${op.toString(16)} modrm ${modrm.toString(16)}`).toEqual(b);
      }
    }
  });

  it('Jcc rel8 under every condition and flag state', () => {
    for (let cc = 0; cc < 16; cc++) {
      for (const rel of [0x10, 0xf0]) {
        for (let seed = 1; seed < 17; seed++) {
          const [a, b] = both([0x70 + cc, rel, 0xf4], seed);
          expect(a, `cc ${cc} rel ${rel} seed ${seed}`).toEqual(b);
        }
      }
    }
  });

  it('a Jcc beyond the CS limit faults as the table does', () => {
    const limit = (c: Cpu): void => {
      c.setSeg(CS, 0x08, 0, 0x1010, c.segAttr[CS]!); // CS limit 0x1010
      c.setArithFlags(0x40); // ZF: JE taken, to 0x1081
    };
    const [a, b] = both([0x74, 0x7f, 0xf4], 5, limit);
    expect(a).toEqual(b);
    expect((a as { eip: number }).eip).toBe(HANDLER + 1); // the handler's HLT ran
  });
});
