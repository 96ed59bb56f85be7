/**
 * The APIC timer arithmetic the kvm-apic <-> apic filters need (QEMU's model on a 1 GHz input clock,
 * exact on ns values below 2^53): a copy of the relevant part of devices/apic-common/apic-timer-math.ts
 * (migration/ may not import devices/); test/migration/filters checks that the two agree.
 */

/** TDCR -> count_shift: the counter ticks once every 2^shift ns (TDCR 0xB divides by 1). */
export function countShiftOf(tdcr: number): number {
  const v = (tdcr & 3) | ((tdcr >>> 1) & 4);
  return (v + 1) & 7;
}

/** TMCCT at `now`: one-shot counts down to 0 and stays; periodic reloads after 0. */
export function currentCount(periodic: boolean, initial: number, shift: number, loadTime: number, now: number): number {
  if (initial === 0) return 0;
  let d = Math.floor((now - loadTime) / 2 ** shift);
  if (d < 0) d = 0;
  if (periodic) return initial - (d % (initial + 1));
  return d >= initial ? 0 : initial - d;
}

/** Ticks of one count: initial + 1 (QEMU's period), in ns. */
export function periodNs(initial: number, shift: number): number {
  return (initial + 1) * 2 ** shift;
}

// LVT timer modes (bits 18:17; the reserved mode 3 behaves as periodic).
export const TIMER_ONESHOT = 0;
export const TIMER_PERIODIC = 1;
export const TIMER_TSC_DEADLINE = 2;

export function timerModeOf(lvtTimer: number): number {
  const m = (lvtTimer >>> 17) & 3;
  return m === 3 ? TIMER_PERIODIC : m;
}

/** PPR from TPR and the highest in-service vector (-1 for none), as QEMU and KVM compute it. */
export function computePpr(tpr: number, isrv: number): number {
  const isrClass = isrv < 0 ? 0 : isrv & 0xf0;
  return (tpr & 0xf0) >= isrClass ? tpr & 0xff : isrClass;
}

/** Highest set vector of 8 bitmap words, or -1. */
export function highestVector(words: readonly number[]): number {
  for (let i = 7; i >= 0; i--) {
    const w = words[i]!;
    if (w !== 0) return i * 32 + 31 - Math.clz32(w);
  }
  return -1;
}
