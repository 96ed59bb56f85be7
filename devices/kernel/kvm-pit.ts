/**
 * The in-kernel 8254 PIT and its speaker port. Storage is KVM's `struct kvm_pit_state2` (channel
 * state, count_load_time in virtual ns, flags); register paths follow Linux arch/x86/kvm/i8254.c
 * (pit_ioport_write/read, pit_latch_count, pit_latch_status, pit_load_count, pit_get_count,
 * pit_get_out, pit_set_gate, speaker_ioport_read/write). The guest sees exactly what the userspace
 * i8254 + port 0x61 (devices/pit) show it: the same counter arithmetic (src/arith/pit-math.ts), the
 * same gate behaviour, the same IRQ0 edges at the same virtual ns.
 *
 * Where KVM's struct has no room for godwit's behaviour:
 *   - `count` is u32 but holds the userspace model's i32 count in two's complement (a channel
 *     frozen by its gate past terminal count keeps a count <= 0);
 *   - flags bit 1 (KVM_PIT_FLAGS_SPEAKER_DATA_ON) is port 0x61 bit 1 as KVM has it, and flags bits
 *     3:2 (KVM_PIT_FLAGS_GODWIT_CHECK_MASK, a godwit extension) hold port 0x61 bits 3:2;
 *   - channel 0's next output transition is derived state, recomputed by rearm() from the
 *     restored virtual time.
 */
import type { PortDevice, PortRange } from '../../src/bus/io-bus.ts';
import { PIT_PORT, PIT_PORTS, PORT61 } from '../../src/hw/pc-layout.ts';
import type { Timer, VirtualClock } from '../../src/clock/clock.ts';
import type { IrqLine } from '../../src/irq.ts';
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
import type { KvmPitChannelState, KvmPitState2 } from '../../src/hw/kvm-structs.ts';
import { KVM_PIT_FLAGS_GODWIT_CHECK_MASK, KVM_PIT_FLAGS_HPET_LEGACY, KVM_PIT_FLAGS_SPEAKER_DATA_ON } from '../../src/hw/kvm-structs.ts';
import { REFRESH_PERIOD_NS, RW_STATE_LSB, RW_STATE_MSB, RW_STATE_WORD0, RW_STATE_WORD1 } from '../../src/hw/i8254.ts';

/** Flags bits this PIT keeps. */
const FLAGS_KNOWN = KVM_PIT_FLAGS_HPET_LEGACY | KVM_PIT_FLAGS_SPEAKER_DATA_ON | KVM_PIT_FLAGS_GODWIT_CHECK_MASK;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);


function newChannel(gate: number, now: number): KvmPitChannelState {
  return {
    count: 0x10000,
    latched_count: 0,
    count_latched: 0,
    status_latched: 0,
    status: 0,
    read_state: 0,
    write_state: 0,
    write_latch: 0,
    rw_mode: 0,
    mode: 3,
    bcd: 0,
    gate,
    count_load_time: BigInt(now),
  };
}

/** A deep copy (the ioctl-like API never shares storage). */
export function copyPitState(s: KvmPitState2): KvmPitState2 {
  const c = (ch: KvmPitChannelState): KvmPitChannelState => ({ ...ch });
  return { channels: [c(s.channels[0]), c(s.channels[1]), c(s.channels[2])], flags: s.flags };
}

/** The signed count the arithmetic works with (u32 storage, two's complement). */
function countOf(c: KvmPitChannelState): number {
  return c.count | 0;
}

function loadTime(c: KvmPitChannelState): number {
  return Number(c.count_load_time);
}

export class KvmPit implements PortDevice {
  private readonly pitState: KvmPitState2;
  /** Derived: virtual ns of channel 0's next output transition, or -1. */
  private nextTransitionNs = -1;
  private readonly clock: VirtualClock;
  private readonly irq: IrqLine;
  private readonly timer: Timer;
  /** Port device for 0x61 (speaker_ioport). The PIT itself serves 0x40-0x43. */
  readonly speakerPort: PortDevice;

  constructor(clock: VirtualClock, irq: IrqLine) {
    this.clock = clock;
    this.irq = irq;
    this.timer = clock.createTimer('kvm-pit', () => this.onTimer());
    const now = clock.now();
    // Power-on values only: IRQ0 and the timer start with reset() or rearm().
    this.pitState = { channels: [newChannel(1, now), newChannel(1, now), newChannel(0, now)], flags: 0 };
    this.speakerPort = {
      ioRead: () => this.speakerIoportRead(),
      ioWrite: (_offset, _size, value) => this.speakerIoportWrite(value),
    };
  }

  /** 0x40-0x43 and 0x61, which the kernel claims. */
  portRanges(): PortRange[] {
    return [
      { base: PIT_PORT, count: PIT_PORTS, device: this },
      { base: PORT61, count: 1, device: this.speakerPort },
    ];
  }

  /** kvm_pit_reset: every channel mode 3, count 0x10000, gate 2 low; speaker bits cleared; IRQ0 starts. */
  reset(): void {
    const now = this.clock.now();
    const ps = this.pitState;
    for (let i = 0; i < 3; i++) Object.assign(ps.channels[i]!, newChannel(i === 2 ? 0 : 1, now));
    ps.flags &= KVM_PIT_FLAGS_HPET_LEGACY; // HPET legacy mode is not the PIT's to reset
    this.updateIrq(now);
  }

  /** Stop the timer for good (a device replaced by a restore). */
  dispose(): void {
    this.timer.cancel();
  }

  /** KVM_GET_PIT2: a copy of the state. */
  getState(): KvmPitState2 {
    return copyPitState(this.pitState);
  }

  /**
   * KVM_SET_PIT2's first half: take a copy brought into range. Nothing is driven or armed here;
   * rearm() does that (the VM calls both).
   */
  setState(s: KvmPitState2): void {
    for (let i = 0; i < 3; i++) {
      const src = s.channels[i]!;
      const c = this.pitState.channels[i]!;
      let count = src.count | 0;
      c.mode = src.mode & 7;
      if (count > 0x10000 || count < -0x10000) count = 0x10000;
      if (count === 0 && !gateStopsCounting(c.mode)) count = 0x10000;
      c.count = count >>> 0;
      c.latched_count = src.latched_count & 0xffff;
      c.count_latched = src.count_latched >= 0 && src.count_latched <= RW_STATE_WORD0 ? src.count_latched | 0 : 0;
      c.status_latched = src.status_latched ? 1 : 0;
      c.status = src.status & 0xff;
      c.read_state = src.read_state >= 0 && src.read_state <= RW_STATE_WORD1 ? src.read_state | 0 : 0;
      c.write_state = src.write_state >= 0 && src.write_state <= RW_STATE_WORD1 ? src.write_state | 0 : 0;
      c.write_latch = src.write_latch & 0xff;
      c.rw_mode = src.rw_mode & 3;
      c.bcd = src.bcd & 1;
      c.gate = src.gate & 1;
      const t = src.count_load_time;
      c.count_load_time = t >= -MAX_SAFE && t <= MAX_SAFE ? t : 0n;
    }
    this.pitState.flags = (s.flags & FLAGS_KNOWN) >>> 0;
    this.nextTransitionNs = -1;
  }

  /**
   * After KVM_SET_PIT2 (kvm-vm.ts setPit2): re-arm channel 0 at the current virtual time and remember
   * IRQ0's level without driving it: the
   * PIC's and IOAPIC's loaded state already record their inputs, and re-driving them would forge
   * edges (as the userspace i8254's postLoad). The state carries no transition time, so a
   * transition falling exactly at the restored time is treated as not yet delivered: the level just
   * before it is remembered and the timer fires at once. If it had been delivered before the save,
   * the timer re-drives a level the interrupt controllers already hold, which changes nothing; if
   * not (a save at a batch boundary that is also the deadline), the edge arrives as it would have.
   */
  rearm(): void {
    if (this.pitState.flags & KVM_PIT_FLAGS_HPET_LEGACY) {
      this.timer.cancel();
      return;
    }
    const now = this.clock.now();
    const c = this.pitState.channels[0];
    const dueNow = this.nextTransition(c, now - 1) === now;
    this.irq.restore(this.getOut(0, dueNow ? now - 1 : now));
    this.nextTransitionNs = dueNow ? now : this.nextTransition(c, now);
    if (this.nextTransitionNs >= 0) this.timer.arm(this.nextTransitionNs);
    else this.timer.cancel();
  }

  /** Ticks counted by channel c by time t (kpit_elapsed; a stopped channel has counted none). */
  private kpitElapsed(c: KvmPitChannelState, t: number): number {
    if (c.gate === 0 && gateStopsCounting(c.mode)) return 0;
    return ticksForNs(t - loadTime(c));
  }

  /** pit_get_out: OUT of channel `channel` at time t. */
  getOut(channel: number, t = this.clock.now()): number {
    const c = this.pitState.channels[channel]!;
    const m = effectiveMode(c.mode);
    if (c.gate === 0 && (m === 2 || m === 3)) return 1;
    return outputAt(c.mode, countOf(c), this.kpitElapsed(c, t));
  }

  /** pit_get_gate. */
  getGate(channel: number): number {
    return this.pitState.channels[channel]!.gate;
  }

  /** pit_set_gate: modes 0/4 pause while low; 1, 5 trigger and 2, 3 restart on a rising edge. */
  setGate(channel: number, level: number): void {
    const c = this.pitState.channels[channel]!;
    const val = level ? 1 : 0;
    if (val === c.gate) return;
    const now = this.clock.now();
    const m = effectiveMode(c.mode);
    if (m === 0 || m === 4) {
      if (val === 0) {
        // Fold the ticks counted so far into the count so that OUT and the counter stand still.
        let rest = countOf(c) - ticksForNs(now - loadTime(c));
        if (rest < -0x10000) rest = (((rest % 0x10000) + 0x10000) % 0x10000) - 0x10000;
        c.count = rest >>> 0;
      }
      c.count_load_time = BigInt(now);
    } else if (val > c.gate) {
      c.count_load_time = BigInt(now);
    }
    c.gate = val;
    if (channel === 0) this.updateIrq(now);
  }

  /** pit_get_count, as the guest reads it (BCD-encoded in BCD mode). */
  private pitGetCount(c: KvmPitChannelState): number {
    const d = this.kpitElapsed(c, this.clock.now());
    const count = countOf(c);
    if (!c.bcd) return counterAt(c.mode, count, d);
    const m = effectiveMode(c.mode);
    const v = m === 2 || m === 3 ? counterAt(c.mode, count, d) : (((count - d) % 10000) + 10000) % 10000;
    return toBcd16(v);
  }

  /** pit_load_count: 0 means 0x10000 (10000 in BCD); counting starts now. */
  private pitLoadCount(channel: number, value: number): void {
    const c = this.pitState.channels[channel]!;
    let val = c.bcd ? fromBcd16(value) : value & 0xffff;
    if (val === 0) val = c.bcd ? 10000 : 0x10000;
    const now = this.clock.now();
    c.count = val;
    c.count_load_time = BigInt(now);
    if (channel === 0) this.updateIrq(now);
  }

  private pitLatchCount(c: KvmPitChannelState): void {
    if (!c.count_latched) {
      c.latched_count = this.pitGetCount(c);
      c.count_latched = c.rw_mode || RW_STATE_LSB;
    }
  }

  private pitLatchStatus(channel: number): void {
    const c = this.pitState.channels[channel]!;
    if (!c.status_latched) {
      c.status = (this.getOut(channel) << 7) | (c.rw_mode << 4) | ((c.mode & 7) << 1) | c.bcd;
      c.status_latched = 1;
    }
  }

  ioWrite(offset: number, _size: number, value: number): void {
    const val = value & 0xff;
    const addr = offset & 3;
    const channels = this.pitState.channels;
    if (addr === 3) {
      const channel = val >> 6;
      if (channel === 3) {
        // Read-back command.
        for (let ch = 0; ch < 3; ch++) {
          if ((val & (2 << ch)) === 0) continue;
          if ((val & 0x20) === 0) this.pitLatchCount(channels[ch]!);
          if ((val & 0x10) === 0) this.pitLatchStatus(ch);
        }
        return;
      }
      const c = channels[channel]!;
      const access = (val >> 4) & 3;
      if (access === 0) {
        this.pitLatchCount(c);
      } else {
        c.rw_mode = access;
        c.read_state = access;
        c.write_state = access;
        c.mode = (val >> 1) & 7;
        c.bcd = val & 1;
        c.count_latched = 0;
        c.status_latched = 0;
        // As the userspace PIT: the armed transition always follows from the state (restore-exact).
        if (channel === 0) this.updateIrq(this.clock.now());
      }
      return;
    }
    const c = channels[addr]!;
    switch (c.write_state) {
      case RW_STATE_MSB:
        this.pitLoadCount(addr, val << 8);
        break;
      case RW_STATE_WORD0:
        c.write_latch = val;
        c.write_state = RW_STATE_WORD1;
        break;
      case RW_STATE_WORD1:
        c.write_state = RW_STATE_WORD0;
        this.pitLoadCount(addr, c.write_latch | (val << 8));
        break;
      default:
        this.pitLoadCount(addr, val);
        break;
    }
  }

  ioRead(offset: number, _size: number): number {
    const addr = offset & 3;
    if (addr === 3) return 0xff;
    const c = this.pitState.channels[addr]!;
    if (c.status_latched) {
      c.status_latched = 0;
      return c.status & 0xff;
    }
    if (c.count_latched) {
      switch (c.count_latched) {
        case RW_STATE_MSB:
          c.count_latched = 0;
          return (c.latched_count >> 8) & 0xff;
        case RW_STATE_WORD0:
          c.count_latched = RW_STATE_MSB;
          return c.latched_count & 0xff;
        default:
          c.count_latched = 0;
          return c.latched_count & 0xff;
      }
    }
    switch (c.read_state) {
      case RW_STATE_MSB:
        return (this.pitGetCount(c) >> 8) & 0xff;
      case RW_STATE_WORD0:
        c.read_state = RW_STATE_WORD1;
        return this.pitGetCount(c) & 0xff;
      case RW_STATE_WORD1:
        c.read_state = RW_STATE_WORD0;
        return (this.pitGetCount(c) >> 8) & 0xff;
      default:
        return this.pitGetCount(c) & 0xff;
    }
  }

  /** speaker_ioport_read: gate 2, data enable, check bits, refresh toggle, OUT 2. */
  private speakerIoportRead(): number {
    const now = this.clock.now();
    const flags = this.pitState.flags;
    const refresh = Math.floor(now / REFRESH_PERIOD_NS) & 1;
    return (
      this.getGate(2) |
      (flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON) |
      (flags & KVM_PIT_FLAGS_GODWIT_CHECK_MASK) |
      (refresh << 4) |
      (this.getOut(2, now) << 5)
    );
  }

  /** speaker_ioport_write: bit 0 gates channel 2, bit 1 speaker data, bits 3:2 kept. */
  private speakerIoportWrite(value: number): void {
    this.setGate(2, value & 1);
    const keep = this.pitState.flags & KVM_PIT_FLAGS_HPET_LEGACY;
    this.pitState.flags = keep | (value & (KVM_PIT_FLAGS_SPEAKER_DATA_ON | KVM_PIT_FLAGS_GODWIT_CHECK_MASK));
  }

  /** Virtual ns of channel c's next output transition after t, or -1. */
  private nextTransition(c: KvmPitChannelState, t: number): number {
    return nextTransitionNs(c.mode, countOf(c), c.gate, loadTime(c), t);
  }

  /** Drive IRQ0 with channel 0's OUT at time t and arm the timer at its next transition. */
  private updateIrq(t: number): void {
    if (this.pitState.flags & KVM_PIT_FLAGS_HPET_LEGACY) {
      this.timer.cancel();
      return;
    }
    const c = this.pitState.channels[0];
    this.irq.set(this.getOut(0, t));
    this.nextTransitionNs = this.nextTransition(c, t);
    if (this.nextTransitionNs >= 0) this.timer.arm(this.nextTransitionNs);
    else this.timer.cancel();
  }

  private onTimer(): void {
    // At the transition itself, so a late timer still produces every edge at its exact time.
    this.updateIrq(this.nextTransitionNs);
  }

  /** KVM_PIT_FLAGS_HPET_LEGACY cleared (true) or set (false): whether channel 0 drives IRQ0. */
  setIrqEnabled(enabled: boolean): void {
    if (enabled) {
      this.pitState.flags &= ~KVM_PIT_FLAGS_HPET_LEGACY;
      this.updateIrq(this.clock.now());
    } else {
      this.pitState.flags |= KVM_PIT_FLAGS_HPET_LEGACY;
      this.timer.cancel();
    }
  }
}
