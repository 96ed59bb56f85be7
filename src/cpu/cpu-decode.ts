/**
 * Decoding state for the instruction being executed (prefixes, operand and address size) and ModRM
 * effective addresses, with helpers that read and write an r/m operand of any width.
 */
import { CpuAlu } from './cpu-alu.ts';
import { CS, DS, EBP, ESP, SEG_NONE, SS } from './constants.ts';
import { WIDE } from '../util/wide-field.ts';

/** REP prefixes. */
export const REP_NONE = 0;
/** F3: REP / REPE. */
export const REP_E = 1;
/** F2: REPNE. */
export const REP_NE = 2;

export class CpuDecode extends CpuAlu {
  /** EIP of the first byte of the instruction being executed (faults restart here). */
  instrStart = WIDE;
  /** Segment override prefix, or SEG_NONE. */
  prefixSeg = SEG_NONE;
  rep = REP_NONE;
  lockPrefix = false;
  /** Operand size is 32 bits for this instruction. */
  op32 = false;
  /** Address size is 32 bits for this instruction. */
  ad32 = false;
  /** Number of prefix bytes seen (the 15-byte limit). */
  prefixCount = 0;

  // Decoded r/m operand: a register (eaReg >= 0) or memory at eaSeg:eaOff.
  eaReg = 0;
  eaSeg = DS;
  eaOff = WIDE;

  /**
   * Back to "no prefix seen". Prefix handlers call it when their instruction is done and the run
   * loop when an instruction faults, so that an instruction without prefixes resets nothing.
   */
  clearPrefixes(): void {
    this.prefixSeg = SEG_NONE;
    this.rep = REP_NONE;
    this.lockPrefix = false;
    this.prefixCount = 0;
    this.op32 = this.ad32 = this.csBig;
  }

  /**
   * A CS load changes the default operand and address size. The instructions that load CS (far
   * transfers, interrupts, IRET, task switches) read op32 before they do, so it is safe to switch
   * here, and the run loop then needs no per-instruction reset.
   */
  override segmentsChanged(seg: number): void {
    super.segmentsChanged(seg);
    if (seg === CS) this.op32 = this.ad32 = this.csBig;
  }

  /** The segment for a default-DS memory operand, honouring an override. */
  dataSeg(): number {
    return this.prefixSeg === SEG_NONE ? DS : this.prefixSeg;
  }

  /**
   * Decode the memory operand of `modrm` (mod != 3) into eaSeg:eaOff, fetching SIB and displacement.
   */
  decodeEA(modrm: number): void {
    if (this.ad32) this.decodeEA32(modrm);
    else this.decodeEA16(modrm);
  }

  /**
   * 32-bit addressing: [base + disp], disp32 alone when mod = 0 and rm = 5, SIB when rm = 4 (kept
   * apart so that this common part stays small enough for V8 to inline into the handlers).
   */
  decodeEA32(modrm: number): void {
    const mod = modrm >> 6;
    const rm = modrm & 7;
    if (rm === 4) {
      this.decodeSib(mod);
      return;
    }
    let seg = DS;
    let off: number;
    if (mod === 0) {
      off = rm === 5 ? this.fetch32() : this.r32[rm]!;
    } else {
      off = this.r32[rm]! + (mod === 1 ? (this.fetch8() << 24) >> 24 : this.fetch32());
      if (rm === EBP) seg = SS;
    }
    const pseg = this.prefixSeg;
    this.eaSeg = pseg === SEG_NONE ? seg : pseg;
    this.eaOff = off >>> 0;
  }

  /** [base + index * scale + disp] from a SIB byte; base 5 with mod 0 means disp32 and no base. */
  private decodeSib(mod: number): void {
    const sib = this.fetch8();
    const base = sib & 7;
    const index = (sib >> 3) & 7;
    const r32 = this.r32;
    let seg = DS;
    let off: number;
    if (base === 5 && mod === 0) {
      off = this.fetch32();
    } else {
      off = r32[base]!;
      if (base === ESP || base === EBP) seg = SS;
    }
    if (index !== 4) off += r32[index]! << (sib >> 6);
    if (mod === 1) off += (this.fetch8() << 24) >> 24;
    else if (mod === 2) off += this.fetch32();
    const pseg = this.prefixSeg;
    this.eaSeg = pseg === SEG_NONE ? seg : pseg;
    this.eaOff = off >>> 0;
  }

  /** 16-bit addressing: BX/BP plus SI/DI plus a displacement, wrapped to 64 KiB. */
  decodeEA16(modrm: number): void {
    const mod = modrm >> 6;
    const rm = modrm & 7;
    let seg = DS;
    let off: number;
    const r16 = this.r16;
    switch (rm) {
      case 0:
        off = r16[6]! + r16[12]!; // BX + SI
        break;
      case 1:
        off = r16[6]! + r16[14]!; // BX + DI
        break;
      case 2:
        off = r16[10]! + r16[12]!; // BP + SI
        seg = SS;
        break;
      case 3:
        off = r16[10]! + r16[14]!; // BP + DI
        seg = SS;
        break;
      case 4:
        off = r16[12]!;
        break;
      case 5:
        off = r16[14]!;
        break;
      case 6:
        if (mod === 0) {
          off = this.fetch16();
        } else {
          off = r16[10]!;
          seg = SS;
        }
        break;
      default:
        off = r16[6]!;
        break;
    }
    if (mod === 1) off += (this.fetch8() << 24) >> 24;
    else if (mod === 2) off += this.fetch16();
    this.eaSeg = this.prefixSeg === SEG_NONE ? seg : this.prefixSeg;
    this.eaOff = off & 0xffff;
  }

  /** Decode an r/m operand: a register when mod = 3, else memory. */
  decodeRM(modrm: number): void {
    if (modrm >= 0xc0) this.eaReg = modrm & 7;
    else {
      this.eaReg = -1;
      this.decodeEA(modrm);
    }
  }

  // ---- Register access by width ----

  getReg8(r: number): number {
    return this.r8[((r & 3) << 2) | (r >> 2)]!;
  }
  setReg8(r: number, v: number): void {
    this.r8[((r & 3) << 2) | (r >> 2)] = v;
  }
  getReg16(r: number): number {
    return this.r16[r << 1]!;
  }
  setReg16(r: number, v: number): void {
    this.r16[r << 1] = v;
  }

  getReg(r: number, bits: number): number {
    if (bits === 32) return this.r32[r]!;
    if (bits === 16) return this.r16[r << 1]!;
    return this.r8[((r & 3) << 2) | (r >> 2)]!;
  }

  setReg(r: number, bits: number, v: number): void {
    if (bits === 32) this.r32[r] = v;
    else if (bits === 16) this.r16[r << 1] = v;
    else this.r8[((r & 3) << 2) | (r >> 2)] = v;
  }

  // ---- Decoded r/m operand access by width ----

  readRM(bits: number): number {
    if (this.eaReg >= 0) return this.getReg(this.eaReg, bits);
    return this.readMem(this.eaSeg, this.eaOff, bits);
  }

  writeRM(bits: number, v: number): void {
    if (this.eaReg >= 0) this.setReg(this.eaReg, bits, v);
    else this.writeMem(this.eaSeg, this.eaOff, bits, v);
  }

  readRM32(): number {
    return this.eaReg >= 0 ? this.r32[this.eaReg]! : this.read32(this.eaSeg, this.eaOff);
  }

  writeRM32(v: number): void {
    if (this.eaReg >= 0) this.r32[this.eaReg] = v;
    else this.write32(this.eaSeg, this.eaOff, v);
  }

  readRM8(): number {
    const r = this.eaReg;
    return r >= 0 ? this.r8[((r & 3) << 2) | (r >> 2)]! : this.read8(this.eaSeg, this.eaOff);
  }

  writeRM8(v: number): void {
    const r = this.eaReg;
    if (r >= 0) this.r8[((r & 3) << 2) | (r >> 2)] = v;
    else this.write8(this.eaSeg, this.eaOff, v);
  }

  readMem(seg: number, off: number, bits: number): number {
    if (bits === 32) return this.read32(seg, off);
    if (bits === 16) return this.read16(seg, off);
    return this.read8(seg, off);
  }

  writeMem(seg: number, off: number, bits: number, v: number): void {
    if (bits === 32) this.write32(seg, off, v);
    else if (bits === 16) this.write16(seg, off, v);
    else this.write8(seg, off, v);
  }

  /** Operand width of the current instruction for non-byte forms. */
  get opBits(): number {
    return this.op32 ? 32 : 16;
  }

  /** Fetch an immediate of the given width (sign-extended 8-bit when `bits` is 8 and `signExtend`). */
  fetchImm(bits: number): number {
    if (bits === 32) return this.fetch32();
    if (bits === 16) return this.fetch16();
    return this.fetch8();
  }

  /** Advance an offset register (ESI/EDI) by delta in the current address size. */
  addrReg(r: number): number {
    return this.ad32 ? this.r32[r]! >>> 0 : this.r16[r << 1]!;
  }

  setAddrReg(r: number, v: number): void {
    if (this.ad32) this.r32[r] = v;
    else this.r16[r << 1] = v;
  }
}
