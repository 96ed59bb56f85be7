/**
 * The userspace local APIC (object type `apic`): an xAPIC whose state is QEMU's field model
 * (hw/intc/apic_common.c, `apic` v3) plus two optional groups godwit adds: `tsc_deadline`
 * (IA32_TSC_DEADLINE) and `esr_pending` (errors not yet latched into ESR). Registers live in fields;
 * the pure arithmetic is shared with the in-kernel LAPIC (devices/apic-common/).
 *
 * The machine maps the MMIO page at mmioBase() of each CPU, routes ApicBus messages to accept(),
 * calls picChanged() when the 8259's output changes and externalNmi() for LINT1, and uses the object
 * as the CPU's InterruptSource and MsrHandler.
 */
import type { MmioDevice } from '../../src/bus/mmio-bus.ts';
import type { Timer, VirtualClock } from '../../src/clock/clock.ts';
import type { InterruptSource, MsrHandler } from '../../src/cpu/device-interfaces.ts';
import type { StateObject } from '../../src/qom/object.ts';
import { PRIORITY_LAPIC } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';
import type { ApicEndpoint, ApicWiring } from '../apic-common/apic-types.ts';
import { DM_EXTINT, DM_FIXED, DM_INIT, DM_LOWPRI, DM_NMI, DM_SIPI } from '../../src/hw/apic-message.ts';
import {
  APIC_BASE_ADDR, APIC_BASE_BSP, APIC_BASE_ENABLE, APIC_VERSION_VALUE, DFR_ONES,
  ESR_ILLEGAL_REGISTER, ESR_RECV_ILLEGAL_VECTOR, ESR_SEND_ILLEGAL_VECTOR, ESR_VALID, ICR_HI_VALID,
  ICR_LO_VALID, LVT_COUNT, LVT_ERROR, LVT_LEVEL, LVT_LINT0, LVT_LINT0_BSP_RESET, LVT_LINT1, LVT_MASKED,
  LVT_RESET, LVT_TIMER, MSR_IA32_APIC_BASE, MSR_IA32_TSC_DEADLINE, REG_APR, REG_DFR, REG_EOI, REG_ESR,
  REG_ICR_HI, REG_ICR_LO, REG_ID, REG_LDR, REG_PPR, REG_SVR, REG_TDCR, REG_TMCCT, REG_TMICT, REG_TPR,
  REG_VERSION, SVR_ENABLE, SVR_RESET, SVR_VALID, TDCR_VALID, isApicRegister, lvtWriteValue,
} from '../../src/hw/lapic.ts';
import {
  clearVector, computeApr, computePpr, highestVector, isDeliverable, setVector, testVector,
} from '../../src/hw/lapic-math.ts';
import { matchDestination } from '../../src/hw/lapic-math.ts';
import {
  STALE_EXPIRY_NS, TIMER_PERIODIC, TIMER_TSC_DEADLINE, countShiftOf, currentCount, elapsedInCount,
  loadTimeFromExpiry, nextExpiry, rebasedLoadTime, timerModeOf, timerModeSwitchStops, tscDeadlineExpiry,
} from '../../src/hw/lapic-timer.ts';
import { LAPIC_BASE } from '../../src/hw/pc-layout.ts';

export interface ApicOptions {
  /** CPUID.1:ECX bit 24: LVT timer TSC-deadline mode and MSR 0x6E0 exist. */
  tscDeadline?: boolean;
}

export class Apic implements ApicEndpoint, InterruptSource, MsrHandler, MmioDevice, StateObject {
  readonly typeName = 'apic';
  readonly stateVersion = 3;
  readonly postLoadPriority = PRIORITY_LAPIC;
  readonly cpuIndex: number;
  /** Called after IA32_APIC_BASE changes the page or the global enable (the machine remaps). */
  onBaseChange: (mmioBase: number) => void = () => {};

  // QEMU's fields.
  apicbase = 0;
  id = 0;
  arbId = 0;
  tpr = 0;
  spuriousVec = SVR_RESET;
  logDest = 0;
  destMode = 0xf;
  readonly isr = new Uint32Array(8);
  readonly tmr = new Uint32Array(8);
  readonly irr = new Uint32Array(8);
  readonly lvt = new Uint32Array(LVT_COUNT);
  esr = 0;
  readonly icr = new Uint32Array(2);
  divideConf = 0;
  countShift = 1;
  initialCount = 0;
  /** Virtual ns of the last TMICT write (QEMU's initial_count_load_time). */
  initialCountLoadTime = 0;
  /** The last computed expiry (QEMU's next_time). */
  nextTime = 0;
  /** Virtual ns of the armed expiry, or -1 (QEMU's open-coded timer state). */
  timerExpiry = -1;
  sipiVector = 0;
  waitForSipi = 0;
  // godwit's additions.
  /** IA32_TSC_DEADLINE (0 when disarmed). */
  tscDeadline = 0n;
  /** Errors detected since the last ESR write; a write latches them into esr. */
  esrPending = 0;

  private readonly wiring: ApicWiring;
  private readonly clock: VirtualClock;
  private readonly timer: Timer;
  private readonly tscSupported: boolean;

  constructor(wiring: ApicWiring, clock: VirtualClock, options: ApicOptions = {}) {
    this.wiring = wiring;
    this.clock = clock;
    this.cpuIndex = wiring.cpuIndex;
    this.tscSupported = options.tscDeadline === true;
    this.timer = clock.createTimer(`apic[${wiring.cpuIndex}]`, () => this.onTimer());
    // Power-on values without signalling anything: an object built as a restore target must not
    // disturb the machine. reset() or postLoad() starts it.
    this.powerOnValues();
  }

  private get bsp(): boolean {
    return (this.apicbase & APIC_BASE_BSP) !== 0;
  }

  private powerOnValues(): void {
    this.apicbase = (LAPIC_BASE | APIC_BASE_ENABLE | (this.wiring.bsp ? APIC_BASE_BSP : 0)) >>> 0;
    this.id = this.wiring.apicId & 0xff;
    this.arbId = 0;
    this.tscDeadline = 0n;
    this.initValues();
    if (this.wiring.bsp) this.lvt[LVT_LINT0] = LVT_LINT0_BSP_RESET;
  }

  /** QEMU's apic_init_reset, with count_shift kept consistent with divide_conf (QEMU leaves it 0). */
  private initValues(): void {
    this.tpr = 0;
    this.spuriousVec = SVR_RESET;
    this.logDest = 0;
    this.destMode = 0xf;
    this.isr.fill(0);
    this.tmr.fill(0);
    this.irr.fill(0);
    this.lvt.fill(LVT_RESET);
    this.esr = 0;
    this.esrPending = 0;
    this.icr.fill(0);
    this.divideConf = 0;
    this.countShift = countShiftOf(0);
    this.initialCount = 0;
    this.initialCountLoadTime = 0;
    this.nextTime = 0;
    this.timerExpiry = -1;
    this.tscDeadline = 0n;
    this.waitForSipi = this.bsp ? 0 : 1;
    this.timer.cancel();
  }

  /** Power-on reset: base 0xFEE00000 enabled, ID = the CPU's, BSP LINT0 = ExtINT. */
  reset(): void {
    const oldBase = this.mmioBase();
    this.powerOnValues();
    if (this.mmioBase() !== oldBase) this.onBaseChange(this.mmioBase());
    this.updateIrq();
  }

  /** INIT: QEMU's apic_init_reset (ID, base and arbitration id survive); APs then wait for SIPI. */
  initReset(): void {
    this.initValues();
  }

  /** Stop the timer for good (an object replaced by a restore). */
  dispose(): void {
    this.timer.cancel();
  }

  // ---- queries for the machine ----

  /** Guest-physical address of the MMIO page, or -1 when the APIC is globally disabled. */
  mmioBase(): number {
    return this.apicbase & APIC_BASE_ENABLE ? (this.apicbase & APIC_BASE_ADDR) >>> 0 : -1;
  }

  isWaitingForSipi(): boolean {
    return this.waitForSipi !== 0;
  }

  // ---- ApicEndpoint ----

  isHardwareEnabled(): boolean {
    return (this.apicbase & APIC_BASE_ENABLE) !== 0;
  }

  private get softwareEnabled(): boolean {
    return (this.spuriousVec & SVR_ENABLE) !== 0;
  }

  matchesDestination(dest: number, destMode: number): boolean {
    return matchDestination(dest, destMode, this.id, this.logDest, this.destMode);
  }

  arbitrationPriority(): number {
    return computeApr(this.tpr, highestVector(this.isr, 0, 1), highestVector(this.irr, 0, 1));
  }

  accept(deliveryMode: number, vector: number, trigger: number): void {
    switch (deliveryMode) {
      case DM_FIXED:
      case DM_LOWPRI:
        if (!this.softwareEnabled) return; // a software-disabled APIC drops fixed interrupts (KVM)
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
        if (this.waitForSipi === 0) return;
        this.sipiVector = vector & 0xff;
        this.waitForSipi = 0;
        this.wiring.signals.sipi(this.sipiVector);
        return;
      default: // SMI is not modelled; ExtINT reaches the CPU through LINT0
        return;
    }
  }

  // ---- interrupts ----

  private setIrq(vector: number, trigger: number): void {
    if (vector < 16) {
      this.recordError(ESR_RECV_ILLEGAL_VECTOR);
      return;
    }
    setVector(this.irr, 0, 1, vector);
    if (trigger) setVector(this.tmr, 0, 1, vector);
    else clearVector(this.tmr, 0, 1, vector);
    this.updateIrq();
  }

  private ppr(): number {
    return computePpr(this.tpr, highestVector(this.isr, 0, 1));
  }

  /** The 8259's INTR reaches the CPU: APIC globally disabled, or LINT0 unmasked ExtINT. */
  private extIntPending(): boolean {
    if (this.isHardwareEnabled()) {
      const lvt0 = this.lvt[LVT_LINT0]!;
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
    return isDeliverable(highestVector(this.irr, 0, 1), this.ppr());
  }

  /** INTA: ExtINT first (as QEMU), else the highest IRR vector goes in service; spurious if none. */
  acknowledge(): number {
    if (this.extIntPending()) return this.wiring.pic.acknowledge() & 0xff;
    const spurious = this.spuriousVec & 0xff;
    if (!this.softwareEnabled) return spurious;
    const irrv = highestVector(this.irr, 0, 1);
    if (!isDeliverable(irrv, this.ppr())) return spurious;
    clearVector(this.irr, 0, 1, irrv);
    setVector(this.isr, 0, 1, irrv);
    return irrv;
  }

  private eoi(): void {
    const isrv = highestVector(this.isr, 0, 1);
    if (isrv < 0) return;
    clearVector(this.isr, 0, 1, isrv);
    if (testVector(this.tmr, 0, 1, isrv)) this.wiring.eoiBroadcast(isrv);
    this.updateIrq();
  }

  /** Raise LVT entry `index` (QEMU's apic_local_deliver). */
  private localDeliver(index: number): void {
    const lvt = this.lvt[index]!;
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

  /** The 8259's INTR output changed (QEMU's pic_irq_request -> apic_deliver_pic_intr). */
  picChanged(level: number): void {
    if (!this.isHardwareEnabled()) {
      if (level) this.wiring.signals.kick();
      return;
    }
    const lvt0 = this.lvt[LVT_LINT0]!;
    if (level) {
      this.localDeliver(LVT_LINT0);
    } else if ((lvt0 & LVT_MASKED) === 0 && ((lvt0 >>> 8) & 7) === DM_FIXED && lvt0 & LVT_LEVEL) {
      clearVector(this.irr, 0, 1, lvt0 & 0xff);
    }
  }

  /** NMI on the LINT1 pin (QEMU's apic_deliver_nmi). */
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
    const lo = this.icr[0]!;
    const mode = (lo >>> 8) & 7;
    const vector = lo & 0xff;
    const level = (lo >>> 14) & 1;
    const trigger = (lo >>> 15) & 1;
    if (mode === DM_INIT && level === 0 && trigger === 1) return; // INIT level de-assert
    if (mode === 3 || mode === DM_EXTINT) return; // reserved in the ICR
    if ((mode === DM_FIXED || mode === DM_LOWPRI) && vector < 16) {
      this.recordError(ESR_SEND_ILLEGAL_VECTOR);
      return;
    }
    this.wiring.sendMessage({
      dest: this.icr[1]! >>> 24,
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
    return timerModeOf(this.lvt[LVT_TIMER]!);
  }

  /** Arm for the next expiry after `now` (QEMU's apic_timer_update), or disarm. */
  private timerUpdate(now: number): void {
    const periodic = this.timerMode() === TIMER_PERIODIC;
    this.armAt(nextExpiry(periodic, this.initialCount, this.countShift, this.initialCountLoadTime, now));
  }

  private armAt(expiry: number): void {
    this.timerExpiry = expiry;
    if (expiry < 0) {
      this.timer.cancel();
    } else {
      this.nextTime = expiry;
      this.timer.arm(expiry);
    }
  }

  private onTimer(): void {
    const fired = this.timerExpiry;
    if (fired < 0) return;
    if (this.timerMode() === TIMER_TSC_DEADLINE) {
      this.tscDeadline = 0n;
      this.timerExpiry = -1;
      this.localDeliver(LVT_TIMER);
      return;
    }
    this.localDeliver(LVT_TIMER);
    this.timerUpdate(fired);
  }

  private currentCount(): number {
    // Not running: a one-shot count that reached 0, and (after a mode switch) a periodic one too.
    if (this.timerMode() === TIMER_TSC_DEADLINE || this.timerExpiry < 0) return 0;
    const periodic = this.timerMode() === TIMER_PERIODIC;
    return currentCount(periodic, this.initialCount, this.countShift, this.initialCountLoadTime, this.clock.now());
  }

  private writeLvt(index: number, value: number): void {
    let v = lvtWriteValue(index, value, this.tscSupported);
    if (!this.softwareEnabled) v = (v | LVT_MASKED) >>> 0;
    const old = this.lvt[index]!;
    this.lvt[index] = v;
    if (index === LVT_TIMER && timerModeSwitchStops(old, v)) {
      this.initialCount = 0;
      this.tscDeadline = 0n;
      this.armAt(-1);
    } else if (index === LVT_TIMER && this.timerExpiry >= 0 && timerModeOf(old) !== timerModeOf(v)) {
      // One-shot <-> periodic: the running count goes on to its expiry; QEMU's load time becomes
      // the start of that count (a periodic count's current period), which both modes agree on.
      this.initialCountLoadTime = loadTimeFromExpiry(this.timerExpiry, this.initialCount, this.countShift);
    } else if (index === LVT_LINT0 && this.wiring.pic.hasInterrupt()) {
      this.localDeliver(LVT_LINT0); // QEMU's apic_check_pic
    }
  }

  /** TDCR: the running count keeps its value and continues at the new rate. */
  private writeTdcr(value: number): void {
    const conf = value & TDCR_VALID;
    const shift = countShiftOf(conf);
    const oldShift = this.countShift;
    this.divideConf = conf;
    this.countShift = shift;
    if (this.timerExpiry < 0 || this.timerMode() === TIMER_TSC_DEADLINE || shift === oldShift) return;
    const now = this.clock.now();
    const periodic = this.timerMode() === TIMER_PERIODIC;
    const e = elapsedInCount(periodic, this.initialCount, oldShift, this.initialCountLoadTime, now);
    this.initialCountLoadTime = rebasedLoadTime(now, e, shift);
    this.timerUpdate(now);
  }

  private writeTscDeadline(value: bigint): void {
    if (!this.isHardwareEnabled() || this.timerMode() !== TIMER_TSC_DEADLINE) return;
    this.tscDeadline = value;
    this.armAt(value === 0n ? -1 : tscDeadlineExpiry(value, this.wiring.readTsc(), this.clock.now()));
  }

  // ---- MSRs ----

  readMsr(index: number): bigint | null {
    if (index === MSR_IA32_APIC_BASE) return BigInt(this.apicbase);
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
    if (v & ~(APIC_BASE_ADDR | APIC_BASE_ENABLE | APIC_BASE_BSP)) return false; // x2APIC and reserved: #GP
    const oldBase = this.mmioBase();
    const wasEnabled = this.isHardwareEnabled();
    this.apicbase = ((v & (APIC_BASE_ADDR | APIC_BASE_ENABLE)) | (this.apicbase & APIC_BASE_BSP)) >>> 0;
    if ((v & APIC_BASE_ENABLE) === 0) this.spuriousVec &= ~SVR_ENABLE;
    // Enabled again: the xAPIC ID is the initial one (SDM 10.4.3: the APIC may return to its
    // power-up state; KVM's kvm_lapic_set_base resets the ID; QEMU cannot re-enable at all).
    else if (!wasEnabled) this.id = this.wiring.apicId & 0xff;
    if (this.mmioBase() !== oldBase) this.onBaseChange(this.mmioBase());
    this.updateIrq();
    return true;
  }

  // ---- MMIO ----

  mmioRead(offset: number, size: number): number {
    if (size !== 4 || (offset & 0xf) !== 0 || offset < 0 || offset > 0xff0) return 0;
    if (offset >= 0x100 && offset < 0x280) {
      const words = offset < 0x180 ? this.isr : offset < 0x200 ? this.tmr : this.irr;
      return words[(offset >>> 4) & 7]!;
    }
    if (offset >= 0x320 && offset <= 0x370) return this.lvt[(offset - 0x320) >>> 4]!;
    switch (offset) {
      case REG_ID:
        return (this.id << 24) >>> 0;
      case REG_VERSION:
        return APIC_VERSION_VALUE;
      case REG_TPR:
        return this.tpr;
      case REG_APR:
        return this.arbId;
      case REG_PPR:
        return this.ppr();
      case REG_EOI:
        return 0;
      case REG_LDR:
        return (this.logDest << 24) >>> 0;
      case REG_DFR:
        return ((this.destMode << 28) | DFR_ONES) >>> 0;
      case REG_SVR:
        return this.spuriousVec;
      case REG_ESR:
        return this.esr;
      case REG_ICR_LO:
        return this.icr[0]!;
      case REG_ICR_HI:
        return this.icr[1]!;
      case REG_TMICT:
        return this.initialCount;
      case REG_TMCCT:
        return this.currentCount();
      case REG_TDCR:
        return this.divideConf;
      default:
        this.recordError(ESR_ILLEGAL_REGISTER);
        return 0;
    }
  }

  mmioWrite(offset: number, size: number, value: number): void {
    if (size !== 4 || (offset & 0xf) !== 0 || offset < 0 || offset > 0xff0) return;
    value >>>= 0;
    if (offset >= 0x320 && offset <= 0x370) {
      this.writeLvt((offset - 0x320) >>> 4, value);
      return;
    }
    if (!isApicRegister(offset)) {
      this.recordError(ESR_ILLEGAL_REGISTER);
      return;
    }
    switch (offset) {
      case REG_ID:
        this.id = value >>> 24;
        return;
      case REG_TPR:
        this.tpr = value & 0xff;
        this.updateIrq();
        return;
      case REG_EOI:
        this.eoi();
        return;
      case REG_LDR:
        this.logDest = value >>> 24;
        return;
      case REG_DFR:
        this.destMode = value >>> 28;
        return;
      case REG_SVR:
        this.spuriousVec = value & SVR_VALID;
        if (!this.softwareEnabled) for (let i = 0; i < LVT_COUNT; i++) this.lvt[i] = (this.lvt[i]! | LVT_MASKED) >>> 0;
        this.updateIrq();
        return;
      case REG_ESR:
        this.esr = this.esrPending & ESR_VALID;
        this.esrPending = 0;
        return;
      case REG_ICR_LO:
        this.icr[0] = value & ICR_LO_VALID;
        this.sendIpi();
        return;
      case REG_ICR_HI:
        this.icr[1] = value & ICR_HI_VALID;
        return;
      case REG_TMICT:
        if (this.timerMode() === TIMER_TSC_DEADLINE) return;
        this.initialCount = value;
        this.initialCountLoadTime = this.clock.now();
        this.timerUpdate(this.initialCountLoadTime);
        return;
      case REG_TDCR:
        this.writeTdcr(value);
        return;
      default: // read-only registers: Version, APR, PPR, ISR, TMR, IRR, TMCCT
        return;
    }
  }

  // ---- state ----

  visit(v: Visitor): void {
    this.apicbase = v.u32('apicbase', this.apicbase);
    this.id = v.u8('id', this.id);
    this.arbId = v.u8('arb_id', this.arbId);
    this.tpr = v.u8('tpr', this.tpr);
    this.spuriousVec = v.u32('spurious_vec', this.spuriousVec);
    this.logDest = v.u8('log_dest', this.logDest);
    this.destMode = v.u8('dest_mode', this.destMode);
    v.u32Array('isr', this.isr);
    v.u32Array('tmr', this.tmr);
    v.u32Array('irr', this.irr);
    v.u32Array('lvt', this.lvt);
    this.esr = v.u32('esr', this.esr);
    v.u32Array('icr', this.icr);
    this.divideConf = v.u32('divide_conf', this.divideConf);
    this.countShift = v.i32('count_shift', this.countShift);
    this.initialCount = v.u32('initial_count', this.initialCount);
    this.initialCountLoadTime = Number(v.i64('initial_count_load_time', BigInt(this.initialCountLoadTime)));
    this.nextTime = Number(v.i64('next_time', BigInt(this.nextTime)));
    this.timerExpiry = Number(v.i64('timer_expiry', BigInt(this.timerExpiry)));
    const hasSipi = v.optional('apic_sipi', this.waitForSipi !== 0, () => {
      this.sipiVector = v.i32('sipi_vector', this.sipiVector);
      this.waitForSipi = v.i32('wait_for_sipi', this.waitForSipi);
    });
    const hasTsc = v.optional('tsc_deadline', this.tscDeadline !== 0n, () => {
      this.tscDeadline = v.u64('value', this.tscDeadline);
    });
    const hasEsr = v.optional('esr_pending', this.esrPending !== 0, () => {
      this.esrPending = v.u32('value', this.esrPending);
    });
    if (v.mode === 'load') {
      if (!hasSipi) {
        this.sipiVector = 0;
        this.waitForSipi = 0;
      }
      if (!hasTsc) this.tscDeadline = 0n;
      if (!hasEsr) this.esrPending = 0;
      this.sanitize();
    }
  }

  /** Loaded state is untrusted: keep every field in the range the code relies on. */
  private sanitize(): void {
    this.apicbase = (this.apicbase & (APIC_BASE_ADDR | APIC_BASE_ENABLE | APIC_BASE_BSP)) >>> 0;
    this.spuriousVec &= SVR_VALID;
    this.destMode &= 0xf;
    for (let i = 0; i < LVT_COUNT; i++) this.lvt[i] = lvtWriteValue(i, this.lvt[i]!, this.tscSupported);
    this.esr &= ESR_VALID;
    this.esrPending &= ESR_VALID;
    this.icr[0] = this.icr[0]! & ICR_LO_VALID;
    this.icr[1] = (this.icr[1]! & ICR_HI_VALID) >>> 0;
    this.divideConf &= TDCR_VALID;
    this.countShift = countShiftOf(this.divideConf);
    if (!Number.isSafeInteger(this.initialCountLoadTime)) this.initialCountLoadTime = 0;
    if (!Number.isSafeInteger(this.nextTime)) this.nextTime = 0;
    if (!Number.isSafeInteger(this.timerExpiry) || this.timerExpiry < -1) this.timerExpiry = -1;
    this.sipiVector &= 0xff;
    this.waitForSipi = this.waitForSipi ? 1 : 0;
    if (this.timerMode() === TIMER_TSC_DEADLINE) this.initialCount = 0;
    else this.tscDeadline = 0n;
  }

  /**
   * Re-arm the timer from the loaded expiry (the virtual clock and the CPU's TSC must already hold
   * their restored values) and tell the CPU about pending interrupts. A periodic expiry more than
   * 1 s behind the clock is recomputed from now; a one-shot one fires now. No expiry means no
   * running count, in every mode (a TSC deadline without its expiry is recomputed from the TSC).
   */
  postLoad(): void {
    const now = this.clock.now();
    const stale = now - STALE_EXPIRY_NS;
    if (this.timerMode() === TIMER_TSC_DEADLINE) {
      if (this.tscDeadline === 0n) this.armAt(-1);
      else if (this.timerExpiry >= 0) this.armAt(Math.max(this.timerExpiry, stale));
      else this.armAt(tscDeadlineExpiry(this.tscDeadline, this.wiring.readTsc(), now));
    } else if (this.timerMode() === TIMER_PERIODIC && this.timerExpiry >= 0) {
      if (this.timerExpiry >= stale) this.armAt(this.timerExpiry);
      else this.timerUpdate(now);
    } else if (this.timerExpiry >= 0) {
      this.armAt(Math.max(this.timerExpiry, stale));
    } else {
      this.armAt(-1);
    }
    this.updateIrq();
  }
}
