/**
 * The inner run loop: executes instructions until batchCount reaches batchLimit (the caller holds
 * the try/catch that turns FAULT into an exception delivery).
 *
 * Why a switch: the opcode table is one indirect call site with hundreds of targets, which V8 can
 * neither inline nor call directly, and that call costs as much as a simple instruction. The opcodes
 * that make up much of a typical 32-bit instruction stream (MOV, LEA, CMP, Jcc rel8, register forms
 * of ADD SUB AND OR XOR TEST) are written out here, so that they run inside this loop's optimised
 * code with their operation a constant; everything else (and every opcode of a 16-bit code segment:
 * csIndex is then 0 and no case matches) goes through the table as before. The set is small on
 * purpose: each extra call site in this function uses up V8's inlining budget for the others, and
 * a larger switch measured slower (bench/mips.ts). The register-form cases peek at the ModRM byte
 * and leave memory forms (and a ModRM byte outside the fetch window) to the table, having consumed
 * nothing.
 *
 * At the top of the loop no prefix has been seen (prefix handlers finish their instruction through
 * the table), so with csIndex = 0x100 the operand and address sizes are 32 bits and there is no
 * segment override: the cases call decodeEA32 directly. Each case must behave exactly like its
 * handler in ops-32.ts (same fetches, reads, writes and flag updates in the same order), so that
 * faults leave the same state. The opcode and ModRM fetches are fetch8() written out, because V8
 * would not inline that many calls into one function; `eip` mirrors c.eip right after them.
 */
import type { Cpu } from './cpu.ts';
import { OPS } from './ops-core.ts';
import { SLOT_MASK } from './block-cache.ts';
import { ARITH_FLAGS, CS, RF } from './constants.ts';
import { ALU_CMP } from './cpu-alu.ts';
import { LF_ADD, LF_LOGIC, LF_SUB } from './cpu-state.ts';

/**
 * Relative near jump in a 32-bit code segment from `eip` (the next instruction, as an int32: callers
 * pass `eip | 0`, because V8 boxes a number above 2^31 - 1 passed to a call it does not inline, and
 * the Jcc cases boxed one per jump in a kernel at 0xC0000000, about 200 MB in a Linux boot): #GP(0)
 * beyond the CS limit.
 */
function jump32(c: Cpu, eip: number, rel: number): void {
  const target = (eip + rel) >>> 0;
  if (target > c.segLimit[CS]!) c.gp(0);
  c.eip = target;
}

/**
 * Runs the batch. Returns -1 when it ended, else the block cache slot of the next instruction (a
 * handoff: a block starts there or is due to be made; runBatchWithBlocks takes it, and records
 * where the jump came from). The handoff writes no field here, which keeps this rarely taken
 * branch of the largest function V8 compiles to a return.
 */
export function runBatch(c: Cpu): number {
  const r32 = c.r32;
  const ram8 = c.ram8;
  // RF clears as an instruction starts, after its instruction-breakpoint check (run() makes that
  // before the batch). Only IRET, a task switch or a REP stopped between iterations set it, and
  // each ends the batch, so clearing it for the batch's first instruction is enough.
  c.flags &= ~RF;
  const cache = c.blockCache;
  const tags = cache === null ? null : cache.tags;
  const hits = cache === null ? null : cache.hits;
  const hot = cache === null ? 0 : cache.hotCount;
  // Whether to look for a block at the next instruction (see below).
  let check = true;
  if (cache !== null && cache.interpretNext) {
    // block-cache.ts made no block here, or its block needs more of the batch than is left.
    cache.interpretNext = false;
    check = false;
  }
  while (c.batchCount < c.batchLimit) {
    let eip = c.eip;
    let op: number;
    if (eip >= c.fetchLo && eip <= c.fetchHi) {
      const phys = c.fetchBase + eip;
      if (check && tags !== null && c.csIndex === 0x100) {
        // A translated block (block-cache.ts) starts here, or this address is due for
        // translation: return to runBatchWithBlocks, which runs it (so that the calls of many
        // different block functions stay out of this function's optimised code). Only after a
        // Jcc or an instruction of the table (which may have jumped): after the inline moves and
        // ALU operations, which never jump, the next instruction is rarely where a block starts
        // and not looking saves most of the cost of looking.
        const k = (phys ^ (phys >>> 14)) & SLOT_MASK;
        if (tags[k] === phys || ++hits![k]! >= hot) {
          // c.instrStart is left at the instruction that led here (a jump back marks a loop):
          // runBatchWithBlocks reads it, and sets it to this one.
          return k;
        }
      }
      c.instrStart = eip;
      op = ram8[phys]! | c.csIndex;
      c.eip = ++eip;
    } else {
      c.instrStart = eip;
      op = c.fetch8() | c.csIndex;
      eip = c.eip;
    }
    switch (op) {
      case 0x189: {
        check = false;
        // MOV Ev, Gv
        let modrm: number;
        if (eip >= c.fetchLo && eip <= c.fetchHi) {
          modrm = ram8[c.fetchBase + eip]!;
          c.eip = eip + 1;
        } else modrm = c.fetch8();
        if (modrm >= 0xc0) r32[modrm & 7] = r32[(modrm >> 3) & 7]!;
        else {
          c.decodeEA32(modrm);
          c.write32(c.eaSeg, c.eaOff, r32[(modrm >> 3) & 7]!);
        }
        break;
      }
      case 0x18b: {
        check = false;
        // MOV Gv, Ev
        let modrm: number;
        if (eip >= c.fetchLo && eip <= c.fetchHi) {
          modrm = ram8[c.fetchBase + eip]!;
          c.eip = eip + 1;
        } else modrm = c.fetch8();
        if (modrm >= 0xc0) r32[(modrm >> 3) & 7] = r32[modrm & 7]!;
        else {
          c.decodeEA32(modrm);
          r32[(modrm >> 3) & 7] = c.read32(c.eaSeg, c.eaOff);
        }
        break;
      }
      case 0x139: {
        check = false;
        // CMP Ev, Gv
        let modrm: number;
        if (eip >= c.fetchLo && eip <= c.fetchHi) {
          modrm = ram8[c.fetchBase + eip]!;
          c.eip = eip + 1;
        } else modrm = c.fetch8();
        const src = r32[(modrm >> 3) & 7]!;
        if (modrm >= 0xc0) {
          const a = r32[modrm & 7]!;
          c.lop = LF_SUB;
          c.la = a;
          c.lb = src;
          c.lres = (a - src) | 0;
          c.lbits = 32;
          c.lazy = ARITH_FLAGS;
        } else {
          c.decodeEA32(modrm);
          c.alu32(ALU_CMP, c.read32(c.eaSeg, c.eaOff), src);
        }
        break;
      }
      case 0x101: {
        check = false;
        // ADD Ev, Gv (register form)
        if (eip < c.fetchLo || eip > c.fetchHi || ram8[c.fetchBase + eip]! < 0xc0) {
          OPS[op]!(c);
          break;
        }
        const modrm = ram8[c.fetchBase + eip]!;
        c.eip = eip + 1;
        const rd = modrm & 7;
        const a = r32[rd]!;
        const b = r32[(modrm >> 3) & 7]!;
        const r = (a + b) | 0;
        c.lop = LF_ADD;
        c.la = a;
        c.lb = b;
        c.lres = r;
        c.lbits = 32;
        c.lazy = ARITH_FLAGS;
        r32[rd] = r;
        break;
      }
      case 0x129: {
        check = false;
        // SUB Ev, Gv (register form)
        if (eip < c.fetchLo || eip > c.fetchHi || ram8[c.fetchBase + eip]! < 0xc0) {
          OPS[op]!(c);
          break;
        }
        const modrm = ram8[c.fetchBase + eip]!;
        c.eip = eip + 1;
        const rd = modrm & 7;
        const a = r32[rd]!;
        const b = r32[(modrm >> 3) & 7]!;
        const r = (a - b) | 0;
        c.lop = LF_SUB;
        c.la = a;
        c.lb = b;
        c.lres = r;
        c.lbits = 32;
        c.lazy = ARITH_FLAGS;
        r32[rd] = r;
        break;
      }
      case 0x131: {
        check = false;
        // XOR Ev, Gv (register form)
        if (eip < c.fetchLo || eip > c.fetchHi || ram8[c.fetchBase + eip]! < 0xc0) {
          OPS[op]!(c);
          break;
        }
        const modrm = ram8[c.fetchBase + eip]!;
        c.eip = eip + 1;
        const rd = modrm & 7;
        const a = r32[rd]!;
        const b = r32[(modrm >> 3) & 7]!;
        const r = a ^ b;
        c.lop = LF_LOGIC;
        c.la = a;
        c.lb = b;
        c.lres = r;
        c.lbits = 32;
        c.lazy = ARITH_FLAGS;
        r32[rd] = r;
        break;
      }
      case 0x109: {
        check = false;
        // OR Ev, Gv (register form)
        if (eip < c.fetchLo || eip > c.fetchHi || ram8[c.fetchBase + eip]! < 0xc0) {
          OPS[op]!(c);
          break;
        }
        const modrm = ram8[c.fetchBase + eip]!;
        c.eip = eip + 1;
        const rd = modrm & 7;
        const a = r32[rd]!;
        const b = r32[(modrm >> 3) & 7]!;
        const r = a | b;
        c.lop = LF_LOGIC;
        c.la = a;
        c.lb = b;
        c.lres = r;
        c.lbits = 32;
        c.lazy = ARITH_FLAGS;
        r32[rd] = r;
        break;
      }
      case 0x121: {
        check = false;
        // AND Ev, Gv (register form)
        if (eip < c.fetchLo || eip > c.fetchHi || ram8[c.fetchBase + eip]! < 0xc0) {
          OPS[op]!(c);
          break;
        }
        const modrm = ram8[c.fetchBase + eip]!;
        c.eip = eip + 1;
        const rd = modrm & 7;
        const a = r32[rd]!;
        const b = r32[(modrm >> 3) & 7]!;
        const r = a & b;
        c.lop = LF_LOGIC;
        c.la = a;
        c.lb = b;
        c.lres = r;
        c.lbits = 32;
        c.lazy = ARITH_FLAGS;
        r32[rd] = r;
        break;
      }
      case 0x103: {
        check = false;
        // ADD Gv, Ev (register form)
        if (eip < c.fetchLo || eip > c.fetchHi || ram8[c.fetchBase + eip]! < 0xc0) {
          OPS[op]!(c);
          break;
        }
        const modrm = ram8[c.fetchBase + eip]!;
        c.eip = eip + 1;
        const rd = (modrm >> 3) & 7;
        const a = r32[rd]!;
        const b = r32[modrm & 7]!;
        const r = (a + b) | 0;
        c.lop = LF_ADD;
        c.la = a;
        c.lb = b;
        c.lres = r;
        c.lbits = 32;
        c.lazy = ARITH_FLAGS;
        r32[rd] = r;
        break;
      }
      case 0x12b: {
        check = false;
        // SUB Gv, Ev (register form)
        if (eip < c.fetchLo || eip > c.fetchHi || ram8[c.fetchBase + eip]! < 0xc0) {
          OPS[op]!(c);
          break;
        }
        const modrm = ram8[c.fetchBase + eip]!;
        c.eip = eip + 1;
        const rd = (modrm >> 3) & 7;
        const a = r32[rd]!;
        const b = r32[modrm & 7]!;
        const r = (a - b) | 0;
        c.lop = LF_SUB;
        c.la = a;
        c.lb = b;
        c.lres = r;
        c.lbits = 32;
        c.lazy = ARITH_FLAGS;
        r32[rd] = r;
        break;
      }
      case 0x133: {
        check = false;
        // XOR Gv, Ev (register form)
        if (eip < c.fetchLo || eip > c.fetchHi || ram8[c.fetchBase + eip]! < 0xc0) {
          OPS[op]!(c);
          break;
        }
        const modrm = ram8[c.fetchBase + eip]!;
        c.eip = eip + 1;
        const rd = (modrm >> 3) & 7;
        const a = r32[rd]!;
        const b = r32[modrm & 7]!;
        const r = a ^ b;
        c.lop = LF_LOGIC;
        c.la = a;
        c.lb = b;
        c.lres = r;
        c.lbits = 32;
        c.lazy = ARITH_FLAGS;
        r32[rd] = r;
        break;
      }
      case 0x10b: {
        check = false;
        // OR Gv, Ev (register form)
        if (eip < c.fetchLo || eip > c.fetchHi || ram8[c.fetchBase + eip]! < 0xc0) {
          OPS[op]!(c);
          break;
        }
        const modrm = ram8[c.fetchBase + eip]!;
        c.eip = eip + 1;
        const rd = (modrm >> 3) & 7;
        const a = r32[rd]!;
        const b = r32[modrm & 7]!;
        const r = a | b;
        c.lop = LF_LOGIC;
        c.la = a;
        c.lb = b;
        c.lres = r;
        c.lbits = 32;
        c.lazy = ARITH_FLAGS;
        r32[rd] = r;
        break;
      }
      case 0x123: {
        check = false;
        // AND Gv, Ev (register form)
        if (eip < c.fetchLo || eip > c.fetchHi || ram8[c.fetchBase + eip]! < 0xc0) {
          OPS[op]!(c);
          break;
        }
        const modrm = ram8[c.fetchBase + eip]!;
        c.eip = eip + 1;
        const rd = (modrm >> 3) & 7;
        const a = r32[rd]!;
        const b = r32[modrm & 7]!;
        const r = a & b;
        c.lop = LF_LOGIC;
        c.la = a;
        c.lb = b;
        c.lres = r;
        c.lbits = 32;
        c.lazy = ARITH_FLAGS;
        r32[rd] = r;
        break;
      }
      case 0x13b: {
        check = false;
        // CMP Gv, Ev (register form)
        if (eip < c.fetchLo || eip > c.fetchHi || ram8[c.fetchBase + eip]! < 0xc0) {
          OPS[op]!(c);
          break;
        }
        const modrm = ram8[c.fetchBase + eip]!;
        c.eip = eip + 1;
        const rd = (modrm >> 3) & 7;
        const a = r32[rd]!;
        const b = r32[modrm & 7]!;
        const r = (a - b) | 0;
        c.lop = LF_SUB;
        c.la = a;
        c.lb = b;
        c.lres = r;
        c.lbits = 32;
        c.lazy = ARITH_FLAGS;
        break;
      }
      case 0x185: {
        check = false;
        // TEST Ev, Gv (register form)
        if (eip < c.fetchLo || eip > c.fetchHi || ram8[c.fetchBase + eip]! < 0xc0) {
          OPS[op]!(c);
          break;
        }
        const modrm = ram8[c.fetchBase + eip]!;
        c.eip = eip + 1;
        const r = r32[modrm & 7]! & r32[(modrm >> 3) & 7]!;
        c.lop = LF_LOGIC;
        c.la = r;
        c.lb = r;
        c.lres = r;
        c.lbits = 32;
        c.lazy = ARITH_FLAGS;
        break;
      }
      case 0x18d: {
        check = false;
        // LEA Gv, M
        // The register form (#UD) goes to the table, as does a ModRM byte outside the fetch window.
        if (eip < c.fetchLo || eip > c.fetchHi || ram8[c.fetchBase + eip]! >= 0xc0) {
          OPS[op]!(c);
          break;
        }
        const modrm = ram8[c.fetchBase + eip]!;
        c.eip = eip + 1;
        c.decodeEA32(modrm);
        r32[(modrm >> 3) & 7] = c.eaOff;
        break;
      }
      case 0x172: {
        check = true;
        // JB rel8
        let rel: number;
        if (eip >= c.fetchLo && eip <= c.fetchHi) {
          rel = (ram8[c.fetchBase + eip]! << 24) >> 24;
          c.eip = ++eip;
        } else {
          rel = (c.fetch8() << 24) >> 24;
          eip = c.eip;
        }
        if (c.cond(2)) jump32(c, eip | 0, rel);
        break;
      }
      case 0x173: {
        check = true;
        // JAE rel8
        let rel: number;
        if (eip >= c.fetchLo && eip <= c.fetchHi) {
          rel = (ram8[c.fetchBase + eip]! << 24) >> 24;
          c.eip = ++eip;
        } else {
          rel = (c.fetch8() << 24) >> 24;
          eip = c.eip;
        }
        if (c.cond(3)) jump32(c, eip | 0, rel);
        break;
      }
      case 0x174: {
        check = true;
        // JE rel8
        let rel: number;
        if (eip >= c.fetchLo && eip <= c.fetchHi) {
          rel = (ram8[c.fetchBase + eip]! << 24) >> 24;
          c.eip = ++eip;
        } else {
          rel = (c.fetch8() << 24) >> 24;
          eip = c.eip;
        }
        if (c.cond(4)) jump32(c, eip | 0, rel);
        break;
      }
      case 0x175: {
        check = true;
        // JNE rel8
        let rel: number;
        if (eip >= c.fetchLo && eip <= c.fetchHi) {
          rel = (ram8[c.fetchBase + eip]! << 24) >> 24;
          c.eip = ++eip;
        } else {
          rel = (c.fetch8() << 24) >> 24;
          eip = c.eip;
        }
        if (c.cond(5)) jump32(c, eip | 0, rel);
        break;
      }
      case 0x176: {
        check = true;
        // JBE rel8
        let rel: number;
        if (eip >= c.fetchLo && eip <= c.fetchHi) {
          rel = (ram8[c.fetchBase + eip]! << 24) >> 24;
          c.eip = ++eip;
        } else {
          rel = (c.fetch8() << 24) >> 24;
          eip = c.eip;
        }
        if (c.cond(6)) jump32(c, eip | 0, rel);
        break;
      }
      case 0x177: {
        check = true;
        // JA rel8
        let rel: number;
        if (eip >= c.fetchLo && eip <= c.fetchHi) {
          rel = (ram8[c.fetchBase + eip]! << 24) >> 24;
          c.eip = ++eip;
        } else {
          rel = (c.fetch8() << 24) >> 24;
          eip = c.eip;
        }
        if (c.cond(7)) jump32(c, eip | 0, rel);
        break;
      }
      case 0x17c: {
        check = true;
        // JL rel8
        let rel: number;
        if (eip >= c.fetchLo && eip <= c.fetchHi) {
          rel = (ram8[c.fetchBase + eip]! << 24) >> 24;
          c.eip = ++eip;
        } else {
          rel = (c.fetch8() << 24) >> 24;
          eip = c.eip;
        }
        if (c.cond(12)) jump32(c, eip | 0, rel);
        break;
      }
      case 0x17d: {
        check = true;
        // JGE rel8
        let rel: number;
        if (eip >= c.fetchLo && eip <= c.fetchHi) {
          rel = (ram8[c.fetchBase + eip]! << 24) >> 24;
          c.eip = ++eip;
        } else {
          rel = (c.fetch8() << 24) >> 24;
          eip = c.eip;
        }
        if (c.cond(13)) jump32(c, eip | 0, rel);
        break;
      }
      case 0x17e: {
        check = true;
        // JLE rel8
        let rel: number;
        if (eip >= c.fetchLo && eip <= c.fetchHi) {
          rel = (ram8[c.fetchBase + eip]! << 24) >> 24;
          c.eip = ++eip;
        } else {
          rel = (c.fetch8() << 24) >> 24;
          eip = c.eip;
        }
        if (c.cond(14)) jump32(c, eip | 0, rel);
        break;
      }
      case 0x17f: {
        check = true;
        // JG rel8
        let rel: number;
        if (eip >= c.fetchLo && eip <= c.fetchHi) {
          rel = (ram8[c.fetchBase + eip]! << 24) >> 24;
          c.eip = ++eip;
        } else {
          rel = (c.fetch8() << 24) >> 24;
          eip = c.eip;
        }
        if (c.cond(15)) jump32(c, eip | 0, rel);
        break;
      }
      default:
        check = true;
        OPS[op]!(c);
    }
    c.batchCount++;
  }
  return -1;
}
