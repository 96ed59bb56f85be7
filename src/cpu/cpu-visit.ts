/**
 * The CPU's architectural state through a visitor: general registers, EIP, EFLAGS, every segment
 * register with its descriptor cache, descriptor-table registers, LDTR and TR with their caches,
 * control and debug registers, interrupt-related latches, the TSC offset and the instruction count.
 * Caches (TLB, fetch window, fast segment limits, lazy flags) are re-derived, never saved. The
 * wait-for-SIPI state belongs to the local APIC (QEMU's apic_sipi, KVM's mp_state); the machine
 * mirrors it into the CPU after a load.
 */
import type { Visitor } from '../visit/visitor.ts';
import type { CpuSystem } from './cpu-system.ts';
import type { SegmentCache } from './cpu-state.ts';

const REG_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const SEG_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];

function visitCache(v: Visitor, name: string, s: SegmentCache): SegmentCache {
  const out = { ...s };
  v.struct(name, () => {
    out.selector = v.u16('selector', s.selector);
    out.base = v.u32('base', s.base >>> 0);
    out.limit = v.u32('limit', s.limit >>> 0);
    out.attr = v.u16('attr', s.attr);
  });
  return out;
}

export function visitCpu(c: CpuSystem & { retired: number }, v: Visitor): void {
  for (let i = 0; i < 8; i++) c.r32[i] = v.u32(REG_NAMES[i]!, c.r32[i]! >>> 0);
  c.eip = v.u32('eip', c.eip >>> 0);
  const flags = v.u32('eflags', c.getFlags() >>> 0);
  if (v.mode === 'load') {
    c.flags = flags;
    c.lazy = 0;
  }
  for (let s = 0; s < 6; s++) {
    const cache = visitCache(v, SEG_NAMES[s]!, c.segCache(s));
    if (v.mode === 'load') c.setSeg(s, cache.selector, cache.base, cache.limit, cache.attr);
  }
  c.ldtr = visitCache(v, 'ldtr', c.ldtr);
  c.tr = visitCache(v, 'tr', c.tr);
  v.struct('gdtr', () => {
    c.gdtBase = v.u32('base', c.gdtBase >>> 0) | 0;
    c.gdtLimit = v.u16('limit', c.gdtLimit);
  });
  v.struct('idtr', () => {
    c.idtBase = v.u32('base', c.idtBase >>> 0) | 0;
    c.idtLimit = v.u16('limit', c.idtLimit);
  });
  c.cr0 = v.u32('cr0', c.cr0 >>> 0) | 0;
  c.cr2 = v.u32('cr2', c.cr2 >>> 0);
  c.cr3 = v.u32('cr3', c.cr3 >>> 0);
  c.cr4 = v.u32('cr4', c.cr4 >>> 0);
  const dr = new Uint32Array(8);
  for (let i = 0; i < 8; i++) dr[i] = c.dr[i]!;
  v.u32Array('dr', dr);
  for (let i = 0; i < 8; i++) c.dr[i] = dr[i]!;
  c.cpl = v.u8('cpl', c.cpl);
  c.halted = v.bool('halted', c.halted);
  c.intShadow = v.bool('interrupt_shadow', c.intShadow);
  c.nmiPending = v.bool('nmi_pending', c.nmiPending);
  c.nmiBlocked = v.bool('nmi_blocked', c.nmiBlocked);
  c.tscOffset = v.i64('tsc_offset', c.tscOffset);
  c.apicBase = v.u64('apic_base', c.apicBase);
  c.retired = Number(v.u64('retired_instructions', BigInt(c.retired)));
}
