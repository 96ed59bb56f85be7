/**
 * Hardware task switching (JMP/CALL to a TSS or task gate, interrupts through task gates, IRET with
 * NT set), for 16- and 32-bit TSSs, as the 486 does it.
 */
import type { CpuSystem } from './cpu-system.ts';
import { CR0_PG, CS, DS, ES, EXC_GP, EXC_NP, EXC_TS, FS, GS, NT, SS, VM } from './constants.ts';
import { descAttr, descBase, descLimit, descPresent, descType } from './descriptors.ts';

export const TASK_JMP = 0;
export const TASK_CALL = 1;
export const TASK_INT = 2;
export const TASK_IRET = 3;

const SEG_ORDER = [ES, CS, SS, DS, FS, GS];

export function taskSwitch(cpu: CpuSystem, selector: number, source: number, errorCode: number): void {
  // The new TSS descriptor must be in the GDT.
  if ((selector & 4) !== 0) cpu.fault(EXC_TS, selector & ~3, true);
  if (!cpu.readDescriptor(selector)) cpu.fault(EXC_TS, selector & ~3, true);
  const lo = cpu.dLo;
  const hi = cpu.dHi;
  const descAddr = cpu.dAddr;
  const type = descType(hi);
  const is32 = (type & 8) !== 0;
  const busy = (type & 2) !== 0;
  if ((type & 5) !== 1 || (hi & 0x1000) !== 0) cpu.fault(EXC_GP, selector & ~3, true);
  if (source === TASK_IRET ? !busy : busy) cpu.fault(EXC_GP, selector & ~3, true);
  if (!descPresent(hi)) cpu.fault(EXC_NP, selector & ~3, true);
  const newBase = descBase(lo, hi);
  const newLimit = descLimit(lo, hi);
  if (newLimit < (is32 ? 0x67 : 0x2b)) cpu.fault(EXC_TS, selector & ~3, true);

  // Read everything from the new TSS before changing anything (faults here leave the old task intact).
  const nt = readTss(cpu, newBase, is32);

  // Save the outgoing task.
  const old = cpu.tr;
  const old32 = (old.attr & 8) !== 0;
  let flags = cpu.getFlags();
  if (source === TASK_IRET) flags &= ~NT;
  const ob = old.base;
  if (old32) {
    cpu.writeSys32(ob + 0x20, cpu.eip);
    cpu.writeSys32(ob + 0x24, flags);
    for (let r = 0; r < 8; r++) cpu.writeSys32(ob + 0x28 + r * 4, cpu.r32[r]!);
    for (let s = 0; s < 6; s++) cpu.writeSys16(ob + 0x48 + s * 4, cpu.sel[SEG_ORDER[s]!]!);
  } else {
    cpu.writeSys16(ob + 0x0e, cpu.eip);
    cpu.writeSys16(ob + 0x10, flags);
    for (let r = 0; r < 8; r++) cpu.writeSys16(ob + 0x12 + r * 2, cpu.r32[r]!);
    for (let s = 0; s < 4; s++) cpu.writeSys16(ob + 0x22 + s * 2, cpu.sel[SEG_ORDER[s]!]!);
  }
  if (source === TASK_JMP || source === TASK_IRET) setBusy(cpu, old.selector, false);

  let newFlags = nt.flags;
  if (source === TASK_CALL || source === TASK_INT) {
    cpu.writeSys16(newBase, old.selector);
    newFlags |= NT;
  }
  if (source !== TASK_IRET) {
    cpu.writeSys8(descAddr + 5, ((hi >>> 8) & 0xff) | 2);
  }

  // Load the new task.
  cpu.tr = { selector, base: newBase, limit: newLimit, attr: descAttr(hi) | (source !== TASK_IRET ? 2 : 0) };
  cpu.setTaskSwitched();
  if (is32 && (cpu.cr0 & CR0_PG) !== 0 && nt.cr3 !== cpu.cr3) cpu.writeCr3(nt.cr3);
  for (let r = 0; r < 8; r++) cpu.r32[r] = nt.regs[r]!;
  cpu.eip = nt.eip;
  cpu.setFlagsRaw(newFlags | 2);

  // Selectors first, then descriptors (faults from here on belong to the new task).
  const v86 = (newFlags & VM) !== 0;
  cpu.ldtr = { selector: nt.ldt, base: 0, limit: 0, attr: 0 };
  for (let s = 0; s < 6; s++) cpu.sel[SEG_ORDER[s]!] = nt.segs[s]!;
  if (v86) {
    cpu.cpl = 3;
    for (let s = 0; s < 6; s++) cpu.setSegReal(SEG_ORDER[s]!, nt.segs[s]!);
    cpu.updatePrivilege();
  } else {
    loadLdt(cpu, nt.ldt);
    const csSel = nt.segs[1]!;
    cpu.cpl = csSel & 3;
    cpu.updatePrivilege();
    loadTaskCs(cpu, csSel);
    cpu.loadSeg(SS, nt.segs[2]!);
    for (const s of [ES, DS, FS, GS]) cpu.loadSeg(s, nt.segs[SEG_ORDER.indexOf(s)]!);
  }
  if (cpu.eip > cpu.segLimit[CS]!) cpu.fault(EXC_GP, 0, true);
  if (errorCode >= 0) {
    if (is32) cpu.push32(errorCode);
    else cpu.push16(errorCode);
  }
}

interface TssImage {
  cr3: number;
  eip: number;
  flags: number;
  regs: number[];
  segs: number[];
  ldt: number;
}

function readTss(cpu: CpuSystem, base: number, is32: boolean): TssImage {
  if (is32) {
    const regs: number[] = [];
    for (let r = 0; r < 8; r++) regs.push(cpu.readSys32(base + 0x28 + r * 4));
    const segs: number[] = [];
    for (let s = 0; s < 6; s++) segs.push(cpu.readSys16(base + 0x48 + s * 4));
    return {
      cr3: cpu.readSys32(base + 0x1c),
      eip: cpu.readSys32(base + 0x20) >>> 0,
      flags: cpu.readSys32(base + 0x24),
      regs,
      segs,
      ldt: cpu.readSys16(base + 0x60),
    };
  }
  const regs: number[] = [];
  for (let r = 0; r < 8; r++) regs.push(cpu.readSys16(base + 0x12 + r * 2) | (cpu.r32[r]! & ~0xffff));
  const segs: number[] = [];
  for (let s = 0; s < 4; s++) segs.push(cpu.readSys16(base + 0x22 + s * 2));
  segs.push(0, 0);
  return { cr3: cpu.cr3, eip: cpu.readSys16(base + 0x0e), flags: cpu.readSys16(base + 0x10), regs, segs, ldt: cpu.readSys16(base + 0x2a) };
}

function setBusy(cpu: CpuSystem, selector: number, on: boolean): void {
  if (!cpu.readDescriptor(selector)) return;
  const access = (cpu.dHi >>> 8) & 0xff;
  cpu.writeSys8(cpu.dAddr + 5, on ? access | 2 : access & ~2);
}

function loadLdt(cpu: CpuSystem, selector: number): void {
  if ((selector & ~3) === 0) {
    cpu.ldtr = { selector, base: 0, limit: 0, attr: 0 };
    return;
  }
  if ((selector & 4) !== 0 || !cpu.readDescriptor(selector)) cpu.fault(EXC_TS, selector & ~3, true);
  if ((cpu.dHi & 0x1f00) !== 0x0200) cpu.fault(EXC_TS, selector & ~3, true);
  if (!descPresent(cpu.dHi)) cpu.fault(EXC_TS, selector & ~3, true);
  cpu.ldtr = { selector, base: descBase(cpu.dLo, cpu.dHi), limit: descLimit(cpu.dLo, cpu.dHi), attr: descAttr(cpu.dHi) };
}

function loadTaskCs(cpu: CpuSystem, selector: number): void {
  if ((selector & ~3) === 0 || !cpu.readDescriptor(selector)) cpu.fault(EXC_TS, selector & ~3, true);
  const hi = cpu.dHi;
  if ((hi & 0x1800) !== 0x1800) cpu.fault(EXC_TS, selector & ~3, true);
  if (!descPresent(hi)) cpu.fault(EXC_NP, selector & ~3, true);
  cpu.setSeg(CS, selector, descBase(cpu.dLo, hi), descLimit(cpu.dLo, hi), descAttr(hi));
}
