/**
 * Pure 8254 counter arithmetic, shared by the userspace PIT (devices/pit/i8254.ts), the kernel-style
 * PIT (devices/kvm/kvm-pit.ts), which must behave identically, and the filters that convert between
 * their states (migration/filters/pit-kvm.ts): conversions between virtual ns and input-clock
 * ticks, and the output level, next output transition and counter value of one channel after d
 * ticks of counting. All integer and exact for any run length below 2^53 ns (about 104 days).
 *
 * Output levels follow the Intel 8254 data sheet (mode 2 low for one tick before reload, modes 4/5
 * low for one tick at terminal count, mode 1 low while counting); the rising edges that raise IRQ0
 * in modes 0, 2 and 3 fall on the same ticks as in QEMU and KVM.
 */

/** Input clock of the PIT, Hz. */
export const PIT_HZ = 1193182;
const NS_PER_S = 1e9;

/** Whole input-clock ticks in `deltaNs` ns (floor(deltaNs * PIT_HZ / 1e9)); 0 for negative deltas. */
export function ticksForNs(deltaNs: number): number {
  if (!(deltaNs > 0)) return 0;
  const r = deltaNs % NS_PER_S;
  const q = (deltaNs - r) / NS_PER_S;
  const x = r * PIT_HZ; // < 1.2e15: exact
  return q * PIT_HZ + (x - (x % NS_PER_S)) / NS_PER_S;
}

/** The smallest delta in ns with ticksForNs(delta) >= n (ceil(n * 1e9 / PIT_HZ)). */
export function nsForTicks(n: number): number {
  if (!(n > 0)) return 0;
  const b = n % PIT_HZ;
  const a = (n - b) / PIT_HZ;
  const y = b * NS_PER_S + (PIT_HZ - 1); // < 1.2e15: exact
  return a * NS_PER_S + (y - (y % PIT_HZ)) / PIT_HZ;
}

/** Modes 6 and 7 are aliases of 2 and 3. */
export function effectiveMode(mode: number): number {
  mode &= 7;
  return mode >= 6 ? mode - 4 : mode;
}

/** A usable reload value for the periodic modes (1..0x10000) from whatever `count` holds. */
export function periodOf(count: number): number {
  if (count >= 1 && count <= 0x10000) return count;
  const m = ((count % 0x10000) + 0x10000) % 0x10000;
  return m === 0 ? 0x10000 : m;
}

/** Output level of a counting channel in `mode` loaded with `count`, `d` ticks after the load. */
export function outputAt(mode: number, count: number, d: number): number {
  switch (effectiveMode(mode)) {
    case 0:
    case 1:
      return d >= count ? 1 : 0;
    case 2: {
      const n = periodOf(count);
      return d % n === n - 1 ? 0 : 1;
    }
    case 3: {
      const n = periodOf(count);
      return d % n < (n + 1) >> 1 ? 1 : 0;
    }
    default: // 4, 5
      return d === count ? 0 : 1;
  }
}

/** Tick count (from the load) of the next output change after tick `d`, or -1 if none will come. */
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

/** Modes in which a low gate stops the count (0 and 4) or stops it and holds OUT high (2 and 3). */
export function gateStopsCounting(mode: number): boolean {
  const m = effectiveMode(mode);
  return m === 0 || m === 2 || m === 3 || m === 4;
}

/**
 * Virtual ns of a channel's next output transition after `now`, or -1: the channel in `mode`,
 * loaded with `count` at `loadTime`, its gate input at `gate`.
 */
export function nextTransitionNs(mode: number, count: number, gate: number, loadTime: number, now: number): number {
  if (gate === 0 && gateStopsCounting(mode)) return -1;
  const next = nextTransitionTick(mode, count, ticksForNs(now - loadTime));
  return next < 0 ? -1 : loadTime + nsForTicks(next);
}

/** The counting element's value (binary, 16 bits) `d` ticks after the load. */
export function counterAt(mode: number, count: number, d: number): number {
  switch (effectiveMode(mode)) {
    case 2: {
      const n = periodOf(count);
      return (n - (d % n)) & 0xffff;
    }
    case 3: {
      const n = periodOf(count);
      return (n - ((2 * d) % n)) & 0xffff;
    }
    default:
      return (count - (d % 0x10000)) & 0xffff;
  }
}

/** Binary to the 8254's four-digit BCD (the counter wraps at 10000 in BCD mode). */
export function toBcd16(value: number): number {
  let v = value % 10000;
  let out = 0;
  for (let shift = 0; shift < 16; shift += 4) {
    out |= (v % 10) << shift;
    v = Math.floor(v / 10);
  }
  return out;
}

/** Four BCD digits to binary; nibbles above 9 count as their binary value, as a counter would. */
export function fromBcd16(value: number): number {
  return (
    ((value >> 12) & 15) * 1000 + ((value >> 8) & 15) * 100 + ((value >> 4) & 15) * 10 + (value & 15)
  );
}
