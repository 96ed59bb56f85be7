/**
 * The CPU's architectural state: registers in typed arrays over one buffer, segment registers with
 * their descriptor caches, system registers, and the lazily evaluated arithmetic flags. Behaviour is
 * layered on top in cpu-memory.ts, cpu-alu.ts, cpu-decode.ts, cpu-system.ts and cpu.ts.
 */
import type { PhysicalMemory } from '../memory/physical-memory.ts';
import type { IoBus } from '../bus/io-bus.ts';
import type { CpuModel } from './cpu-config.ts';
import { CS, DESC_P, DESC_S, DESC_RW, DESC_CODE, DESC_CE, DESC_A, ATTR_DB, FLAGS_ALWAYS1, SS } from './constants.ts';

export type { InterruptSource, MsrHandler } from './device-interfaces.ts';
import type { InterruptSource, MsrHandler } from './device-interfaces.ts';
import { WIDE } from '../util/wide-field.ts';

export interface CpuWiring {
  mem: PhysicalMemory;
  io: IoBus;
  intr: InterruptSource;
  /** Virtual time in ns (the TSC counts it). */
  now(): number;
  model: CpuModel;
  msr?: MsrHandler;
  /** CPU index, for CPUID's initial APIC id. */
  index?: number;
}

/** Segment descriptor cache, as a value (for visit and task switches). */
export interface SegmentCache {
  selector: number;
  base: number;
  limit: number;
  /** Access byte in bits 7:0, flags (AVL, L, D/B, G) in bits 15:12. */
  attr: number;
}

/** Lazy flag operations: how CF/OF are derived from the saved operands. */
export const LF_ADD = 0;
/** ADC with carry in set. */
export const LF_ADC = 1;
export const LF_SUB = 2;
/** SBB with carry in set. */
export const LF_SBB = 3;
/** AND/OR/XOR/TEST: CF = OF = 0. */
export const LF_LOGIC = 4;
/** INC: CF is not lazy. */
export const LF_INC = 5;
/** DEC: CF is not lazy. */
export const LF_DEC = 6;

export class CpuState {
  readonly mem: PhysicalMemory;
  /** mem's RAM views, held here so the fast paths load one field instead of two. */
  readonly ram8: Uint8Array;
  readonly ram32: Int32Array;
  /** Little-endian 16/32-bit RAM access at any alignment (one load in V8's optimised code). */
  readonly ramView: DataView;
  readonly io: IoBus;
  intr: InterruptSource;
  readonly now: () => number;
  readonly model: CpuModel;
  msrHandler: MsrHandler | null;
  readonly index: number;

  // General registers: r32[EAX..EDI]; r16[reg << 1]; r8: AL=0 CL=4 DL=8 BL=12 AH=1 CH=5 DH=9 BH=13.
  readonly regs = new ArrayBuffer(32);
  readonly r32 = new Int32Array(this.regs);
  readonly r16 = new Uint16Array(this.regs);
  readonly r8 = new Uint8Array(this.regs);
  /** Instruction pointer (uint32; a double from the start: src/util/wide-field.ts). */
  eip = WIDE;

  // Segment registers and their descriptor caches, indexed ES CS SS DS FS GS.
  readonly sel = new Uint16Array(6);
  readonly segBase = new Int32Array(6);
  /** Effective limit in bytes - 1 (granularity applied), uint32. */
  readonly segLimit = new Float64Array(6);
  readonly segAttr = new Uint16Array(6);
  /** Largest offset for which a 4-byte read/write needs no checks; -1 sends every access to the slow path. */
  readonly segReadMax = new Float64Array(6);
  readonly segWriteMax = new Float64Array(6);

  gdtBase = 0;
  gdtLimit = 0xffff;
  idtBase = 0;
  idtLimit = 0x3ff;
  ldtr: SegmentCache = { selector: 0, base: 0, limit: 0xffff, attr: 0x82 };
  tr: SegmentCache = { selector: 0, base: 0, limit: 0xffff, attr: 0x8b };

  cr0 = 0x60000010;
  cr2 = WIDE;
  cr3 = 0;
  cr4 = 0;
  readonly dr = new Int32Array(8);
  /** Current privilege level. */
  cpl = 0;
  /** CS.D: 32-bit default operand and address size. */
  csBig = false;
  /** 0x100 when CS.D is set: the opcode tables hold the 32-bit operand-size handlers at 0x100 | op. */
  csIndex = 0;
  /** SS.B: ESP (not SP) is the stack pointer. */
  ssBig = false;

  // EFLAGS: bits not in `lazy` live in `flags`; bits in `lazy` derive from the last operation.
  flags = FLAGS_ALWAYS1;
  lazy = 0;
  lop = 0;
  lres = 0;
  la = 0;
  lb = 0;
  /** Operand width of the last lazy operation in bits: 8, 16 or 32. */
  lbits = 32;

  /** TSC = virtual ns + tscOffset (WRMSR 0x10 moves the offset). */
  tscOffset = 0n;
  /** IA32_APIC_BASE as the CPU sees it (kept here when no APIC claims it). */
  apicBase = 0n;

  /** HLT: waiting for an interrupt. */
  halted = false;
  /** The instruction after STI / MOV SS / POP SS runs with interrupts inhibited. */
  intShadow = false;
  /** NMI pin latched, waiting for delivery. */
  nmiPending = false;
  /** An NMI handler is running (until IRET). */
  nmiBlocked = false;
  /** Waiting for a startup IPI (INIT state): mirrored from the local APIC, which owns it. */
  waitForSipi = false;

  /**
   * Retired instructions (each REP iteration counts as one) = retiredBase + batchCount. The run
   * loop counts the running batch in batchCount, a small integer that V8 increments in place (a
   * count past 2^31 would make `retired` a boxed double), and stops when it reaches batchLimit;
   * requestCheck() sets batchLimit to 0 to end the batch after the current instruction.
   */
  retiredBase = 0;
  batchCount = 0;
  batchLimit = 0;

  get retired(): number {
    return this.retiredBase + this.batchCount;
  }

  set retired(v: number) {
    this.retiredBase = v - this.batchCount;
  }

  constructor(w: CpuWiring) {
    this.mem = w.mem;
    this.ram8 = w.mem.u8;
    this.ram32 = w.mem.i32;
    this.ramView = new DataView(w.mem.buffer);
    this.io = w.io;
    this.intr = w.intr;
    this.now = w.now;
    this.model = w.model;
    this.msrHandler = w.msr ?? null;
    this.index = w.index ?? 0;
    // Declared as WIDE (doubles from the start); their value is 0 until reset or the guest writes them.
    this.eip = 0;
    this.cr2 = 0;
  }

  get protectedMode(): boolean {
    return (this.cr0 & 1) !== 0;
  }

  get v86(): boolean {
    return (this.flags & 0x20000) !== 0;
  }

  /** Load a segment register's cache and recompute what depends on it. */
  setSeg(seg: number, selector: number, base: number, limit: number, attr: number): void {
    this.sel[seg] = selector;
    this.segBase[seg] = base | 0;
    this.segLimit[seg] = limit >>> 0;
    this.segAttr[seg] = attr;
    const present = (attr & DESC_P) !== 0 && (attr & DESC_S) !== 0;
    const code = (attr & DESC_CODE) !== 0;
    const expandDown = !code && (attr & DESC_CE) !== 0;
    const fast = present && !expandDown && limit >>> 0 >= 3 ? (limit >>> 0) - 3 : -1;
    this.segReadMax[seg] = code && (attr & DESC_RW) === 0 ? -1 : fast;
    this.segWriteMax[seg] = code || (attr & DESC_RW) === 0 ? -1 : fast;
    if (seg === CS) {
      this.csBig = (attr & ATTR_DB) !== 0;
      this.csIndex = this.csBig ? 0x100 : 0;
    } else if (seg === SS) this.ssBig = (attr & ATTR_DB) !== 0;
    this.segmentsChanged(seg);
  }

  /** Real-mode and V86 segment load: base = selector * 16, 64 KiB limit, attributes kept sane. */
  setSegReal(seg: number, selector: number): void {
    selector &= 0xffff;
    const attr = seg === CS ? DESC_P | DESC_S | DESC_CODE | DESC_RW | DESC_A : DESC_P | DESC_S | DESC_RW | DESC_A;
    if (this.v86) {
      this.setSeg(seg, selector, selector << 4, 0xffff, attr | (3 << 5));
    } else {
      // Real mode keeps the cached limit and size bits (so "unreal" mode works as on hardware) and
      // forces a present, writable data or readable code segment; CS always runs 16-bit code.
      const keep = this.segAttr[seg]! & 0xf000 & (seg === CS ? ~ATTR_DB : 0xffff);
      this.setSeg(seg, selector, selector << 4, this.segLimit[seg]!, keep | attr);
    }
  }

  /** Hook for subclasses: a segment cache changed (the fetch window depends on CS). */
  segmentsChanged(_seg: number): void {}

  segCache(seg: number): SegmentCache {
    return { selector: this.sel[seg]!, base: this.segBase[seg]! >>> 0, limit: this.segLimit[seg]!, attr: this.segAttr[seg]! };
  }
}
