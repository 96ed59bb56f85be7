/**
 * Intel 8254 programmable interval timer: three channels on a 1.193182 MHz clock derived from
 * virtual time. Offsets 0-2 are the channel data ports, 3 the control word (write only).
 * Channel 0's output drives IRQ0 through an IrqLine; a Timer fires exactly at its output
 * transitions, computed from count_load_time (src/arith/pit-math.ts). Channel 2's gate and output
 * are reached through port 0x61 (port61.ts).
 *
 * State follows QEMU's `i8254` v3 field list. count_load_time and next_transition_time are virtual ns.
 */
import type { PortDevice } from '../../src/bus/io-bus.ts';
import type { Timer, VirtualClock } from '../../src/clock/clock.ts';
import type { IrqLine } from '../../src/irq.ts';
import type { StateObject } from '../../src/qom/object.ts';
import { PRIORITY_PIT } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';
import {
  counterAt,
  effectiveMode,
  fromBcd16,
  gateStopsCounting,
  nextTransitionNs,
  outputAt,
  ticksForNs,
  toBcd16,
} from '../../src/hw/pit-math.ts';
import { RB_NO_COUNT, RB_NO_STATUS, RW_STATE_LSB, RW_STATE_MSB, RW_STATE_WORD0, RW_STATE_WORD1 } from '../../src/hw/i8254.ts';

/** One counter; field names follow QEMU's PITChannelState. */
export class PitChannel {
  count = 0x10000;
  latchedCount = 0;
  countLatched = 0;
  statusLatched = 0;
  status = 0;
  readState = 0;
  writeState = 0;
  writeLatch = 0;
  rwMode = 0;
  mode = 3;
  bcd = 0;
  gate = 1;
  countLoadTime = 0;
  nextTransitionTime = -1;
}

/** A saved next_transition_time further than this behind the clock is recomputed on load. */
export const STALE_TRANSITION_NS = 1_000_000_000;

export class I8254 implements PortDevice, StateObject {
  readonly typeName = 'i8254';
  readonly stateVersion = 3;
  readonly postLoadPriority = PRIORITY_PIT;
  readonly channels: readonly [PitChannel, PitChannel, PitChannel] = [
    new PitChannel(),
    new PitChannel(),
    new PitChannel(),
  ];
  /** Channel 0's IRQ is suppressed (HPET legacy mode), as QEMU's irq_disabled. */
  irqDisabled = 0;
  private readonly clock: VirtualClock;
  private readonly irq: IrqLine;
  private readonly timer: Timer;

  constructor(clock: VirtualClock, irq: IrqLine) {
    this.clock = clock;
    this.irq = irq;
    this.timer = clock.createTimer('pit', () => this.onTimer());
    // Power-on register values, without touching IRQ0 or the timer: a device built as the target of
    // a restore must not disturb the running machine. reset() or postLoad() starts it.
    this.initChannels(clock.now());
  }

  private initChannels(now: number): void {
    for (let i = 0; i < 3; i++) {
      const s = this.channels[i]!;
      Object.assign(s, new PitChannel());
      s.gate = i === 2 ? 0 : 1;
      s.countLoadTime = now;
    }
  }

  /** Power-on state: every channel in mode 3 with count 0x10000; channel 0 starts driving IRQ0. */
  reset(): void {
    const now = this.clock.now();
    this.initChannels(now);
    this.updateIrq(now);
  }

  /** Stop the timer for good (a device replaced by a restore). */
  dispose(): void {
    this.timer.cancel();
  }

  /** Ticks counted by channel s at virtual time t (a stopped channel has counted none since its load). */
  private elapsed(s: PitChannel, t: number): number {
    if (s.gate === 0 && gateStopsCounting(s.mode)) return 0;
    return ticksForNs(t - s.countLoadTime);
  }

  /** OUT of channel `ch` (0..2) now. */
  getOut(ch: number, t = this.clock.now()): number {
    const s = this.channels[ch]!;
    const m = effectiveMode(s.mode);
    if (s.gate === 0 && (m === 2 || m === 3)) return 1;
    return outputAt(s.mode, s.count, this.elapsed(s, t));
  }

  getGate(ch: number): number {
    return this.channels[ch]!.gate;
  }

  /** Gate input of channel `ch` (port 0x61 bit 0 drives channel 2; 0 and 1 are tied high). */
  setGate(ch: number, level: number): void {
    const s = this.channels[ch]!;
    const val = level ? 1 : 0;
    if (val === s.gate) return;
    const now = this.clock.now();
    const m = effectiveMode(s.mode);
    if (m === 0 || m === 4) {
      if (val === 0) {
        // Freeze: keep the remaining count (shifted so that OUT and the counter carry on unchanged).
        const d = ticksForNs(now - s.countLoadTime);
        let rest = s.count - d;
        if (rest < -0x10000) rest = (((rest % 0x10000) + 0x10000) % 0x10000) - 0x10000;
        s.count = rest;
      }
      s.countLoadTime = now;
    } else if (val > s.gate) {
      // Modes 1, 5 trigger and modes 2, 3 restart on a rising edge.
      s.countLoadTime = now;
    }
    s.gate = val;
    if (ch === 0) this.updateIrq(now);
  }

  /** Current counter value as the guest reads it (BCD-encoded in BCD mode). */
  private currentCount(s: PitChannel): number {
    const d = this.elapsed(s, this.clock.now());
    if (!s.bcd) return counterAt(s.mode, s.count, d);
    const m = effectiveMode(s.mode);
    const v = m === 2 || m === 3 ? counterAt(s.mode, s.count, d) : (((s.count - d) % 10000) + 10000) % 10000;
    return toBcd16(v);
  }

  private loadCount(ch: number, value: number): void {
    const s = this.channels[ch]!;
    let val = s.bcd ? fromBcd16(value) : value & 0xffff;
    if (val === 0) val = s.bcd ? 10000 : 0x10000;
    const now = this.clock.now();
    s.count = val;
    s.countLoadTime = now;
    if (ch === 0) this.updateIrq(now);
  }

  private latchCount(s: PitChannel): void {
    if (!s.countLatched) {
      s.latchedCount = this.currentCount(s);
      s.countLatched = s.rwMode || RW_STATE_LSB;
    }
  }

  ioWrite(offset: number, _size: number, value: number): void {
    const val = value & 0xff;
    const addr = offset & 3;
    if (addr === 3) {
      const channel = val >> 6;
      if (channel === 3) {
        for (let c = 0; c < 3; c++) {
          if ((val & (2 << c)) === 0) continue;
          const s = this.channels[c]!;
          if ((val & RB_NO_COUNT) === 0) this.latchCount(s);
          if ((val & RB_NO_STATUS) === 0 && !s.statusLatched) {
            s.status = (this.getOut(c) << 7) | (s.rwMode << 4) | ((s.mode & 7) << 1) | s.bcd;
            s.statusLatched = 1;
          }
        }
        return;
      }
      const s = this.channels[channel]!;
      const access = (val >> 4) & 3;
      if (access === 0) {
        this.latchCount(s);
      } else {
        s.rwMode = access;
        s.readState = access;
        s.writeState = access;
        s.mode = (val >> 1) & 7;
        s.bcd = val & 1;
        s.countLatched = 0;
        s.statusLatched = 0;
        // Re-derive channel 0's next transition from the new mode, so that the armed timer is always
        // what the saved state implies (a snapshot between control word and count restores exactly).
        if (channel === 0) this.updateIrq(this.clock.now());
      }
      return;
    }
    if (addr > 2) return;
    const s = this.channels[addr]!;
    switch (s.writeState) {
      case RW_STATE_MSB:
        this.loadCount(addr, val << 8);
        break;
      case RW_STATE_WORD0:
        s.writeLatch = val;
        s.writeState = RW_STATE_WORD1;
        break;
      case RW_STATE_WORD1:
        s.writeState = RW_STATE_WORD0;
        this.loadCount(addr, s.writeLatch | (val << 8));
        break;
      default:
        this.loadCount(addr, val);
        break;
    }
  }

  ioRead(offset: number, _size: number): number {
    const addr = offset & 3;
    if (addr === 3) return 0xff; // the control word is write-only; the data bus floats
    const s = this.channels[addr]!;
    if (s.statusLatched) {
      s.statusLatched = 0;
      return s.status & 0xff;
    }
    if (s.countLatched) {
      switch (s.countLatched) {
        case RW_STATE_MSB:
          s.countLatched = 0;
          return (s.latchedCount >> 8) & 0xff;
        case RW_STATE_WORD0:
          s.countLatched = RW_STATE_MSB;
          return s.latchedCount & 0xff;
        default:
          s.countLatched = 0;
          return s.latchedCount & 0xff;
      }
    }
    switch (s.readState) {
      case RW_STATE_MSB:
        return (this.currentCount(s) >> 8) & 0xff;
      case RW_STATE_WORD0:
        s.readState = RW_STATE_WORD1;
        return this.currentCount(s) & 0xff;
      case RW_STATE_WORD1:
        s.readState = RW_STATE_WORD0;
        return (this.currentCount(s) >> 8) & 0xff;
      default:
        return this.currentCount(s) & 0xff;
    }
  }

  /** Virtual ns of channel s's next output transition after time t, or -1. */
  private nextTransitionTime(s: PitChannel, t: number): number {
    return nextTransitionNs(s.mode, s.count, s.gate, s.countLoadTime, t);
  }

  /** Drive IRQ0 with channel 0's output at time t and arm the timer for the next transition. */
  private updateIrq(t: number): void {
    const s = this.channels[0];
    if (this.irqDisabled) {
      this.timer.cancel();
      return;
    }
    this.irq.set(this.getOut(0, t));
    s.nextTransitionTime = this.nextTransitionTime(s, t);
    if (s.nextTransitionTime >= 0) this.timer.arm(s.nextTransitionTime);
    else this.timer.cancel();
  }

  private onTimer(): void {
    // Evaluate at the transition itself, not at the (possibly later) time the timer ran, so that
    // every edge is delivered even when the timer fires late.
    this.updateIrq(this.channels[0].nextTransitionTime);
  }

  /** Suppress or re-enable channel 0's IRQ (HPET legacy replacement). */
  setIrqEnabled(enabled: boolean): void {
    this.irqDisabled = enabled ? 0 : 1;
    if (enabled) this.updateIrq(this.clock.now());
    else this.timer.cancel();
  }

  visit(v: Visitor): void {
    v.structArray('channels', 3, (i) => {
      const s = this.channels[i]!;
      s.count = v.i32('count', s.count);
      s.latchedCount = v.u16('latched_count', s.latchedCount);
      s.countLatched = v.u8('count_latched', s.countLatched);
      s.statusLatched = v.u8('status_latched', s.statusLatched);
      s.status = v.u8('status', s.status);
      s.readState = v.u8('read_state', s.readState);
      s.writeState = v.u8('write_state', s.writeState);
      s.writeLatch = v.u8('write_latch', s.writeLatch);
      s.rwMode = v.u8('rw_mode', s.rwMode);
      s.mode = v.u8('mode', s.mode);
      s.bcd = v.u8('bcd', s.bcd);
      s.gate = v.u8('gate', s.gate);
      s.countLoadTime = Number(v.i64('count_load_time', BigInt(s.countLoadTime)));
      s.nextTransitionTime = Number(v.i64('next_transition_time', BigInt(s.nextTransitionTime)));
    });
    this.irqDisabled = v.u32('irq_disabled', this.irqDisabled);
    if (v.mode === 'load') this.sanitize();
  }

  /** Untrusted state: keep every field in the range the arithmetic relies on. */
  private sanitize(): void {
    for (const s of this.channels) {
      if (s.count > 0x10000 || s.count < -0x10000) s.count = 0x10000;
      if (s.count === 0 && !gateStopsCounting(s.mode)) s.count = 0x10000;
      if (s.countLatched > RW_STATE_WORD0) s.countLatched = 0;
      if (s.readState > RW_STATE_WORD1) s.readState = 0;
      if (s.writeState > RW_STATE_WORD1) s.writeState = 0;
      s.statusLatched = s.statusLatched ? 1 : 0;
      s.rwMode &= 3;
      s.mode &= 7;
      s.bcd &= 1;
      s.gate &= 1;
      if (!Number.isSafeInteger(s.countLoadTime)) s.countLoadTime = 0;
      if (!Number.isSafeInteger(s.nextTransitionTime)) s.nextTransitionTime = -1;
    }
    this.irqDisabled = this.irqDisabled ? 1 : 0;
  }

  /**
   * Re-arm channel 0's timer and re-drive IRQ0 from the loaded state. The virtual clock must
   * already hold the restored time. The level is the output just before the saved next transition
   * (constant since the last one); a missing (-1), implausible or stale (over 1 s behind)
   * transition time is recomputed from now.
   */
  postLoad(): void {
    const s = this.channels[0];
    if (this.irqDisabled) {
      this.timer.cancel();
      return;
    }
    const now = this.clock.now();
    let next = s.nextTransitionTime;
    // A saved transition is at most a batch old; one before the load, or seconds in the past (a
    // converted or forged state), would replay a flood of edges: recompute it from now instead.
    // -1 is recomputed too: if there really is no transition left, now yields -1 again, and a
    // converted state (kvm-pit has no such field) may simply write -1.
    if (next === -1 || next <= s.countLoadTime || next < now - STALE_TRANSITION_NS) {
      next = this.nextTransitionTime(s, now);
    }
    s.nextTransitionTime = next;
    // The PIC's loaded state already records this line's level: remember it, drive nothing.
    if (next === -1) {
      this.irq.restore(this.getOut(0, now));
      this.timer.cancel();
    } else {
      this.irq.restore(this.getOut(0, next - 1));
      this.timer.arm(next);
    }
  }
}
