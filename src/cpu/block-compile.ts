/**
 * Translation of a block of 32-bit code into a JavaScript function (the block cache's compiler;
 * block-cache.ts decides when and keeps the results).
 *
 * A block is a run of instructions inside one 4 KiB physical page, with no prefixes, in a 32-bit
 * code segment, that this translator knows (the common integer instructions); it ends before the
 * first instruction it does not know, at the page's end, after MAX_INSNS, or after a JMP, CALL or
 * RET. A Jcc does not end it: taken, it leaves the block, skips to a later instruction of it, or
 * goes back to its start (a block that does is a loop, see blockBody). Each instruction is written
 * out with its decoded fields (registers, displacement, immediate) as constants and behaves exactly
 * like its handler in ops-32.ts or ops-8.ts: the same reads, writes, flag updates and helper calls
 * in the same order, so faults leave the same state. The instruction count is exact wherever
 * anything could look at it (a fault, a device, the block's end), and the block returns after any
 * memory access that made a device ask for a check, with EIP at the next instruction.
 *
 * The function compares the code bytes it was made from with guest memory and returns when they
 * differ (false, having done nothing, when the first ones differ): code changed by a device's DMA,
 * by another CPU, by this CPU outside the block or by a snapshot load is seen at the next entry. A
 * write from inside the block (self-modifying code in the same block) is caught after every
 * instruction that writes memory: when the write went to the block's own physical page
 * (CpuMemory.writePage) or took the slow path, the rest of the block's bytes (all of them, in a
 * loop) are compared, and if they changed the block stops after that instruction and the rest is
 * decoded again from memory. See docs/architecture.md section 2.
 */
import type { Cpu } from './cpu.ts';
import { ARITH_FLAGS, CS, DS, EBP, ESP, SS } from './constants.ts';
import { LF_ADD, LF_LOGIC, LF_SUB } from './cpu-state.ts';

/** A translated block: its first EIP, the EIP of its last byte, and the function. */
export interface Block {
  /** Physical address of the first byte. */
  readonly phys: number;
  readonly eip: number;
  readonly last: number;
  /**
   * Runs the block, which the caller lets in only when the batch has room for all its
   * `instructions`; false (having done nothing) when its first code bytes changed since
   * translation.
   */
  readonly fn: (c: Cpu) => boolean;
  readonly instructions: number;
  /** The generated JavaScript (for debugging). */
  readonly source: string;
}

/** Longest block, in instructions. */
const MAX_INSNS = 48;

/** r8 index of byte register r (AL CL DL BL AH CH DH BH). */
function r8i(r: number): number {
  return ((r & 3) << 2) | (r >> 2);
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

/** Decoder state over the code bytes of one page. */
class Reader {
  pos: number;
  readonly ram8: Uint8Array;
  readonly pageEnd: number;
  constructor(ram8: Uint8Array, phys: number, pageEnd: number) {
    this.ram8 = ram8;
    this.pos = phys;
    this.pageEnd = pageEnd;
  }
  /** False when `n` more bytes would leave the page. */
  has(n: number): boolean {
    return this.pos + n <= this.pageEnd;
  }
  u8(): number {
    return this.ram8[this.pos++]!;
  }
  s8(): number {
    return (this.ram8[this.pos++]! << 24) >> 24;
  }
  s32(): number {
    const p = this.pos;
    const m = this.ram8;
    this.pos = p + 4;
    return m[p]! | (m[p + 1]! << 8) | (m[p + 2]! << 16) | (m[p + 3]! << 24);
  }
}

/** A decoded memory operand: segment and the offset as a JS expression (an unsigned number). */
interface Ea {
  seg: number;
  off: string;
}

/** Decode the memory operand of a 32-bit ModRM (mod != 3) as decodeEA32 would; null past the page. */
function decodeEa(rd: Reader, modrm: number): Ea | null {
  const mod = modrm >> 6;
  const rm = modrm & 7;
  if (rm === 4) {
    if (!rd.has(1)) return null;
    const sib = rd.u8();
    const base = sib & 7;
    const index = (sib >> 3) & 7;
    let seg = DS;
    const parts: string[] = [];
    if (base === 5 && mod === 0) {
      if (!rd.has(4)) return null;
      parts.push(String(rd.s32()));
    } else {
      parts.push(`r32[${base}]`);
      if (base === ESP || base === EBP) seg = SS;
    }
    if (index !== 4) parts.push(`(r32[${index}] << ${sib >> 6})`);
    if (mod === 1) {
      if (!rd.has(1)) return null;
      parts.push(String(rd.s8()));
    } else if (mod === 2) {
      if (!rd.has(4)) return null;
      parts.push(String(rd.s32()));
    }
    return { seg, off: `((${parts.join(' + ')}) >>> 0)` };
  }
  if (mod === 0) {
    if (rm === 5) {
      if (!rd.has(4)) return null;
      return { seg: DS, off: hex(rd.s32()) };
    }
    return { seg: DS, off: `(r32[${rm}] >>> 0)` };
  }
  let disp: number;
  if (mod === 1) {
    if (!rd.has(1)) return null;
    disp = rd.s8();
  } else {
    if (!rd.has(4)) return null;
    disp = rd.s32();
  }
  return { seg: rm === EBP ? SS : DS, off: `((r32[${rm}] + ${disp}) >>> 0)` };
}

/** Lazy-flag assignment for a 32-bit ADD/SUB/logic result (cpu-alu.ts's setLazy). */
function lazy(lop: string, a: string, b: string, r: string): string {
  return `c.lop = ${lop}; c.la = ${a}; c.lb = ${b}; c.lres = ${r}; c.lbits = 32; c.lazy = ARITH;`;
}

/**
 * Register-form ALU operation `op` of a and b into `dst` (null for CMP), inlined for the operations
 * whose flags need no CF (as run-batch.ts does), else through c.alu32.
 */
function aluReg(op: number, dst: string | null, a: string, b: string): string {
  let expr: string;
  let lop: string;
  switch (op) {
    case 0:
      expr = `(a + b) | 0`;
      lop = 'LF_ADD';
      break;
    case 1:
      expr = 'a | b';
      lop = 'LF_LOGIC';
      break;
    case 4:
      expr = 'a & b';
      lop = 'LF_LOGIC';
      break;
    case 5:
    case 7:
      expr = '(a - b) | 0';
      lop = 'LF_SUB';
      break;
    case 6:
      expr = 'a ^ b';
      lop = 'LF_LOGIC';
      break;
    default: {
      const call = `c.alu32(${op}, ${a}, ${b})`;
      return dst === null ? `${call};` : `${dst} = ${call};`;
    }
  }
  return `{ const a = ${a}; const b = ${b}; const r = ${expr}; ${lazy(lop, 'a', 'b', 'r')}${dst === null ? '' : ` ${dst} = r;`} }`;
}

/** One decoded instruction: its code, whether it can fault, writes memory, or ends the block. */
interface Insn {
  code: string;
  faults: boolean;
  writes: boolean;
  /** A control transfer: the code sets c.eip itself and the block ends. */
  ends: boolean;
  /** A relative JMP (cc -1, which also ends the block) or Jcc, to `rel` after the next instruction. */
  jump?: { cc: number; rel: number };
}

/**
 * Jcc: the block goes on after it (compileBlock writes its code from `jump`: a side exit, a skip
 * over later instructions of the block, or a jump back to the block's start).
 */
function jcc(cc: number, rel: number): Insn {
  return { code: '', faults: true, writes: false, ends: false, jump: { cc, rel } };
}

/**
 * Decode one instruction at rd.pos (EIP `eip`; `next` is filled in by the caller once the length is
 * known, so the code refers to it as the NEXT placeholder). Null: not translated.
 */
function decodeInsn(rd: Reader): Insn | null {
  if (!rd.has(1)) return null;
  const op = rd.u8();
  const plain = (code: string): Insn => ({ code, faults: false, writes: false, ends: false });
  const mem = (code: string, writes: boolean): Insn => ({ code, faults: true, writes, ends: false });
  // ALU Ev,Gv (op<<3|1), Gv,Ev (|3), EAX,imm32 (|5); byte forms (|0, |2, |4).
  if (op < 0x40 && (op & 7) <= 5) {
    const alu = op >> 3;
    const form = op & 7;
    if (form === 5) {
      if (!rd.has(4)) return null;
      const imm = rd.s32();
      return plain(aluReg(alu, alu === 7 ? null : 'r32[0]', 'r32[0]', String(imm)));
    }
    if (form === 4) {
      if (!rd.has(1)) return null;
      const imm = rd.u8();
      return plain(`{ const r = c.alu(${alu}, c.r8[0], ${imm}, 8);${alu === 7 ? '' : ' c.r8[0] = r;'} }`);
    }
    if (!rd.has(1)) return null;
    const modrm = rd.u8();
    const reg = (modrm >> 3) & 7;
    if (form === 1 || form === 3) {
      if (modrm >= 0xc0) {
        const rm = modrm & 7;
        if (form === 1) return plain(aluReg(alu, alu === 7 ? null : `r32[${rm}]`, `r32[${rm}]`, `r32[${reg}]`));
        return plain(aluReg(alu, alu === 7 ? null : `r32[${reg}]`, `r32[${reg}]`, `r32[${rm}]`));
      }
      const ea = decodeEa(rd, modrm);
      if (ea === null) return null;
      if (form === 3) {
        return mem(`{ const v = c.read32(${ea.seg}, ${ea.off}); const r = c.alu32(${alu}, r32[${reg}], v);${alu === 7 ? '' : ` r32[${reg}] = r;`} }`, false);
      }
      const probe = alu === 2 || alu === 3 ? `c.probeWrite(${ea.seg}, o, 4); ` : '';
      const wr = alu === 7 ? '' : ` c.write32(${ea.seg}, o, r);`;
      return mem(`{ const o = ${ea.off}; const src = r32[${reg}]; ${probe}const r = c.alu32(${alu}, c.read32(${ea.seg}, o), src);${wr} }`, alu !== 7);
    }
    // Byte forms (ops-8.ts's aluEbGb and aluGbEb).
    if (modrm >= 0xc0) {
      const rm = modrm & 7;
      const [d, s] = form === 0 ? [r8i(rm), r8i(reg)] : [r8i(reg), r8i(rm)];
      return plain(`{ const r = c.alu(${alu}, c.r8[${d}], c.r8[${s}], 8);${alu === 7 ? '' : ` c.r8[${d}] = r;`} }`);
    }
    const ea = decodeEa(rd, modrm);
    if (ea === null) return null;
    const r8 = r8i(reg);
    if (form === 2) {
      return mem(`{ const a = c.r8[${r8}]; const r = c.alu(${alu}, a, c.read8(${ea.seg}, ${ea.off}), 8);${alu === 7 ? '' : ` c.r8[${r8}] = r;`} }`, false);
    }
    const probe = alu === 2 || alu === 3 ? `c.probeWrite(${ea.seg}, o, 1); ` : '';
    const wr = alu === 7 ? '' : ` c.write8(${ea.seg}, o, r);`;
    return mem(`{ const o = ${ea.off}; const src = c.r8[${r8}]; ${probe}const r = c.alu(${alu}, c.read8(${ea.seg}, o), src, 8);${wr} }`, alu !== 7);
  }
  if (op >= 0x40 && op < 0x50) {
    const r = op & 7;
    return plain(`r32[${r}] = c.${op < 0x48 ? 'inc32' : 'dec32'}(r32[${r}]);`);
  }
  if (op >= 0x50 && op < 0x58) return mem(`c.push32(r32[${op & 7}]);`, true);
  if (op >= 0x58 && op < 0x60) return mem(`{ const v = c.pop32(); r32[${op & 7}] = v; }`, false);
  if (op >= 0xb8 && op < 0xc0) {
    if (!rd.has(4)) return null;
    return plain(`r32[${op & 7}] = ${rd.s32()};`);
  }
  if (op >= 0xb0 && op < 0xb8) {
    if (!rd.has(1)) return null;
    return plain(`c.r8[${r8i(op & 7)}] = ${rd.u8()};`);
  }
  switch (op) {
    case 0x68:
      if (!rd.has(4)) return null;
      return mem(`c.push32(${rd.s32()});`, true);
    case 0x6a:
      if (!rd.has(1)) return null;
      return mem(`c.push32(${rd.s8()});`, true);
    case 0x81:
    case 0x83: {
      if (!rd.has(1)) return null;
      const modrm = rd.u8();
      const alu = (modrm >> 3) & 7;
      if (modrm >= 0xc0) {
        const rm = modrm & 7;
        const n = op === 0x83 ? 1 : 4;
        if (!rd.has(n)) return null;
        const imm = op === 0x83 ? rd.s8() : rd.s32();
        return plain(aluReg(alu, alu === 7 ? null : `r32[${rm}]`, `r32[${rm}]`, String(imm)));
      }
      const ea = decodeEa(rd, modrm);
      if (ea === null) return null;
      const n = op === 0x83 ? 1 : 4;
      if (!rd.has(n)) return null;
      const imm = op === 0x83 ? rd.s8() : rd.s32();
      const probe = alu === 2 || alu === 3 ? `c.probeWrite(${ea.seg}, o, 4); ` : '';
      const wr = alu === 7 ? '' : ` c.write32(${ea.seg}, o, r);`;
      return mem(`{ const o = ${ea.off}; ${probe}const r = c.alu32(${alu}, c.read32(${ea.seg}, o), ${imm});${wr} }`, alu !== 7);
    }
    case 0x80: {
      if (!rd.has(1)) return null;
      const modrm = rd.u8();
      const alu = (modrm >> 3) & 7;
      if (modrm >= 0xc0) {
        const rm = r8i(modrm & 7);
        if (!rd.has(1)) return null;
        return plain(`{ const r = c.alu(${alu}, c.r8[${rm}], ${rd.u8()}, 8);${alu === 7 ? '' : ` c.r8[${rm}] = r;`} }`);
      }
      const ea = decodeEa(rd, modrm);
      if (ea === null || !rd.has(1)) return null;
      const imm = rd.u8();
      const probe = alu === 2 || alu === 3 ? `c.probeWrite(${ea.seg}, o, 1); ` : '';
      const wr = alu === 7 ? '' : ` c.write8(${ea.seg}, o, r);`;
      return mem(`{ const o = ${ea.off}; ${probe}const r = c.alu(${alu}, c.read8(${ea.seg}, o), ${imm}, 8);${wr} }`, alu !== 7);
    }
    case 0x84: {
      if (!rd.has(1)) return null;
      const modrm = rd.u8();
      const reg = r8i((modrm >> 3) & 7);
      if (modrm >= 0xc0) return plain(`c.setLogicFlags(c.r8[${r8i(modrm & 7)}] & c.r8[${reg}], 8);`);
      const ea = decodeEa(rd, modrm);
      if (ea === null) return null;
      return mem(`c.setLogicFlags(c.read8(${ea.seg}, ${ea.off}) & c.r8[${reg}], 8);`, false);
    }
    case 0xc6: {
      if (!rd.has(1)) return null;
      const modrm = rd.u8();
      if (modrm >= 0xc0) {
        if (!rd.has(1)) return null;
        return plain(`c.r8[${r8i(modrm & 7)}] = ${rd.u8()};`);
      }
      const ea = decodeEa(rd, modrm);
      if (ea === null || !rd.has(1)) return null;
      return mem(`c.write8(${ea.seg}, ${ea.off}, ${rd.u8()});`, true);
    }
    case 0xff: {
      // Group 5 (ops-32.ts's group5) without the far forms and #UD.
      if (!rd.has(1)) return null;
      const modrm = rd.u8();
      const gop = (modrm >> 3) & 7;
      if (gop === 3 || gop === 5 || gop === 7) return null;
      let read: string;
      let write: (v: string) => string;
      let prefix = '';
      if (modrm >= 0xc0) {
        read = `r32[${modrm & 7}]`;
        write = (v) => `r32[${modrm & 7}] = ${v};`;
      } else {
        const ea = decodeEa(rd, modrm);
        if (ea === null) return null;
        prefix = `const o = ${ea.off}; `;
        read = `c.read32(${ea.seg}, o)`;
        write = (v) => `c.write32(${ea.seg}, o, ${v});`;
      }
      const isMem = modrm < 0xc0;
      switch (gop) {
        case 0:
        case 1:
          return { code: `{ ${prefix}${write(`c.${gop === 0 ? 'inc32' : 'dec32'}(${read})`)} }`, faults: isMem, writes: isMem, ends: false };
        case 2:
          return { code: `{ ${prefix}const t = ${read} >>> 0; if (t > c.segLimit[${CS}]) c.gp(0); c.push32(NEXT); c.eip = t; }`, faults: true, writes: true, ends: true };
        case 4:
          return { code: `{ ${prefix}const t = ${read} >>> 0; if (t > c.segLimit[${CS}]) c.gp(0); c.eip = t; }`, faults: true, writes: false, ends: true };
        default:
          return { code: `{ ${prefix}c.push32(${read}); }`, faults: true, writes: true, ends: false };
      }
    }
    case 0x85: {
      if (!rd.has(1)) return null;
      const modrm = rd.u8();
      const reg = (modrm >> 3) & 7;
      if (modrm >= 0xc0) {
        return plain(`{ const r = r32[${modrm & 7}] & r32[${reg}]; ${lazy('LF_LOGIC', 'r', 'r', 'r')} }`);
      }
      const ea = decodeEa(rd, modrm);
      if (ea === null) return null;
      return mem(`c.setLogicFlags(c.read32(${ea.seg}, ${ea.off}) & r32[${reg}], 32);`, false);
    }
    case 0x88:
    case 0x8a: {
      if (!rd.has(1)) return null;
      const modrm = rd.u8();
      const reg = r8i((modrm >> 3) & 7);
      if (modrm >= 0xc0) {
        const rm = r8i(modrm & 7);
        return plain(op === 0x88 ? `c.r8[${rm}] = c.r8[${reg}];` : `c.r8[${reg}] = c.r8[${rm}];`);
      }
      const ea = decodeEa(rd, modrm);
      if (ea === null) return null;
      if (op === 0x88) return mem(`c.write8(${ea.seg}, ${ea.off}, c.r8[${reg}]);`, true);
      return mem(`c.r8[${reg}] = c.read8(${ea.seg}, ${ea.off});`, false);
    }
    case 0x89:
    case 0x8b: {
      if (!rd.has(1)) return null;
      const modrm = rd.u8();
      const reg = (modrm >> 3) & 7;
      if (modrm >= 0xc0) {
        const rm = modrm & 7;
        return plain(op === 0x89 ? `r32[${rm}] = r32[${reg}];` : `r32[${reg}] = r32[${rm}];`);
      }
      const ea = decodeEa(rd, modrm);
      if (ea === null) return null;
      if (op === 0x89) return mem(`c.write32(${ea.seg}, ${ea.off}, r32[${reg}]);`, true);
      return mem(`r32[${reg}] = c.read32(${ea.seg}, ${ea.off});`, false);
    }
    case 0x8d: {
      if (!rd.has(1)) return null;
      const modrm = rd.u8();
      if (modrm >= 0xc0) return null;
      const ea = decodeEa(rd, modrm);
      if (ea === null) return null;
      return plain(`r32[${(modrm >> 3) & 7}] = ${ea.off};`);
    }
    case 0x90:
      return plain('');
    case 0xc1:
    case 0xd1:
    case 0xd3: {
      if (!rd.has(1)) return null;
      const modrm = rd.u8();
      if (modrm < 0xc0) return null;
      const sop = (modrm >> 3) & 7;
      const rm = modrm & 7;
      let count: string;
      if (op === 0xd1) count = '1';
      else if (op === 0xd3) count = 'c.r8[4] & 31';
      else {
        if (!rd.has(1)) return null;
        count = String(rd.u8() & 31);
      }
      if (count === '0') return plain('');
      return plain(`{ const k = ${count}; if (k !== 0) r32[${rm}] = c.shift32(${sop}, r32[${rm}], k); }`);
    }
    case 0xc7: {
      if (!rd.has(1)) return null;
      const modrm = rd.u8();
      if (modrm >= 0xc0) {
        if (!rd.has(4)) return null;
        return plain(`r32[${modrm & 7}] = ${rd.s32()};`);
      }
      const ea = decodeEa(rd, modrm);
      if (ea === null || !rd.has(4)) return null;
      return mem(`c.write32(${ea.seg}, ${ea.off}, ${rd.s32()});`, true);
    }
    case 0x0f: {
      if (!rd.has(1)) return null;
      const op2 = rd.u8();
      if (op2 >= 0x80 && op2 < 0x90) {
        if (!rd.has(4)) return null;
        const rel = rd.s32();
        return jcc(op2 & 15, rel);
      }
      if (op2 === 0xb6 || op2 === 0xb7 || op2 === 0xbe || op2 === 0xbf) {
        if (!rd.has(1)) return null;
        const modrm = rd.u8();
        const reg = (modrm >> 3) & 7;
        const byte = op2 === 0xb6 || op2 === 0xbe;
        const signed = op2 >= 0xbe;
        let src: string;
        let faults = false;
        if (modrm >= 0xc0) {
          src = byte ? `c.r8[${r8i(modrm & 7)}]` : `c.r16[${(modrm & 7) << 1}]`;
        } else {
          const ea = decodeEa(rd, modrm);
          if (ea === null) return null;
          src = `c.read${byte ? 8 : 16}(${ea.seg}, ${ea.off})`;
          faults = true;
        }
        const v = signed ? (byte ? `(${src} << 24) >> 24` : `(${src} << 16) >> 16`) : src;
        return { code: `r32[${reg}] = ${v};`, faults, writes: false, ends: false };
      }
      return null;
    }
  }
  if (op >= 0x70 && op < 0x80) {
    if (!rd.has(1)) return null;
    const rel = rd.s8();
    return jcc(op & 15, rel);
  }
  if (op === 0xeb || op === 0xe9) {
    const n = op === 0xeb ? 1 : 4;
    if (!rd.has(n)) return null;
    const rel = op === 0xeb ? rd.s8() : rd.s32();
    return { code: `if (REL${rel} > c.segLimit[${CS}]) c.gp(0); c.eip = REL${rel};`, faults: true, writes: false, ends: true, jump: { cc: -1, rel } };
  }
  if (op === 0xe8) {
    if (!rd.has(4)) return null;
    const rel = rd.s32();
    return { code: `if (REL${rel} > c.segLimit[${CS}]) c.gp(0); c.push32(NEXT); c.eip = REL${rel};`, faults: true, writes: true, ends: true };
  }
  if (op === 0xc3) {
    return {
      code: `{ const sp = c.sp; const ip = c.read32(${SS}, sp) >>> 0; if (ip > c.segLimit[${CS}]) c.gp(0); c.eip = ip; c.setSp(c.spAdd(sp, 4)); }`,
      faults: true,
      writes: false,
      ends: true,
    };
  }
  return null;
}

/** Comparisons of the code bytes [from, to) (physical) with their values now, as one JS condition. */
function bytesCheck(ram8: Uint8Array, view: DataView, from: number, to: number): string {
  const parts: string[] = [];
  if (to - from < 4) {
    for (let p = from; p < to; p++) parts.push(`ram8[${p}] !== ${ram8[p]!}`);
  } else {
    for (let p = from; p + 4 <= to; p += 4) parts.push(`dv.getInt32(${p}, true) !== ${view.getInt32(p, true)}`);
    if ((to - from) % 4 !== 0) parts.push(`dv.getInt32(${to - 4}, true) !== ${view.getInt32(to - 4, true)}`);
  }
  return parts.join(' || ');
}

/** True when guest memory from phys + from on differs from the block's saved code bytes. */
function changed(ram8: Uint8Array, phys: number, saved: Uint8Array, from: number): boolean {
  for (let i = from; i < saved.length; i++) if (ram8[phys + i] !== saved[i]) return true;
  return false;
}

/** A decoded instruction of a block: its EIP, the EIP after it, and its decoding. */
interface Placed {
  start: number;
  next: number;
  insn: Insn;
}

/** Where a JMP or Jcc of the block goes. */
function jumpTarget(p: Placed): number {
  return (p.next + p.insn.jump!.rel) >>> 0;
}

/** Whether the block jumps back to its first instruction (a Jcc or JMP to `eip`). */
function blockLoops(insns: readonly Placed[], eip: number): boolean {
  return insns.some((p) => p.insn.jump !== undefined && jumpTarget(p) === eip >>> 0);
}

/**
 * The statements of a block after its code-bytes check. `n` is the instruction count on entry (of
 * this pass, when the block loops), and `c.batchCount = n + i` makes the count exact before the
 * block's instruction i: before every instruction that can fault or reach a device (which may read
 * the virtual time) and wherever the block returns. The caller lets a block in only when the batch
 * has room for all its instructions, so that only a device asking for a check (requestCheck and
 * limitRun lower batchLimit) can end it early: the count is compared after every memory access.
 *
 * A Jcc does not end the block. Taken, it leaves the block (a side exit), or skips to a later
 * instruction of the block (an `if` around the instructions between, properly nested in the others:
 * on the skipping path `n` goes down by the instructions not run, so that `n + i` stays the count),
 * or jumps back to the block's first instruction. A block that jumps back to its start (a Jcc or a
 * JMP) is a loop: it runs again while the batch has room for all of it, else ends at its start.
 * Between passes nothing but the block runs, and a write into its own bytes ends it (the check
 * after every write compares all of them then), so the bytes checked on entry still hold.
 */
function blockBody(insns: readonly Placed[], phys: number, eip: number, check: (from: number, to: number) => string): string[] {
  const count = insns.length;
  const page = phys & ~0xfff;
  const first = eip >>> 0;
  const loops = blockLoops(insns, eip);
  const index = new Map(insns.map((p, i) => [p.start >>> 0, i]));
  const offset = (i: number): number => (i < count ? insns[i]!.start : insns[count - 1]!.next) - eip;
  const lines: string[] = [];
  // Where the code bytes are checked: a loop checks all of them on entry; other blocks check each
  // stretch of straight-line code where it starts (on entry, after a Jcc, where a skip joins), so
  // that a block left early by a Jcc does not pay for the bytes after it.
  const starts = new Set<number>();
  if (loops) {
    lines.push(`if (${check(0, offset(count))}) return false;`, 'for (;;) {');
  } else {
    starts.add(0);
    insns.forEach((p, i) => {
      if (p.insn.jump === undefined) return;
      starts.add(i + 1);
      const join = index.get(jumpTarget(p));
      if (join !== undefined) starts.add(join);
    });
  }
  const stretchEnd = (i: number): number => {
    let j = i + 1;
    while (j < count && !starts.has(j)) j++;
    return offset(j);
  };
  lines.push('let n = c.batchCount;');
  // Skips open at this point: the instruction each joins at, innermost last.
  const open: { join: number; from: number; to: number }[] = [];
  const retired = (i: number): string => `c.batchCount = n + ${i};`;
  const limitCheck = (t: number): string => `if (${t} > c.segLimit[${CS}]) c.gp(0);`;
  const again = (i: number): string => `${retired(i + 1)} if (c.batchLimit - (n + ${i + 1}) < ${count}) { c.eip = ${first}; return true; } continue;`;
  for (let i = 0; i < count; i++) {
    const { start, next, insn } = insns[i]!;
    while (open.length > 0 && open[open.length - 1]!.join === i) {
      const skip = open.pop()!;
      lines.push(`} else { ${limitCheck(skip.to)} n -= ${i - skip.from - 1}; }`);
    }
    if (starts.has(i)) {
      const changedHere = check(offset(i), stretchEnd(i));
      lines.push(i === 0 ? `if (${changedHere}) return false;` : `if (${changedHere}) { c.eip = ${start >>> 0}; ${retired(i)} return true; }`);
    }
    lines.push(`// ${hex(start)}`);
    const exact = `${retired(i)} c.instrStart = ${start >>> 0};`;
    const nextEip = next >>> 0;
    const jump = insn.jump;
    if (jump !== undefined) {
      const t = jumpTarget(insns[i]!);
      const taken = t === first ? `${limitCheck(t)} ${again(i)}` : `${limitCheck(t)} c.eip = ${t}; ${retired(i + 1)} return true;`;
      if (jump.cc < 0) {
        // JMP: the block's last instruction.
        lines.push(`${exact} ${taken}`);
        break;
      }
      const join = index.get(t);
      const inner = open.length > 0 ? open[open.length - 1]!.join : count;
      if (t !== first && join !== undefined && join > i + 1 && join <= inner) {
        lines.push(`${exact} if (!c.cond(${jump.cc})) {`);
        open.push({ join, from: i, to: t });
        continue;
      }
      lines.push(`${exact} if (c.cond(${jump.cc})) { ${taken} }`);
    } else {
      const code = insn.code.replace(/NEXT/g, String(nextEip)).replace(/REL(-?\d+)/g, (_m, rel: string) => String((next + Number(rel)) >>> 0));
      lines.push(insn.faults ? `${exact} ${code}` : code);
      if (insn.ends) {
        lines.push(`${retired(i + 1)} return true;`);
        break;
      }
    }
    if (i === count - 1) {
      lines.push(`c.eip = ${nextEip}; ${retired(i + 1)} return true;`);
      break;
    }
    if (insn.writes) {
      // A write into the rest of this block (into any of it, when the block loops): stop after
      // this instruction (see the file comment).
      const from = loops ? 0 : next - eip;
      lines.push(`{ const w = c.writePage; if ((w === ${page} || w === -1) && changed(ram8, ${phys}, saved, ${from})) { c.eip = ${nextEip}; ${retired(i + 1)} return true; } }`);
    }
    if (insn.faults && jump === undefined) lines.push(`if (c.batchLimit <= n + ${i + 1}) { c.eip = ${nextEip}; ${retired(i + 1)} return true; }`);
  }
  if (loops) lines.push('}');
  return lines;
}

/**
 * Whether the instruction at EIP `from` is a JMP or Jcc back to `to` (at or before it): the arrival
 * at `to` closes a loop. False when its bytes are not all inside the fetch window.
 */
export function jumpsBackTo(c: Cpu, from: number, to: number): boolean {
  if (from < to || from < c.fetchLo || from > c.fetchHi) return false;
  const p = c.fetchBase + from;
  const rd = new Reader(c.ram8, p, c.fetchBase + c.fetchHi + 1);
  const jump = decodeInsn(rd)?.jump;
  return jump !== undefined && ((from + (rd.pos - p) + jump.rel) >>> 0) === to >>> 0;
}

/**
 * Translate the block at physical address `phys` reached at `eip`, or return null when its first
 * instruction is not one this translator knows. `lastEip` bounds it (the fetch window's end).
 */
export function compileBlock(c: Cpu, phys: number, eip: number, lastEip: number, onlyLoop = false): Block | null {
  const ram8 = c.ram8;
  const pageEnd = Math.min((phys & ~0xfff) + 0x1000, phys + (lastEip - eip) + 1);
  const rd = new Reader(ram8, phys, pageEnd);
  const insns: Placed[] = [];
  while (insns.length < MAX_INSNS) {
    const startPos = rd.pos;
    const insn = decodeInsn(rd);
    if (insn === null) {
      rd.pos = startPos;
      break;
    }
    insns.push({ start: eip + (startPos - phys), next: eip + (rd.pos - phys), insn });
    if (insn.ends) break;
  }
  if (insns.length === 0 || (onlyLoop && !blockLoops(insns, eip))) return null;
  const end = rd.pos;
  const lines = blockBody(insns, phys, eip, (from, to) => bytesCheck(ram8, c.ramView, phys + from, phys + to));
  const body = lines.join('\n');
  const source = `return (function block_${hex(eip)}(c) {\nconst r32 = c.r32;\n${body}\n});`;
  const saved = ram8.slice(phys, end);
  const factory = new Function('ram8', 'dv', 'saved', 'changed', 'ARITH', 'LF_ADD', 'LF_SUB', 'LF_LOGIC', source) as (...args: unknown[]) => (c: Cpu) => boolean;
  const fn = factory(ram8, c.ramView, saved, changed, ARITH_FLAGS, LF_ADD, LF_SUB, LF_LOGIC);
  return { phys, eip, last: eip + (end - phys) - 1, fn, instructions: insns.length, source };
}
