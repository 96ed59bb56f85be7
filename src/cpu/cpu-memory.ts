/**
 * Memory as the CPU sees it: segmentation checks, paging with a TLB of page translations, the
 * instruction-fetch window, and the stack.
 *
 * TLB entries (one Int32Array per direction, indexed by linear page) hold the physical page in bits
 * 31:12 and: bit 0 supervisor may use it, bit 1 user may use it, bit 2 slow (not plain RAM: ROM for
 * writes, MMIO, holes), bit 3 global. Zero is an empty entry. The fast path is one load and one compare.
 * Physical addresses go through `>>> 0` before indexing RAM: with more than 2 GiB of RAM an entry's
 * page bits are negative as an int32.
 */
import { CpuState } from './cpu-state.ts';
import { FAULT } from './fault.ts';
import { WIDE } from '../util/wide-field.ts';
import { PAGE_LAZY, PAGE_RAM, PAGE_ROM } from '../memory/physical-memory.ts';
import type { MmioDevice } from '../bus/mmio-bus.ts';
import {
  AC, ATTR_DB, CR0_AM, CR0_PG, CR0_WP, CR4_PGE, CR4_PSE, CS, DESC_CE, DESC_CODE, DESC_P, DESC_RW, DESC_S,
  ESP, EXC_AC, EXC_GP, EXC_PF, EXC_SS, PF_P, PF_U, PF_W, PTE_A, PTE_D, PTE_G, PTE_P, PTE_PS, PTE_RW, PTE_US, SS,
} from './constants.ts';

const TLB_SUP = 1;
const TLB_USER = 2;
const TLB_SLOW = 4;
const TLB_GLOBAL = 8;
/** Never present in an entry: makes every access take the slow path (alignment checking). */
const TLB_NEVER = 0x100;
const TLB_LIST_MAX = 16384;

export class CpuMemory extends CpuState {
  readonly tlbR = new Int32Array(1 << 20);
  readonly tlbW = new Int32Array(1 << 20);
  private readonly tlbList = new Int32Array(TLB_LIST_MAX);
  private tlbCount = 0;
  private tlbOverflow = false;
  /** Alignment checking is on (CPL 3, CR0.AM, EFLAGS.AC). */
  acActive = false;
  /** A DR0-DR3 breakpoint is enabled in DR7: instructions run one at a time and accesses are checked. */
  bpActive = false;
  /** Data breakpoints (bits 0-3) hit by the instruction being executed. */
  bpHits = 0;

  /** Recompute bpActive from DR7 (after MOV DR7 or a load). */
  updateBreakpoints(): void {
    this.bpActive = (this.dr[7]! & 0xff) !== 0;
    this.updatePrivilege();
  }

  /** Record data breakpoints that an access of `size` bytes at `lin` hits (DR7 R/W 01 writes, 11 both). */
  private checkDataBreakpoints(lin: number, size: number, write: boolean): void {
    const dr7 = this.dr[7]!;
    for (let n = 0; n < 4; n++) {
      if (((dr7 >>> (n * 2)) & 3) === 0) continue;
      const rw = (dr7 >>> (16 + n * 4)) & 3;
      if (rw !== 3 && !(rw === 1 && write)) continue;
      const bytes = [1, 2, 8, 4][(dr7 >>> (18 + n * 4)) & 3]!;
      const addr = (this.dr[n]! >>> 0) & ~(bytes - 1);
      if (lin < addr + bytes && addr < lin + size) this.bpHits |= 1 << n;
    }
  }

  /** Execute breakpoints (R/W 00) at linear address `lin`, as a DR6 bit mask. */
  instructionBreakpoints(lin: number): number {
    const dr7 = this.dr[7]!;
    let hits = 0;
    for (let n = 0; n < 4; n++) {
      if (((dr7 >>> (n * 2)) & 3) !== 0 && ((dr7 >>> (16 + n * 4)) & 3) === 0 && this.dr[n]! >>> 0 === lin >>> 0) hits |= 1 << n;
    }
    return hits;
  }

  /** TLB_SUP or TLB_USER for the current privilege (TLB_NEVER while every access must be checked). */
  tlbPriv = TLB_SUP;
  tlbMask = TLB_SUP | TLB_SLOW;

  /**
   * A per-CPU MMIO page (the local APIC's register page): physical page address, or -1. Accesses
   * from this CPU to it go to localMmio instead of the shared bus.
   */
  localMmioPage = -1;
  localMmio: MmioDevice | null = null;

  /** Map (or with page -1, unmap) this CPU's local MMIO page. */
  setLocalMmio(page: number, device: MmioDevice | null): void {
    this.localMmioPage = page < 0 ? -1 : page & ~0xfff;
    this.localMmio = device;
    this.flushTlb();
  }

  private physRead(phys: number, size: number): number {
    if ((phys & ~0xfff) === this.localMmioPage && this.localMmio !== null) return this.localMmio.mmioRead(phys & 0xfff, size);
    return this.mem.readSlow(phys, size);
  }

  private physWrite(phys: number, size: number, v: number): void {
    if ((phys & ~0xfff) === this.localMmioPage && this.localMmio !== null) this.localMmio.mmioWrite(phys & 0xfff, size, v);
    else this.mem.writeSlow(phys, size, v);
  }

  /**
   * The physical page (as an int32, bits 31:12) of the last write through writeLin8/16/32's fast
   * path, or -1 after one that took the slow path (any page, or two): translated blocks compare it
   * with their own page to notice code they are running being overwritten (block-compile.ts).
   */
  writePage = -1;

  // Instruction-fetch window: for eip in [fetchLo, fetchHi], the byte is at ram8[fetchBase + eip].
  // Empty until the first fetch (fetchLo > fetchHi); doubles from the start (src/util/wide-field.ts).
  fetchLo = 2 ** 32;
  fetchHi = WIDE;
  fetchBase = WIDE;

  // ---- Faults ----

  fault(vector: number, errorCode: number, hasErrorCode: boolean): never {
    FAULT.vector = vector;
    FAULT.errorCode = errorCode;
    FAULT.hasErrorCode = hasErrorCode;
    throw FAULT;
  }

  gp(code: number): never {
    return this.fault(EXC_GP, code, true);
  }

  // ---- Privilege and TLB maintenance ----

  /** Recompute what depends on CPL, CR0.AM and EFLAGS.AC. */
  updatePrivilege(): void {
    const user = this.cpl === 3;
    const ac = user && (this.cr0 & CR0_AM) !== 0 && (this.flags & AC) !== 0;
    this.acActive = ac;
    // Alignment checks and data breakpoints see every access: no fast path while either is on.
    this.tlbPriv = ac || this.bpActive ? TLB_NEVER : user ? TLB_USER : TLB_SUP;
    this.tlbMask = this.tlbPriv | TLB_SLOW;
    this.invalidateFetch();
  }

  invalidateFetch(): void {
    this.fetchLo = 1;
    this.fetchHi = 0;
  }

  override segmentsChanged(seg: number): void {
    if (seg === CS) this.invalidateFetch();
  }

  /** Forget every translation (CR0/CR4 paging changes, A20, page map changes). */
  flushTlb(): void {
    if (this.tlbOverflow) {
      this.tlbR.fill(0);
      this.tlbW.fill(0);
    } else {
      for (let i = 0; i < this.tlbCount; i++) {
        const p = this.tlbList[i]!;
        this.tlbR[p] = 0;
        this.tlbW[p] = 0;
      }
    }
    this.tlbCount = 0;
    this.tlbOverflow = false;
    this.invalidateFetch();
  }

  /** CR3 write: forget non-global translations. */
  flushTlbNonGlobal(): void {
    if ((this.cr4 & CR4_PGE) === 0) return this.flushTlb();
    const r = this.tlbR;
    const w = this.tlbW;
    if (this.tlbOverflow) {
      for (let p = 0; p < r.length; p++) {
        if ((r[p]! & TLB_GLOBAL) === 0) r[p] = 0;
        if ((w[p]! & TLB_GLOBAL) === 0) w[p] = 0;
      }
      this.tlbOverflow = false; // entries left are global; we lost track of them, so keep scanning mode
      this.tlbOverflow = true;
    } else {
      let kept = 0;
      for (let i = 0; i < this.tlbCount; i++) {
        const p = this.tlbList[i]!;
        const g = (r[p]! & TLB_GLOBAL) !== 0 || (w[p]! & TLB_GLOBAL) !== 0;
        if ((r[p]! & TLB_GLOBAL) === 0) r[p] = 0;
        if ((w[p]! & TLB_GLOBAL) === 0) w[p] = 0;
        if (g) this.tlbList[kept++] = p;
      }
      this.tlbCount = kept;
    }
    this.invalidateFetch();
  }

  /** INVLPG: forget one page, global or not. */
  flushTlbPage(lin: number): void {
    const p = lin >>> 12;
    this.tlbR[p] = 0;
    this.tlbW[p] = 0;
    this.invalidateFetch();
  }

  private tlbRecord(page: number): void {
    if (this.tlbCount < TLB_LIST_MAX) this.tlbList[this.tlbCount++] = page;
    else this.tlbOverflow = true;
  }

  // ---- Translation ----

  /**
   * Translate a linear address for an access at the given privilege, walking the page tables when the
   * TLB has no usable entry. Returns the physical address; raises #PF.
   */
  translate(lin: number, write: boolean, user: boolean): number {
    const page = lin >>> 12;
    const e = write ? this.tlbW[page]! : this.tlbR[page]!;
    if ((e & (user ? TLB_USER : TLB_SUP)) !== 0) return ((e & ~0xfff) | (lin & 0xfff)) >>> 0;
    return this.walk(lin, write, user);
  }

  private walk(lin: number, write: boolean, user: boolean): number {
    const page = lin >>> 12;
    const mem = this.mem;
    const a20 = this.mem.a20Mask;
    let phys: number;
    let sup = TLB_SUP;
    let usr = TLB_USER;
    let supW = TLB_SUP;
    let usrW = TLB_USER;
    let dirty = true;
    let global = 0;
    if ((this.cr0 & CR0_PG) === 0) {
      phys = (lin & a20 & ~0xfff) >>> 0;
    } else {
      const pdeAddr = ((this.cr3 & ~0xfff) | ((lin >>> 22) << 2)) & a20;
      let pde = mem.readSlow(pdeAddr, 4) | 0;
      const errBase = (write ? PF_W : 0) | (user ? PF_U : 0);
      if ((pde & PTE_P) === 0) return this.pageFault(lin, errBase);
      let perm: number;
      if ((pde & PTE_PS) !== 0 && (this.cr4 & CR4_PSE) !== 0) {
        perm = pde;
        phys = ((pde & 0xffc00000) | (lin & 0x3ff000)) >>> 0;
        this.checkPagePermission(lin, perm, write, user, errBase);
        const want = pde | PTE_A | (write ? PTE_D : 0);
        if (want !== pde) mem.writeSlow(pdeAddr, 4, want);
        dirty = (want & PTE_D) !== 0;
        if ((pde & PTE_G) !== 0 && (this.cr4 & CR4_PGE) !== 0) global = TLB_GLOBAL;
      } else {
        const pteAddr = ((pde & ~0xfff) | (((lin >>> 12) & 0x3ff) << 2)) & a20;
        const pte = mem.readSlow(pteAddr, 4) | 0;
        if ((pte & PTE_P) === 0) return this.pageFault(lin, errBase);
        perm = pde & pte;
        this.checkPagePermission(lin, perm, write, user, errBase);
        if ((pde & PTE_A) === 0) {
          pde |= PTE_A;
          mem.writeSlow(pdeAddr, 4, pde);
        }
        const want = pte | PTE_A | (write ? PTE_D : 0);
        if (want !== pte) mem.writeSlow(pteAddr, 4, want);
        dirty = (want & PTE_D) !== 0;
        phys = (pte & ~0xfff) >>> 0;
        if ((pte & PTE_G) !== 0 && (this.cr4 & CR4_PGE) !== 0) global = TLB_GLOBAL;
      }
      phys = (phys & a20) >>> 0;
      if ((perm & PTE_US) === 0) {
        usr = 0;
        usrW = 0;
      }
      if ((perm & PTE_RW) === 0) {
        usrW = 0;
        if ((this.cr0 & CR0_WP) !== 0) supW = 0;
      }
    }
    let kind = phys === this.localMmioPage ? -1 : phys < mem.ramSize ? mem.pageKind[phys >>> 12]! : -1;
    // A page still in the snapshot file (lazy restore) is loaded before the TLB may point at it.
    if (kind >= PAGE_LAZY) kind = mem.faultIn(phys >>> 12);
    const slowR = kind === PAGE_RAM || kind === PAGE_ROM ? 0 : TLB_SLOW;
    const slowW = kind === PAGE_RAM ? 0 : TLB_SLOW;
    this.tlbR[page] = phys | sup | usr | slowR | global;
    // Dirty log: a write entry to RAM lets writes bypass memory, so the page is marked when one is
    // made for a write, and a read makes none for a page the log has not seen written yet.
    if (slowW === 0 && dirty) {
      if (write) mem.markDirty(phys >>> 12);
      else if (!mem.isDirty(phys >>> 12)) dirty = false;
    }
    if (dirty) this.tlbW[page] = supW | usrW ? phys | supW | usrW | slowW | global : 0;
    this.tlbRecord(page);
    return (phys | (lin & 0xfff)) >>> 0;
  }

  private checkPagePermission(lin: number, perm: number, write: boolean, user: boolean, errBase: number): void {
    if (user) {
      if ((perm & PTE_US) === 0 || (write && (perm & PTE_RW) === 0)) this.pageFault(lin, errBase | PF_P);
    } else if (write && (perm & PTE_RW) === 0 && (this.cr0 & CR0_WP) !== 0) {
      this.pageFault(lin, errBase | PF_P);
    }
  }

  private pageFault(lin: number, code: number): never {
    this.cr2 = lin >>> 0;
    return this.fault(EXC_PF, code, true);
  }

  // ---- Linear-address access (current privilege) ----

  readLin8(lin: number): number {
    const e = this.tlbR[lin >>> 12]!;
    if ((e & this.tlbMask) === this.tlbPriv) return this.ram8[((e & ~0xfff) | (lin & 0xfff)) >>> 0]!;
    return this.readLinSlow(lin, 1, this.cpl === 3);
  }

  readLin16(lin: number): number {
    const e = this.tlbR[lin >>> 12]!;
    if ((e & this.tlbMask) === this.tlbPriv && (lin & 0xfff) !== 0xfff) {
      return this.ramView.getUint16(((e & ~0xfff) | (lin & 0xfff)) >>> 0, true);
    }
    return this.readLinSlow(lin, 2, this.cpl === 3);
  }

  readLin32(lin: number): number {
    const e = this.tlbR[lin >>> 12]!;
    if ((e & this.tlbMask) === this.tlbPriv && (lin & 0xfff) <= 0xffc) {
      return this.ramView.getInt32(((e & ~0xfff) | (lin & 0xfff)) >>> 0, true);
    }
    return this.readLinSlow(lin, 4, this.cpl === 3) | 0;
  }

  writeLin8(lin: number, v: number): void {
    const e = this.tlbW[lin >>> 12]!;
    if ((e & this.tlbMask) === this.tlbPriv) {
      this.writePage = e & ~0xfff;
      this.ram8[((e & ~0xfff) | (lin & 0xfff)) >>> 0] = v;
      return;
    }
    this.writeLinSlow(lin, 1, v, this.cpl === 3);
  }

  writeLin16(lin: number, v: number): void {
    const e = this.tlbW[lin >>> 12]!;
    if ((e & this.tlbMask) === this.tlbPriv && (lin & 0xfff) !== 0xfff) {
      this.writePage = e & ~0xfff;
      this.ramView.setUint16(((e & ~0xfff) | (lin & 0xfff)) >>> 0, v, true);
      return;
    }
    this.writeLinSlow(lin, 2, v, this.cpl === 3);
  }

  writeLin32(lin: number, v: number): void {
    const e = this.tlbW[lin >>> 12]!;
    if ((e & this.tlbMask) === this.tlbPriv && (lin & 0xfff) <= 0xffc) {
      this.writePage = e & ~0xfff;
      this.ramView.setInt32(((e & ~0xfff) | (lin & 0xfff)) >>> 0, v, true);
      return;
    }
    this.writeLinSlow(lin, 4, v, this.cpl === 3);
  }

  /** Any read: alignment check, page crossing, MMIO. `user` selects the privilege of the access. */
  readLinSlow(lin: number, size: number, user: boolean): number {
    lin >>>= 0;
    if (user && this.acActive && (lin & (size - 1)) !== 0) this.fault(EXC_AC, 0, true);
    if (this.bpActive) this.checkDataBreakpoints(lin, size, false);
    if ((lin & 0xfff) + size > 0x1000) {
      // Translate both pages before reading, so a fault on the second page leaves nothing half done.
      const p0 = this.translate(lin, false, user);
      const second = (lin + size) & ~0xfff;
      const p1 = this.translate(second >>> 0, false, user);
      let v = 0;
      for (let i = 0; i < size; i++) {
        const l = lin + i;
        const p = (l & ~0xfff) === (lin & ~0xfff) ? p0 + i : p1 + (l - second);
        v |= this.physRead(p, 1) << (i * 8);
      }
      return size === 4 ? v : v & ((1 << (size * 8)) - 1);
    }
    return this.physRead(this.translate(lin, false, user), size);
  }

  writeLinSlow(lin: number, size: number, v: number, user: boolean): void {
    lin >>>= 0;
    this.writePage = -1;
    if (user && this.acActive && (lin & (size - 1)) !== 0) this.fault(EXC_AC, 0, true);
    if (this.bpActive) this.checkDataBreakpoints(lin, size, true);
    if ((lin & 0xfff) + size > 0x1000) {
      const p0 = this.translate(lin, true, user);
      const second = (lin + size) & ~0xfff;
      const p1 = this.translate(second >>> 0, true, user);
      for (let i = 0; i < size; i++) {
        const l = lin + i;
        const p = (l & ~0xfff) === (lin & ~0xfff) ? p0 + i : p1 + (l - second);
        this.physWrite(p, 1, (v >>> (i * 8)) & 0xff);
      }
      return;
    }
    this.physWrite(this.translate(lin, true, user), size, size === 4 ? v : v & ((1 << (size * 8)) - 1));
  }

  /** Supervisor ("system") accesses: descriptor tables, the TSS, the IDT. */
  readSys8(lin: number): number {
    return this.readLinSlow(lin, 1, false);
  }
  readSys16(lin: number): number {
    return this.readLinSlow(lin, 2, false);
  }
  readSys32(lin: number): number {
    return this.readLinSlow(lin, 4, false) | 0;
  }
  writeSys8(lin: number, v: number): void {
    this.writeLinSlow(lin, 1, v, false);
  }
  writeSys16(lin: number, v: number): void {
    this.writeLinSlow(lin, 2, v, false);
  }
  writeSys32(lin: number, v: number): void {
    this.writeLinSlow(lin, 4, v, false);
  }

  // ---- Segmented access ----

  /** Check an access of `size` bytes at seg:off and return the linear address; raises #GP/#SS. */
  checkSeg(seg: number, off: number, size: number, write: boolean): number {
    const attr = this.segAttr[seg]!;
    const code = seg === SS ? EXC_SS : EXC_GP;
    if ((attr & DESC_P) === 0 || (attr & DESC_S) === 0) return this.fault(code, 0, true);
    if (write ? (attr & DESC_CODE) !== 0 || (attr & DESC_RW) === 0 : (attr & (DESC_CODE | DESC_RW)) === DESC_CODE) {
      return this.fault(EXC_GP, 0, true);
    }
    const limit = this.segLimit[seg]!;
    const last = off + size - 1;
    if ((attr & (DESC_CODE | DESC_CE)) === DESC_CE) {
      const upper = (attr & ATTR_DB) !== 0 ? 0xffffffff : 0xffff;
      if (off <= limit || last > upper) return this.fault(code, 0, true);
    } else if (last > limit) {
      return this.fault(code, 0, true);
    }
    return (this.segBase[seg]! + off) | 0;
  }

  read8(seg: number, off: number): number {
    if (off <= this.segReadMax[seg]!) return this.readLin8((this.segBase[seg]! + off) | 0);
    return this.readLin8(this.checkSeg(seg, off, 1, false));
  }
  read16(seg: number, off: number): number {
    if (off <= this.segReadMax[seg]!) return this.readLin16((this.segBase[seg]! + off) | 0);
    return this.readLin16(this.checkSeg(seg, off, 2, false));
  }
  read32(seg: number, off: number): number {
    if (off <= this.segReadMax[seg]!) return this.readLin32((this.segBase[seg]! + off) | 0);
    return this.readLin32(this.checkSeg(seg, off, 4, false));
  }
  write8(seg: number, off: number, v: number): void {
    if (off <= this.segWriteMax[seg]!) this.writeLin8((this.segBase[seg]! + off) | 0, v);
    else this.writeLin8(this.checkSeg(seg, off, 1, true), v);
  }
  write16(seg: number, off: number, v: number): void {
    if (off <= this.segWriteMax[seg]!) this.writeLin16((this.segBase[seg]! + off) | 0, v);
    else this.writeLin16(this.checkSeg(seg, off, 2, true), v);
  }
  write32(seg: number, off: number, v: number): void {
    if (off <= this.segWriteMax[seg]!) this.writeLin32((this.segBase[seg]! + off) | 0, v);
    else this.writeLin32(this.checkSeg(seg, off, 4, true), v);
  }

  /** Check that a write of `size` bytes at seg:off would succeed (RMW and multi-part writes). */
  probeWrite(seg: number, off: number, size: number): void {
    const lin = this.checkSeg(seg, off, size, true);
    const user = this.cpl === 3;
    this.translate(lin >>> 0, true, user);
    if (((lin & 0xfff) + size) > 0x1000) this.translate(((lin + size - 1) >>> 0) & ~0xfff, true, user);
  }

  // ---- Instruction fetch ----

  fetch8(): number {
    const eip = this.eip;
    if (eip >= this.fetchLo && eip <= this.fetchHi) {
      this.eip = eip + 1;
      return this.ram8[this.fetchBase + eip]!;
    }
    return this.fetchSlow(1);
  }

  fetch16(): number {
    const eip = this.eip;
    if (eip >= this.fetchLo && eip + 1 <= this.fetchHi) {
      this.eip = eip + 2;
      return this.ramView.getUint16(this.fetchBase + eip, true);
    }
    return this.fetchSlow(2);
  }

  fetch32(): number {
    const eip = this.eip;
    if (eip >= this.fetchLo && eip + 3 <= this.fetchHi) {
      this.eip = eip + 4;
      return this.ramView.getInt32(this.fetchBase + eip, true);
    }
    return this.fetchSlow(4);
  }

  private fetchSlow(size: number): number {
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.fetchByteSlow() << (i * 8);
    return size === 4 ? v : v & ((1 << (size * 8)) - 1);
  }

  private fetchByteSlow(): number {
    const eip = this.eip;
    if (eip >= this.fetchLo && eip <= this.fetchHi) {
      this.eip = eip + 1;
      return this.ram8[this.fetchBase + eip]!;
    }
    const limit = this.segLimit[CS]!;
    if (eip > limit) this.gp(0);
    const lin = (this.segBase[CS]! + eip) >>> 0;
    const user = this.cpl === 3;
    const phys = this.translate(lin, false, user);
    const e = this.tlbR[lin >>> 12]!;
    if ((e & TLB_SLOW) === 0 && (e & (user ? TLB_USER : TLB_SUP)) !== 0) {
      const lo = eip - (lin & 0xfff);
      this.fetchLo = lo < 0 ? 0 : lo;
      this.fetchHi = Math.min(lo + 0xfff, limit);
      this.fetchBase = phys - eip;
      this.eip = eip + 1;
      return this.ram8[phys]!;
    }
    this.eip = eip + 1;
    return this.physRead(phys, 1);
  }

  // ---- Stack ----

  /** Current stack pointer (ESP or SP). */
  get sp(): number {
    return this.ssBig ? this.r32[ESP]! >>> 0 : this.r16[ESP << 1]!;
  }

  setSp(v: number): void {
    if (this.ssBig) this.r32[ESP] = v;
    else this.r16[ESP << 1] = v;
  }

  /** sp moved by delta, wrapped to the stack's width. */
  spAdd(sp: number, delta: number): number {
    return this.ssBig ? (sp + delta) >>> 0 : (sp + delta) & 0xffff;
  }

  push16(v: number): void {
    const sp = this.spAdd(this.sp, -2);
    this.write16(SS, sp, v);
    this.setSp(sp);
  }

  push32(v: number): void {
    if (this.ssBig) {
      const sp = (this.r32[ESP]! - 4) >>> 0;
      this.write32(SS, sp, v);
      this.r32[ESP] = sp;
      return;
    }
    const sp = this.spAdd(this.sp, -4);
    this.write32(SS, sp, v);
    this.setSp(sp);
  }

  pop16(): number {
    const sp = this.sp;
    const v = this.read16(SS, sp);
    this.setSp(this.spAdd(sp, 2));
    return v;
  }

  pop32(): number {
    if (this.ssBig) {
      const sp = this.r32[ESP]! >>> 0;
      const v = this.read32(SS, sp);
      this.r32[ESP] = sp + 4;
      return v;
    }
    const sp = this.sp;
    const v = this.read32(SS, sp);
    this.setSp(this.spAdd(sp, 4));
    return v;
  }

  /** Push of the current operand size. */
  pushOp(v: number, op32: boolean): void {
    if (op32) this.push32(v);
    else this.push16(v);
  }

  popOp(op32: boolean): number {
    return op32 ? this.pop32() : this.pop16();
  }
}
