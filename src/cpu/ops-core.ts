/**
 * One-byte opcodes 0x00-0xFF (two-byte 0x0F opcodes are in ops-0f.ts, groups in ops-group.ts,
 * string instructions in ops-string.ts). Each entry is a function of the CPU that captures only
 * constants.
 */
import type { Cpu } from './cpu.ts';
import { ALU_CMP } from './cpu-alu.ts';
import { REP_E, REP_NE } from './cpu-decode.ts';
import {
  AF, CF, CR0_EM, CR0_MP, CR0_TS, CS, DF, DS, EAX, EBP, ECX, EDX, ES, ESP, EXC_BP, EXC_BR, EXC_DB, EXC_NM, EXC_OF,
  EXC_UD, FS, GS, IF, IOPL, IOPL_SHIFT, OF, SEG_NONE, SF, SS, ZF, PF, VM, AC, ID, NT, RF, TF, ARITH_FLAGS,
} from './constants.ts';
import { INT_EXCEPTION, INT_SOFT_EXC, INT_SOFTWARE } from './cpu-system.ts';
import { OPS_GROUP } from './ops-group.ts';
import { OPS_STRING } from './ops-string.ts';
import { op0F } from './ops-0f.ts';
import { OPS_SIZED } from './ops-32.ts';
import { OPS_BYTE } from './ops-8.ts';

export type Op = (c: Cpu) => void;

export function opUD(c: Cpu): void {
  c.fault(EXC_UD, 0, false);
}

/**
 * The one-byte opcode table: OPS[op] runs with a 16-bit operand size, OPS[0x100 | op] with a 32-bit
 * one. Most entries are the same generic handler in both halves (it reads c.op32); the hottest
 * opcodes have handlers specialised for one size (ops-32.ts).
 */
export const OPS: Op[] = new Array<Op>(512).fill(opUD);

/** Run the opcode at EIP with the current operand size (after a prefix). */
function dispatch(c: Cpu): void {
  OPS[c.fetch8() | (c.op32 ? 0x100 : 0)]!(c);
}

// ---- ALU 0x00-0x3F ----

function aluRmR(op: number, byte: boolean): Op {
  return (c) => {
    const modrm = c.fetch8();
    const bits = byte ? 8 : c.opBits;
    const src = c.getReg((modrm >> 3) & 7, bits);
    if (modrm >= 0xc0) {
      const rm = modrm & 7;
      const r = c.alu(op, c.getReg(rm, bits), src, bits);
      if (op !== ALU_CMP) c.setReg(rm, bits, r);
    } else {
      c.decodeEA(modrm);
      if (op === 2 || op === 3) c.probeWrite(c.eaSeg, c.eaOff, bits >> 3); // ADC/SBB: no half-done flags
      const r = c.alu(op, c.readMem(c.eaSeg, c.eaOff, bits), src, bits);
      if (op !== ALU_CMP) c.writeMem(c.eaSeg, c.eaOff, bits, r);
    }
  };
}

function aluRRm(op: number, byte: boolean): Op {
  return (c) => {
    const modrm = c.fetch8();
    const bits = byte ? 8 : c.opBits;
    const reg = (modrm >> 3) & 7;
    c.decodeRM(modrm);
    const r = c.alu(op, c.getReg(reg, bits), c.readRM(bits), bits);
    if (op !== ALU_CMP) c.setReg(reg, bits, r);
  };
}

function aluAccImm(op: number, byte: boolean): Op {
  return (c) => {
    const bits = byte ? 8 : c.opBits;
    const imm = c.fetchImm(bits);
    const r = c.alu(op, c.getReg(EAX, bits), imm, bits);
    if (op !== ALU_CMP) c.setReg(EAX, bits, r);
  };
}

for (let op = 0; op < 8; op++) {
  const base = op << 3;
  OPS[base] = aluRmR(op, true);
  OPS[base + 1] = aluRmR(op, false);
  OPS[base + 2] = aluRRm(op, true);
  OPS[base + 3] = aluRRm(op, false);
  OPS[base + 4] = aluAccImm(op, true);
  OPS[base + 5] = aluAccImm(op, false);
}

// PUSH/POP segment registers.
function pushSeg(seg: number): Op {
  return (c) => {
    if (c.op32) {
      // A 32-bit push of a segment register writes only the low word on a 486? It writes 32 bits
      // with the selector zero-extended here (Intel's newer parts write 16 bits; both are allowed).
      c.push32(c.sel[seg]!);
    } else c.push16(c.sel[seg]!);
  };
}
function popSeg(seg: number): Op {
  return (c) => {
    const sp = c.sp;
    const v = c.readMem(SS, sp, c.opBits) & 0xffff;
    c.loadSeg(seg, v);
    c.setSp(c.spAdd(sp, c.op32 ? 4 : 2));
    if (seg === SS) {
      c.intShadow = true;
      c.requestCheck();
    }
  };
}
OPS[0x06] = pushSeg(ES);
OPS[0x07] = popSeg(ES);
OPS[0x0e] = pushSeg(CS);
OPS[0x16] = pushSeg(SS);
OPS[0x17] = popSeg(SS);
OPS[0x1e] = pushSeg(DS);
OPS[0x1f] = popSeg(DS);
OPS[0x0f] = op0F;

// Prefixes.
function prefixCheck(c: Cpu): void {
  if (++c.prefixCount >= 15) c.gp(0);
}
// Each prefix handler runs the rest of the instruction, then clears the prefix state (the run loop
// clears it when the instruction faults), so an instruction without prefixes pays nothing for them.
function segPrefix(seg: number): Op {
  return (c) => {
    prefixCheck(c);
    c.prefixSeg = seg;
    dispatch(c);
    c.clearPrefixes();
  };
}
OPS[0x26] = segPrefix(ES);
OPS[0x2e] = segPrefix(CS);
OPS[0x36] = segPrefix(SS);
OPS[0x3e] = segPrefix(DS);
OPS[0x64] = segPrefix(FS);
OPS[0x65] = segPrefix(GS);
OPS[0x66] = (c) => {
  prefixCheck(c);
  c.op32 = !c.csBig;
  dispatch(c);
  c.clearPrefixes();
};
OPS[0x67] = (c) => {
  prefixCheck(c);
  c.ad32 = !c.csBig;
  dispatch(c);
  c.clearPrefixes();
};
OPS[0xf0] = (c) => {
  prefixCheck(c);
  c.lockPrefix = true;
  if (!lockAllowed(c)) c.fault(EXC_UD, 0, false);
  dispatch(c);
  c.clearPrefixes();
};
OPS[0xf2] = (c) => {
  prefixCheck(c);
  c.rep = REP_NE;
  dispatch(c);
  c.clearPrefixes();
};
OPS[0xf3] = (c) => {
  prefixCheck(c);
  c.rep = REP_E;
  dispatch(c);
  c.clearPrefixes();
};

/** LOCK is allowed only on read-modify-write instructions with a memory destination. */
function lockAllowed(c: Cpu): boolean {
  const save = c.eip;
  try {
    let op = c.fetch8();
    while (op === 0x26 || op === 0x2e || op === 0x36 || op === 0x3e || op === 0x64 || op === 0x65 || op === 0x66 || op === 0x67 || op === 0xf0 || op === 0xf2 || op === 0xf3) {
      op = c.fetch8();
    }
    if (op === 0x0f) {
      const op2 = c.fetch8();
      const modrm = c.fetch8();
      if (modrm >= 0xc0) return false;
      if (op2 === 0xab || op2 === 0xb3 || op2 === 0xbb || op2 === 0xb0 || op2 === 0xb1 || op2 === 0xc0 || op2 === 0xc1) return true;
      if (op2 === 0xba) return ((modrm >> 3) & 7) >= 5;
      if (op2 === 0xc7) return ((modrm >> 3) & 7) === 1;
      return false;
    }
    const modrm = c.fetch8();
    if (modrm >= 0xc0) return false;
    const reg = (modrm >> 3) & 7;
    if (op < 0x40) return (op & 7) <= 1 && reg >= 0 && (op >> 3) !== 7;
    if (op >= 0x80 && op <= 0x83) return reg !== 7;
    if (op === 0x86 || op === 0x87) return true;
    if (op === 0xf6 || op === 0xf7) return reg === 2 || reg === 3;
    if (op === 0xfe || op === 0xff) return reg <= 1;
    return false;
  } finally {
    c.eip = save;
  }
}

// BCD adjustments.
OPS[0x27] = (c) => {
  // DAA
  const al = c.r8[0]!;
  const cf = c.getCF();
  const af = c.getAF();
  let r = al;
  let newAf = 0;
  let newCf = 0;
  if ((al & 0xf) > 9 || af) {
    r += 6;
    newAf = AF;
    if (r > 0xff) newCf = CF; // carry out of AL + 6
  }
  if (al > 0x99 || cf) {
    r += 0x60;
    newCf = CF;
  }
  c.r8[0] = r;
  c.setSzpFlags(r & 0xff, 8, newAf | newCf);
};
OPS[0x2f] = (c) => {
  // DAS
  const al = c.r8[0]!;
  const cf = c.getCF();
  const af = c.getAF();
  let r = al;
  let newAf = 0;
  let newCf = 0;
  if ((al & 0xf) > 9 || af) {
    r -= 6;
    newAf = AF;
    if (r < 0) newCf = CF; // borrow from AL - 6
  }
  if (al > 0x99 || cf) {
    r -= 0x60;
    newCf = CF;
  }
  c.r8[0] = r;
  c.setSzpFlags(r & 0xff, 8, newAf | newCf);
};
OPS[0x37] = (c) => {
  // AAA
  const al = c.r8[0]!;
  if ((al & 0xf) > 9 || c.getAF()) {
    c.r16[0] = c.r16[0]! + 0x106;
    c.r8[0] = c.r8[0]! & 0xf;
    c.setSzpFlags(c.r8[0]!, 8, AF | CF);
  } else {
    c.r8[0] = al & 0xf;
    c.setSzpFlags(c.r8[0]!, 8, 0);
  }
};
OPS[0x3f] = (c) => {
  // AAS
  const al = c.r8[0]!;
  if ((al & 0xf) > 9 || c.getAF()) {
    c.r16[0] = c.r16[0]! - 6;
    c.r8[1] = c.r8[1]! - 1;
    c.r8[0] = c.r8[0]! & 0xf;
    c.setSzpFlags(c.r8[0]!, 8, AF | CF);
  } else {
    c.r8[0] = al & 0xf;
    c.setSzpFlags(c.r8[0]!, 8, 0);
  }
};

// ---- INC/DEC/PUSH/POP register ----
for (let r = 0; r < 8; r++) {
  OPS[0x40 + r] = (c) => c.setReg(r, c.opBits, c.inc(c.getReg(r, c.opBits), c.opBits));
  OPS[0x48 + r] = (c) => c.setReg(r, c.opBits, c.dec(c.getReg(r, c.opBits), c.opBits));
  OPS[0x50 + r] = (c) => {
    if (c.op32) c.push32(c.r32[r]!);
    else c.push16(c.r16[r << 1]!);
  };
  OPS[0x58 + r] = (c) => {
    if (c.op32) {
      const v = c.pop32();
      c.r32[r] = v;
    } else {
      const v = c.pop16();
      c.r16[r << 1] = v;
    }
  };
}

// PUSHA / POPA
OPS[0x60] = (c) => {
  const size = c.op32 ? 4 : 2;
  const bits = size * 8;
  const sp0 = c.sp;
  const espVal = c.getReg(ESP, bits);
  let sp = sp0;
  for (let r = 0; r < 8; r++) {
    sp = c.spAdd(sp, -size);
    c.writeMem(SS, sp, bits, r === ESP ? espVal : c.getReg(r, bits));
  }
  c.setSp(sp);
};
OPS[0x61] = (c) => {
  const size = c.op32 ? 4 : 2;
  const bits = size * 8;
  let sp = c.sp;
  const vals: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let r = 7; r >= 0; r--) {
    vals[r] = c.readMem(SS, sp, bits);
    sp = c.spAdd(sp, size);
  }
  for (let r = 0; r < 8; r++) if (r !== ESP) c.setReg(r, bits, vals[r]!);
  c.setSp(sp);
};
OPS[0x62] = (c) => {
  // BOUND
  const modrm = c.fetch8();
  if (modrm >= 0xc0) c.fault(EXC_UD, 0, false);
  c.decodeEA(modrm);
  const bits = c.opBits;
  const idx = c.getReg((modrm >> 3) & 7, bits);
  const size = bits / 8;
  let lo = c.readMem(c.eaSeg, c.eaOff, bits);
  let hi = c.readMem(c.eaSeg, (c.eaOff + size) >>> 0, bits);
  let v = idx;
  if (bits === 16) {
    lo = (lo << 16) >> 16;
    hi = (hi << 16) >> 16;
    v = (idx << 16) >> 16;
  }
  if (v < lo || v > hi) c.fault(EXC_BR, 0, false);
};
OPS[0x63] = (c) => {
  // ARPL (protected mode only)
  if (!c.protectedMode || c.v86) c.fault(EXC_UD, 0, false);
  const modrm = c.fetch8();
  c.decodeRM(modrm);
  const dst = c.readRM(16);
  const src = c.getReg16((modrm >> 3) & 7);
  if ((dst & 3) < (src & 3)) {
    c.writeRM(16, (dst & ~3) | (src & 3));
    c.setArithFlags(ZF, ZF);
  } else {
    c.setArithFlags(0, ZF);
  }
};
OPS[0x68] = (c) => {
  if (c.op32) c.push32(c.fetch32());
  else c.push16(c.fetch16());
};
OPS[0x6a] = (c) => {
  const v = (c.fetch8() << 24) >> 24;
  if (c.op32) c.push32(v);
  else c.push16(v & 0xffff);
};
function imulImm(byteImm: boolean): Op {
  return (c) => {
    const modrm = c.fetch8();
    const bits = c.opBits;
    c.decodeRM(modrm);
    const a = c.readRM(bits);
    const imm = byteImm ? (c.fetch8() << 24) >> 24 : c.fetchImm(bits);
    c.setReg((modrm >> 3) & 7, bits, c.imul2(a, imm, bits));
  };
}
OPS[0x69] = imulImm(false);
OPS[0x6b] = imulImm(true);

// Jcc rel8
for (let cc = 0; cc < 16; cc++) {
  OPS[0x70 + cc] = (c) => {
    const rel = (c.fetch8() << 24) >> 24;
    if (c.cond(cc)) c.jumpRel(rel);
  };
}

OPS[0x84] = (c) => {
  const modrm = c.fetch8();
  c.decodeRM(modrm);
  c.setLogicFlags(c.readRM(8) & c.getReg8((modrm >> 3) & 7), 8);
};
OPS[0x85] = (c) => {
  const modrm = c.fetch8();
  const bits = c.opBits;
  c.decodeRM(modrm);
  c.setLogicFlags(c.readRM(bits) & c.getReg((modrm >> 3) & 7, bits), bits);
};
function xchgRm(byte: boolean): Op {
  return (c) => {
    const modrm = c.fetch8();
    const bits = byte ? 8 : c.opBits;
    const reg = (modrm >> 3) & 7;
    c.decodeRM(modrm);
    const a = c.readRM(bits);
    c.writeRM(bits, c.getReg(reg, bits));
    c.setReg(reg, bits, a);
  };
}
OPS[0x86] = xchgRm(true);
OPS[0x87] = xchgRm(false);
OPS[0x88] = (c) => {
  const modrm = c.fetch8();
  c.decodeRM(modrm);
  c.writeRM(8, c.getReg8((modrm >> 3) & 7));
};
OPS[0x89] = (c) => {
  const modrm = c.fetch8();
  if (modrm >= 0xc0) {
    if (c.op32) c.r32[modrm & 7] = c.r32[(modrm >> 3) & 7]!;
    else c.r16[(modrm & 7) << 1] = c.r16[((modrm >> 3) & 7) << 1]!;
    return;
  }
  c.decodeEA(modrm);
  if (c.op32) c.write32(c.eaSeg, c.eaOff, c.r32[(modrm >> 3) & 7]!);
  else c.write16(c.eaSeg, c.eaOff, c.r16[((modrm >> 3) & 7) << 1]!);
};
OPS[0x8a] = (c) => {
  const modrm = c.fetch8();
  c.decodeRM(modrm);
  c.setReg8((modrm >> 3) & 7, c.readRM(8));
};
OPS[0x8b] = (c) => {
  const modrm = c.fetch8();
  if (modrm >= 0xc0) {
    if (c.op32) c.r32[(modrm >> 3) & 7] = c.r32[modrm & 7]!;
    else c.r16[((modrm >> 3) & 7) << 1] = c.r16[(modrm & 7) << 1]!;
    return;
  }
  c.decodeEA(modrm);
  if (c.op32) c.r32[(modrm >> 3) & 7] = c.read32(c.eaSeg, c.eaOff);
  else c.r16[((modrm >> 3) & 7) << 1] = c.read16(c.eaSeg, c.eaOff);
};
OPS[0x8c] = (c) => {
  // MOV r/m16, Sreg (a register destination with 32-bit operand size gets the selector zero-extended)
  const modrm = c.fetch8();
  const sreg = (modrm >> 3) & 7;
  if (sreg > 5) c.fault(EXC_UD, 0, false);
  c.decodeRM(modrm);
  if (c.eaReg >= 0 && c.op32) c.r32[c.eaReg] = c.sel[sreg]!;
  else c.writeRM(16, c.sel[sreg]!);
};
OPS[0x8d] = (c) => {
  const modrm = c.fetch8();
  if (modrm >= 0xc0) c.fault(EXC_UD, 0, false);
  c.decodeEA(modrm);
  c.setReg((modrm >> 3) & 7, c.opBits, c.eaOff);
};
OPS[0x8e] = (c) => {
  const modrm = c.fetch8();
  const sreg = (modrm >> 3) & 7;
  if (sreg > 5 || sreg === CS) c.fault(EXC_UD, 0, false);
  c.decodeRM(modrm);
  c.loadSeg(sreg, c.readRM(16));
  if (sreg === SS) {
    c.intShadow = true;
    c.requestCheck();
  }
};
OPS[0x8f] = (c) => {
  // POP r/m: ESP is incremented before the address is computed.
  const modrm = c.fetch8();
  if (((modrm >> 3) & 7) !== 0) c.fault(EXC_UD, 0, false);
  const bits = c.opBits;
  const sp = c.sp;
  const v = c.readMem(SS, sp, bits);
  c.setSp(c.spAdd(sp, bits / 8));
  try {
    c.decodeRM(modrm);
    c.writeRM(bits, v);
  } catch (e) {
    c.setSp(sp);
    throw e;
  }
};
OPS[0x90] = () => {};
for (let r = 1; r < 8; r++) {
  OPS[0x90 + r] = (c) => {
    const bits = c.opBits;
    const a = c.getReg(EAX, bits);
    c.setReg(EAX, bits, c.getReg(r, bits));
    c.setReg(r, bits, a);
  };
}
OPS[0x98] = (c) => {
  if (c.op32) c.r32[EAX] = (c.r16[0]! << 16) >> 16;
  else c.r16[0] = (c.r8[0]! << 24) >> 24;
};
OPS[0x99] = (c) => {
  if (c.op32) c.r32[EDX] = c.r32[EAX]! >> 31;
  else c.r16[EDX << 1] = (c.r16[0]! << 16) >> 31;
};
OPS[0x9a] = (c) => {
  const off = c.op32 ? c.fetch32() >>> 0 : c.fetch16();
  const sel = c.fetch16();
  c.farCall(sel, off);
};
OPS[0x9b] = (c) => {
  // WAIT/FWAIT: #NM when MP and TS are both set.
  if ((c.cr0 & (CR0_MP | CR0_TS)) === (CR0_MP | CR0_TS)) c.fault(EXC_NM, 0, false);
};
OPS[0x9c] = (c) => {
  // PUSHF: V86 with IOPL < 3 faults; VM and RF are never pushed set.
  if (c.v86 && (c.flags & IOPL) !== IOPL) c.gp(0);
  const f = c.getFlags() & ~(VM | RF);
  if (c.op32) c.push32(f);
  else c.push16(f & 0xffff);
};
OPS[0x9d] = (c) => {
  // POPF
  if (c.v86 && (c.flags & IOPL) !== IOPL) c.gp(0);
  const v = c.op32 ? c.pop32() : c.pop16();
  let mask = ARITH_FLAGS | TF | IF | DF | IOPL | NT;
  if (c.op32) mask |= AC | ID;
  if (c.v86) mask &= ~IOPL;
  c.writeFlags(v, mask);
};
OPS[0x9e] = (c) => {
  // SAHF
  c.setArithFlags(c.r8[1]!, CF | PF | AF | ZF | SF);
};
OPS[0x9f] = (c) => {
  // LAHF
  c.r8[1] = (c.getFlags() & 0xd5) | 2;
};
OPS[0xa0] = (c) => {
  const off = c.ad32 ? c.fetch32() >>> 0 : c.fetch16();
  c.r8[0] = c.read8(c.dataSeg(), off);
};
OPS[0xa1] = (c) => {
  const off = c.ad32 ? c.fetch32() >>> 0 : c.fetch16();
  if (c.op32) c.r32[EAX] = c.read32(c.dataSeg(), off);
  else c.r16[0] = c.read16(c.dataSeg(), off);
};
OPS[0xa2] = (c) => {
  const off = c.ad32 ? c.fetch32() >>> 0 : c.fetch16();
  c.write8(c.dataSeg(), off, c.r8[0]!);
};
OPS[0xa3] = (c) => {
  const off = c.ad32 ? c.fetch32() >>> 0 : c.fetch16();
  if (c.op32) c.write32(c.dataSeg(), off, c.r32[EAX]!);
  else c.write16(c.dataSeg(), off, c.r16[0]!);
};
OPS[0xa8] = (c) => c.setLogicFlags(c.r8[0]! & c.fetch8(), 8);
OPS[0xa9] = (c) => {
  const bits = c.opBits;
  c.setLogicFlags(c.getReg(EAX, bits) & c.fetchImm(bits), bits);
};
for (let r = 0; r < 8; r++) {
  OPS[0xb0 + r] = (c) => c.setReg8(r, c.fetch8());
  OPS[0xb8 + r] = (c) => {
    if (c.op32) c.r32[r] = c.fetch32();
    else c.r16[r << 1] = c.fetch16();
  };
}
OPS[0xc2] = (c) => {
  const imm = c.fetch16();
  const ip = c.popOp(c.op32);
  c.jumpAbs(ip);
  c.setSp(c.spAdd(c.sp, imm));
};
OPS[0xc3] = (c) => {
  const sp = c.sp;
  const ip = c.op32 ? c.read32(SS, sp) >>> 0 : c.read16(SS, sp);
  c.jumpAbs(ip);
  c.setSp(c.spAdd(sp, c.op32 ? 4 : 2));
};
function loadFarPointer(seg: number): Op {
  return (c) => {
    const modrm = c.fetch8();
    if (modrm >= 0xc0) c.fault(EXC_UD, 0, false);
    c.decodeEA(modrm);
    const bits = c.opBits;
    const off = c.readMem(c.eaSeg, c.eaOff, bits);
    const sel = c.read16(c.eaSeg, (c.eaOff + bits / 8) >>> 0);
    c.loadSeg(seg, sel);
    c.setReg((modrm >> 3) & 7, bits, off);
    if (seg === SS) {
      c.intShadow = true;
      c.requestCheck();
    }
  };
}
OPS[0xc4] = loadFarPointer(ES);
OPS[0xc5] = loadFarPointer(DS);
OPS[0xc6] = (c) => {
  const modrm = c.fetch8();
  c.decodeRM(modrm);
  c.writeRM(8, c.fetch8());
};
OPS[0xc7] = (c) => {
  const modrm = c.fetch8();
  c.decodeRM(modrm);
  const bits = c.opBits;
  c.writeRM(bits, c.fetchImm(bits));
};
OPS[0xc8] = (c) => {
  // ENTER imm16, imm8
  const size = c.fetch16();
  const level = c.fetch8() & 31;
  const opSize = c.op32 ? 4 : 2;
  const bits = opSize * 8;
  let sp = c.sp;
  const ebp = c.ssBig ? c.r32[EBP]! >>> 0 : c.r16[EBP << 1]!;
  sp = c.spAdd(sp, -opSize);
  c.writeMem(SS, sp, bits, c.getReg(EBP, bits));
  const frame = sp;
  let bp = ebp;
  for (let i = 1; i < level; i++) {
    bp = c.spAdd(bp, -opSize);
    const v = c.readMem(SS, bp, bits);
    sp = c.spAdd(sp, -opSize);
    c.writeMem(SS, sp, bits, v);
  }
  if (level > 0) {
    sp = c.spAdd(sp, -opSize);
    c.writeMem(SS, sp, bits, frame);
  }
  const newSp = c.spAdd(sp, -size);
  // The whole frame must be writable (the 486 checks the final stack pointer).
  if (size > 0) c.write8(SS, newSp, c.read8(SS, newSp));
  if (c.op32) c.r32[EBP] = frame;
  else c.r16[EBP << 1] = frame;
  c.setSp(newSp);
};
OPS[0xc9] = (c) => {
  // LEAVE
  const bp = c.ssBig ? c.r32[EBP]! >>> 0 : c.r16[EBP << 1]!;
  const v = c.readMem(SS, bp, c.opBits);
  c.setSp(c.spAdd(bp, c.op32 ? 4 : 2));
  c.setReg(EBP, c.opBits, v);
};
OPS[0xca] = (c) => c.farReturn(c.op32, c.fetch16());
OPS[0xcb] = (c) => c.farReturn(c.op32, 0);
OPS[0xcc] = (c) => c.interrupt(EXC_BP, INT_SOFT_EXC, 0, false);
OPS[0xcd] = (c) => {
  const v = c.fetch8();
  c.interrupt(v, INT_SOFTWARE, 0, false);
};
OPS[0xce] = (c) => {
  if (c.getOF() !== 0) c.interrupt(EXC_OF, INT_SOFT_EXC, 0, false);
};
OPS[0xcf] = (c) => {
  c.iret(c.op32);
  c.requestCheck();
};
OPS[0xd4] = (c) => {
  // AAM imm8
  const base = c.fetch8();
  if (base === 0) c.fault(0, 0, false);
  const al = c.r8[0]!;
  c.r8[1] = (al / base) | 0;
  c.r8[0] = al % base;
  c.setSzpFlags(c.r8[0]!, 8, 0);
};
OPS[0xd5] = (c) => {
  // AAD imm8
  const base = c.fetch8();
  const r = (c.r8[0]! + c.r8[1]! * base) & 0xff;
  c.r16[0] = r;
  c.setSzpFlags(r, 8, 0);
};
OPS[0xd6] = (c) => {
  // SALC (undocumented): AL = CF ? 0xFF : 0
  c.r8[0] = c.getCF() !== 0 ? 0xff : 0;
};
OPS[0xd7] = (c) => {
  // XLAT
  const base = c.ad32 ? c.r32[3]! : c.r16[6]!;
  const off = c.ad32 ? (base + c.r8[0]!) >>> 0 : (base + c.r8[0]!) & 0xffff;
  c.r8[0] = c.read8(c.dataSeg(), off);
};
// x87 escapes: #NM when CR0.EM or CR0.TS; with neither and no FPU nothing responds (no-op).
for (let op = 0xd8; op <= 0xdf; op++) {
  OPS[op] = (c) => {
    if ((c.cr0 & (CR0_EM | CR0_TS)) !== 0) c.fault(EXC_NM, 0, false);
    const modrm = c.fetch8();
    if (modrm < 0xc0) c.decodeEA(modrm);
  };
}
// LOOPcc / JCXZ
OPS[0xe0] = (c) => loop(c, 1);
OPS[0xe1] = (c) => loop(c, 2);
OPS[0xe2] = (c) => loop(c, 0);
OPS[0xe3] = (c) => {
  const rel = (c.fetch8() << 24) >> 24;
  const cx = c.ad32 ? c.r32[ECX]! : c.r16[ECX << 1]!;
  if (cx === 0) c.jumpRel(rel);
};
function loop(c: Cpu, kind: number): void {
  const rel = (c.fetch8() << 24) >> 24;
  let cx: number;
  if (c.ad32) cx = c.r32[ECX] = c.r32[ECX]! - 1;
  else cx = c.r16[ECX << 1] = c.r16[ECX << 1]! - 1;
  if (cx === 0) return;
  if (kind === 1 && c.getZF() !== 0) return; // LOOPNE
  if (kind === 2 && c.getZF() === 0) return; // LOOPE
  c.jumpRel(rel);
}
// IN/OUT
OPS[0xe4] = (c) => {
  const port = c.fetch8();
  c.r8[0] = c.portIn(port, 1);
};
OPS[0xe5] = (c) => {
  const port = c.fetch8();
  if (c.op32) c.r32[EAX] = c.portIn(port, 4);
  else c.r16[0] = c.portIn(port, 2);
};
OPS[0xe6] = (c) => c.portOut(c.fetch8(), 1, c.r8[0]!);
OPS[0xe7] = (c) => {
  const port = c.fetch8();
  if (c.op32) c.portOut(port, 4, c.r32[EAX]!);
  else c.portOut(port, 2, c.r16[0]!);
};
OPS[0xec] = (c) => {
  c.r8[0] = c.portIn(c.r16[EDX << 1]!, 1);
};
OPS[0xed] = (c) => {
  if (c.op32) c.r32[EAX] = c.portIn(c.r16[EDX << 1]!, 4);
  else c.r16[0] = c.portIn(c.r16[EDX << 1]!, 2);
};
OPS[0xee] = (c) => c.portOut(c.r16[EDX << 1]!, 1, c.r8[0]!);
OPS[0xef] = (c) => {
  if (c.op32) c.portOut(c.r16[EDX << 1]!, 4, c.r32[EAX]!);
  else c.portOut(c.r16[EDX << 1]!, 2, c.r16[0]!);
};
OPS[0xe8] = (c) => {
  const rel = c.op32 ? c.fetch32() : (c.fetch16() << 16) >> 16;
  const ret = c.eip;
  const target = c.op32 ? (ret + rel) >>> 0 : (ret + rel) & 0xffff;
  if (target > c.segLimit[CS]!) c.gp(0);
  if (c.op32) c.push32(ret);
  else c.push16(ret);
  c.eip = target;
};
OPS[0xe9] = (c) => {
  const rel = c.op32 ? c.fetch32() : (c.fetch16() << 16) >> 16;
  c.jumpRel(rel);
};
OPS[0xea] = (c) => {
  const off = c.op32 ? c.fetch32() >>> 0 : c.fetch16();
  const sel = c.fetch16();
  c.farJump(sel, off);
};
OPS[0xeb] = (c) => {
  const rel = (c.fetch8() << 24) >> 24;
  c.jumpRel(rel);
};
OPS[0xf1] = (c) => c.interrupt(EXC_DB, INT_EXCEPTION, 0, false); // ICEBP: a #DB trap without the gate DPL check
OPS[0xf4] = (c) => {
  if (c.cpl !== 0) c.gp(0);
  c.halted = true;
  c.requestCheck();
};
OPS[0xf5] = (c) => {
  c.materializeFlags();
  c.flags ^= CF;
};
OPS[0xf8] = (c) => c.setCF(false);
OPS[0xf9] = (c) => c.setCF(true);
OPS[0xfa] = (c) => {
  if (c.protectedMode && c.cpl > (c.flags & IOPL) >> IOPL_SHIFT) c.gp(0);
  if (c.v86 && (c.flags & IOPL) !== IOPL) c.gp(0);
  c.flags &= ~IF;
};
OPS[0xfb] = (c) => {
  if (c.protectedMode && c.cpl > (c.flags & IOPL) >> IOPL_SHIFT) c.gp(0);
  if (c.v86 && (c.flags & IOPL) !== IOPL) c.gp(0);
  if ((c.flags & IF) === 0) {
    c.flags |= IF;
    c.intShadow = true;
    c.requestCheck();
  }
};
OPS[0xfc] = (c) => {
  c.flags &= ~DF;
};
OPS[0xfd] = (c) => {
  c.flags |= DF;
};

for (const [op, fn] of OPS_GROUP) OPS[op] = fn;
for (const [op, fn] of OPS_STRING) OPS[op] = fn;
for (const [op, fn] of OPS_BYTE) OPS[op] = fn;
for (let op = 0; op < 0x100; op++) OPS[0x100 | op] = OPS[op]!;
for (const [index, fn] of OPS_SIZED) OPS[index] = fn;

void OF;
void SF;
void AC;
void SEG_NONE;
