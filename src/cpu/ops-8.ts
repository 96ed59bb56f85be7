/**
 * The hottest byte-operand opcodes written out for 8 bits (the generic handlers serve every width
 * through `bits` parameters; see ops-32.ts for why writing the width out pays). Their operand size
 * does not depend on 0x66, so OPS gets them at both op and 0x100 | op.
 *
 * Each handler behaves exactly as the generic one it replaces (same fetches, reads, writes and flag
 * updates, in the same order).
 */
import type { Op } from './ops-core.ts';
import { ALU_CMP } from './cpu-alu.ts';

/** Byte register r (AL CL DL BL AH CH DH BH) as an index into r8. */
function b(r: number): number {
  return ((r & 3) << 2) | (r >> 2);
}

function aluEbGb(op: number): Op {
  return (c) => {
    const modrm = c.fetch8();
    const src = c.r8[b((modrm >> 3) & 7)]!;
    if (modrm >= 0xc0) {
      const rm = b(modrm & 7);
      const r = c.alu(op, c.r8[rm]!, src, 8);
      if (op !== ALU_CMP) c.r8[rm] = r;
      return;
    }
    c.decodeEA(modrm);
    // ADC/SBB read CF and set flags before the write: make sure the write cannot fault first.
    if (op === 2 || op === 3) c.probeWrite(c.eaSeg, c.eaOff, 1);
    const r = c.alu(op, c.read8(c.eaSeg, c.eaOff), src, 8);
    if (op !== ALU_CMP) c.write8(c.eaSeg, c.eaOff, r);
  };
}

function aluGbEb(op: number): Op {
  return (c) => {
    const modrm = c.fetch8();
    const reg = b((modrm >> 3) & 7);
    c.decodeRM(modrm);
    const r = c.alu(op, c.r8[reg]!, c.readRM8(), 8);
    if (op !== ALU_CMP) c.r8[reg] = r;
  };
}

function aluAlImm(op: number): Op {
  return (c) => {
    const imm = c.fetch8();
    const r = c.alu(op, c.r8[0]!, imm, 8);
    if (op !== ALU_CMP) c.r8[0] = r;
  };
}

/** [opcode, handler] pairs, installed at op and 0x100 | op. */
export const OPS_BYTE: [number, Op][] = [];

for (let op = 0; op < 8; op++) {
  OPS_BYTE.push([op << 3, aluEbGb(op)]);
  OPS_BYTE.push([(op << 3) | 2, aluGbEb(op)]);
  OPS_BYTE.push([(op << 3) | 4, aluAlImm(op)]);
}

OPS_BYTE.push([
  0x80,
  (c) => {
    // Group 1: op Eb, imm8 (the immediate follows the displacement)
    const modrm = c.fetch8();
    const op = (modrm >> 3) & 7;
    if (modrm >= 0xc0) {
      const rm = b(modrm & 7);
      const r = c.alu(op, c.r8[rm]!, c.fetch8(), 8);
      if (op !== ALU_CMP) c.r8[rm] = r;
      return;
    }
    c.decodeEA(modrm);
    const imm = c.fetch8();
    // ADC/SBB read CF and set flags before the write: make sure the write cannot fault first.
    if (op === 2 || op === 3) c.probeWrite(c.eaSeg, c.eaOff, 1);
    const r = c.alu(op, c.read8(c.eaSeg, c.eaOff), imm, 8);
    if (op !== ALU_CMP) c.write8(c.eaSeg, c.eaOff, r);
  },
]);
OPS_BYTE.push([
  0x84,
  (c) => {
    const modrm = c.fetch8();
    c.decodeRM(modrm);
    c.setLogicFlags(c.readRM8() & c.r8[b((modrm >> 3) & 7)]!, 8);
  },
]);
OPS_BYTE.push([
  0x88,
  (c) => {
    const modrm = c.fetch8();
    const v = c.r8[b((modrm >> 3) & 7)]!;
    if (modrm >= 0xc0) c.r8[b(modrm & 7)] = v;
    else {
      c.decodeEA(modrm);
      c.write8(c.eaSeg, c.eaOff, v);
    }
  },
]);
OPS_BYTE.push([
  0x8a,
  (c) => {
    const modrm = c.fetch8();
    c.decodeRM(modrm);
    c.r8[b((modrm >> 3) & 7)] = c.readRM8();
  },
]);
OPS_BYTE.push([
  0xc6,
  (c) => {
    const modrm = c.fetch8();
    c.decodeRM(modrm);
    c.writeRM8(c.fetch8());
  },
]);
