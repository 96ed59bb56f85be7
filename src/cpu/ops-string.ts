/**
 * String instructions: MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS, with REP/REPE/REPNE.
 *
 * Each iteration of a repeated instruction retires as one instruction, so a long REP can be
 * interrupted (or stopped for a snapshot) between iterations: EIP then stays on the instruction, the
 * registers say how far it got, and EFLAGS.RF is set until the iterations resume.
 */
import type { Cpu } from './cpu.ts';
import type { Op } from './ops-core.ts';
import { REP_NE, REP_NONE } from './cpu-decode.ts';
import { DF, DS, EAX, ECX, EDI, EDX, ES, ESI, RF } from './constants.ts';

const MOVS = 0;
const CMPS = 1;
const STOS = 2;
const LODS = 3;
const SCAS = 4;
const INS = 5;
const OUTS = 6;

/** One iteration; returns false when a REPE/REPNE condition ends the loop. */
function iterate(c: Cpu, kind: number, bits: number, delta: number): void {
  const src = c.prefixSeg < 0 ? 3 : c.prefixSeg;
  switch (kind) {
    case MOVS: {
      const si = c.addrReg(ESI);
      const di = c.addrReg(EDI);
      c.writeMem(ES, di, bits, c.readMem(src, si, bits));
      c.setAddrReg(ESI, si + delta);
      c.setAddrReg(EDI, di + delta);
      return;
    }
    case CMPS: {
      const si = c.addrReg(ESI);
      const di = c.addrReg(EDI);
      const a = c.readMem(src, si, bits);
      const b = c.readMem(ES, di, bits);
      c.alu(7, a, b, bits);
      c.setAddrReg(ESI, si + delta);
      c.setAddrReg(EDI, di + delta);
      return;
    }
    case STOS: {
      const di = c.addrReg(EDI);
      c.writeMem(ES, di, bits, c.getReg(EAX, bits));
      c.setAddrReg(EDI, di + delta);
      return;
    }
    case LODS: {
      const si = c.addrReg(ESI);
      c.setReg(EAX, bits, c.readMem(src, si, bits));
      c.setAddrReg(ESI, si + delta);
      return;
    }
    case SCAS: {
      const di = c.addrReg(EDI);
      c.alu(7, c.getReg(EAX, bits), c.readMem(ES, di, bits), bits);
      c.setAddrReg(EDI, di + delta);
      return;
    }
    case INS: {
      const di = c.addrReg(EDI);
      const port = c.r16[EDX << 1]!;
      c.checkIo(port, bits / 8);
      // Probe the destination first so a page fault does not lose the port read.
      c.probeWrite(ES, di, bits / 8);
      c.writeMem(ES, di, bits, c.portInChecked(port, bits / 8));
      c.setAddrReg(EDI, di + delta);
      return;
    }
    default: {
      const si = c.addrReg(ESI);
      const v = c.readMem(src, si, bits);
      c.portOut(c.r16[EDX << 1]!, bits / 8, v);
      c.setAddrReg(ESI, si + delta);
      return;
    }
  }
}

/**
 * How many elements of `size` bytes, at most `max`, starting at seg:off and moving by `delta`, lie
 * in plain RAM that the current privilege may access without any check: inside the segment's fast
 * range, without wrapping the offset, inside one page whose translation is in the TLB. 0 when the
 * first one is not (then iterate() does it, with every check, and fills the TLB).
 */
function fastElements(c: Cpu, seg: number, off: number, size: number, delta: number, max: number, write: boolean): number {
  const segMax = write ? c.segWriteMax[seg]! : c.segReadMax[seg]!;
  if (off > segMax) return 0;
  const lin = (c.segBase[seg]! + off) | 0;
  const e = write ? c.tlbW[lin >>> 12]! : c.tlbR[lin >>> 12]!;
  if ((e & c.tlbMask) !== c.tlbPriv) return 0;
  const inPage = lin & 0xfff;
  let n: number;
  if (delta > 0) {
    n = Math.min(((0x1000 - inPage) / size) | 0, Math.floor((segMax - off) / size) + 1);
    if (!c.ad32) n = Math.min(n, ((0x10000 - off) / size) | 0);
  } else {
    if (inPage + size > 0x1000) return 0;
    n = Math.min(((inPage / size) | 0) + 1, Math.floor(off / size) + 1);
  }
  return n < max ? n : max;
}

/** Physical address of seg:off, whose translation fastElements() found in the TLB. */
function fastPhys(c: Cpu, seg: number, off: number, write: boolean): number {
  const lin = (c.segBase[seg]! + off) | 0;
  const e = write ? c.tlbW[lin >>> 12]! : c.tlbR[lin >>> 12]!;
  return ((e & ~0xfff) | (lin & 0xfff)) >>> 0;
}

/**
 * Up to `max` iterations of REP MOVS or REP STOS at once on plain RAM, element by element in order
 * (so overlapping moves give what the iterations would); returns how many were done, 0 when the
 * next iteration needs the checked path. Registers are updated as after that many iterations.
 */
function bulk(c: Cpu, kind: number, size: number, delta: number, max: number): number {
  const ram8 = c.ram8;
  const di = c.addrReg(EDI);
  let n = fastElements(c, ES, di, size, delta, max, true);
  if (n === 0) return 0;
  const pd = fastPhys(c, ES, di, true);
  if (kind === STOS) {
    if (size === 1) {
      const v = c.r8[0]!;
      if (delta > 0) ram8.fill(v, pd, pd + n);
      else ram8.fill(v, pd - n + 1, pd + 1);
    } else if (size === 4 && (pd & 3) === 0) {
      const v = c.r32[EAX]!;
      const i = pd >>> 2;
      if (delta > 0) c.ram32.fill(v, i, i + n);
      else c.ram32.fill(v, i - n + 1, i + 1);
    } else {
      const v = size === 4 ? c.r32[EAX]! : c.r16[0]!;
      for (let k = 0, p = pd; k < n; k++, p += delta) {
        for (let j = 0; j < size; j++) ram8[p + j] = v >> (j * 8);
      }
    }
  } else {
    const src = c.prefixSeg < 0 ? DS : c.prefixSeg;
    const si = c.addrReg(ESI);
    n = fastElements(c, src, si, size, delta, n, false);
    if (n === 0) return 0;
    const ps = fastPhys(c, src, si, false);
    if (size === 1) {
      for (let k = 0; k < n; k++) ram8[pd + k * delta] = ram8[ps + k * delta]!;
    } else if (size === 4 && ((pd | ps) & 3) === 0) {
      const ram32 = c.ram32;
      const step = delta >> 2;
      for (let k = 0, d = pd >>> 2, s = ps >>> 2; k < n; k++, d += step, s += step) ram32[d] = ram32[s]!;
    } else {
      // Each element is read whole before it is written, as one iteration does.
      for (let k = 0, d = pd, s = ps; k < n; k++, d += delta, s += delta) {
        let v = 0;
        for (let j = 0; j < size; j++) v |= ram8[s + j]! << (j * 8);
        for (let j = 0; j < size; j++) ram8[d + j] = v >> (j * 8);
      }
    }
    c.setAddrReg(ESI, si + n * delta);
  }
  c.setAddrReg(EDI, di + n * delta);
  return n;
}

function stringOp(kind: number, byte: boolean): Op {
  const compares = kind === CMPS || kind === SCAS;
  const canBulk = kind === MOVS || kind === STOS;
  return (c) => {
    const bits = byte ? 8 : c.opBits;
    const size = bits >> 3;
    const delta = (c.flags & DF) !== 0 ? -size : size;
    if (c.rep === REP_NONE) {
      iterate(c, kind, bits, delta);
      return;
    }
    for (;;) {
      const count = c.ad32 ? c.r32[ECX]! : c.r16[ECX << 1]!;
      if (count === 0) return;
      // Iterations this batch still has room for (each retires as one instruction), at least one.
      const room = c.batchLimit - c.batchCount;
      let done = canBulk ? bulk(c, kind, size, delta, Math.min(count >>> 0, room > 1 ? room : 1)) : 0;
      if (done === 0) {
        iterate(c, kind, bits, delta);
        done = 1;
      } else c.batchCount += done - 1;
      const left = count - done;
      if (c.ad32) c.r32[ECX] = left;
      else c.r16[ECX << 1] = left;
      if (left === 0) return;
      if (compares && (c.getZF() !== 0) === (c.rep === REP_NE)) return;
      if (c.batchCount + 1 >= c.batchLimit) {
        // Resume here, after what is due at this boundary. Stopped between iterations, the
        // instruction has RF set (as Bochs does, and as a VM exit saves it): an interrupt or a trap
        // taken here pushes RF = 1 (SDM vol. 3, 17.3.1.1), and its instruction breakpoint does not
        // fire again when the iterations resume. RF clears as the next batch starts.
        c.eip = c.instrStart;
        c.flags |= RF;
        return;
      }
      c.batchCount++;
    }
  };
}

export const OPS_STRING: [number, Op][] = [
  [0x6c, stringOp(INS, true)],
  [0x6d, stringOp(INS, false)],
  [0x6e, stringOp(OUTS, true)],
  [0x6f, stringOp(OUTS, false)],
  [0xa4, stringOp(MOVS, true)],
  [0xa5, stringOp(MOVS, false)],
  [0xa6, stringOp(CMPS, true)],
  [0xa7, stringOp(CMPS, false)],
  [0xaa, stringOp(STOS, true)],
  [0xab, stringOp(STOS, false)],
  [0xac, stringOp(LODS, true)],
  [0xad, stringOp(LODS, false)],
  [0xae, stringOp(SCAS, true)],
  [0xaf, stringOp(SCAS, false)],
];
