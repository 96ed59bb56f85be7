/**
 * The APIC timer's arithmetic on virtual time, QEMU's model (hw/intc/apic_common.c) with exact
 * integer math on ns values below 2^53, shared by both LAPIC flavours (devices/apic,
 * devices/kvm/kvm-lapic.ts) and the kvm-apic <-> apic filters (migration/filters/apic-kvm.ts).
 * The input clock is 1 GHz: the counter ticks once every 2^count_shift ns. A period is
 * initial_count + 1 ticks, as in QEMU.
 *
 * Deviations from QEMU, shared by both flavours: the expiry is computed whether or not the LVT entry
 * is masked, and a masked expiry is dropped at delivery (as KVM does); QEMU instead leaves a masked
 * timer unarmed. The guest sees the same interrupts except when it unmasks a one-shot timer in the
 * last tick before it fires. And a switch between one-shot and periodic keeps the running count, as
 * hardware and KVM do (timerModeSwitchStops), where QEMU recomputes the mode from the first load:
 * there a periodic count of several periods switched to one-shot stops at once, and a finished
 * one-shot switched to periodic starts firing again.
 */

// Timer modes (LVT timer bits 18:17; the reserved mode 3 behaves as periodic).
export const TIMER_ONESHOT = 0;
export const TIMER_PERIODIC = 1;
export const TIMER_TSC_DEADLINE = 2;

/** Timer mode of an LVT timer value: TIMER_ONESHOT, TIMER_PERIODIC or TIMER_TSC_DEADLINE. */
export function timerModeOf(lvtTimer: number): number {
  const m = (lvtTimer >>> 17) & 3;
  return m === 3 ? TIMER_PERIODIC : m;
}

/**
 * Whether an LVT timer write from `oldLvt` to `newLvt` stops the timer: only a switch to or from
 * TSC-deadline mode does, clearing TMICT and IA32_TSC_DEADLINE (SDM vol. 3, 10.5.4.1; KVM's
 * apic_update_lvtt). Between one-shot and periodic the running count goes on with its expiry, and
 * the mode in force when it reaches 0 decides whether it reloads; a count that is not running (a
 * one-shot that reached 0) reads 0 and stays stopped in either mode until TMICT is written.
 */
export function timerModeSwitchStops(oldLvt: number, newLvt: number): boolean {
  return (timerModeOf(oldLvt) === TIMER_TSC_DEADLINE) !== (timerModeOf(newLvt) === TIMER_TSC_DEADLINE);
}

/** TDCR -> count_shift: divide by 2^shift (TDCR 0xB divides by 1). */
export function countShiftOf(tdcr: number): number {
  const v = (tdcr & 3) | ((tdcr >>> 1) & 4);
  return (v + 1) & 7;
}

/** Whole ticks counted since the load time (0 before it). */
export function ticksSince(now: number, loadTime: number, shift: number): number {
  const d = Math.floor((now - loadTime) / 2 ** shift);
  return d < 0 ? 0 : d;
}

/** TMCCT: one-shot counts down to 0 and stays; periodic reloads after reaching 0. */
export function currentCount(periodic: boolean, initial: number, shift: number, loadTime: number, now: number): number {
  if (initial === 0) return 0;
  const d = ticksSince(now, loadTime, shift);
  if (periodic) return initial - (d % (initial + 1));
  return d >= initial ? 0 : initial - d;
}

/**
 * The next expiry strictly after `now` (ns), or -1: one-shot fires once at load + (initial + 1)
 * ticks if the count has not yet reached 0; periodic at every multiple of initial + 1 ticks.
 * Callers pass the expiry just handled as `now` to step a periodic timer without drift.
 */
export function nextExpiry(periodic: boolean, initial: number, shift: number, loadTime: number, now: number): number {
  if (initial === 0) return -1;
  const d = ticksSince(now, loadTime, shift);
  const period = initial + 1;
  let ticks: number;
  if (periodic) {
    ticks = (Math.floor(d / period) + 1) * period;
  } else {
    if (d >= initial) return -1;
    ticks = period;
  }
  return loadTime + ticks * 2 ** shift;
}

/**
 * Ticks elapsed in the current count (one-shot: since the load; periodic: since the last reload),
 * for keeping the count when the divider changes.
 */
export function elapsedInCount(
  periodic: boolean,
  initial: number,
  shift: number,
  loadTime: number,
  now: number,
): number {
  const d = ticksSince(now, loadTime, shift);
  return periodic ? d % (initial + 1) : d;
}

/**
 * A load time for a count already `elapsed` ticks in at `now` under a new shift: a TDCR write keeps
 * the current count and continues at the new rate (both flavours do this identically).
 */
export function rebasedLoadTime(now: number, elapsed: number, shift: number): number {
  return now - elapsed * 2 ** shift;
}

/** One count, initial + 1 ticks (QEMU's period), in ns. */
export function periodNs(initial: number, shift: number): number {
  return (initial + 1) * 2 ** shift;
}

/** One-shot: the load time implied by a pending expiry. Periodic: the start of the current period. */
export function loadTimeFromExpiry(expiry: number, initial: number, shift: number): number {
  return expiry - periodNs(initial, shift);
}

/** An expiry this far behind the clock in restored state is recomputed from now, not replayed. */
export const STALE_EXPIRY_NS = 1_000_000_000;

/**
 * Virtual ns at which a TSC-deadline timer fires: the TSC counts virtual ns (1 GHz), so the
 * deadline lies (deadline - tsc) ns from now; a deadline already passed fires now. A deadline
 * beyond the range of exact ns values (2^53) never fires (-1).
 */
export function tscDeadlineExpiry(deadline: bigint, tsc: bigint, now: number): number {
  if (deadline <= tsc) return now;
  const delta = deadline - tsc;
  const limit = BigInt(Number.MAX_SAFE_INTEGER - Math.max(0, now));
  return delta > limit ? -1 : now + Number(delta);
}
