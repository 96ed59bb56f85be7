/**
 * The 8254 arithmetic a PIT filter needs to rebuild channel 0's next output transition (a derived
 * field the userspace i8254 saves and kvm-pit does not). A copy of the relevant part of
 * devices/pit/pit-math.ts (migration/ may not import devices/); test/migration/filters checks that
 * the two agree.
 */

/** Input clock of the PIT, Hz. */
export const PIT_HZ = 1193182;
const NS_PER_S = 1e9;

/** Whole input-clock ticks in `deltaNs` ns; 0 for negative deltas. */
export function ticksForNs(deltaNs: number): number {
  if (!(deltaNs > 0)) return 0;
  const r = deltaNs % NS_PER_S;
  const q = (deltaNs - r) / NS_PER_S;
  const x = r * PIT_HZ;
  return q * PIT_HZ + (x - (x % NS_PER_S)) / NS_PER_S;
}

/** The smallest delta in ns with ticksForNs(delta) >= n. */
export function nsForTicks(n: number): number {
  if (!(n > 0)) return 0;
  const b = n % PIT_HZ;
  const a = (n - b) / PIT_HZ;
  const y = b * NS_PER_S + (PIT_HZ - 1);
  return a * NS_PER_S + (y - (y % PIT_HZ)) / PIT_HZ;
}

/** Modes 6 and 7 are aliases of 2 and 3. */
export function effectiveMode(mode: number): number {
  mode &= 7;
  return mode >= 6 ? mode - 4 : mode;
}

/** A usable reload value for the periodic modes (1..0x10000). */
export function periodOf(count: number): number {
  if (count >= 1 && count <= 0x10000) return count;
  const m = ((count % 0x10000) + 0x10000) % 0x10000;
  return m === 0 ? 0x10000 : m;
}

/** Tick (from the load) of the next output change after tick `d`, or -1. */
export function nextTransitionTick(mode: number, count: number, d: number): number {
  switch (effectiveMode(mode)) {
    case 0:
    case 1:
      return d < count ? count : -1;
    case 2: {
      const n = periodOf(count);
      if (n < 2) return -1;
      const r = d % n;
      const base = d - r;
      return r < n - 1 ? base + n - 1 : base + n;
    }
    case 3: {
      const n = periodOf(count);
      if (n < 2) return -1;
      const r = d % n;
      const base = d - r;
      const half = (n + 1) >> 1;
      return r < half ? base + half : base + n;
    }
    default:
      if (d < count) return count;
      if (d === count) return count + 1;
      return -1;
  }
}

/** Modes in which a low gate stops the count. */
export function gateStopsCounting(mode: number): boolean {
  const m = effectiveMode(mode);
  return m === 0 || m === 2 || m === 3 || m === 4;
}

/**
 * Virtual ns of a channel's next output transition after `now`, or -1, as the userspace i8254
 * computes it (its nextTransitionTime).
 */
export function nextTransitionNs(mode: number, count: number, gate: number, loadTime: number, now: number): number {
  if (gate === 0 && gateStopsCounting(mode)) return -1;
  const next = nextTransitionTick(mode, count, ticksForNs(now - loadTime));
  return next < 0 ? -1 : loadTime + nsForTicks(next);
}
