/** Opcode groups selected by the ModRM reg field: 80-83, C0/C1, D0-D3, F6/F7, FE/FF. */
import type { Cpu } from './cpu.ts';
import type { Op } from './ops-core.ts';
import { ALU_CMP } from './cpu-alu.ts';
import { CS, EAX, EDX, EXC_DE, EXC_UD, SS } from './constants.ts';

function group1(byte: boolean, immBits: number): Op {
  // immBits: 8 for an imm8 (sign-extended when the operand is wider), 0 for a full-width immediate.
  return (c) => {
    const modrm = c.fetch8();
    const op = (modrm >> 3) & 7;
    const bits = byte ? 8 : c.opBits;
    c.decodeRM(modrm);
    let imm: number;
    if (immBits === 8) {
      imm = c.fetch8();
      if (!byte) imm = (imm << 24) >> 24;
    } else imm = c.fetchImm(bits);
    if (c.eaReg >= 0) {
      const r = c.alu(op, c.getReg(c.eaReg, bits), imm, bits);
      if (op !== ALU_CMP) c.setReg(c.eaReg, bits, r);
    } else {
      if (op === 2 || op === 3) c.probeWrite(c.eaSeg, c.eaOff, bits >> 3); // ADC/SBB: no half-done flags
      const r = c.alu(op, c.readMem(c.eaSeg, c.eaOff, bits), imm, bits);
      if (op !== ALU_CMP) c.writeMem(c.eaSeg, c.eaOff, bits, r);
    }
  };
}

/** countKind: 0 = 1, 1 = CL, 2 = imm8. */
function group2(byte: boolean, countKind: number): Op {
  return (c) => {
    const modrm = c.fetch8();
    const op = (modrm >> 3) & 7;
    const bits = byte ? 8 : c.opBits;
    c.decodeRM(modrm);
    let count: number;
    if (countKind === 0) count = 1;
    else if (countKind === 1) count = c.r8[4]! & 31;
    else count = c.fetch8() & 31;
    const a = c.readRM(bits);
    if (count === 0) return;
    if ((op === 2 || op === 3) && c.eaReg < 0) c.probeWrite(c.eaSeg, c.eaOff, bits >> 3); // RCL/RCR
    c.writeRM(bits, c.shift(op, a, count, bits));
  };
}

function group3(byte: boolean): Op {
  return (c) => {
    const modrm = c.fetch8();
    const op = (modrm >> 3) & 7;
    const bits = byte ? 8 : c.opBits;
    c.decodeRM(modrm);
    switch (op) {
      case 0:
      case 1: {
        const a = c.readRM(bits);
        c.setLogicFlags(a & c.fetchImm(bits), bits);
        return;
      }
      case 2:
        c.writeRM(bits, ~c.readRM(bits));
        return;
      case 3:
        c.writeRM(bits, c.neg(c.readRM(bits), bits));
        return;
      case 4:
        return mul(c, c.readRM(bits), bits);
      case 5:
        return imul1(c, c.readRM(bits), bits);
      case 6:
        return div(c, c.readRM(bits), bits);
      default:
        return idiv(c, c.readRM(bits), bits);
    }
  };
}

function mul(c: Cpu, src: number, bits: number): void {
  if (bits === 8) {
    const r = c.r8[0]! * src;
    c.r16[0] = r;
    c.setMulFlags(r > 0xff, r, 8);
  } else if (bits === 16) {
    const r = c.r16[0]! * src;
    c.r16[0] = r;
    c.r16[EDX << 1] = r >>> 16;
    c.setMulFlags(r > 0xffff, r, 16);
  } else {
    const a = c.r32[EAX]! >>> 0;
    const b = src >>> 0;
    const lo = Math.imul(a, b);
    const hi = mulHigh(a, b);
    c.r32[EAX] = lo;
    c.r32[EDX] = hi;
    c.setMulFlags(hi !== 0, lo, 32);
  }
}

/** High 32 bits of the unsigned 64-bit product of two uint32. */
export function mulHigh(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const lo = a0 * b0;
  const mid1 = a1 * b0;
  const mid2 = a0 * b1;
  const carry = ((lo >>> 16) + (mid1 & 0xffff) + (mid2 & 0xffff)) >>> 16;
  return (a1 * b1 + (mid1 >>> 16) + (mid2 >>> 16) + carry) | 0;
}

/** High 32 bits of the signed 64-bit product of two int32. */
export function imulHigh(a: number, b: number): number {
  let hi = mulHigh(a >>> 0, b >>> 0);
  if (a < 0) hi = (hi - b) | 0;
  if (b < 0) hi = (hi - a) | 0;
  return hi;
}

function imul1(c: Cpu, src: number, bits: number): void {
  if (bits === 8) {
    const r = ((c.r8[0]! << 24) >> 24) * ((src << 24) >> 24);
    c.r16[0] = r;
    c.setMulFlags(r !== (r << 24) >> 24, r, 8);
  } else if (bits === 16) {
    const r = ((c.r16[0]! << 16) >> 16) * ((src << 16) >> 16);
    c.r16[0] = r;
    c.r16[EDX << 1] = r >> 16;
    c.setMulFlags(r !== (r << 16) >> 16, r, 16);
  } else {
    const a = c.r32[EAX]!;
    const b = src | 0;
    const lo = Math.imul(a, b);
    const hi = imulHigh(a, b);
    c.r32[EAX] = lo;
    c.r32[EDX] = hi;
    c.setMulFlags(hi !== lo >> 31, lo, 32);
  }
}

function div(c: Cpu, src: number, bits: number): void {
  if (src === 0) c.fault(EXC_DE, 0, false);
  if (bits === 8) {
    const n = c.r16[0]!;
    const q = (n / src) >>> 0;
    if (q > 0xff) c.fault(EXC_DE, 0, false);
    c.r8[0] = q;
    c.r8[1] = n % src;
  } else if (bits === 16) {
    const n = ((c.r16[EDX << 1]! << 16) | c.r16[0]!) >>> 0;
    const q = Math.floor(n / src);
    if (q > 0xffff) c.fault(EXC_DE, 0, false);
    c.r16[0] = q;
    c.r16[EDX << 1] = n % src;
  } else {
    const d = src >>> 0;
    const hi = c.r32[EDX]! >>> 0;
    const lo = c.r32[EAX]! >>> 0;
    if (hi >= d) c.fault(EXC_DE, 0, false);
    let q: number;
    let r: number;
    if (hi === 0) {
      q = Math.floor(lo / d);
      r = lo - q * d;
    } else if (hi < 0x200000) {
      const n = hi * 4294967296 + lo;
      q = Math.floor(n / d);
      r = n - q * d;
      // Floating division may round q up by one near 2^53; correct it.
      if (r < 0) {
        q -= 1;
        r += d;
      }
    } else {
      const n = (BigInt(hi) << 32n) | BigInt(lo);
      const bd = BigInt(d);
      q = Number(n / bd);
      r = Number(n % bd);
    }
    c.r32[EAX] = q;
    c.r32[EDX] = r;
  }
}

function idiv(c: Cpu, src: number, bits: number): void {
  if (bits === 8) {
    const d = (src << 24) >> 24;
    if (d === 0) c.fault(EXC_DE, 0, false);
    const n = (c.r16[0]! << 16) >> 16;
    const q = Math.trunc(n / d);
    if (q > 127 || q < -128) c.fault(EXC_DE, 0, false);
    c.r8[0] = q;
    c.r8[1] = n % d;
  } else if (bits === 16) {
    const d = (src << 16) >> 16;
    if (d === 0) c.fault(EXC_DE, 0, false);
    const n = (c.r16[EDX << 1]! << 16) | c.r16[0]!;
    const q = Math.trunc(n / d);
    if (q > 32767 || q < -32768) c.fault(EXC_DE, 0, false);
    c.r16[0] = q;
    c.r16[EDX << 1] = n % d;
  } else {
    const d = src | 0;
    if (d === 0) c.fault(EXC_DE, 0, false);
    const n = (BigInt(c.r32[EDX]!) << 32n) | BigInt(c.r32[EAX]! >>> 0);
    const bd = BigInt(d);
    const q = n / bd;
    if (q > 2147483647n || q < -2147483648n) c.fault(EXC_DE, 0, false);
    c.r32[EAX] = Number(q);
    c.r32[EDX] = Number(n % bd);
  }
}

function group4(c: Cpu): void {
  const modrm = c.fetch8();
  const op = (modrm >> 3) & 7;
  c.decodeRM(modrm);
  if (op === 0) c.writeRM(8, c.inc(c.readRM(8), 8));
  else if (op === 1) c.writeRM(8, c.dec(c.readRM(8), 8));
  else c.fault(EXC_UD, 0, false);
}

function group5(c: Cpu): void {
  const modrm = c.fetch8();
  const op = (modrm >> 3) & 7;
  const bits = c.opBits;
  if ((op === 3 || op === 5) && modrm >= 0xc0) c.fault(EXC_UD, 0, false);
  if (op === 7) c.fault(EXC_UD, 0, false);
  c.decodeRM(modrm);
  switch (op) {
    case 0:
      c.writeRM(bits, c.inc(c.readRM(bits), bits));
      return;
    case 1:
      c.writeRM(bits, c.dec(c.readRM(bits), bits));
      return;
    case 2: {
      const target = c.op32 ? c.readRM(32) >>> 0 : c.readRM(16);
      if (target > c.segLimit[CS]!) c.gp(0);
      c.pushOp(c.eip, c.op32);
      c.eip = target;
      return;
    }
    case 3: {
      const off = c.readMem(c.eaSeg, c.eaOff, bits) >>> 0;
      const sel = c.read16(c.eaSeg, (c.eaOff + bits / 8) >>> 0);
      c.farCall(sel, off);
      return;
    }
    case 4: {
      const target = c.op32 ? c.readRM(32) >>> 0 : c.readRM(16);
      c.jumpAbs(target);
      return;
    }
    case 5: {
      const off = c.readMem(c.eaSeg, c.eaOff, bits) >>> 0;
      const sel = c.read16(c.eaSeg, (c.eaOff + bits / 8) >>> 0);
      c.farJump(sel, off);
      return;
    }
    default: {
      // PUSH r/m: the operand is read before ESP changes (PUSH [ESP] pushes the old top).
      const v = c.readRM(bits);
      c.pushOp(v, c.op32);
      return;
    }
  }
}

export const OPS_GROUP: [number, Op][] = [
  [0x80, group1(true, 0)],
  [0x81, group1(false, 0)],
  [0x82, group1(true, 0)],
  [0x83, group1(false, 8)],
  [0xc0, group2(true, 2)],
  [0xc1, group2(false, 2)],
  [0xd0, group2(true, 0)],
  [0xd1, group2(false, 0)],
  [0xd2, group2(true, 1)],
  [0xd3, group2(false, 1)],
  [0xf6, group3(true)],
  [0xf7, group3(false)],
  [0xfe, group4],
  [0xff, group5],
];

void SS;
