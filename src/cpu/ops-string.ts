/**
 * String instructions: MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS, with REP/REPE/REPNE.
 *
 * Each iteration of a repeated instruction retires as one instruction, so a long REP can be
 * interrupted (or stopped for a snapshot) between iterations: EIP then stays on the instruction and
 * the registers say how far it got.
 */
import type { Cpu } from './cpu.ts';
import type { Op } from './ops-core.ts';
import { REP_NE, REP_NONE } from './cpu-decode.ts';
import { DF, EAX, ECX, EDI, EDX, ES, ESI } from './constants.ts';

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

function stringOp(kind: number, byte: boolean): Op {
  const compares = kind === CMPS || kind === SCAS;
  return (c) => {
    const bits = byte ? 8 : c.opBits;
    const delta = (c.flags & DF) !== 0 ? -(bits / 8) : bits / 8;
    if (c.rep === REP_NONE) {
      iterate(c, kind, bits, delta);
      return;
    }
    for (;;) {
      const count = c.ad32 ? c.r32[ECX]! : c.r16[ECX << 1]!;
      if (count === 0) return;
      iterate(c, kind, bits, delta);
      if (c.ad32) c.r32[ECX] = count - 1;
      else c.r16[ECX << 1] = count - 1;
      if (count - 1 === 0) return;
      if (compares && (c.getZF() !== 0) === (c.rep === REP_NE)) return;
      if (c.retired + 1 >= c.limit) {
        c.eip = c.instrStart; // resume here, after what is due at this boundary
        return;
      }
      c.retired++;
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
