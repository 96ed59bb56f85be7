/**
 * migration/ may not import devices/, so the PIT and APIC timer arithmetic the filters need is a
 * copy: check that the copies agree with the devices' own functions over many inputs.
 */
import { describe, expect, it } from 'vitest';
import * as devPit from '../../../devices/pit/pit-math.ts';
import * as devTimer from '../../../devices/apic-common/apic-timer-math.ts';
import * as devApic from '../../../devices/apic-common/apic-math.ts';
import * as devRegs from '../../../devices/apic-common/apic-regs.ts';
import * as pit from '../../../migration/filters/pit-math.ts';
import * as timer from '../../../migration/filters/apic-timer.ts';
import { APIC_VERSION_VALUE } from '../../../migration/filters/apic-kvm.ts';
import { Rng } from './gen.ts';

describe('copied arithmetic agrees with the devices', () => {
  it('PIT: ticks <-> ns, modes, next transitions', () => {
    const r = new Rng(31);
    for (let i = 0; i < 20000; i++) {
      const ns = r.below(2 ** 31) * (r.bool() ? 1 : 4096) - (r.below(8) === 0 ? 1000 : 0);
      expect(pit.ticksForNs(ns)).toBe(devPit.ticksForNs(ns));
      const n = r.below(2 ** 30);
      expect(pit.nsForTicks(n)).toBe(devPit.nsForTicks(n));
      const mode = r.below(8);
      const count = r.bool() ? 1 + r.below(0x10000) : (r.u32() | 0) % 0x10001;
      const d = r.below(0x30000);
      expect(pit.effectiveMode(mode)).toBe(devPit.effectiveMode(mode));
      expect(pit.periodOf(count)).toBe(devPit.periodOf(count));
      expect(pit.nextTransitionTick(mode, count, d)).toBe(devPit.nextTransitionTick(mode, count, d));
    }
    expect(pit.PIT_HZ).toBe(devPit.PIT_HZ);
  });

  it('APIC: count shift, current count, PPR, highest vector, timer modes, Version', () => {
    const r = new Rng(32);
    for (let i = 0; i < 20000; i++) {
      const tdcr = r.u32() & 0xf;
      expect(timer.countShiftOf(tdcr)).toBe(devTimer.countShiftOf(tdcr));
      const periodic = r.bool();
      const initial = r.bool() ? r.below(300) : r.u32();
      const shift = r.below(8);
      const load = r.below(2 ** 40);
      const now = load + r.below(2 ** 40) - r.below(1000);
      expect(timer.currentCount(periodic, initial, shift, load, now)).toBe(devTimer.currentCount(periodic, initial, shift, load, now));
      const tpr = r.u8();
      const words = Array.from({ length: 8 }, () => (r.below(3) === 0 ? r.u32() : 0));
      const isrv = devApic.highestVector(Uint32Array.from(words), 0, 1);
      expect(timer.highestVector(words)).toBe(isrv);
      expect(timer.computePpr(tpr, isrv)).toBe(devApic.computePpr(tpr, isrv));
      const lvt = r.u32();
      expect(timer.timerModeOf(lvt)).toBe(devRegs.timerModeOf(lvt));
    }
    expect(APIC_VERSION_VALUE).toBe(devRegs.APIC_VERSION_VALUE);
    expect([timer.TIMER_ONESHOT, timer.TIMER_PERIODIC, timer.TIMER_TSC_DEADLINE]).toEqual([
      devRegs.TIMER_ONESHOT, devRegs.TIMER_PERIODIC, devRegs.TIMER_TSC_DEADLINE,
    ]);
  });
});
