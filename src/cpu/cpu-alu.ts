/**
 * Arithmetic: lazily evaluated flags and the ALU operations that produce them.
 *
 * ADD/ADC/SUB/SBB/CMP/NEG/logic/INC/DEC record their operands and result and mark the six arithmetic
 * flags lazy; a flag is computed only when something reads it. Rarer operations (shifts, multiply,
 * BCD) compute their flags at once and store them in `flags`.
 */
import { CpuMemory } from './cpu-memory.ts';
import { LF_ADC, LF_ADD, LF_DEC, LF_INC, LF_LOGIC, LF_SBB, LF_SUB } from './cpu-state.ts';
import { AF, ARITH_FLAGS, CF, OF, PF, SF, ZF } from './constants.ts';

/** PARITY[b] is PF for a result whose low byte is b. */
const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let bits = 0;
  for (let b = i; b !== 0; b >>= 1) bits += b & 1;
  PARITY[i] = (bits & 1) === 0 ? PF : 0;
}

/** Mask of an operand width in bits (8, 16 or 32). */
function widthMask(bits: number): number {
  return bits === 32 ? -1 : (1 << bits) - 1;
}

// ALU operation numbers, as encoded in opcode bits 5:3 and in group-1 ModRM reg fields.
export const ALU_ADD = 0;
export const ALU_OR = 1;
export const ALU_ADC = 2;
export const ALU_SBB = 3;
export const ALU_AND = 4;
export const ALU_SUB = 5;
export const ALU_XOR = 6;
export const ALU_CMP = 7;

export class CpuAlu extends CpuMemory {
  // ---- Reading flags ----

  getCF(): number {
    if ((this.lazy & CF) === 0) return this.flags & CF;
    const m = widthMask(this.lbits);
    const r = (this.lres & m) >>> 0;
    const a = (this.la & m) >>> 0;
    switch (this.lop) {
      case LF_ADD:
        return r < a ? CF : 0;
      case LF_ADC:
        return r <= a ? CF : 0;
      case LF_SUB:
        return a < (this.lb & m) >>> 0 ? CF : 0;
      case LF_SBB:
        return a <= (this.lb & m) >>> 0 ? CF : 0;
      default:
        return 0;
    }
  }

  getZF(): number {
    if ((this.lazy & ZF) === 0) return this.flags & ZF;
    return (this.lres & widthMask(this.lbits)) === 0 ? ZF : 0;
  }

  getSF(): number {
    if ((this.lazy & SF) === 0) return this.flags & SF;
    return (this.lres >>> (this.lbits - 1)) & 1 ? SF : 0;
  }

  getPF(): number {
    if ((this.lazy & PF) === 0) return this.flags & PF;
    return PARITY[this.lres & 0xff]!;
  }

  getAF(): number {
    if ((this.lazy & AF) === 0) return this.flags & AF;
    if (this.lop === LF_LOGIC) return 0;
    return (this.la ^ this.lb ^ this.lres) & AF;
  }

  getOF(): number {
    if ((this.lazy & OF) === 0) return this.flags & OF;
    const sign = this.lbits - 1;
    const r = this.lres;
    switch (this.lop) {
      case LF_ADD:
      case LF_ADC:
        return (((this.la ^ r) & (this.lb ^ r)) >>> sign) & 1 ? OF : 0;
      case LF_SUB:
      case LF_SBB:
        return (((this.la ^ this.lb) & (this.la ^ r)) >>> sign) & 1 ? OF : 0;
      case LF_INC:
        return (r & widthMask(this.lbits)) >>> 0 === 1 << sign >>> 0 ? OF : 0;
      case LF_DEC:
        return (r & widthMask(this.lbits)) >>> 0 === ((1 << sign) >>> 0) - 1 ? OF : 0;
      default:
        return 0;
    }
  }

  /** EFLAGS as the guest sees it. */
  getFlags(): number {
    if (this.lazy === 0) return this.flags;
    return (
      (this.flags & ~this.lazy) |
      ((this.getCF() | this.getPF() | this.getAF() | this.getZF() | this.getSF() | this.getOF()) & this.lazy)
    );
  }

  /** Replace the arithmetic flags (mask selects which) with concrete values. */
  setArithFlags(value: number, mask = ARITH_FLAGS): void {
    this.flags = (this.getFlags() & ~mask) | (value & mask);
    this.lazy = 0;
  }

  /** Make every flag concrete (before writing some of them one by one). */
  materializeFlags(): void {
    if (this.lazy !== 0) {
      this.flags = this.getFlags();
      this.lazy = 0;
    }
  }

  setCF(on: boolean): void {
    this.materializeFlags();
    this.flags = on ? this.flags | CF : this.flags & ~CF;
  }

  /** Condition code cc (0..15, the low nibble of Jcc/SETcc/CMOVcc) is true. */
  cond(cc: number): boolean {
    // Fast paths for a condition right after CMP/SUB or a logic operation (the common cases): the
    // operands shifted to the top of an int32 compare as the flags would say, whatever the width.
    if (this.lazy === ARITH_FLAGS) {
      const sh = 32 - this.lbits;
      if (this.lop === LF_SUB) {
        const a = this.la << sh;
        const b = this.lb << sh;
        switch (cc) {
          case 2:
            return a >>> 0 < b >>> 0; // B: CF
          case 3:
            return a >>> 0 >= b >>> 0;
          case 4:
            return a === b; // Z
          case 5:
            return a !== b;
          case 6:
            return a >>> 0 <= b >>> 0; // BE: CF | ZF
          case 7:
            return a >>> 0 > b >>> 0;
          case 8:
            return this.lres << sh < 0; // S
          case 9:
            return this.lres << sh >= 0;
          case 12:
            return a < b; // L: SF != OF
          case 13:
            return a >= b;
          case 14:
            return a <= b; // LE: ZF | SF != OF
          case 15:
            return a > b;
        }
      } else if (this.lop === LF_LOGIC) {
        // CF = OF = 0
        const r = this.lres << sh;
        switch (cc) {
          case 2:
            return false;
          case 3:
            return true;
          case 4:
          case 6:
            return r === 0;
          case 5:
          case 7:
            return r !== 0;
          case 8:
          case 12:
            return r < 0;
          case 9:
          case 13:
            return r >= 0;
          case 14:
            return r <= 0;
          case 15:
            return r > 0;
        }
      }
    }
    return this.condSlow(cc);
  }

  /** cond() from the flag getters: any lazy state (kept apart so that cond() stays inlinable). */
  private condSlow(cc: number): boolean {
    let r: boolean;
    switch (cc >> 1) {
      case 0:
        r = this.getOF() !== 0;
        break;
      case 1:
        r = this.getCF() !== 0;
        break;
      case 2:
        r = this.getZF() !== 0;
        break;
      case 3:
        r = this.getCF() !== 0 || this.getZF() !== 0;
        break;
      case 4:
        r = this.getSF() !== 0;
        break;
      case 5:
        r = this.getPF() !== 0;
        break;
      case 6:
        r = (this.getSF() !== 0) !== (this.getOF() !== 0);
        break;
      default:
        r = this.getZF() !== 0 || (this.getSF() !== 0) !== (this.getOF() !== 0);
        break;
    }
    return (cc & 1) !== 0 ? !r : r;
  }

  // ---- Lazy-flag producers ----

  private setLazy(op: number, a: number, b: number, r: number, bits: number): void {
    this.lop = op;
    this.la = a;
    this.lb = b;
    this.lres = r;
    this.lbits = bits;
    this.lazy = ARITH_FLAGS;
  }

  /** One of the eight ALU operations on operands of `bits` width; returns the (masked) result. */
  alu(op: number, a: number, b: number, bits: number): number {
    const m = widthMask(bits);
    let r: number;
    switch (op) {
      case ALU_ADD:
        r = (a + b) & m;
        this.setLazy(LF_ADD, a, b, r, bits);
        return r;
      case ALU_OR:
        r = (a | b) & m;
        this.setLazy(LF_LOGIC, a, b, r, bits);
        return r;
      case ALU_ADC:
        if (this.getCF() !== 0) {
          r = (a + b + 1) & m;
          this.setLazy(LF_ADC, a, b, r, bits);
        } else {
          r = (a + b) & m;
          this.setLazy(LF_ADD, a, b, r, bits);
        }
        return r;
      case ALU_SBB:
        if (this.getCF() !== 0) {
          r = (a - b - 1) & m;
          this.setLazy(LF_SBB, a, b, r, bits);
        } else {
          r = (a - b) & m;
          this.setLazy(LF_SUB, a, b, r, bits);
        }
        return r;
      case ALU_AND:
        r = a & b & m;
        this.setLazy(LF_LOGIC, a, b, r, bits);
        return r;
      case ALU_SUB:
      case ALU_CMP:
        r = (a - b) & m;
        this.setLazy(LF_SUB, a, b, r, bits);
        return r;
      default:
        r = (a ^ b) & m;
        this.setLazy(LF_LOGIC, a, b, r, bits);
        return r;
    }
  }

  /**
   * alu() for 32-bit operands, without the width switches: operands and result are int32 (the lazy
   * flag getters mask them, so the sign representation does not matter).
   */
  alu32(op: number, a: number, b: number): number {
    let r: number;
    let lop: number;
    switch (op) {
      case ALU_ADD:
        r = (a + b) | 0;
        lop = LF_ADD;
        break;
      case ALU_OR:
        r = a | b;
        lop = LF_LOGIC;
        break;
      case ALU_ADC:
        if (this.getCF() !== 0) {
          r = (a + b + 1) | 0;
          lop = LF_ADC;
        } else {
          r = (a + b) | 0;
          lop = LF_ADD;
        }
        break;
      case ALU_SBB:
        if (this.getCF() !== 0) {
          r = (a - b - 1) | 0;
          lop = LF_SBB;
        } else {
          r = (a - b) | 0;
          lop = LF_SUB;
        }
        break;
      case ALU_AND:
        r = a & b;
        lop = LF_LOGIC;
        break;
      case ALU_SUB:
      case ALU_CMP:
        r = (a - b) | 0;
        lop = LF_SUB;
        break;
      default:
        r = a ^ b;
        lop = LF_LOGIC;
        break;
    }
    this.lop = lop;
    this.la = a;
    this.lb = b;
    this.lres = r;
    this.lbits = 32;
    this.lazy = ARITH_FLAGS;
    return r;
  }

  /** INC of a 32-bit operand: CF is kept, the other five flags are lazy. */
  inc32(a: number): number {
    const cf = this.getCF();
    const r = (a + 1) | 0;
    this.flags = (this.flags & ~CF) | cf;
    this.lop = LF_INC;
    this.la = a;
    this.lb = 1;
    this.lres = r;
    this.lbits = 32;
    this.lazy = ARITH_FLAGS & ~CF;
    return r;
  }

  dec32(a: number): number {
    const cf = this.getCF();
    const r = (a - 1) | 0;
    this.flags = (this.flags & ~CF) | cf;
    this.lop = LF_DEC;
    this.la = a;
    this.lb = 1;
    this.lres = r;
    this.lbits = 32;
    this.lazy = ARITH_FLAGS & ~CF;
    return r;
  }

  inc(a: number, bits: number): number {
    const cf = this.getCF();
    const r = (a + 1) & widthMask(bits);
    this.flags = (this.flags & ~CF) | cf;
    this.lop = LF_INC;
    this.la = a;
    this.lb = 1;
    this.lres = r;
    this.lbits = bits;
    this.lazy = ARITH_FLAGS & ~CF;
    return r;
  }

  dec(a: number, bits: number): number {
    const cf = this.getCF();
    const r = (a - 1) & widthMask(bits);
    this.flags = (this.flags & ~CF) | cf;
    this.lop = LF_DEC;
    this.la = a;
    this.lb = 1;
    this.lres = r;
    this.lbits = bits;
    this.lazy = ARITH_FLAGS & ~CF;
    return r;
  }

  neg(a: number, bits: number): number {
    const r = -a & widthMask(bits);
    this.setLazy(LF_SUB, 0, a, r, bits);
    return r;
  }

  /** Set SF, ZF, PF from a result (and clear or keep others as `rest` says). */
  private szp(r: number, bits: number): number {
    const m = widthMask(bits);
    return ((r & m) === 0 ? ZF : 0) | ((r >>> (bits - 1)) & 1 ? SF : 0) | PARITY[r & 0xff]!;
  }

  /**
   * Flags of SHL/SHR/SAR and SHLD/SHRD: CF and OF as given, SF ZF PF from the (masked) result, AF
   * unchanged. SF ZF PF stay lazy (as after a logic operation), so nothing else is computed.
   */
  private setShiftFlags(r: number, bits: number, cf: number, of: number): void {
    const keep = this.flags & ~(CF | OF | AF);
    const af = this.getAF();
    this.flags = keep | af | (cf !== 0 ? CF : 0) | (of !== 0 ? OF : 0);
    this.lop = LF_LOGIC;
    this.la = r;
    this.lb = r;
    this.lres = r;
    this.lbits = bits;
    this.lazy = SF | ZF | PF;
  }

  /** SHL, SHR and SAR of a 32-bit operand by a count of 1..31 (others go to shift()). */
  shift32(op: number, a: number, count: number): number {
    let r: number;
    switch (op) {
      case 4:
      case 6: {
        r = a << count;
        const cf = (a >>> (32 - count)) & 1;
        this.setShiftFlags(r, 32, cf, (r >>> 31) ^ cf);
        return r;
      }
      case 5:
        r = a >>> count;
        this.setShiftFlags(r, 32, (a >>> (count - 1)) & 1, (a >>> 31) & 1);
        return r | 0;
      case 7:
        r = a >> count;
        this.setShiftFlags(r, 32, (a >> (count - 1)) & 1, 0);
        return r;
      default:
        return this.shift(op, a, count, 32);
    }
  }

  // ---- Shifts and rotates (flags computed at once) ----

  /** Group-2 operation (ROL ROR RCL RCR SHL SHR SAL SAR) by a count already masked to 5 bits. */
  shift(op: number, a: number, count: number, bits: number): number {
    if (count === 0) return a;
    const m = widthMask(bits);
    a &= m;
    let r: number;
    let cf: number;
    let of: number;
    const sign = bits - 1;
    switch (op) {
      case 0: {
        // ROL
        const c = count % bits;
        r = c === 0 ? a : ((a << c) | (a >>> (bits - c))) & m;
        cf = r & 1;
        of = ((r >>> sign) ^ cf) & 1;
        this.setArithFlags((cf ? CF : 0) | (of ? OF : 0), CF | OF);
        return r;
      }
      case 1: {
        // ROR
        const c = count % bits;
        r = c === 0 ? a : ((a >>> c) | (a << (bits - c))) & m;
        cf = (r >>> sign) & 1;
        of = ((r >>> sign) ^ (r >>> (sign - 1))) & 1;
        this.setArithFlags((cf ? CF : 0) | (of ? OF : 0), CF | OF);
        return r;
      }
      case 2: {
        // RCL: rotate through carry, a (bits+1)-bit rotation
        const c = count % (bits + 1);
        cf = this.getCF() ? 1 : 0;
        r = a;
        for (let i = 0; i < c; i++) {
          const out = (r >>> sign) & 1;
          r = ((r << 1) | cf) & m;
          cf = out;
        }
        of = ((r >>> sign) ^ cf) & 1;
        this.setArithFlags((cf ? CF : 0) | (of ? OF : 0), CF | OF);
        return r;
      }
      case 3: {
        // RCR
        const c = count % (bits + 1);
        cf = this.getCF() ? 1 : 0;
        r = a;
        of = ((r >>> sign) ^ cf) & 1; // OF is defined for count 1: MSB before ^ CF before
        for (let i = 0; i < c; i++) {
          const out = r & 1;
          r = ((r >>> 1) | (cf << sign)) & m;
          cf = out;
        }
        this.setArithFlags((cf ? CF : 0) | (of ? OF : 0), CF | OF);
        return r;
      }
      case 4:
      case 6: {
        // SHL / SAL
        if (count > bits) {
          r = 0;
          cf = 0;
        } else {
          r = count === 32 ? 0 : (a << count) & m;
          cf = (a >>> (bits - count)) & 1;
        }
        of = ((r >>> sign) ^ cf) & 1;
        this.setArithFlags(this.szp(r, bits) | (cf ? CF : 0) | (of ? OF : 0), ARITH_FLAGS & ~AF);
        return r;
      }
      case 5: {
        // SHR
        r = count >= bits ? 0 : a >>> count;
        cf = count > bits ? 0 : (a >>> (count - 1)) & 1;
        of = (a >>> sign) & 1;
        this.setArithFlags(this.szp(r, bits) | (cf ? CF : 0) | (of ? OF : 0), ARITH_FLAGS & ~AF);
        return r;
      }
      default: {
        // SAR
        const s = (a << (32 - bits)) >> (32 - bits); // sign-extended
        if (count >= bits) {
          r = (s >> 31) & m;
          cf = (s >>> 31) & 1;
        } else {
          r = (s >> count) & m;
          cf = (s >> (count - 1)) & 1;
        }
        this.setArithFlags(this.szp(r, bits) | (cf ? CF : 0), ARITH_FLAGS & ~AF);
        return r;
      }
    }
  }

  /** SHLD/SHRD: shift dst by count (masked to 5 bits) filling from src. */
  shiftDouble(left: boolean, dst: number, src: number, count: number, bits: number): number {
    if (count === 0) return dst;
    const m = widthMask(bits);
    dst &= m;
    src &= m;
    let r: number;
    let cf: number;
    if (bits === 16) {
      // 486 behaviour for counts above 16: the 32-bit concatenation keeps rotating (result undefined).
      const wide = left ? ((dst << 16) | src) >>> 0 : ((src << 16) | dst) >>> 0;
      const c = count;
      if (left) {
        const ext = c <= 16 ? wide : ((wide << 16) | dst) >>> 0; // undefined region: make it deterministic
        r = c <= 16 ? ((ext << c) >>> 16) & m : ((ext << (c - 16)) >>> 16) & m;
        cf = c <= 16 ? (dst >>> (16 - c)) & 1 : (src >>> (32 - c)) & 1;
      } else {
        r = c <= 16 ? (wide >>> c) & m : ((((dst << 16) | src) >>> (c - 16)) & m);
        cf = c <= 16 ? (dst >>> (c - 1)) & 1 : (src >>> (c - 17)) & 1;
      }
    } else if (left) {
      r = ((dst << count) | (src >>> (32 - count))) >>> 0;
      cf = (dst >>> (32 - count)) & 1;
    } else {
      r = ((dst >>> count) | (src << (32 - count))) >>> 0;
      cf = (dst >>> (count - 1)) & 1;
    }
    const sign = bits - 1;
    const of = ((r ^ dst) >>> sign) & 1;
    this.setArithFlags(this.szp(r, bits) | (cf ? CF : 0) | (of ? OF : 0), ARITH_FLAGS & ~AF);
    return bits === 32 ? r | 0 : r;
  }

  // ---- Multiply (flags computed at once: CF = OF = upper half significant; SZP from the low half) ----

  setMulFlags(overflow: boolean, low: number, bits: number): void {
    const f = overflow ? CF | OF : 0;
    this.setArithFlags(f | this.szp(low, bits), ARITH_FLAGS);
  }

  /** Logic flags for a result computed elsewhere (TEST-like): CF = OF = AF = 0. */
  setLogicFlags(r: number, bits: number): void {
    this.setLazy(LF_LOGIC, r, r, r & widthMask(bits), bits);
  }

  /** SZP from a result, with CF/OF/AF given (BCD instructions). */
  setSzpFlags(r: number, bits: number, others: number): void {
    this.setArithFlags(this.szp(r, bits) | others, ARITH_FLAGS);
  }
}
