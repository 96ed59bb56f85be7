/**
 * The in-kernel local APIC: an xAPIC whose native storage is KVM's 1 KiB register page
 * (struct kvm_lapic_state): every register is read and written at its offset in `regs`. Beside the
 * page it keeps what KVM keeps elsewhere: apic_base, the TSC-deadline MSR, the INIT/SIPI wait state
 * (mp_state), plus godwit's extensions: the timer's exact deadline in virtual ns (KVM loses the
 * elapsed part of a period) and the errors not yet latched into ESR.
 *
 * The timer keeps no load time: the running count is derived from the deadline (a one-shot count
 * started initial + 1 ticks before its expiry; a periodic count's period began initial + 1 ticks
 * before the next expiry). The guest sees exactly what the userspace `apic` shows it.
 */
import type { MmioDevice } from '../../src/bus/mmio-bus.ts';
import type { Timer, VirtualClock } from '../../src/clock/clock.ts';
import type { InterruptSource, MsrHandler } from '../../src/cpu/device-interfaces.ts';
import type { ApicEndpoint, ApicWiring } from '../apic-common/apic-types.ts';
import { DM_EXTINT, DM_FIXED, DM_INIT, DM_LOWPRI, DM_NMI, DM_SIPI } from '../../src/hw/apic-message.ts';
import {
  APIC_BASE_ADDR, APIC_BASE_BSP, APIC_BASE_ENABLE, APIC_VERSION_VALUE, DFR_MODEL, DFR_ONES,
  ESR_ILLEGAL_REGISTER, ESR_RECV_ILLEGAL_VECTOR, ESR_SEND_ILLEGAL_VECTOR, ESR_VALID, ICR_HI_VALID,
  ICR_LO_VALID, ID_VALID, LDR_VALID, LVT_COUNT, LVT_ERROR, LVT_LEVEL, LVT_LINT0, LVT_LINT0_BSP_RESET, LVT_LINT1,
  LVT_MASKED, LVT_RESET, LVT_TIMER, MSR_IA32_APIC_BASE, MSR_IA32_TSC_DEADLINE, REG_APR, REG_DFR, REG_EOI,
  REG_ESR, REG_ICR_HI, REG_ICR_LO, REG_ID, REG_IRR, REG_ISR, REG_LDR, REG_LVT_TIMER, REG_PPR, REG_SVR,
  REG_TDCR, REG_TMCCT, REG_TMICT, REG_TMR, REG_TPR, REG_VERSION, SVR_ENABLE, SVR_RESET, SVR_VALID, TDCR_VALID,
  isApicRegister, lvtWriteValue,
} from '../../src/hw/lapic.ts';
import {
  clearVector, computeApr, computePpr, highestVector, isDeliverable, setVector, testVector,
} from '../../src/hw/lapic-math.ts';
import { matchDestination } from '../../src/hw/lapic-math.ts';
import {
  STALE_EXPIRY_NS, TIMER_PERIODIC, TIMER_TSC_DEADLINE, countShiftOf, currentCount, elapsedInCount,
  loadTimeFromExpiry, nextExpiry, rebasedLoadTime, timerModeOf, timerModeSwitchStops, tscDeadlineExpiry,
} from '../../src/hw/lapic-timer.ts';
import {
  KVM_APIC_REG_SIZE, KVM_MP_STATE_INIT_RECEIVED, KVM_MP_STATE_RUNNABLE, KVM_MP_STATE_UNINITIALIZED,
} from '../../src/hw/kvm-structs.ts';
import type { KvmLapicState } from '../../src/hw/kvm-structs.ts';
import { LAPIC_BASE } from '../../src/hw/pc-layout.ts';

/** What KVM_GET_LAPIC and friends hand out for one vCPU (copies). */
export type KvmLapicFullState = KvmLapicState & {
  /** IA32_APIC_BASE. */
  apicBase: bigint;
  /** IA32_TSC_DEADLINE (0 when disarmed). */
  tscDeadline: bigint;
  /**
   * KVM_MP_STATE_INIT_RECEIVED while waiting for SIPI, else KVM_MP_STATE_RUNNABLE. On set,
   * UNINITIALIZED also means waiting; any other value (HALTED belongs to the CPU) means running.
   */
  mpState: number;
  /** godwit: errors detected since the last ESR write (latched into ESR by the next write). */
  esrPending: number;
};

export interface KvmLapicOptions {
  /** CPUID.1:ECX bit 24: LVT timer TSC-deadline mode and MSR 0x6E0 exist. */
  tscDeadline?: boolean;
}

// Word indices (offset / 4) into the page's Uint32Array view.
const W_ID = REG_ID >>> 2;
const W_VERSION = REG_VERSION >>> 2;
const W_TPR = REG_TPR >>> 2;
const W_APR = REG_APR >>> 2;
const W_PPR = REG_PPR >>> 2;
const W_LDR = REG_LDR >>> 2;
const W_DFR = REG_DFR >>> 2;
const W_SVR = REG_SVR >>> 2;
const W_ISR = REG_ISR >>> 2;
const W_TMR = REG_TMR >>> 2;
const W_IRR = REG_IRR >>> 2;
const W_ESR = REG_ESR >>> 2;
const W_ICR_LO = REG_ICR_LO >>> 2;
const W_ICR_HI = REG_ICR_HI >>> 2;
const W_LVT = REG_LVT_TIMER >>> 2;
const W_TMICT = REG_TMICT >>> 2;
const W_TMCCT = REG_TMCCT >>> 2;
const W_TDCR = REG_TDCR >>> 2;
/** Distance in words between consecutive registers (16 bytes). */
const STRIDE = 4;

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export class KvmLapic implements ApicEndpoint, InterruptSource, MsrHandler, MmioDevice {
  readonly cpuIndex: number;
  /** Called after IA32_APIC_BASE changes the page or the global enable (the machine remaps). */
  onBaseChange: (mmioBase: number) => void = () => {};

  /** The register page, KVM's struct kvm_lapic_state. */
  private readonly regs = new Uint8Array(KVM_APIC_REG_SIZE);
  /** Little-endian 32-bit view of regs (the host is checked to be little-endian). */
  private readonly r32 = new Uint32Array(this.regs.buffer);
  private apicBase = 0;
  private tscDeadline = 0n;
  private waitForSipi = false;
  private esrPending = 0;
  /** Virtual ns at which the timer fires next, or -1. */
  private deadline = -1;

  private readonly wiring: ApicWiring;
  private readonly clock: VirtualClock;
  private readonly timer: Timer;
  private readonly tscSupported: boolean;

  constructor(wiring: ApicWiring, clock: VirtualClock, options: KvmLapicOptions = {}) {
    if (!HOST_LITTLE_ENDIAN) throw new Error('kvm-lapic: the register page needs a little-endian host');
    this.wiring = wiring;
    this.clock = clock;
    this.cpuIndex = wiring.cpuIndex;
    this.tscSupported = options.tscDeadline === true;
    this.timer = clock.createTimer(`kvm-lapic[${wiring.cpuIndex}]`, () => this.onTimer());
    this.powerOnValues();
  }

  private get bsp(): boolean {
    return (this.apicBase & APIC_BASE_BSP) !== 0;
  }

  private lvt(index: number): number {
    return this.r32[W_LVT + index * STRIDE]!;
  }

  private setLvt(index: number, value: number): void {
    this.r32[W_LVT + index * STRIDE] = value;
  }

  private powerOnValues(): void {
    this.apicBase = (LAPIC_BASE | APIC_BASE_ENABLE | (this.wiring.bsp ? APIC_BASE_BSP : 0)) >>> 0;
    this.regs.fill(0);
    this.r32[W_ID] = (this.wiring.apicId & 0xff) << 24;
    this.r32[W_VERSION] = APIC_VERSION_VALUE;
    this.initValues();
    if (this.wiring.bsp) this.setLvt(LVT_LINT0, LVT_LINT0_BSP_RESET);
  }

  /** kvm_lapic_reset on INIT, with QEMU's apic_init_reset values. */
  private initValues(): void {
    const r = this.r32;
    r[W_TPR] = 0;
    r[W_PPR] = 0;
    r[W_SVR] = SVR_RESET;
    r[W_LDR] = 0;
    r[W_DFR] = 0xffffffff;
    for (let i = 0; i < 8; i++) {
      r[W_ISR + i * STRIDE] = 0;
      r[W_TMR + i * STRIDE] = 0;
      r[W_IRR + i * STRIDE] = 0;
    }
    for (let i = 0; i < LVT_COUNT; i++) this.setLvt(i, LVT_RESET);
    r[W_ESR] = 0;
    this.esrPending = 0;
    r[W_ICR_LO] = 0;
    r[W_ICR_HI] = 0;
    r[W_TDCR] = 0;
    r[W_TMICT] = 0;
    r[W_TMCCT] = 0;
    this.tscDeadline = 0n;
    this.waitForSipi = !this.bsp;
    this.deadline = -1;
    this.timer.cancel();
  }

  /** Power-on reset: base 0xFEE00000 enabled, ID = the CPU's, BSP LINT0 = ExtINT. */
  reset(): void {
    const oldBase = this.mmioBase();
    this.powerOnValues();
    if (this.mmioBase() !== oldBase) this.onBaseChange(this.mmioBase());
    this.updateIrq();
  }

  /** INIT (ID, base and APR survive); APs then wait for SIPI. */
  initReset(): void {
    this.initValues();
  }

  dispose(): void {
    this.timer.cancel();
  }

  mmioBase(): number {
    return this.apicBase & APIC_BASE_ENABLE ? (this.apicBase & APIC_BASE_ADDR) >>> 0 : -1;
  }

  isWaitingForSipi(): boolean {
    return this.waitForSipi;
  }

  // ---- ApicEndpoint ----

  isHardwareEnabled(): boolean {
    return (this.apicBase & APIC_BASE_ENABLE) !== 0;
  }

  private get softwareEnabled(): boolean {
    return (this.r32[W_SVR]! & SVR_ENABLE) !== 0;
  }

  matchesDestination(dest: number, destMode: number): boolean {
    const r = this.r32;
    return matchDestination(dest, destMode, r[W_ID]! >>> 24, r[W_LDR]! >>> 24, r[W_DFR]! >>> 28);
  }

  arbitrationPriority(): number {
    return computeApr(this.r32[W_TPR]!, highestVector(this.r32, W_ISR, STRIDE), highestVector(this.r32, W_IRR, STRIDE));
  }

  accept(deliveryMode: number, vector: number, trigger: number): void {
    switch (deliveryMode) {
      case DM_FIXED:
      case DM_LOWPRI:
        if (!this.softwareEnabled) return;
        this.setIrq(vector & 0xff, trigger & 1);
        return;
      case DM_NMI:
        this.wiring.signals.nmi();
        return;
      case DM_INIT:
        this.initReset();
        this.wiring.signals.init();
        return;
      case DM_SIPI:
        if (!this.waitForSipi) return;
        this.waitForSipi = false;
        this.wiring.signals.sipi(vector & 0xff);
        return;
      default:
        return;
    }
  }

  // ---- interrupts ----

  private setIrq(vector: number, trigger: number): void {
    if (vector < 16) {
      this.recordError(ESR_RECV_ILLEGAL_VECTOR);
      return;
    }
    setVector(this.r32, W_IRR, STRIDE, vector);
    if (trigger) setVector(this.r32, W_TMR, STRIDE, vector);
    else clearVector(this.r32, W_TMR, STRIDE, vector);
    this.updateIrq();
  }

  /** apic_update_ppr: PPR lives in the page and follows TPR and ISR. */
  private updatePpr(): void {
    this.r32[W_PPR] = computePpr(this.r32[W_TPR]!, highestVector(this.r32, W_ISR, STRIDE));
  }

  private extIntPending(): boolean {
    if (this.isHardwareEnabled()) {
      const lvt0 = this.lvt(LVT_LINT0);
      if (lvt0 & LVT_MASKED || ((lvt0 >>> 8) & 7) !== DM_EXTINT) return false;
    }
    return this.wiring.pic.hasInterrupt();
  }

  private updateIrq(): void {
    if (this.hasInterrupt()) this.wiring.signals.kick();
  }

  hasInterrupt(): boolean {
    if (this.extIntPending()) return true;
    if (!this.softwareEnabled) return false;
    return isDeliverable(highestVector(this.r32, W_IRR, STRIDE), this.r32[W_PPR]!);
  }

  acknowledge(): number {
    if (this.extIntPending()) return this.wiring.pic.acknowledge() & 0xff;
    const spurious = this.r32[W_SVR]! & 0xff;
    if (!this.softwareEnabled) return spurious;
    const irrv = highestVector(this.r32, W_IRR, STRIDE);
    if (!isDeliverable(irrv, this.r32[W_PPR]!)) return spurious;
    clearVector(this.r32, W_IRR, STRIDE, irrv);
    setVector(this.r32, W_ISR, STRIDE, irrv);
    this.updatePpr();
    return irrv;
  }

  private eoi(): void {
    const isrv = highestVector(this.r32, W_ISR, STRIDE);
    if (isrv < 0) return;
    clearVector(this.r32, W_ISR, STRIDE, isrv);
    this.updatePpr();
    if (testVector(this.r32, W_TMR, STRIDE, isrv)) this.wiring.eoiBroadcast(isrv);
    this.updateIrq();
  }

  /** kvm_apic_local_deliver. */
  private localDeliver(index: number): void {
    const lvt = this.lvt(index);
    if (lvt & LVT_MASKED) return;
    switch ((lvt >>> 8) & 7) {
      case DM_FIXED: {
        const level = (index === LVT_LINT0 || index === LVT_LINT1) && (lvt & LVT_LEVEL) !== 0 ? 1 : 0;
        this.setIrq(lvt & 0xff, level);
        return;
      }
      case DM_NMI:
        this.wiring.signals.nmi();
        return;
      case DM_EXTINT:
        this.wiring.signals.kick();
        return;
      default:
        return;
    }
  }

  /** The 8259's INTR output changed. */
  picChanged(level: number): void {
    if (!this.isHardwareEnabled()) {
      if (level) this.wiring.signals.kick();
      return;
    }
    const lvt0 = this.lvt(LVT_LINT0);
    if (level) {
      this.localDeliver(LVT_LINT0);
    } else if ((lvt0 & LVT_MASKED) === 0 && ((lvt0 >>> 8) & 7) === DM_FIXED && lvt0 & LVT_LEVEL) {
      clearVector(this.r32, W_IRR, STRIDE, lvt0 & 0xff);
    }
  }

  /** NMI on the LINT1 pin. */
  externalNmi(): void {
    if (this.isHardwareEnabled()) this.localDeliver(LVT_LINT1);
    else this.wiring.signals.nmi();
  }

  private recordError(bits: number): void {
    const fresh = bits & ~this.esrPending;
    if (fresh === 0) return;
    this.esrPending |= fresh;
    this.localDeliver(LVT_ERROR);
  }

  private sendIpi(): void {
    const lo = this.r32[W_ICR_LO]!;
    const mode = (lo >>> 8) & 7;
    const vector = lo & 0xff;
    const level = (lo >>> 14) & 1;
    const trigger = (lo >>> 15) & 1;
    if (mode === DM_INIT && level === 0 && trigger === 1) return; // INIT level de-assert
    if (mode === 3 || mode === DM_EXTINT) return;
    if ((mode === DM_FIXED || mode === DM_LOWPRI) && vector < 16) {
      this.recordError(ESR_SEND_ILLEGAL_VECTOR);
      return;
    }
    this.wiring.sendMessage({
      dest: this.r32[W_ICR_HI]! >>> 24,
      destMode: (lo >>> 11) & 1,
      deliveryMode: mode,
      vector,
      trigger,
      level,
      shorthand: (lo >>> 18) & 3,
      source: this.cpuIndex,
    });
  }

  // ---- timer ----

  private timerMode(): number {
    return timerModeOf(this.lvt(LVT_TIMER));
  }

  private get shift(): number {
    return countShiftOf(this.r32[W_TDCR]!);
  }

  /** When the running count was loaded (one-shot) or last reloaded (periodic); null if it is not running. */
  private loadTime(): number | null {
    if (this.deadline < 0 || this.timerMode() === TIMER_TSC_DEADLINE) return null;
    return loadTimeFromExpiry(this.deadline, this.r32[W_TMICT]!, this.shift);
  }

  private armAt(expiry: number): void {
    this.deadline = expiry;
    if (expiry < 0) this.timer.cancel();
    else this.timer.arm(expiry);
  }

  /** Start a count of TMICT at `now`. */
  private startCount(now: number): void {
    const periodic = this.timerMode() === TIMER_PERIODIC;
    this.armAt(nextExpiry(periodic, this.r32[W_TMICT]!, this.shift, now, now));
  }

  private onTimer(): void {
    const fired = this.deadline;
    if (fired < 0) return;
    if (this.timerMode() === TIMER_TSC_DEADLINE) {
      this.tscDeadline = 0n;
      this.deadline = -1;
      this.localDeliver(LVT_TIMER);
      return;
    }
    const initial = this.r32[W_TMICT]!;
    const load = loadTimeFromExpiry(fired, initial, this.shift);
    this.localDeliver(LVT_TIMER);
    this.armAt(nextExpiry(this.timerMode() === TIMER_PERIODIC, initial, this.shift, load, fired));
  }

  private currentCount(now: number): number {
    const load = this.loadTime();
    if (load === null) return 0;
    return currentCount(this.timerMode() === TIMER_PERIODIC, this.r32[W_TMICT]!, this.shift, load, now);
  }

  private writeLvt(index: number, value: number): void {
    let v = lvtWriteValue(index, value, this.tscSupported);
    if (!this.softwareEnabled) v = (v | LVT_MASKED) >>> 0;
    const old = this.lvt(index);
    this.setLvt(index, v);
    // Between one-shot and periodic the count (its deadline) goes on; onTimer reads the mode.
    if (index === LVT_TIMER && timerModeSwitchStops(old, v)) {
      this.r32[W_TMICT] = 0;
      this.tscDeadline = 0n;
      this.armAt(-1);
    } else if (index === LVT_LINT0 && this.wiring.pic.hasInterrupt()) {
      this.localDeliver(LVT_LINT0);
    }
  }

  /** TDCR: the running count keeps its value and continues at the new rate. */
  private writeTdcr(value: number): void {
    const conf = value & TDCR_VALID;
    const oldShift = this.shift;
    const newShift = countShiftOf(conf);
    const load = this.loadTime();
    this.r32[W_TDCR] = conf;
    if (load === null || newShift === oldShift) return;
    const now = this.clock.now();
    const initial = this.r32[W_TMICT]!;
    const periodic = this.timerMode() === TIMER_PERIODIC;
    const newLoad = rebasedLoadTime(now, elapsedInCount(periodic, initial, oldShift, load, now), newShift);
    this.armAt(nextExpiry(periodic, initial, newShift, newLoad, now));
  }

  private writeTscDeadline(value: bigint): void {
    if (!this.isHardwareEnabled() || this.timerMode() !== TIMER_TSC_DEADLINE) return;
    this.tscDeadline = value;
    this.armAt(value === 0n ? -1 : tscDeadlineExpiry(value, this.wiring.readTsc(), this.clock.now()));
  }

  // ---- MSRs ----

  readMsr(index: number): bigint | null {
    if (index === MSR_IA32_APIC_BASE) return BigInt(this.apicBase);
    if (index === MSR_IA32_TSC_DEADLINE && this.tscSupported) return this.tscDeadline;
    return null;
  }

  writeMsr(index: number, value: bigint): boolean {
    if (index === MSR_IA32_TSC_DEADLINE && this.tscSupported) {
      this.writeTscDeadline(BigInt.asUintN(64, value));
      return true;
    }
    if (index !== MSR_IA32_APIC_BASE) return false;
    if (value < 0n || value > 0xffffffffn) return false;
    const v = Number(value);
    if (v & ~(APIC_BASE_ADDR | APIC_BASE_ENABLE | APIC_BASE_BSP)) return false;
    const oldBase = this.mmioBase();
    const wasEnabled = this.isHardwareEnabled();
    this.apicBase = ((v & (APIC_BASE_ADDR | APIC_BASE_ENABLE)) | (this.apicBase & APIC_BASE_BSP)) >>> 0;
    if ((v & APIC_BASE_ENABLE) === 0) this.r32[W_SVR] = this.r32[W_SVR]! & ~SVR_ENABLE;
    // Enabled again: the xAPIC ID is the initial one (kvm_lapic_set_base -> kvm_apic_set_xapic_id).
    else if (!wasEnabled) this.r32[W_ID] = (this.wiring.apicId & 0xff) << 24;
    if (this.mmioBase() !== oldBase) this.onBaseChange(this.mmioBase());
    this.updateIrq();
    return true;
  }

  // ---- MMIO: the register page itself ----

  mmioRead(offset: number, size: number): number {
    if (size !== 4 || (offset & 0xf) !== 0 || offset < 0 || offset > 0xff0) return 0;
    if (!isApicRegister(offset)) {
      this.recordError(ESR_ILLEGAL_REGISTER);
      return 0;
    }
    switch (offset) {
      case REG_EOI:
        return 0;
      case REG_DFR:
        return (this.r32[W_DFR]! | DFR_ONES) >>> 0;
      case REG_TMCCT:
        return this.currentCount(this.clock.now());
      default:
        return this.r32[offset >>> 2]!;
    }
  }

  mmioWrite(offset: number, size: number, value: number): void {
    if (size !== 4 || (offset & 0xf) !== 0 || offset < 0 || offset > 0xff0) return;
    value >>>= 0;
    if (!isApicRegister(offset)) {
      this.recordError(ESR_ILLEGAL_REGISTER);
      return;
    }
    const r = this.r32;
    if (offset >= 0x320 && offset <= 0x370) {
      this.writeLvt((offset - 0x320) >>> 4, value);
      return;
    }
    switch (offset) {
      case REG_ID:
        r[W_ID] = value & ID_VALID;
        return;
      case REG_TPR:
        r[W_TPR] = value & 0xff;
        this.updatePpr();
        this.updateIrq();
        return;
      case REG_EOI:
        this.eoi();
        return;
      case REG_LDR:
        r[W_LDR] = value & LDR_VALID;
        return;
      case REG_DFR:
        r[W_DFR] = (value & DFR_MODEL) | DFR_ONES;
        return;
      case REG_SVR:
        r[W_SVR] = value & SVR_VALID;
        if (!this.softwareEnabled) for (let i = 0; i < LVT_COUNT; i++) this.setLvt(i, (this.lvt(i) | LVT_MASKED) >>> 0);
        this.updateIrq();
        return;
      case REG_ESR:
        r[W_ESR] = this.esrPending & ESR_VALID;
        this.esrPending = 0;
        return;
      case REG_ICR_LO:
        r[W_ICR_LO] = value & ICR_LO_VALID;
        this.sendIpi();
        return;
      case REG_ICR_HI:
        r[W_ICR_HI] = value & ICR_HI_VALID;
        return;
      case REG_TMICT:
        if (this.timerMode() === TIMER_TSC_DEADLINE) return;
        r[W_TMICT] = value;
        this.startCount(this.clock.now());
        return;
      case REG_TDCR:
        this.writeTdcr(value);
        return;
      default:
        return;
    }
  }

  // ---- the ioctl-like interface (KVM_GET_LAPIC / KVM_SET_LAPIC plus the MSRs and mp_state) ----

  /** A copy of the state; TMCCT holds the live count, as newer kernels fill it. */
  getState(): KvmLapicFullState {
    // The live count goes into the copy through this page's own word view (no view of the copy to
    // build on every save); the page keeps its TMCCT.
    const r = this.r32;
    const kept = r[W_TMCCT]!;
    r[W_TMCCT] = this.currentCount(this.clock.now());
    const regs = this.regs.slice();
    r[W_TMCCT] = kept;
    return {
      regs,
      timerDeadlineNs: BigInt(this.deadline),
      apicBase: BigInt(this.apicBase),
      tscDeadline: this.tscDeadline,
      mpState: this.waitForSipi ? KVM_MP_STATE_INIT_RECEIVED : KVM_MP_STATE_RUNNABLE,
      esrPending: this.esrPending,
    };
  }

  /**
   * Replace the state, as KVM_SET_LAPIC does: the Version register is rewritten, PPR recomputed,
   * TMCCT ignored, reserved offsets cleared and every register masked to its valid bits; the timer
   * is re-armed from the deadline (one more than 1 s behind the clock fires now, or for a periodic
   * count restarts). No deadline means no running count in any mode: unlike KVM, which has no
   * deadline in its state and restarts a periodic count, godwit carries it, and a periodic count
   * can be stopped (a finished one-shot switched to periodic). The virtual clock and the CPU's TSC
   * must already hold their restored values.
   */
  setState(s: KvmLapicFullState): void {
    const src = new Uint32Array(KVM_APIC_REG_SIZE / 4);
    new Uint8Array(src.buffer).set(s.regs.subarray(0, KVM_APIC_REG_SIZE));
    const r = this.r32;
    this.regs.fill(0);
    r[W_ID] = src[W_ID]! & ID_VALID;
    r[W_VERSION] = APIC_VERSION_VALUE;
    r[W_TPR] = src[W_TPR]! & 0xff;
    r[W_APR] = src[W_APR]! & 0xff;
    r[W_LDR] = src[W_LDR]! & LDR_VALID;
    r[W_DFR] = (src[W_DFR]! & DFR_MODEL) | DFR_ONES;
    r[W_SVR] = src[W_SVR]! & SVR_VALID;
    for (let i = 0; i < 8; i++) {
      r[W_ISR + i * STRIDE] = src[W_ISR + i * STRIDE]!;
      r[W_TMR + i * STRIDE] = src[W_TMR + i * STRIDE]!;
      r[W_IRR + i * STRIDE] = src[W_IRR + i * STRIDE]!;
    }
    r[W_ESR] = src[W_ESR]! & ESR_VALID;
    r[W_ICR_LO] = src[W_ICR_LO]! & ICR_LO_VALID;
    r[W_ICR_HI] = src[W_ICR_HI]! & ICR_HI_VALID;
    for (let i = 0; i < LVT_COUNT; i++) this.setLvt(i, lvtWriteValue(i, src[W_LVT + i * STRIDE]!, this.tscSupported));
    r[W_TMICT] = src[W_TMICT]!;
    r[W_TDCR] = src[W_TDCR]! & TDCR_VALID;
    this.updatePpr();
    this.apicBase = Number(BigInt.asUintN(32, s.apicBase)) & (APIC_BASE_ADDR | APIC_BASE_ENABLE | APIC_BASE_BSP);
    this.apicBase >>>= 0;
    this.tscDeadline = BigInt.asUintN(64, s.tscDeadline);
    this.waitForSipi = s.mpState === KVM_MP_STATE_INIT_RECEIVED || s.mpState === KVM_MP_STATE_UNINITIALIZED;
    this.esrPending = s.esrPending & ESR_VALID;
    const mode = this.timerMode();
    if (mode === TIMER_TSC_DEADLINE) r[W_TMICT] = 0;
    else this.tscDeadline = 0n;
    const d = s.timerDeadlineNs;
    const saved = d >= 0n && d <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(d) : -1;
    const now = this.clock.now();
    const stale = now - STALE_EXPIRY_NS;
    if (mode === TIMER_TSC_DEADLINE) {
      if (this.tscDeadline === 0n) this.armAt(-1);
      else if (saved >= 0) this.armAt(Math.max(saved, stale));
      else this.armAt(tscDeadlineExpiry(this.tscDeadline, this.wiring.readTsc(), now));
    } else if (r[W_TMICT] === 0 || saved < 0) {
      this.armAt(-1);
    } else if (mode === TIMER_PERIODIC) {
      if (saved >= stale) this.armAt(saved);
      else this.startCount(now);
    } else {
      this.armAt(Math.max(saved, stale));
    }
    this.updateIrq();
  }
}
