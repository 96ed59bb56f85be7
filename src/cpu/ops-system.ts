/** System instructions: descriptor-table and task registers, LAR/LSL/VERR/VERW, CR/DR moves, CPUID, MSRs, RDTSC. */
import type { Cpu } from './cpu.ts';
import {
  CR0_PE, CR0_TS, CR4_TSD, DESC_CE, DESC_CODE, DESC_RW, EAX, EBX, ECX, EDX, EXC_UD, MSR_APIC_BASE, MSR_TSC, ZF,
} from './constants.ts';
import { descAttr, descBase, descDpl, descIsSegment, descLimit, descPresent, descType } from './descriptors.ts';
import { cpuidLeaf } from './cpuid.ts';

function requireProtected(c: Cpu): void {
  if (!c.protectedMode || c.v86) c.fault(EXC_UD, 0, false);
}

function requireCpl0(c: Cpu): void {
  if (c.cpl !== 0) c.gp(0);
}

/** 0F 00: SLDT STR LLDT LTR VERR VERW. */
export function group6(c: Cpu): void {
  const modrm = c.fetch8();
  const op = (modrm >> 3) & 7;
  requireProtected(c);
  c.decodeRM(modrm);
  switch (op) {
    case 0:
      if (c.eaReg >= 0 && c.op32) c.r32[c.eaReg] = c.ldtr.selector;
      else c.writeRM(16, c.ldtr.selector);
      return;
    case 1:
      if (c.eaReg >= 0 && c.op32) c.r32[c.eaReg] = c.tr.selector;
      else c.writeRM(16, c.tr.selector);
      return;
    case 2: {
      requireCpl0(c);
      const sel = c.readRM(16);
      if ((sel & ~3) === 0) {
        c.ldtr = { selector: sel, base: 0, limit: 0, attr: 0 };
        return;
      }
      if ((sel & 4) !== 0 || !c.readDescriptor(sel)) c.gp(sel & ~3);
      if (descIsSegment(c.dHi) || descType(c.dHi) !== 2) c.gp(sel & ~3);
      if (!descPresent(c.dHi)) c.fault(11, sel & ~3, true);
      c.ldtr = { selector: sel, base: descBase(c.dLo, c.dHi), limit: descLimit(c.dLo, c.dHi), attr: descAttr(c.dHi) };
      return;
    }
    case 3: {
      requireCpl0(c);
      const sel = c.readRM(16);
      if ((sel & ~3) === 0) c.gp(0);
      if ((sel & 4) !== 0 || !c.readDescriptor(sel)) c.gp(sel & ~3);
      const type = descType(c.dHi);
      if (descIsSegment(c.dHi) || (type !== 1 && type !== 9)) c.gp(sel & ~3);
      if (!descPresent(c.dHi)) c.fault(11, sel & ~3, true);
      c.writeSys8(c.dAddr + 5, ((c.dHi >>> 8) & 0xff) | 2);
      c.tr = { selector: sel, base: descBase(c.dLo, c.dHi), limit: descLimit(c.dLo, c.dHi), attr: descAttr(c.dHi) | 2 };
      return;
    }
    case 4:
    case 5: {
      const sel = c.readRM(16);
      c.setArithFlags(verify(c, sel, op === 5) ? ZF : 0, ZF);
      return;
    }
    default:
      c.fault(EXC_UD, 0, false);
  }
}

function verify(c: Cpu, sel: number, write: boolean): boolean {
  if ((sel & ~3) === 0 || !c.readDescriptor(sel)) return false;
  const hi = c.dHi;
  if (!descIsSegment(hi)) return false;
  const type = descType(hi);
  const conformingCode = (type & (DESC_CODE | DESC_CE)) === (DESC_CODE | DESC_CE);
  if (!conformingCode && (descDpl(hi) < c.cpl || descDpl(hi) < (sel & 3))) return false;
  if (write) return (type & DESC_CODE) === 0 && (type & DESC_RW) !== 0;
  return (type & DESC_CODE) === 0 || (type & DESC_RW) !== 0;
}

/** 0F 01: SGDT SIDT LGDT LIDT SMSW LMSW INVLPG. */
export function group7(c: Cpu): void {
  const modrm = c.fetch8();
  const op = (modrm >> 3) & 7;
  if (op < 4 || op === 7) {
    if (modrm >= 0xc0) c.fault(EXC_UD, 0, false);
    c.decodeEA(modrm);
  } else c.decodeRM(modrm);
  switch (op) {
    case 0:
    case 1: {
      const base = op === 0 ? c.gdtBase : c.idtBase;
      const limit = op === 0 ? c.gdtLimit : c.idtLimit;
      c.probeWrite(c.eaSeg, c.eaOff, 6);
      c.write16(c.eaSeg, c.eaOff, limit);
      // With a 16-bit operand the 486 stores the top byte of the base as zero.
      c.write32(c.eaSeg, (c.eaOff + 2) >>> 0, c.op32 ? base : base & 0xffffff);
      return;
    }
    case 2:
    case 3: {
      requireCpl0(c);
      const limit = c.read16(c.eaSeg, c.eaOff);
      let base = c.read32(c.eaSeg, (c.eaOff + 2) >>> 0);
      if (!c.op32) base &= 0xffffff;
      if (op === 2) {
        c.gdtBase = base | 0;
        c.gdtLimit = limit;
      } else {
        c.idtBase = base | 0;
        c.idtLimit = limit;
      }
      return;
    }
    case 4:
      if (c.eaReg >= 0 && c.op32) c.r32[c.eaReg] = c.cr0;
      else c.writeRM(16, c.cr0 & 0xffff);
      return;
    case 6: {
      requireCpl0(c);
      // LMSW changes PE MP EM TS only, and cannot clear PE.
      const v = c.readRM(16);
      c.writeCr0((c.cr0 & ~0xe) | (v & 0xf) | (c.cr0 & CR0_PE));
      return;
    }
    case 7:
      requireCpl0(c);
      c.flushTlbPage((c.segBase[c.eaSeg]! + c.eaOff) | 0);
      return;
    default:
      c.fault(EXC_UD, 0, false);
  }
}

/** LAR and LSL share their checks; returns true (ZF) when the selector is visible. */
function loadAccessCheck(c: Cpu, sel: number, forLimit: boolean): boolean {
  if ((sel & ~3) === 0 || !c.readDescriptor(sel)) return false;
  const hi = c.dHi;
  const type = descType(hi);
  if (descIsSegment(hi)) {
    const conformingCode = (type & (DESC_CODE | DESC_CE)) === (DESC_CODE | DESC_CE);
    if (!conformingCode && (descDpl(hi) < c.cpl || descDpl(hi) < (sel & 3))) return false;
    return true;
  }
  const okLar = [1, 2, 3, 4, 5, 9, 11, 12];
  const okLsl = [1, 2, 3, 9, 11];
  if (!(forLimit ? okLsl : okLar).includes(type)) return false;
  return !(descDpl(hi) < c.cpl || descDpl(hi) < (sel & 3));
}

export function lar(c: Cpu): void {
  requireProtected(c);
  const modrm = c.fetch8();
  c.decodeRM(modrm);
  const sel = c.readRM(16);
  if (loadAccessCheck(c, sel, false)) {
    c.setReg((modrm >> 3) & 7, c.opBits, c.dHi & (c.op32 ? 0x00ffff00 : 0xff00));
    c.setArithFlags(ZF, ZF);
  } else c.setArithFlags(0, ZF);
}

export function lsl(c: Cpu): void {
  requireProtected(c);
  const modrm = c.fetch8();
  c.decodeRM(modrm);
  const sel = c.readRM(16);
  if (loadAccessCheck(c, sel, true)) {
    c.setReg((modrm >> 3) & 7, c.opBits, descLimit(c.dLo, c.dHi));
    c.setArithFlags(ZF, ZF);
  } else c.setArithFlags(0, ZF);
}

export function movFromCr(c: Cpu): void {
  const modrm = c.fetch8();
  requireCpl0(c);
  const cr = (modrm >> 3) & 7;
  let v: number;
  switch (cr) {
    case 0:
      v = c.cr0;
      break;
    case 2:
      v = c.cr2;
      break;
    case 3:
      v = c.cr3;
      break;
    case 4:
      v = c.cr4;
      break;
    default:
      return c.fault(EXC_UD, 0, false);
  }
  c.r32[modrm & 7] = v;
}

export function movToCr(c: Cpu): void {
  const modrm = c.fetch8();
  requireCpl0(c);
  const cr = (modrm >> 3) & 7;
  const v = c.r32[modrm & 7]!;
  switch (cr) {
    case 0:
      c.writeCr0(v);
      c.requestCheck();
      return;
    case 2:
      c.cr2 = v >>> 0;
      return;
    case 3:
      c.writeCr3(v);
      return;
    case 4:
      c.writeCr4(v);
      return;
    default:
      c.fault(EXC_UD, 0, false);
  }
}

export function movFromDr(c: Cpu): void {
  const modrm = c.fetch8();
  requireCpl0(c);
  let dr = (modrm >> 3) & 7;
  if (dr === 4 || dr === 5) dr += 2; // aliases of DR6/DR7 without CR4.DE
  c.r32[modrm & 7] = c.dr[dr]!;
}

export function movToDr(c: Cpu): void {
  const modrm = c.fetch8();
  requireCpl0(c);
  let dr = (modrm >> 3) & 7;
  if (dr === 4 || dr === 5) dr += 2;
  let v = c.r32[modrm & 7]!;
  if (dr === 6) v = (v & 0xe00f) | 0xffff0ff0;
  if (dr === 7) v = (v & ~0xd800) | 0x400;
  c.dr[dr] = v;
  if (dr <= 3 || dr === 7) {
    // From the next instruction on, breakpoints are checked one instruction at a time: end the batch.
    c.updateBreakpoints();
    c.requestCheck();
  }
}

/** IA32_APIC_BASE bit 11: the local APIC is globally enabled. */
const APIC_BASE_ENABLE = 1n << 11n;

export function cpuid(c: Cpu): void {
  const base = c.msrHandler !== null ? c.msrHandler.readMsr(MSR_APIC_BASE) : c.apicBase;
  const apicEnabled = base !== null && (base & APIC_BASE_ENABLE) !== 0n;
  const out = cpuidLeaf(c.model, c.r32[EAX]! >>> 0, c.r32[ECX]! >>> 0, c.index, apicEnabled);
  c.r32[EAX] = out[0]!;
  c.r32[EBX] = out[1]!;
  c.r32[ECX] = out[2]!;
  c.r32[EDX] = out[3]!;
}

export function rdtsc(c: Cpu): void {
  if (!c.model.tsc) c.fault(EXC_UD, 0, false);
  if ((c.cr4 & CR4_TSD) !== 0 && c.cpl !== 0) c.gp(0);
  const tsc = c.readTsc();
  c.r32[EAX] = Number(tsc & 0xffffffffn);
  c.r32[EDX] = Number((tsc >> 32n) & 0xffffffffn);
}

export function rdmsr(c: Cpu): void {
  if (!c.model.msr) c.fault(EXC_UD, 0, false);
  requireCpl0(c);
  const index = c.r32[ECX]! >>> 0;
  let v: bigint | null;
  if (index === MSR_TSC) v = c.readTsc();
  else if (c.msrHandler !== null) v = c.msrHandler.readMsr(index);
  else if (index === MSR_APIC_BASE && c.model.apic) v = c.apicBase;
  else v = null;
  if (v === null) c.gp(0);
  c.r32[EAX] = Number(v & 0xffffffffn);
  c.r32[EDX] = Number((v >> 32n) & 0xffffffffn);
}

export function wrmsr(c: Cpu): void {
  if (!c.model.msr) c.fault(EXC_UD, 0, false);
  requireCpl0(c);
  const index = c.r32[ECX]! >>> 0;
  const v = (BigInt(c.r32[EDX]! >>> 0) << 32n) | BigInt(c.r32[EAX]! >>> 0);
  if (index === MSR_TSC) {
    c.tscOffset = v - BigInt(Math.floor(c.now()));
    return;
  }
  if (c.msrHandler !== null && c.msrHandler.writeMsr(index, v)) {
    c.requestCheck();
    return;
  }
  c.gp(0);
}

void CR0_TS;
