/**
 * The CPU: an i486-class interpreter. State and behaviour are layered in cpu-state.ts (registers),
 * cpu-memory.ts (segmentation, paging, fetch), cpu-alu.ts (flags, arithmetic), cpu-decode.ts
 * (prefixes, ModRM), cpu-system.ts (protected mode, interrupts); opcodes live in ops-*.ts.
 *
 * run(budget) executes instructions in a batch inside one try/catch. Interrupts are examined at the
 * start of every batch and whenever something that can change them happens (STI, IRET, POPF, I/O,
 * MMIO to an interrupt controller): requestCheck() ends the batch after the current instruction.
 * Delivery points therefore depend only on guest state and the instruction count, never on how
 * the run was split into batches.
 *
 * The batch itself runs in run-batch.ts: a loop that executes the hottest 32-bit opcodes in a
 * switch of its own and the others through the opcode table OPS[opcode | csIndex]. Prefix state,
 * operand and address size are already at their defaults at each instruction (prefix handlers and
 * the fault path restore them, a CS load updates the sizes), so nothing is reset per instruction.
 *
 * Speed (see bench/mips.ts): the opcode tables are indexed by opcode and operand size, so the
 * hottest opcodes have handlers written for one size (ops-32.ts, ops-8.ts); instructions without
 * prefixes reset no prefix state; the batch is counted in a small integer (batchCount); REP MOVS and
 * REP STOS run whole stretches of plain RAM at once (ops-string.ts). Each REP iteration still
 * retires as one instruction and a REP stops at the batch limit exactly as it would one at a time.
 */
import { CpuSystem } from './cpu-system.ts';
import { FAULT } from './fault.ts';
import { runBatch } from './run-batch.ts';
import { BlockCache, blockCacheEnabled, runBatchWithBlocks } from './block-cache.ts';
import { CS, DS, ES, EXC_DB, FS, GS, IF, RF, SS, TF, CR0_ET, FLAGS_ALWAYS1, ATTR_DB, DESC_P, DESC_S, DESC_RW, DESC_A, DESC_CODE, ATTR_G, EDX } from './constants.ts';
import type { Visitor } from '../visit/visitor.ts';
import type { StateObject } from '../qom/object.ts';
import { PRIORITY_CPU } from '../qom/object.ts';
import { visitCpu } from './cpu-visit.ts';
import { ALU_ADD } from './cpu-alu.ts';
import { imulHigh } from './ops-group.ts';

/** Longest inner batch: keeps batchCount a small integer whatever budget run() is given. */
const MAX_BATCH = 1 << 30;

export class Cpu extends CpuSystem implements StateObject {
  readonly typeName = 'x86-cpu';
  readonly stateVersion = 1;
  readonly postLoadPriority = PRIORITY_CPU;
  /** Translated blocks (block-cache.ts), or null when this CPU interprets everything. */
  readonly blockCache: BlockCache | null = blockCacheEnabled() ? new BlockCache() : null;

  override requestCheck(): void {
    this.batchLimit = 0;
  }

  /**
   * The retired count at which run() returns. limitRun() lowers it while the CPU runs, so that a
   * timer armed inside the run (by this CPU's own I/O or MMIO) fires at its exact instruction.
   */
  private runEnd = 0;

  /** Execute up to `budget` instructions; returns early when halted or when asked to stop. */
  run(budget: number): void {
    this.runEnd = this.retired + budget;
    this.stopRequested = false;
    while (this.retired < this.runEnd) {
      if (!this.intShadow) {
        this.checkInterrupts();
        if (this.halted || this.waitForSipi) return;
      }
      const tf = (this.flags & TF) !== 0;
      const single = this.intShadow || tf || this.bpActive;
      this.intShadow = false;
      // Count this batch in batchCount, a small integer (see CpuState.retired).
      this.retiredBase += this.batchCount;
      this.batchCount = 0;
      const limit = single ? 1 : Math.min(this.runEnd - this.retiredBase, MAX_BATCH);
      this.batchLimit = limit;
      try {
        if (this.bpActive && this.instructionBreakpointFault()) continue;
        const cache = this.blockCache;
        if (cache === null) runBatch(this);
        else runBatchWithBlocks(this, cache);
        // The single-stepped instruction retired (even if it asked for a check, like OUT): trap.
        // Data breakpoints it hit trap at the same boundary.
        const step = tf && this.batchCount === 1 && !this.intShadow;
        const hits = this.bpHits;
        if (this.bpActive) this.bpHits = 0;
        if (step || (hits !== 0 && this.batchCount === 1)) {
          this.dr[6] = (this.dr[6]! & ~0xf) | (step ? 0x4000 : 0) | hits;
          this.instrStart = this.eip;
          this.deliverException(EXC_DB, 0, false);
        }
      } catch (e) {
        if (e !== FAULT) throw e;
        this.clearPrefixes();
        this.eip = this.instrStart;
        this.deliverException(FAULT.vector, FAULT.errorCode, FAULT.hasErrorCode);
      }
      if (this.stopRequested) {
        this.stopRequested = false;
        return;
      }
    }
  }

  /**
   * An enabled execute breakpoint at the next instruction (and RF clear) is a #DB fault before it
   * runs. Returns true when one was delivered.
   */
  private instructionBreakpointFault(): boolean {
    this.bpHits = 0;
    if ((this.flags & RF) !== 0) return false;
    const hits = this.instructionBreakpoints((this.segBase[CS]! + this.eip) | 0);
    if (hits === 0) return false;
    this.dr[6] = (this.dr[6]! & ~0x400f) | hits;
    this.instrStart = this.eip;
    this.deliverException(EXC_DB, 0, false);
    return true;
  }

  /**
   * While running: return from run() after at most `instructions` more instructions (at least the
   * current one completes). The machine calls it when a timer deadline moves closer.
   */
  limitRun(instructions: number): void {
    const end = this.retired + Math.max(1, instructions);
    if (end < this.runEnd) this.runEnd = end;
    this.batchLimit = 0;
  }

  /** Set by the machine (debug exit, reset) to leave run() after the current instruction. */
  stopRequested = false;

  requestStop(): void {
    this.stopRequested = true;
    this.batchLimit = 0;
  }

  /** Deliver an NMI or a maskable interrupt if one is due at this boundary. */
  checkInterrupts(): void {
    if (this.nmiPending && !this.nmiBlocked) {
      this.nmiPending = false;
      this.nmiBlocked = true;
      this.halted = false;
      this.instrStart = this.eip;
      this.deliverExternal(2);
      return;
    }
    if ((this.flags & IF) !== 0 && this.intr.hasInterrupt()) {
      const vector = this.intr.acknowledge();
      this.halted = false;
      this.instrStart = this.eip;
      this.deliverExternal(vector & 0xff);
    }
  }

  /** True when a halted CPU would wake now. */
  hasWakeEvent(): boolean {
    return (this.nmiPending && !this.nmiBlocked) || ((this.flags & IF) !== 0 && this.intr.hasInterrupt());
  }

  raiseNmi(): void {
    this.nmiPending = true;
    this.requestCheck();
  }

  // ---- Helpers used by the opcode tables ----

  jumpRel(rel: number): void {
    const target = this.op32 ? (this.eip + rel) >>> 0 : (this.eip + rel) & 0xffff;
    if (target > this.segLimit[CS]!) this.gp(0);
    this.eip = target;
  }

  jumpAbs(target: number): void {
    if (!this.op32) target &= 0xffff;
    if (target > this.segLimit[CS]!) this.gp(0);
    this.eip = target >>> 0;
  }

  portIn(port: number, size: number): number {
    this.checkIo(port, size);
    return this.portInChecked(port, size);
  }

  portInChecked(port: number, size: number): number {
    return this.io.read(port, size);
  }

  portOut(port: number, size: number, value: number): void {
    this.checkIo(port, size);
    this.io.write(port, size, value);
  }

  /** Two- and three-operand IMUL: truncated product, CF = OF = it did not fit. */
  imul2(a: number, b: number, bits: number): number {
    if (bits === 16) {
      const r = ((a << 16) >> 16) * ((b << 16) >> 16);
      this.setMulFlags(r !== (r << 16) >> 16, r, 16);
      return r & 0xffff;
    }
    const lo = Math.imul(a, b);
    const hi = imulHigh(a | 0, b | 0);
    this.setMulFlags(hi !== lo >> 31, lo, 32);
    return lo;
  }

  readTsc(): bigint {
    return (BigInt(Math.floor(this.now())) + this.tscOffset) & 0xffffffffffffffffn;
  }

  // ---- Reset and boot ----

  /** Power-on / INIT state: real mode at F000:FFF0. */
  reset(): void {
    this.clearPrefixes();
    this.r32.fill(0);
    this.r32[EDX] = 0x480;
    this.cr0 = 0x60000000 | CR0_ET;
    this.cr2 = 0;
    this.cr3 = 0;
    this.cr4 = 0;
    this.dr.fill(0);
    this.dr[6] = 0xffff0ff0 | 0;
    this.dr[7] = 0x400;
    this.flags = FLAGS_ALWAYS1;
    this.lazy = 0;
    this.cpl = 0;
    this.gdtBase = 0;
    this.gdtLimit = 0xffff;
    this.idtBase = 0;
    this.idtLimit = 0x3ff;
    this.ldtr = { selector: 0, base: 0, limit: 0xffff, attr: 0x82 };
    this.tr = { selector: 0, base: 0, limit: 0xffff, attr: 0x8b };
    const data = DESC_P | DESC_S | DESC_RW | DESC_A;
    for (const s of [ES, SS, DS, FS, GS]) this.setSeg(s, 0, 0, 0xffff, data);
    this.setSeg(CS, 0xf000, 0xffff0000 | 0, 0xffff, data | DESC_CODE);
    this.eip = 0xfff0;
    this.halted = false;
    this.intShadow = false;
    this.nmiPending = false;
    this.nmiBlocked = false;
    this.tscOffset = 0n;
    this.flushTlb();
    this.updateBreakpoints();
  }

  /** INIT (from the local APIC): the reset state, keeping the TSC and the APIC base MSR. */
  initReset(): void {
    const tsc = this.tscOffset;
    const apicBase = this.apicBase;
    const retired = this.retired;
    this.reset();
    this.tscOffset = tsc;
    this.apicBase = apicBase;
    this.retired = retired;
  }

  /** Startup IPI: leave wait-for-SIPI and run real-mode code at vector << 12. */
  startup(vector: number): void {
    const data = DESC_P | DESC_S | DESC_RW | DESC_A;
    this.setSeg(CS, (vector & 0xff) << 8, (vector & 0xff) << 12, 0xffff, data | DESC_CODE);
    this.eip = 0;
    this.halted = false;
    this.waitForSipi = false;
  }

  /**
   * Enter 32-bit protected mode with flat 4 GiB segments, paging off and interrupts off, as the
   * multiboot and Linux boot protocols require. The GDT must already be in guest memory.
   */
  enterFlatProtectedMode(gdtBase: number, gdtLimit: number, cs: number, ds: number, eip: number): void {
    this.cr0 = 0x00000011 | 0;
    this.gdtBase = gdtBase | 0;
    this.gdtLimit = gdtLimit;
    const attrs = ATTR_G | ATTR_DB | DESC_P | DESC_S | DESC_RW | DESC_A;
    this.setSeg(CS, cs, 0, 0xffffffff, attrs | DESC_CODE);
    for (const s of [ES, SS, DS, FS, GS]) this.setSeg(s, ds, 0, 0xffffffff, attrs);
    this.cpl = 0;
    this.flags = FLAGS_ALWAYS1;
    this.lazy = 0;
    this.eip = eip >>> 0;
    this.flushTlb();
    this.updatePrivilege();
  }

  visit(v: Visitor): void {
    visitCpu(this, v);
  }

  postLoad(): void {
    this.blockCache?.clear();
    this.clearPrefixes();
    this.flushTlb();
    this.updateBreakpoints();
  }
}

void ALU_ADD;
