/**
 * MC146818 real-time clock and 128 bytes of CMOS RAM at 0x70 (index; bit 7 masks NMI) and 0x71
 * (data). The time starts at a configured epoch second and advances with virtual time only.
 *
 * Time keeping: while the divider runs (register A bits 6:4 = 010) and SET is clear, the time is
 * base_rtc + whole seconds since last_update, and the time registers are computed on read. With SET
 * or a stopped divider, the time stands still in the CMOS time registers, which the guest may edit;
 * it restarts from them (the divider's first update comes 500 ms after it leaves reset).
 *
 * Events (periodic, update-ended, alarm) happen at exact times on the grid anchored at last_update;
 * every register access first processes the events due, and a Timer wakes the device for the
 * interrupt-enabled ones. Once a flag is set, further events of that kind change nothing until
 * register C is read, so they are not scheduled.
 */
import type { PortDevice } from '../../src/bus/io-bus.ts';
import type { Timer, VirtualClock } from '../../src/clock/clock.ts';
import type { IrqLine } from '../../src/irq.ts';
import type { StateObject } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';
import {
  alarmMatches,
  loadTime,
  MAX_RTC_SECONDS,
  nsFor32,
  periodTicks,
  RTC_CENTURY,
  RTC_DAY_OF_MONTH,
  RTC_DAY_OF_WEEK,
  RTC_HOURS,
  RTC_MINUTES,
  RTC_MONTH,
  RTC_SECONDS,
  RTC_YEAR,
  storeTime,
  ticks32,
} from './rtc-time.ts';

export const RTC_REG_A = 0x0a;
export const RTC_REG_B = 0x0b;
export const RTC_REG_C = 0x0c;
export const RTC_REG_D = 0x0d;

/** A: update in progress (read only). */
export const REG_A_UIP = 0x80;
/** A: divider select bits. */
export const REG_A_DV_MASK = 0x70;
/** A: divider running with a 32.768 kHz crystal. */
export const REG_A_DV_32K = 0x20;
/** A: periodic rate select bits. */
export const REG_A_RATE_MASK = 0x0f;
/** B: SET, updates inhibited. */
export const REG_B_SET = 0x80;
/** B: periodic interrupt enable. */
export const REG_B_PIE = 0x40;
/** B: alarm interrupt enable. */
export const REG_B_AIE = 0x20;
/** B: update-ended interrupt enable. */
export const REG_B_UIE = 0x10;
/** B: square wave enable (no output pin is modelled). */
export const REG_B_SQWE = 0x08;
/** C: interrupt request flag. */
export const REG_C_IRQF = 0x80;
/** C: periodic flag. */
export const REG_C_PF = 0x40;
/** C: alarm flag. */
export const REG_C_AF = 0x20;
/** C: update-ended flag. */
export const REG_C_UF = 0x10;
/** D: valid RAM and time (battery good). */
export const REG_D_VRT = 0x80;

/** UIP is set this long before each update. */
export const UIP_WINDOW_NS = 244_000;
const NS_PER_S = 1e9;
const MIB = 1024 * 1024;

/** Registers that hold the time and are computed while the clock runs. */
const TIME_REGS = new Set([
  RTC_SECONDS,
  RTC_MINUTES,
  RTC_HOURS,
  RTC_DAY_OF_WEEK,
  RTC_DAY_OF_MONTH,
  RTC_MONTH,
  RTC_YEAR,
  RTC_CENTURY,
]);

export interface RtcConfig {
  /** The RTC's time when the device is built: seconds since the Unix epoch, UTC. */
  baseTime: number;
  /** Guest RAM in bytes, for the CMOS memory-size bytes. */
  ramSize: number;
}

export class Mc146818 implements PortDevice, StateObject {
  readonly typeName = 'mc146818rtc';
  readonly stateVersion = 1;
  private readonly clock: VirtualClock;
  private readonly irq: IrqLine;
  private readonly timer: Timer;
  private readonly scratch = new Uint8Array(128);

  readonly cmos = new Uint8Array(128);
  cmosIndex = 0;
  nmiMasked = 0;
  /** RTC time (s since the epoch) at virtual time lastUpdate. */
  baseRtc = 0;
  lastUpdate = 0;
  nextPeriodicTime = -1;
  nextSecondTime = -1;

  constructor(clock: VirtualClock, irq: IrqLine, config: RtcConfig) {
    this.clock = clock;
    this.irq = irq;
    this.timer = clock.createTimer('rtc', () => this.onTimer());
    this.cmos[RTC_REG_A] = REG_A_DV_32K | 0x06;
    this.cmos[RTC_REG_B] = 0x02;
    this.cmos[RTC_REG_D] = REG_D_VRT;
    this.baseRtc = Math.min(Math.max(Math.floor(config.baseTime), 0), MAX_RTC_SECONDS);
    this.lastUpdate = clock.now();
    this.fillMemorySize(config.ramSize);
    storeTime(this.cmos, this.baseRtc, this.cmos[RTC_REG_B]!);
    // No timer is armed and IRQ8 is not touched until reset(), postLoad() or a guest access: a
    // device built as the target of a restore must not disturb the running machine.
  }

  /** Stop the timer for good (a device replaced by a restore). */
  dispose(): void {
    this.timer.cancel();
  }

  private fillMemorySize(ramSize: number): void {
    const cmos = this.cmos;
    cmos[0x15] = 640 & 0xff;
    cmos[0x16] = 640 >> 8;
    const ext = Math.min(Math.max(Math.floor(ramSize / 1024) - 1024, 0), 0xffff);
    cmos[0x17] = cmos[0x30] = ext & 0xff;
    cmos[0x18] = cmos[0x31] = ext >> 8;
    const above16 = ramSize > 16 * MIB ? Math.min(Math.floor((ramSize - 16 * MIB) / 65536), 0xffff) : 0;
    cmos[0x34] = above16 & 0xff;
    cmos[0x35] = above16 >> 8;
  }

  /** Reset pin: interrupt enables and flags clear; time and CMOS RAM survive. */
  reset(): void {
    this.catchUp(this.clock.now());
    this.cmos[RTC_REG_B]! &= ~(REG_B_PIE | REG_B_AIE | REG_B_UIE | REG_B_SQWE);
    this.cmos[RTC_REG_C] = 0;
    this.cmosIndex = 0;
    this.nmiMasked = 0;
    this.updateIrq();
    this.rearm();
  }

  /** NMI masked through bit 7 of the index port (the machine may consult it). */
  get nmiMask(): boolean {
    return this.nmiMasked !== 0;
  }

  private dividerRunning(): boolean {
    return (this.cmos[RTC_REG_A]! & REG_A_DV_MASK) === REG_A_DV_32K;
  }

  /** Time advances (divider running and SET clear). */
  private counting(): boolean {
    return this.dividerRunning() && (this.cmos[RTC_REG_B]! & REG_B_SET) === 0;
  }

  private secondsAt(t: number): number {
    const d = t - this.lastUpdate;
    const s = this.baseRtc + (d > 0 ? Math.floor(d / NS_PER_S) : 0);
    return Math.min(s, MAX_RTC_SECONDS);
  }

  private nextPeriodicAfter(t: number): number {
    const period = periodTicks(this.cmos[RTC_REG_A]!);
    const n = ticks32(t - this.lastUpdate);
    return this.lastUpdate + nsFor32((Math.floor(n / period) + 1) * period);
  }

  private nextSecondAfter(t: number): number {
    const d = t - this.lastUpdate;
    const k = d >= 0 ? Math.floor(d / NS_PER_S) + 1 : 0;
    return this.lastUpdate + k * NS_PER_S;
  }

  /** Process every event due at or before `now`, in time order. */
  private catchUp(now: number): void {
    for (;;) {
      const p = this.nextPeriodicTime;
      const s = this.nextSecondTime;
      const pDue = p !== -1 && p <= now;
      const sDue = s !== -1 && s <= now;
      if (!pDue && !sDue) break;
      if (pDue && (!sDue || p <= s)) {
        this.cmos[RTC_REG_C]! |= REG_C_PF;
        // Further periodic events change nothing until C is read: skip to the grid after now.
        this.nextPeriodicTime = -1;
      } else {
        this.secondEvent(s, now);
      }
      this.updateIrq();
    }
    this.rearm();
  }

  /** The update cycle ending at time t: UF, and AF if the alarm matches (each skipped second too). */
  private secondEvent(t: number, now: number): void {
    const c = this.cmos[RTC_REG_C]!;
    const regB = this.cmos[RTC_REG_B]!;
    if (!(c & REG_C_AF)) {
      // Check each second from t up to now (at most a day's worth: alarms repeat daily).
      const last = this.secondsAt(now);
      let secs = this.secondsAt(t);
      if (last - secs > 86400) secs = last - 86400;
      for (; secs <= last; secs++) {
        storeTime(this.scratch, secs, regB);
        if (alarmMatches(this.cmos, this.scratch)) {
          this.cmos[RTC_REG_C]! |= REG_C_AF;
          break;
        }
      }
    }
    this.cmos[RTC_REG_C]! |= REG_C_UF;
    this.nextSecondTime = -1;
  }

  /** Schedule the events that can still change something, and arm the timer for the earliest. */
  private rearm(): void {
    const now = this.clock.now();
    const c = this.cmos[RTC_REG_C]!;
    const needPeriodic = this.dividerRunning() && periodTicks(this.cmos[RTC_REG_A]!) !== 0 && !(c & REG_C_PF);
    if (!needPeriodic) this.nextPeriodicTime = -1;
    else if (this.nextPeriodicTime === -1) this.nextPeriodicTime = this.nextPeriodicAfter(now);
    const needSecond = this.counting() && (c & (REG_C_UF | REG_C_AF)) !== (REG_C_UF | REG_C_AF);
    if (!needSecond) this.nextSecondTime = -1;
    else if (this.nextSecondTime === -1) this.nextSecondTime = this.nextSecondAfter(now);
    this.armTimer();
  }

  private armTimer(): void {
    // Wake up only for events that raise the interrupt; the others are processed on access.
    const b = this.cmos[RTC_REG_B]!;
    let deadline = Infinity;
    if (this.nextPeriodicTime !== -1 && b & REG_B_PIE) deadline = this.nextPeriodicTime;
    if (this.nextSecondTime !== -1 && b & (REG_B_UIE | REG_B_AIE)) deadline = Math.min(deadline, this.nextSecondTime);
    if (deadline === Infinity) this.timer.cancel();
    else this.timer.arm(deadline);
  }

  private onTimer(): void {
    this.catchUp(this.clock.now());
  }

  private updateIrq(): void {
    const c = this.cmos[RTC_REG_C]!;
    const irqf = (c & this.cmos[RTC_REG_B]! & (REG_C_PF | REG_C_AF | REG_C_UF)) !== 0;
    this.cmos[RTC_REG_C] = irqf ? c | REG_C_IRQF : c & ~REG_C_IRQF;
    const level = irqf ? 1 : 0;
    if (level !== this.irq.level) this.irq.set(level);
  }

  /** Stop the time: write it into the time registers. */
  private freeze(now: number): void {
    storeTime(this.cmos, this.secondsAt(now), this.cmos[RTC_REG_B]!);
  }

  /** Start the time again from the time registers; the first update comes `firstUpdateNs` later. */
  private thaw(now: number, firstUpdateNs: number): void {
    this.baseRtc = loadTime(this.cmos, this.cmos[RTC_REG_B]!);
    this.lastUpdate = now - (NS_PER_S - firstUpdateNs);
    this.nextPeriodicTime = -1;
    this.nextSecondTime = -1;
  }

  ioWrite(offset: number, _size: number, value: number): void {
    const val = value & 0xff;
    if ((offset & 1) === 0) {
      this.cmosIndex = val & 0x7f;
      this.nmiMasked = val >> 7;
      return;
    }
    const now = this.clock.now();
    this.catchUp(now);
    const index = this.cmosIndex;
    switch (index) {
      case RTC_REG_A: {
        const was = this.counting();
        const oldRate = this.cmos[RTC_REG_A]! & REG_A_RATE_MASK;
        const oldDivider = this.cmos[RTC_REG_A]! & REG_A_DV_MASK;
        this.cmos[RTC_REG_A] = val & 0x7f;
        if (was && !this.counting()) this.freeze(now);
        // Leaving divider reset: the first update comes half a second later.
        if (!was && this.counting()) this.thaw(now, NS_PER_S / 2);
        if ((val & REG_A_RATE_MASK) !== oldRate || (val & REG_A_DV_MASK) !== oldDivider) {
          this.nextPeriodicTime = -1;
        }
        break;
      }
      case RTC_REG_B: {
        const was = this.counting();
        let data = val;
        if (data & REG_B_SET) data &= ~REG_B_UIE;
        if (was && data & REG_B_SET) this.freeze(now);
        this.cmos[RTC_REG_B] = data;
        if (!was && this.counting()) this.thaw(now, NS_PER_S);
        this.updateIrq();
        break;
      }
      case RTC_REG_C:
      case RTC_REG_D:
        return; // read only
      default:
        if (TIME_REGS.has(index) && this.counting()) {
          this.freeze(now);
          this.cmos[index] = val;
          this.thaw(now, NS_PER_S);
        } else {
          this.cmos[index] = val;
        }
        break;
    }
    this.rearm();
  }

  ioRead(offset: number, _size: number): number {
    if ((offset & 1) === 0) return 0xff;
    const now = this.clock.now();
    this.catchUp(now);
    const index = this.cmosIndex;
    switch (index) {
      case RTC_REG_A: {
        let uip = 0;
        if (this.counting()) {
          const d = now - this.lastUpdate;
          if (d >= 0 && d % NS_PER_S >= NS_PER_S - UIP_WINDOW_NS) uip = REG_A_UIP;
        }
        return (this.cmos[RTC_REG_A]! & 0x7f) | uip;
      }
      case RTC_REG_C: {
        const ret = this.cmos[RTC_REG_C]!;
        this.cmos[RTC_REG_C] = 0;
        this.updateIrq();
        this.rearm();
        return ret;
      }
      case RTC_REG_D:
        return REG_D_VRT;
      default:
        if (TIME_REGS.has(index) && this.counting()) {
          storeTime(this.scratch, this.secondsAt(now), this.cmos[RTC_REG_B]!);
          return this.scratch[index]!;
        }
        return this.cmos[index]!;
    }
  }

  visit(v: Visitor): void {
    if (v.mode === 'save' && this.counting()) {
      // Keep the saved time registers current for readers of the snapshot; the clock uses base_rtc.
      storeTime(this.cmos, this.secondsAt(this.clock.now()), this.cmos[RTC_REG_B]!);
    }
    v.u8Array('cmos_data', this.cmos);
    this.cmosIndex = v.u8('cmos_index', this.cmosIndex) & 0x7f;
    this.nmiMasked = v.u8('nmi_masked', this.nmiMasked) ? 1 : 0;
    this.baseRtc = Number(v.u64('base_rtc', BigInt(this.baseRtc)));
    this.lastUpdate = Number(v.i64('last_update', BigInt(this.lastUpdate)));
    this.nextPeriodicTime = Number(v.i64('next_periodic_time', BigInt(this.nextPeriodicTime)));
    this.nextSecondTime = Number(v.i64('next_second_time', BigInt(this.nextSecondTime)));
    if (v.mode === 'load') {
      if (this.baseRtc > MAX_RTC_SECONDS) this.baseRtc = MAX_RTC_SECONDS;
      if (!Number.isSafeInteger(this.lastUpdate)) this.lastUpdate = 0;
      if (!Number.isSafeInteger(this.nextPeriodicTime) || this.nextPeriodicTime < -1) this.nextPeriodicTime = -1;
      if (!Number.isSafeInteger(this.nextSecondTime) || this.nextSecondTime < -1) this.nextSecondTime = -1;
      this.cmos[RTC_REG_A]! &= 0x7f;
      this.cmos[RTC_REG_D] = REG_D_VRT;
    }
  }

  /** Re-drive IRQ8 from register C and re-arm the timer at the saved event times. */
  postLoad(): void {
    const irqf = (this.cmos[RTC_REG_C]! & this.cmos[RTC_REG_B]! & (REG_C_PF | REG_C_AF | REG_C_UF)) !== 0;
    this.cmos[RTC_REG_C] = irqf ? this.cmos[RTC_REG_C]! | REG_C_IRQF : this.cmos[RTC_REG_C]! & ~REG_C_IRQF;
    this.irq.restore(irqf ? 1 : 0);
    this.rearm();
  }
}
