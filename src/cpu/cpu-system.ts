/**
 * Protected-mode machinery: descriptor tables, segment loads with their privilege checks, far
 * transfers through gates, interrupt and exception delivery (real mode, protected mode, V86), IRET,
 * control registers and the I/O permission check. Task switches are in task-switch.ts.
 */
import { CpuDecode } from './cpu-decode.ts';
import { FAULT, TripleFault } from './fault.ts';
import {
  AC, ATTR_DB, CR0_ET, CR0_PE, CR0_PG, CR0_TS, CR4_DE, CR4_PGE, CR4_PSE, CR4_TSD, CS, DESC_A, DESC_CE, DESC_CODE,
  DESC_P, DESC_RW, DESC_S, DS, ES, ESP, EXC_DB, EXC_DF, EXC_GP, EXC_NP, EXC_PF, EXC_SS, EXC_TS, FLAGS_ALWAYS1, FS, GS,
  ID, IF, IOPL, IOPL_SHIFT, NT, RF, SS, SYS_CALLGATE16, SYS_CALLGATE32, SYS_INTGATE16, SYS_INTGATE32, SYS_TASKGATE,
  SYS_TRAPGATE16, SYS_TRAPGATE32, SYS_TSS16_AVAIL, SYS_TSS32_AVAIL, TF, VM, ARITH_FLAGS, DF, OF,
} from './constants.ts';
import { descAttr, descBase, descDpl, descIsSegment, descLimit, descPresent, descType, gateOffset, gateSelector } from './descriptors.ts';
import { taskSwitch, TASK_CALL, TASK_INT, TASK_JMP } from './task-switch.ts';

/** Kinds of interrupt delivery. */
export const INT_EXCEPTION = 0;
/** INT n: gate DPL checked, IOPL-sensitive in V86 mode. */
export const INT_SOFTWARE = 1;
/** INT3, INTO: gate DPL checked, not IOPL-sensitive. */
export const INT_SOFT_EXC = 2;
/** External (PIC/APIC) interrupt and NMI: EXT bit in error codes. */
export const INT_EXTERNAL = 3;

function contributory(v: number): boolean {
  return v === 0 || (v >= 10 && v <= 13);
}

export class CpuSystem extends CpuDecode {
  /** Scratch: the descriptor last read by readDescriptor, and where it lives. */
  dLo = 0;
  dHi = 0;
  dAddr = 0;
  /** EXT bit for error codes while delivering an external event. */
  private ext = 0;

  /** Ask the run loop to re-examine interrupts after this instruction (IF set, TPR changed...). */
  requestCheck(): void {}

  // ---- Descriptors ----

  /** Read the descriptor of `selector` into dLo/dHi. False when beyond the table's limit. */
  readDescriptor(selector: number): boolean {
    const index = selector & ~7;
    let base: number;
    let limit: number;
    if ((selector & 4) !== 0) {
      if ((this.ldtr.attr & DESC_P) === 0 || (this.ldtr.selector & ~3) === 0) return false;
      base = this.ldtr.base;
      limit = this.ldtr.limit;
    } else {
      base = this.gdtBase;
      limit = this.gdtLimit;
    }
    if (index + 7 > limit) return false;
    this.dAddr = (base + index) | 0;
    this.dLo = this.readSys32(this.dAddr);
    this.dHi = this.readSys32(this.dAddr + 4);
    return true;
  }

  /** Set the accessed bit of the descriptor last read. */
  private markAccessed(): void {
    if ((this.dHi & (DESC_A << 8)) === 0) {
      this.dHi |= DESC_A << 8;
      this.writeSys8(this.dAddr + 5, (this.dHi >>> 8) & 0xff);
    }
  }

  /**
   * Make a descriptor read earlier the current one again, with its address: markAccessed() writes
   * the accessed bit through dAddr, so a descriptor read in between must not leave its address.
   */
  private restoreDescriptor(lo: number, hi: number, addr: number): void {
    this.dLo = lo;
    this.dHi = hi;
    this.dAddr = addr;
  }

  /** Load a segment register with the descriptor in dLo/dHi (checks already made). */
  private loadSegFromDesc(seg: number, selector: number): void {
    this.markAccessed();
    this.setSeg(seg, selector, descBase(this.dLo, this.dHi), descLimit(this.dLo, this.dHi), descAttr(this.dHi));
  }

  /** A null data-segment register: every access faults until reloaded. */
  private loadNullSeg(seg: number, selector: number): void {
    this.setSeg(seg, selector, 0, 0, 0);
  }

  // ---- Segment register loads (MOV, POP, LDS...) ----

  loadSeg(seg: number, selector: number): void {
    selector &= 0xffff;
    if (!this.protectedMode || this.v86) {
      this.setSegReal(seg, selector);
      return;
    }
    const rpl = selector & 3;
    const cpl = this.cpl;
    if ((selector & ~3) === 0) {
      if (seg === SS) this.gp(0);
      this.loadNullSeg(seg, selector);
      return;
    }
    if (!this.readDescriptor(selector)) this.gp(selector & ~3);
    const hi = this.dHi;
    const dpl = descDpl(hi);
    const type = descType(hi);
    if (!descIsSegment(hi)) this.gp(selector & ~3);
    if (seg === SS) {
      if (rpl !== cpl || dpl !== cpl || (type & DESC_CODE) !== 0 || (type & DESC_RW) === 0) this.gp(selector & ~3);
      if (!descPresent(hi)) this.fault(EXC_SS, selector & ~3, true);
    } else {
      if ((type & (DESC_CODE | DESC_RW)) === DESC_CODE) this.gp(selector & ~3); // execute-only code
      const conformingCode = (type & (DESC_CODE | DESC_CE)) === (DESC_CODE | DESC_CE);
      if (!conformingCode && (dpl < cpl || dpl < rpl)) this.gp(selector & ~3);
      if (!descPresent(hi)) this.fault(EXC_NP, selector & ~3, true);
    }
    this.loadSegFromDesc(seg, selector);
  }

  /** Check a code segment descriptor (in dLo/dHi) as a far JMP/CALL target; returns the new CPL. */
  private checkCodeTarget(selector: number): void {
    const hi = this.dHi;
    if (!descIsSegment(hi) || (descType(hi) & DESC_CODE) === 0) this.gp(selector & ~3);
    const dpl = descDpl(hi);
    if ((descType(hi) & DESC_CE) !== 0) {
      if (dpl > this.cpl) this.gp(selector & ~3);
    } else if ((selector & 3) > this.cpl || dpl !== this.cpl) {
      this.gp(selector & ~3);
    }
    if (!descPresent(hi)) this.fault(EXC_NP, selector & ~3, true);
  }

  /** Load CS from dLo/dHi at privilege `cpl` and jump to offset (checked against the limit). */
  private enterCode(selector: number, offset: number, cpl: number): void {
    const limit = descLimit(this.dLo, this.dHi);
    if (offset > limit) this.gp(0);
    this.markAccessed();
    this.setSeg(CS, (selector & ~3) | cpl, descBase(this.dLo, this.dHi), limit, descAttr(this.dHi));
    if (this.cpl !== cpl) {
      this.cpl = cpl;
      this.updatePrivilege();
    }
    this.eip = offset;
  }

  /** Real-mode / V86 far jump. */
  private jumpReal(selector: number, offset: number): void {
    this.setSegReal(CS, selector);
    this.eip = offset;
  }

  // ---- Far JMP and CALL ----

  farJump(selector: number, offset: number): void {
    selector &= 0xffff;
    if (!this.protectedMode || this.v86) return this.jumpReal(selector, this.op32 ? offset >>> 0 : offset & 0xffff);
    if ((selector & ~3) === 0) this.gp(0);
    if (!this.readDescriptor(selector)) this.gp(selector & ~3);
    const hi = this.dHi;
    if (descIsSegment(hi)) {
      this.checkCodeTarget(selector);
      this.enterCode(selector, this.op32 ? offset >>> 0 : offset & 0xffff, this.cpl);
      return;
    }
    const type = descType(hi);
    const dpl = descDpl(hi);
    if (type === SYS_CALLGATE16 || type === SYS_CALLGATE32) {
      if (dpl < this.cpl || dpl < (selector & 3)) this.gp(selector & ~3);
      if (!descPresent(hi)) this.fault(EXC_NP, selector & ~3, true);
      const target = gateSelector(this.dLo);
      const off = gateOffset(this.dLo, hi, type === SYS_CALLGATE32);
      if ((target & ~3) === 0) this.gp(0);
      if (!this.readDescriptor(target)) this.gp(target & ~3);
      const chi = this.dHi;
      if (!descIsSegment(chi) || (descType(chi) & DESC_CODE) === 0) this.gp(target & ~3);
      const cdpl = descDpl(chi);
      if ((descType(chi) & DESC_CE) !== 0 ? cdpl > this.cpl : cdpl !== this.cpl) this.gp(target & ~3);
      if (!descPresent(chi)) this.fault(EXC_NP, target & ~3, true);
      this.enterCode(target, off, this.cpl);
      return;
    }
    if (type === SYS_TASKGATE || type === SYS_TSS16_AVAIL || type === SYS_TSS32_AVAIL) {
      if (dpl < this.cpl || dpl < (selector & 3)) this.gp(selector & ~3);
      if (!descPresent(hi)) this.fault(EXC_NP, selector & ~3, true);
      taskSwitch(this, type === SYS_TASKGATE ? gateSelector(this.dLo) : selector, TASK_JMP, -1);
      return;
    }
    this.gp(selector & ~3);
  }

  farCall(selector: number, offset: number): void {
    selector &= 0xffff;
    const op32 = this.op32;
    const retCs = this.sel[CS]!;
    const retEip = this.eip;
    if (!this.protectedMode || this.v86) {
      // Push with a temporary stack pointer: nothing changes if a push faults.
      const sp0 = this.sp;
      const size = op32 ? 4 : 2;
      const sp1 = this.spAdd(sp0, -size);
      const sp2 = this.spAdd(sp0, -2 * size);
      this.writeMem(SS, sp1, size * 8, retCs);
      this.writeMem(SS, sp2, size * 8, retEip);
      this.setSp(sp2);
      return this.jumpReal(selector, op32 ? offset >>> 0 : offset & 0xffff);
    }
    if ((selector & ~3) === 0) this.gp(0);
    if (!this.readDescriptor(selector)) this.gp(selector & ~3);
    const hi = this.dHi;
    if (descIsSegment(hi)) {
      this.checkCodeTarget(selector);
      const off = op32 ? offset >>> 0 : offset & 0xffff;
      if (off > descLimit(this.dLo, hi)) this.gp(0);
      const size = op32 ? 4 : 2;
      const sp0 = this.sp;
      this.writeMem(SS, this.spAdd(sp0, -size), size * 8, retCs);
      this.writeMem(SS, this.spAdd(sp0, -2 * size), size * 8, retEip);
      this.enterCode(selector, off, this.cpl);
      this.setSp(this.spAdd(sp0, -2 * size));
      return;
    }
    const type = descType(hi);
    const dpl = descDpl(hi);
    if (type === SYS_TASKGATE || type === SYS_TSS16_AVAIL || type === SYS_TSS32_AVAIL) {
      if (dpl < this.cpl || dpl < (selector & 3)) this.gp(selector & ~3);
      if (!descPresent(hi)) this.fault(EXC_NP, selector & ~3, true);
      taskSwitch(this, type === SYS_TASKGATE ? gateSelector(this.dLo) : selector, TASK_CALL, -1);
      return;
    }
    if (type !== SYS_CALLGATE16 && type !== SYS_CALLGATE32) this.gp(selector & ~3);
    if (dpl < this.cpl || dpl < (selector & 3)) this.gp(selector & ~3);
    if (!descPresent(hi)) this.fault(EXC_NP, selector & ~3, true);
    const gate32 = type === SYS_CALLGATE32;
    const params = hi & 0x1f;
    const target = gateSelector(this.dLo);
    const off = gateOffset(this.dLo, hi, gate32);
    if ((target & ~3) === 0) this.gp(0);
    if (!this.readDescriptor(target)) this.gp(target & ~3);
    const chi = this.dHi;
    const clo = this.dLo;
    const caddr = this.dAddr;
    if (!descIsSegment(chi) || (descType(chi) & DESC_CODE) === 0) this.gp(target & ~3);
    const cdpl = descDpl(chi);
    if (cdpl > this.cpl) this.gp(target & ~3);
    if (!descPresent(chi)) this.fault(EXC_NP, target & ~3, true);
    const size = gate32 ? 4 : 2;
    if ((descType(chi) & DESC_CE) === 0 && cdpl < this.cpl) {
      // Inner privilege: new stack from the TSS, copy parameters, push the old stack and return address.
      const { ss, esp } = this.tssStack(cdpl);
      const newSs = this.checkStackSegment(ss, cdpl, EXC_TS);
      const ssLo = this.dLo;
      const ssHi = this.dHi;
      const ssAddr = this.dAddr;
      const oldSs = this.sel[SS]!;
      const oldSp = this.sp;
      const oldSsSeg = SS;
      const paramVals: number[] = [];
      for (let i = 0; i < params; i++) paramVals.push(this.readMem(oldSsSeg, this.spAdd(oldSp, i * size), size * 8));
      // Switch stacks, then push; on a fault the old stack is restored by the caller's restart.
      const saved = this.segCache(SS);
      const savedEsp = this.r32[ESP]!;
      this.restoreDescriptor(ssLo, ssHi, ssAddr);
      this.loadSegFromDesc(SS, newSs);
      this.r32[ESP] = esp;
      try {
        let sp = this.sp;
        const push = (v: number) => {
          sp = this.spAdd(sp, -size);
          this.writeMemSys(SS, sp, size, v);
        };
        push(oldSs);
        push(oldSp);
        for (let i = params - 1; i >= 0; i--) push(paramVals[i]!);
        push(retCs);
        push(retEip);
        this.restoreDescriptor(clo, chi, caddr);
        this.enterCode(target, off, cdpl);
        this.setSp(sp);
      } catch (e) {
        this.setSeg(SS, saved.selector, saved.base, saved.limit, saved.attr);
        this.r32[ESP] = savedEsp;
        throw e;
      }
      return;
    }
    const sp0 = this.sp;
    this.writeMem(SS, this.spAdd(sp0, -size), size * 8, retCs);
    this.writeMem(SS, this.spAdd(sp0, -2 * size), size * 8, retEip);
    this.restoreDescriptor(clo, chi, caddr);
    this.enterCode(target, off, this.cpl);
    this.setSp(this.spAdd(sp0, -2 * size));
  }

  /** Write at privilege 0 semantics of the new stack (used while CPL is about to change). */
  private writeMemSys(seg: number, off: number, size: number, v: number): void {
    const lin = this.checkSeg(seg, off, size, true);
    if (size === 4) this.writeSys32(lin, v);
    else this.writeSys16(lin, v);
  }

  /** Stack for privilege level `dpl` from the current TSS. */
  tssStack(dpl: number): { ss: number; esp: number } {
    const tss32 = (this.tr.attr & 8) !== 0;
    const base = this.tr.base;
    if (tss32) {
      const off = 4 + dpl * 8;
      if (off + 5 > this.tr.limit) this.fault(EXC_TS, this.tr.selector & ~3, true);
      return { esp: this.readSys32(base + off), ss: this.readSys16(base + off + 4) };
    }
    const off = 2 + dpl * 4;
    if (off + 3 > this.tr.limit) this.fault(EXC_TS, this.tr.selector & ~3, true);
    return { esp: this.readSys16(base + off), ss: this.readSys16(base + off + 2) };
  }

  /** Validate a new SS for privilege `dpl` (leaves its descriptor in dLo/dHi); returns the selector. */
  private checkStackSegment(ss: number, dpl: number, vector: number): number {
    if ((ss & ~3) === 0) this.fault(vector, 0, true);
    if (!this.readDescriptor(ss)) this.fault(vector, ss & ~3, true);
    const hi = this.dHi;
    const type = descType(hi);
    if ((ss & 3) !== dpl || descDpl(hi) !== dpl || !descIsSegment(hi) || (type & DESC_CODE) !== 0 || (type & DESC_RW) === 0) {
      this.fault(vector, ss & ~3, true);
    }
    if (!descPresent(hi)) this.fault(EXC_SS, ss & ~3, true);
    return ss;
  }

  // ---- Far return ----

  farReturn(op32: boolean, imm: number): void {
    const size = op32 ? 4 : 2;
    const sp = this.sp;
    const eip = this.readMem(SS, sp, size * 8) >>> 0;
    const cs = this.readMem(SS, this.spAdd(sp, size), size * 8) & 0xffff;
    if (!this.protectedMode || this.v86) {
      this.jumpReal(cs, eip);
      this.setSp(this.spAdd(sp, 2 * size + imm));
      return;
    }
    if ((cs & ~3) === 0) this.gp(0);
    if (!this.readDescriptor(cs)) this.gp(cs & ~3);
    const hi = this.dHi;
    const rpl = cs & 3;
    if (!descIsSegment(hi) || (descType(hi) & DESC_CODE) === 0 || rpl < this.cpl) this.gp(cs & ~3);
    const dpl = descDpl(hi);
    if ((descType(hi) & DESC_CE) !== 0 ? dpl > rpl : dpl !== rpl) this.gp(cs & ~3);
    if (!descPresent(hi)) this.fault(EXC_NP, cs & ~3, true);
    if (rpl === this.cpl) {
      this.enterCode(cs, eip, rpl);
      this.setSp(this.spAdd(sp, 2 * size + imm));
      return;
    }
    const clo = this.dLo;
    const chi = this.dHi;
    const caddr = this.dAddr;
    const sp2 = this.spAdd(sp, 2 * size + imm);
    const newEsp = this.readMem(SS, sp2, size * 8) >>> 0;
    const newSs = this.readMem(SS, this.spAdd(sp2, size), size * 8) & 0xffff;
    this.checkStackSegment(newSs, rpl, EXC_GP);
    const slo = this.dLo;
    const shi = this.dHi;
    const saddr = this.dAddr;
    this.restoreDescriptor(clo, chi, caddr);
    this.enterCode(cs, eip, rpl);
    this.restoreDescriptor(slo, shi, saddr);
    this.loadSegFromDesc(SS, newSs);
    this.setSp(this.spAdd(op32 ? newEsp : newEsp & 0xffff, imm));
    this.nullInvalidDataSegments();
  }

  /** After a return to an outer level, data segments the new CPL may not use become null. */
  private nullInvalidDataSegments(): void {
    for (const seg of [ES, DS, FS, GS]) {
      const attr = this.segAttr[seg]!;
      const dpl = (attr >> 5) & 3;
      const conformingCode = (attr & (DESC_CODE | DESC_CE)) === (DESC_CODE | DESC_CE);
      if ((attr & DESC_S) === 0 || (!conformingCode && dpl < this.cpl)) this.loadNullSeg(seg, 0);
    }
  }

  // ---- EFLAGS writes with privilege rules (POPF, IRET) ----

  /** Write EFLAGS bits in `mask`, honouring CPL/IOPL for IF and IOPL. */
  writeFlags(value: number, mask: number): void {
    if (this.protectedMode || this.v86) {
      if (this.cpl > 0) mask &= ~IOPL;
      if (this.cpl > ((this.flags & IOPL) >> IOPL_SHIFT)) mask &= ~IF;
    }
    this.setFlagsRaw((this.getFlags() & ~mask) | (value & mask));
  }

  /** Set EFLAGS as given (only writable bits are kept), with the side effects of IF/AC/VM changes. */
  setFlagsRaw(value: number): void {
    const old = this.flags | this.lazy;
    const oldFlags = this.lazy === 0 ? this.flags : this.getFlags();
    this.flags = (value & (ARITH_FLAGS | TF | IF | DF | IOPL | NT | RF | VM | AC | ID)) | FLAGS_ALWAYS1;
    this.lazy = 0;
    if (((oldFlags ^ this.flags) & (AC | VM)) !== 0) this.updatePrivilege();
    if ((this.flags & IF) !== 0 && (oldFlags & IF) === 0) this.requestCheck();
    // TF traps after the next instruction; RF (IRET, a task switch) lasts until the next one starts
    // (run-batch.ts clears it there): both need the batch to end after this instruction.
    if ((this.flags & (TF | RF)) !== 0) this.requestCheck();
    void old;
  }

  // ---- Interrupts and exceptions ----

  /**
   * Deliver an exception raised while executing (or while delivering something else): the SDM's
   * double-fault rules apply, and a fault while delivering #DF shuts the CPU down.
   *
   * Every vector but #DB that arrives here is a fault (the trap-class INT3 and INTO go through
   * interrupt() directly, #MC is never raised), and the EFLAGS image of a fault has RF set, on the
   * handler's stack or in the old TSS through a task gate (SDM vol. 3, 17.3.1.1), so that the
   * handler's IRET restarts the instruction without tripping its instruction breakpoint again.
   * #DB here is a single-step or data-breakpoint trap or an instruction-breakpoint fault, whose
   * image carries RF as it is (set when a REP instruction stopped between iterations).
   */
  deliverException(vector: number, code: number, hasCode: boolean): void {
    let v = vector;
    let c = code;
    let h = hasCode;
    for (let depth = 0; ; depth++) {
      if (v !== EXC_DB) this.flags |= RF;
      try {
        this.interrupt(v, INT_EXCEPTION, c, h);
        return;
      } catch (e) {
        if (e !== FAULT) throw e;
        const second = FAULT.vector;
        if (v === EXC_DF || depth > 8) throw new TripleFault(`fault ${second} while delivering #DF`);
        if ((contributory(v) && contributory(second)) || (v === EXC_PF && (second === EXC_PF || contributory(second)))) {
          v = EXC_DF;
          c = 0;
          h = true;
        } else {
          v = second;
          c = FAULT.errorCode;
          h = FAULT.hasErrorCode;
        }
      }
    }
  }

  /** Deliver an external interrupt (vector from the PIC/APIC) or NMI. */
  deliverExternal(vector: number): void {
    try {
      this.interrupt(vector, INT_EXTERNAL, 0, false);
    } catch (e) {
      if (e !== FAULT) throw e;
      this.deliverException(FAULT.vector, FAULT.errorCode, FAULT.hasErrorCode);
    }
  }

  /**
   * Transfer control through the IVT/IDT. EIP must already be the return address. Faults propagate
   * (as FAULT) with nothing changed.
   */
  interrupt(vector: number, kind: number, code: number, hasCode: boolean): void {
    this.halted = false;
    if (!this.protectedMode) return this.interruptReal(vector);
    // Faults while delivering an external interrupt or an exception (not INT n, INT3, INTO) set EXT.
    this.ext = kind === INT_EXTERNAL || kind === INT_EXCEPTION ? 1 : 0;
    if (this.v86 && kind === INT_SOFTWARE && (this.flags & IOPL) !== IOPL) this.gp(0);
    const ext = this.ext;
    const idtOff = vector * 8;
    if (idtOff + 7 > this.idtLimit) this.gp(idtOff + 2 + ext);
    const lo = this.readSys32(this.idtBase + idtOff);
    const hi = this.readSys32(this.idtBase + idtOff + 4);
    const type = descType(hi);
    if (descIsSegment(hi)) this.gp(idtOff + 2 + ext);
    if (type !== SYS_TASKGATE && type !== SYS_INTGATE16 && type !== SYS_INTGATE32 && type !== SYS_TRAPGATE16 && type !== SYS_TRAPGATE32) {
      this.gp(idtOff + 2 + ext);
    }
    if ((kind === INT_SOFTWARE || kind === INT_SOFT_EXC) && descDpl(hi) < this.cpl) this.gp(idtOff + 2);
    if (!descPresent(hi)) this.fault(EXC_NP, idtOff + 2 + ext, true);
    if (type === SYS_TASKGATE) {
      taskSwitch(this, gateSelector(lo), TASK_INT, hasCode ? code : -1);
      return;
    }
    const gate32 = type === SYS_INTGATE32 || type === SYS_TRAPGATE32;
    const isIntGate = type === SYS_INTGATE16 || type === SYS_INTGATE32;
    const target = gateSelector(lo);
    const offset = gateOffset(lo, hi, gate32);
    if ((target & ~3) === 0) this.gp(ext);
    if (!this.readDescriptor(target)) this.gp((target & ~3) + ext);
    const chi = this.dHi;
    const clo = this.dLo;
    const caddr = this.dAddr;
    if (!descIsSegment(chi) || (descType(chi) & DESC_CODE) === 0) this.gp((target & ~3) + ext);
    const dpl = descDpl(chi);
    if (dpl > this.cpl) this.gp((target & ~3) + ext);
    if (!descPresent(chi)) this.fault(EXC_NP, (target & ~3) + ext, true);
    if (offset > descLimit(clo, chi)) this.gp(ext);
    const size = gate32 ? 4 : 2;
    const flags = this.getFlags();
    const conforming = (descType(chi) & DESC_CE) !== 0;
    const wasV86 = this.v86;
    if (wasV86 && (conforming || dpl !== 0)) this.gp((target & ~3) + ext);
    if (!conforming && dpl < this.cpl) {
      const { ss, esp } = this.tssStack(dpl);
      const newSs = this.checkStackSegment(ss, dpl, EXC_TS);
      const oldSs = this.sel[SS]!;
      const oldEsp = this.r32[ESP]!;
      const saved = this.segCache(SS);
      const savedSegs = wasV86 ? [ES, DS, FS, GS].map((s) => this.segCache(s)) : [];
      this.loadSegFromDesc(SS, newSs);
      this.r32[ESP] = esp;
      try {
        let sp = this.sp;
        const push = (v: number) => {
          sp = this.spAdd(sp, -size);
          this.writeMemSys(SS, sp, size, v);
        };
        if (wasV86) {
          push(this.sel[GS]!);
          push(this.sel[FS]!);
          push(this.sel[DS]!);
          push(this.sel[ES]!);
        }
        push(oldSs);
        push(oldEsp);
        push(flags);
        push(this.sel[CS]!);
        push(this.eip);
        if (hasCode) push(code);
        if (wasV86) {
          // Leaving V86: clear VM first so the null selectors load as protected-mode nulls.
          this.flags &= ~VM;
          this.updatePrivilege();
          for (const s of [ES, DS, FS, GS]) this.loadNullSeg(s, 0);
        }
        this.restoreDescriptor(clo, chi, caddr);
        this.enterCode(target, offset, dpl);
        this.setSp(sp);
      } catch (e) {
        this.setSeg(SS, saved.selector, saved.base, saved.limit, saved.attr);
        this.r32[ESP] = oldEsp;
        if (wasV86) {
          this.flags |= VM;
          [ES, DS, FS, GS].forEach((s, i) => {
            const c = savedSegs[i]!;
            this.setSeg(s, c.selector, c.base, c.limit, c.attr);
          });
          this.updatePrivilege();
        }
        throw e;
      }
    } else {
      let sp = this.sp;
      const sp0 = sp;
      const push = (v: number) => {
        sp = this.spAdd(sp, -size);
        this.writeMem(SS, sp, size * 8, v);
      };
      push(flags);
      push(this.sel[CS]!);
      push(this.eip);
      if (hasCode) push(code);
      void sp0;
      this.enterCode(target, offset, this.cpl);
      this.setSp(sp);
    }
    this.materializeFlags();
    this.flags &= ~(TF | NT | RF | VM);
    if (isIntGate) this.flags &= ~IF;
    this.updatePrivilege();
  }

  private interruptReal(vector: number): void {
    const off = vector * 4;
    if (off + 3 > this.idtLimit) this.gp(0);
    const ip = this.readSys16(this.idtBase + off);
    const cs = this.readSys16(this.idtBase + off + 2);
    const flags = this.getFlags();
    const sp0 = this.sp;
    const sp1 = this.spAdd(sp0, -2);
    const sp2 = this.spAdd(sp0, -4);
    const sp3 = this.spAdd(sp0, -6);
    this.write16(SS, sp1, flags);
    this.write16(SS, sp2, this.sel[CS]!);
    this.write16(SS, sp3, this.eip);
    this.setSp(sp3);
    this.jumpReal(cs, ip);
    this.materializeFlags();
    this.flags &= ~(IF | TF | AC | RF);
  }

  // ---- IRET ----

  iret(op32: boolean): void {
    const size = op32 ? 4 : 2;
    if (!this.protectedMode || this.v86) {
      if (this.v86 && (this.flags & IOPL) !== IOPL) this.gp(0);
      const sp = this.sp;
      const eip = this.readMem(SS, sp, size * 8) >>> 0;
      const cs = this.readMem(SS, this.spAdd(sp, size), size * 8) & 0xffff;
      const fl = this.readMem(SS, this.spAdd(sp, 2 * size), size * 8);
      if (op32 && eip > 0xffff && this.v86) this.gp(0);
      this.jumpReal(cs, eip);
      this.setSp(this.spAdd(sp, 3 * size));
      let mask = op32 ? ARITH_FLAGS | TF | IF | DF | IOPL | NT | RF | AC | ID : 0xffff & ~0x8000;
      if (this.v86) mask &= ~IOPL;
      this.writeFlagsNoPriv(fl, mask);
      this.nmiBlocked = false;
      return;
    }
    this.nmiBlocked = false;
    if ((this.flags & NT) !== 0) {
      const back = this.readSys16(this.tr.base);
      taskSwitch(this, back, 3 /* TASK_IRET */, -1);
      return;
    }
    const sp = this.sp;
    const eip = this.readMem(SS, sp, size * 8) >>> 0;
    const cs = this.readMem(SS, this.spAdd(sp, size), size * 8) & 0xffff;
    const fl = this.readMem(SS, this.spAdd(sp, 2 * size), size * 8);
    if (op32 && (fl & VM) !== 0 && this.cpl === 0) return this.iretToV86(sp, eip, cs, fl);
    if ((cs & ~3) === 0) this.gp(0);
    if (!this.readDescriptor(cs)) this.gp(cs & ~3);
    const hi = this.dHi;
    const rpl = cs & 3;
    if (!descIsSegment(hi) || (descType(hi) & DESC_CODE) === 0 || rpl < this.cpl) this.gp(cs & ~3);
    const dpl = descDpl(hi);
    if ((descType(hi) & DESC_CE) !== 0 ? dpl > rpl : dpl !== rpl) this.gp(cs & ~3);
    if (!descPresent(hi)) this.fault(EXC_NP, cs & ~3, true);
    const flagMask = op32 ? ARITH_FLAGS | TF | IF | DF | IOPL | NT | RF | AC | ID : 0x7fd5 | 0;
    const oldCpl = this.cpl;
    if (rpl === this.cpl) {
      this.enterCode(cs, eip, rpl);
      this.setSp(this.spAdd(sp, 3 * size));
      this.writeFlagsAtCpl(fl, flagMask, oldCpl);
      return;
    }
    const clo = this.dLo;
    const chi = this.dHi;
    const caddr = this.dAddr;
    const newEsp = this.readMem(SS, this.spAdd(sp, 3 * size), size * 8) >>> 0;
    const newSs = this.readMem(SS, this.spAdd(sp, 4 * size), size * 8) & 0xffff;
    this.checkStackSegment(newSs, rpl, EXC_GP);
    const slo = this.dLo;
    const shi = this.dHi;
    const saddr = this.dAddr;
    this.restoreDescriptor(clo, chi, caddr);
    this.enterCode(cs, eip, rpl);
    this.writeFlagsAtCpl(fl, flagMask, oldCpl);
    this.restoreDescriptor(slo, shi, saddr);
    this.loadSegFromDesc(SS, newSs);
    if (op32) this.r32[ESP] = newEsp;
    else this.setSp(newEsp & 0xffff);
    this.nullInvalidDataSegments();
  }

  /** EFLAGS write using the privilege of `cpl` (IRET decides with the CPL before the return). */
  private writeFlagsAtCpl(value: number, mask: number, cpl: number): void {
    if (cpl > 0) mask &= ~IOPL;
    if (cpl > ((this.flags & IOPL) >> IOPL_SHIFT)) mask &= ~IF;
    this.setFlagsRaw((this.getFlags() & ~mask) | (value & mask));
  }

  private writeFlagsNoPriv(value: number, mask: number): void {
    this.setFlagsRaw((this.getFlags() & ~mask) | (value & mask));
  }

  private iretToV86(sp: number, eip: number, cs: number, fl: number): void {
    const esp = this.read32(SS, this.spAdd(sp, 12));
    const ss = this.read32(SS, this.spAdd(sp, 16)) & 0xffff;
    const es = this.read32(SS, this.spAdd(sp, 20)) & 0xffff;
    const ds = this.read32(SS, this.spAdd(sp, 24)) & 0xffff;
    const fs = this.read32(SS, this.spAdd(sp, 28)) & 0xffff;
    const gs = this.read32(SS, this.spAdd(sp, 32)) & 0xffff;
    this.setFlagsRaw(fl | VM);
    this.cpl = 3;
    this.setSegReal(CS, cs);
    this.setSegReal(SS, ss);
    this.setSegReal(ES, es);
    this.setSegReal(DS, ds);
    this.setSegReal(FS, fs);
    this.setSegReal(GS, gs);
    this.eip = eip & 0xffff;
    this.r32[ESP] = esp;
    this.updatePrivilege();
  }

  // ---- Control registers ----

  writeCr0(v: number): void {
    v |= CR0_ET;
    if ((v & CR0_PG) !== 0 && (v & CR0_PE) === 0) this.gp(0);
    if ((v & 0x40000000) === 0 && (v & 0x20000000) !== 0) this.gp(0); // NW without CD
    const old = this.cr0;
    this.cr0 = v & (0xe005003f | 0);
    if (((old ^ this.cr0) & (CR0_PG | CR0_PE | 0x10000)) !== 0) this.flushTlb();
    if (((old ^ this.cr0) & CR0_PE) !== 0) {
      // Entering or leaving protected mode changes nothing in the caches until segments are loaded;
      // CPL follows CS's cached DPL in protected mode and is 0 in real mode.
      this.cpl = 0;
    }
    this.updatePrivilege();
  }

  writeCr3(v: number): void {
    this.cr3 = v & ~0xfe7;
    this.flushTlbNonGlobal();
  }

  cr4Mask(): number {
    const m = this.model;
    return CR4_TSD | CR4_DE | (m.pse ? CR4_PSE : 0) | (m.pge ? CR4_PGE : 0);
  }

  writeCr4(v: number): void {
    if ((v & ~this.cr4Mask()) !== 0) this.gp(0);
    const old = this.cr4;
    this.cr4 = v;
    if (((old ^ v) & (CR4_PSE | CR4_PGE)) !== 0) this.flushTlb();
  }

  setTaskSwitched(): void {
    this.cr0 |= CR0_TS;
  }

  // ---- I/O permission ----

  /** Raise #GP(0) unless the current privilege may access `size` ports from `port`. */
  checkIo(port: number, size: number): void {
    if (!this.protectedMode) return;
    if (!this.v86 && this.cpl <= (this.flags & IOPL) >> IOPL_SHIFT) return;
    // 32-bit TSS only; the bitmap offset is at 0x66.
    if ((this.tr.attr & 0xf) !== 0xb && (this.tr.attr & 0xf) !== 0x9) this.gp(0);
    if (this.tr.limit < 0x67) this.gp(0);
    const mapBase = this.readSys16(this.tr.base + 0x66);
    const byteOff = mapBase + (port >>> 3);
    if (byteOff + 1 > this.tr.limit) this.gp(0);
    const bits = this.readSys16(this.tr.base + byteOff);
    const mask = ((1 << size) - 1) << (port & 7);
    if ((bits & mask) !== 0) this.gp(0);
  }
}

