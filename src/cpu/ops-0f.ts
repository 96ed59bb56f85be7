/** Two-byte opcodes (0x0F xx). */
import type { Cpu } from './cpu.ts';
import type { Op } from './ops-core.ts';
import { imulHigh } from './ops-group.ts';
import { OPS2_SIZED } from './ops-32.ts';
import { group6, group7, lar, lsl, movFromCr, movToCr, movFromDr, movToDr, cpuid, rdmsr, wrmsr, rdtsc } from './ops-system.ts';
import { CF, CR0_TS, EAX, EBX, ECX, EDX, EXC_UD, FS, GS, SS, ZF } from './constants.ts';
import { REP_NONE } from './cpu-decode.ts';

function ud(c: Cpu): void {
  c.fault(EXC_UD, 0, false);
}

/** Two-byte opcodes, indexed like OPS: 0x100 | op for a 32-bit operand size. */
const OPS2: Op[] = new Array<Op>(512).fill(ud);

export function op0F(c: Cpu): void {
  OPS2[c.fetch8() | (c.op32 ? 0x100 : 0)]!(c);
}

OPS2[0x00] = group6;
OPS2[0x01] = group7;
OPS2[0x02] = lar;
OPS2[0x03] = lsl;
OPS2[0x06] = (c) => {
  // CLTS
  if (c.cpl !== 0) c.gp(0);
  c.cr0 &= ~CR0_TS;
};
OPS2[0x08] = (c) => {
  // INVD
  if (c.cpl !== 0) c.gp(0);
};
OPS2[0x09] = (c) => {
  // WBINVD
  if (c.cpl !== 0) c.gp(0);
};
OPS2[0x0b] = ud; // UD2
// Hint NOPs 0F 18-1F with a ModRM operand (multi-byte NOP, as i686 code aligns with them).
for (let op = 0x18; op <= 0x1f; op++) {
  OPS2[op] = (c) => {
    const modrm = c.fetch8();
    if (modrm < 0xc0) c.decodeEA(modrm);
  };
}
OPS2[0x20] = movFromCr;
OPS2[0x21] = movFromDr;
OPS2[0x22] = movToCr;
OPS2[0x23] = movToDr;
OPS2[0x30] = wrmsr;
OPS2[0x31] = rdtsc;
OPS2[0x32] = rdmsr;
OPS2[0xa2] = cpuid;
/**
 * 0F AE, group 15: only the fences, the register forms (mod = 11) of /5 LFENCE, /6 MFENCE and
 * /7 SFENCE, whatever their r/m field. An in-order interpreter has nothing to fence, so they do
 * nothing, and they run whatever CPUID says: Linux 6.1 executes MFENCE and LFENCE around every
 * TSC-deadline write (__setup_APIC_LVTT, weak_wrmsr_fence) without looking at CPUID.SSE2, and
 * every real CPU with the TSC-deadline timer has them. Everything else here (FXSAVE, LDMXCSR,
 * CLFLUSH..., the memory forms; 66/F2/F3-prefixed forms such as TPAUSE and UMWAIT) belongs to
 * features this CPU does not have: #UD, as is LOCK (ops-core.ts refuses it on a register form).
 */
OPS2[0xae] = (c) => {
  const modrm = c.fetch8();
  if (modrm < 0xe8 || c.rep !== REP_NONE || c.op32 !== c.csBig) c.fault(EXC_UD, 0, false);
};

// CMOVcc: the source is read (and may fault) whatever the condition.
for (let cc = 0; cc < 16; cc++) {
  OPS2[0x40 + cc] = (c) => {
    if (!c.model.cmov) c.fault(EXC_UD, 0, false);
    const modrm = c.fetch8();
    const bits = c.opBits;
    c.decodeRM(modrm);
    const v = c.readRM(bits);
    if (c.cond(cc)) c.setReg((modrm >> 3) & 7, bits, v);
  };
  OPS2[0x80 + cc] = (c) => {
    const rel = c.op32 ? c.fetch32() : (c.fetch16() << 16) >> 16;
    if (c.cond(cc)) c.jumpRel(rel);
  };
  OPS2[0x90 + cc] = (c) => {
    const modrm = c.fetch8();
    c.decodeRM(modrm);
    c.writeRM(8, c.cond(cc) ? 1 : 0);
  };
}

function pushSeg(seg: number): Op {
  return (c) => c.pushOp(c.sel[seg]!, c.op32);
}
function popSeg(seg: number): Op {
  return (c) => {
    const sp = c.sp;
    const v = c.readMem(SS, sp, c.opBits) & 0xffff;
    c.loadSeg(seg, v);
    c.setSp(c.spAdd(sp, c.op32 ? 4 : 2));
  };
}
OPS2[0xa0] = pushSeg(FS);
OPS2[0xa1] = popSeg(FS);
OPS2[0xa8] = pushSeg(GS);
OPS2[0xa9] = popSeg(GS);

// ---- Bit tests: BT BTS BTR BTC ----

/** op: 0 BT, 1 BTS, 2 BTR, 3 BTC. Register bit offsets are signed and may reach outside the operand. */
function bitOp(c: Cpu, modrm: number, op: number, offset: number, fromImm: boolean): void {
  const bits = c.opBits;
  c.decodeRM(modrm);
  let bit: number;
  let v: number;
  let seg = 0;
  let addr = 0;
  if (c.eaReg >= 0) {
    bit = offset & (bits - 1);
    v = c.getReg(c.eaReg, bits);
  } else {
    if (fromImm) {
      bit = offset & (bits - 1);
      addr = c.eaOff;
    } else {
      const signed = bits === 16 ? (offset << 16) >> 16 : offset | 0;
      const unitShift = bits === 16 ? 4 : 5;
      const unit = Math.floor(signed / bits) | 0;
      void unitShift;
      bit = signed & (bits - 1);
      const byteDelta = unit * (bits / 8);
      addr = c.ad32 ? (c.eaOff + byteDelta) >>> 0 : (c.eaOff + byteDelta) & 0xffff;
    }
    seg = c.eaSeg;
    v = c.readMem(seg, addr, bits);
  }
  const mask = 1 << bit;
  const set = (v & mask) !== 0;
  c.setArithFlags(set ? CF : 0, CF);
  if (op === 0) return;
  const r = op === 1 ? v | mask : op === 2 ? v & ~mask : v ^ mask;
  if (c.eaReg >= 0) c.setReg(c.eaReg, bits, r);
  else c.writeMem(seg, addr, bits, r);
}

function btReg(op: number): Op {
  return (c) => {
    const modrm = c.fetch8();
    bitOp(c, modrm, op, c.getReg((modrm >> 3) & 7, c.opBits), false);
  };
}
OPS2[0xa3] = btReg(0);
OPS2[0xab] = btReg(1);
OPS2[0xb3] = btReg(2);
OPS2[0xbb] = btReg(3);
OPS2[0xba] = (c) => {
  const modrm = c.fetch8();
  const op = (modrm >> 3) & 7;
  if (op < 4) c.fault(EXC_UD, 0, false);
  // The immediate follows the ModRM operand's displacement: decode first, then fetch it.
  const bits = c.opBits;
  c.decodeRM(modrm);
  const imm = c.fetch8();
  const bit = imm & (bits - 1);
  const v = c.readRM(bits);
  const mask = 1 << bit;
  c.setArithFlags((v & mask) !== 0 ? CF : 0, CF);
  if (op === 4) return;
  c.writeRM(bits, op === 5 ? v | mask : op === 6 ? v & ~mask : v ^ mask);
};

// ---- SHLD / SHRD ----
function shiftDouble(left: boolean, byCl: boolean): Op {
  return (c) => {
    const modrm = c.fetch8();
    const bits = c.opBits;
    c.decodeRM(modrm);
    const count = (byCl ? c.r8[4]! : c.fetch8()) & 31;
    const dst = c.readRM(bits);
    if (count === 0) return;
    c.writeRM(bits, c.shiftDouble(left, dst, c.getReg((modrm >> 3) & 7, bits), count, bits));
  };
}
OPS2[0xa4] = shiftDouble(true, false);
OPS2[0xa5] = shiftDouble(true, true);
OPS2[0xac] = shiftDouble(false, false);
OPS2[0xad] = shiftDouble(false, true);

OPS2[0xaf] = (c) => {
  const modrm = c.fetch8();
  const bits = c.opBits;
  c.decodeRM(modrm);
  const reg = (modrm >> 3) & 7;
  c.setReg(reg, bits, c.imul2(c.getReg(reg, bits), c.readRM(bits), bits));
};

// ---- CMPXCHG / XADD ----
function cmpxchg(byte: boolean): Op {
  return (c) => {
    const modrm = c.fetch8();
    const bits = byte ? 8 : c.opBits;
    c.decodeRM(modrm);
    const dst = c.readRM(bits);
    const acc = c.getReg(EAX, bits);
    c.alu(7, acc, dst, bits);
    if (c.getZF() !== 0) c.writeRM(bits, c.getReg((modrm >> 3) & 7, bits));
    else {
      // The destination is written back with its own value (a locked cycle always writes).
      c.writeRM(bits, dst);
      c.setReg(EAX, bits, dst);
    }
  };
}
OPS2[0xb0] = cmpxchg(true);
OPS2[0xb1] = cmpxchg(false);
function xadd(byte: boolean): Op {
  return (c) => {
    const modrm = c.fetch8();
    const bits = byte ? 8 : c.opBits;
    const reg = (modrm >> 3) & 7;
    c.decodeRM(modrm);
    const dst = c.readRM(bits);
    const src = c.getReg(reg, bits);
    const sum = c.alu(0, dst, src, bits);
    c.writeRM(bits, sum);
    if (c.eaReg !== reg) c.setReg(reg, bits, dst);
  };
}
OPS2[0xc0] = xadd(true);
OPS2[0xc1] = xadd(false);

OPS2[0xc7] = (c) => {
  // CMPXCHG8B m64
  const modrm = c.fetch8();
  if (((modrm >> 3) & 7) !== 1 || modrm >= 0xc0 || !c.model.cx8) c.fault(EXC_UD, 0, false);
  c.decodeEA(modrm);
  const seg = c.eaSeg;
  const off = c.eaOff;
  const lo = c.read32(seg, off);
  const hi = c.read32(seg, (off + 4) >>> 0);
  c.probeWrite(seg, off, 4);
  c.probeWrite(seg, (off + 4) >>> 0, 4);
  if (lo === c.r32[EAX] && hi === c.r32[EDX]) {
    c.write32(seg, off, c.r32[EBX]!);
    c.write32(seg, (off + 4) >>> 0, c.r32[ECX]!);
    c.setArithFlags(ZF, ZF);
  } else {
    c.write32(seg, off, lo);
    c.write32(seg, (off + 4) >>> 0, hi);
    c.r32[EAX] = lo;
    c.r32[EDX] = hi;
    c.setArithFlags(0, ZF);
  }
};

// ---- LSS / LFS / LGS ----
function loadFar(seg: number): Op {
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
OPS2[0xb2] = loadFar(SS);
OPS2[0xb4] = loadFar(FS);
OPS2[0xb5] = loadFar(GS);

// ---- MOVZX / MOVSX ----
function movx(srcBits: number, signed: boolean): Op {
  return (c) => {
    const modrm = c.fetch8();
    c.decodeRM(modrm);
    let v = c.readRM(srcBits);
    if (signed) v = srcBits === 8 ? (v << 24) >> 24 : (v << 16) >> 16;
    c.setReg((modrm >> 3) & 7, c.opBits, v);
  };
}
OPS2[0xb6] = movx(8, false);
OPS2[0xb7] = movx(16, false);
OPS2[0xbe] = movx(8, true);
OPS2[0xbf] = movx(16, true);

// ---- BSF / BSR: ZF = source is zero; the destination is left unchanged then ----
OPS2[0xbc] = (c) => {
  const modrm = c.fetch8();
  const bits = c.opBits;
  c.decodeRM(modrm);
  const v = c.readRM(bits);
  if (v === 0) {
    c.setArithFlags(ZF, ZF);
    return;
  }
  c.setReg((modrm >> 3) & 7, bits, 31 - Math.clz32(v & -v));
  c.setArithFlags(0, ZF);
};
OPS2[0xbd] = (c) => {
  const modrm = c.fetch8();
  const bits = c.opBits;
  c.decodeRM(modrm);
  const v = c.readRM(bits);
  if (v === 0) {
    c.setArithFlags(ZF, ZF);
    return;
  }
  c.setReg((modrm >> 3) & 7, bits, 31 - Math.clz32(v));
  c.setArithFlags(0, ZF);
};

// ---- BSWAP ----
for (let r = 0; r < 8; r++) {
  OPS2[0xc8 + r] = (c) => {
    const v = c.r32[r]!;
    c.r32[r] = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
  };
}

for (let op = 0; op < 0x100; op++) OPS2[0x100 | op] = OPS2[op]!;
for (const [index, fn] of OPS2_SIZED) OPS2[index] = fn;

void imulHigh;
