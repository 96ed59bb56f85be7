/** The shared pure arithmetic: bitmaps, priorities, destinations, timer math, valid masks. */
import { describe, expect, it } from 'vitest';
import {
  clearVector, computeApr, computePpr, highestVector, isDeliverable, setVector, testVector,
} from '../../../src/hw/lapic-math.ts';
import { matchDestination } from '../../../src/hw/lapic-math.ts';
import { isApicRegister, lvtWriteValue } from '../../../src/hw/lapic.ts';
import {
  countShiftOf, currentCount, elapsedInCount, loadTimeFromExpiry, nextExpiry, rebasedLoadTime, timerModeOf,
  tscDeadlineExpiry,
} from '../../../src/hw/lapic-timer.ts';

describe('vector bitmaps', () => {
  it('work on packed words and on the 16-byte stride of the register page', () => {
    for (const [base, stride, size] of [
      [0, 1, 8],
      [0x40, 4, 256],
    ] as const) {
      const w = new Uint32Array(size);
      expect(highestVector(w, base, stride)).toBe(-1);
      for (const v of [0x10, 0x1f, 0x20, 0x7f, 0xff, 0x80]) setVector(w, base, stride, v);
      expect(highestVector(w, base, stride)).toBe(0xff);
      expect(testVector(w, base, stride, 0x7f)).toBe(true);
      expect(testVector(w, base, stride, 0x7e)).toBe(false);
      clearVector(w, base, stride, 0xff);
      expect(highestVector(w, base, stride)).toBe(0x80);
      expect(w[base + 7 * stride]).toBe(0);
      expect(w[base + 3 * stride]).toBe(0x80000000);
    }
  });
});

describe('priorities', () => {
  it('computes PPR as QEMU and KVM', () => {
    expect(computePpr(0, -1)).toBe(0);
    expect(computePpr(0x35, -1)).toBe(0x35);
    expect(computePpr(0x35, 0x31)).toBe(0x35);
    expect(computePpr(0x35, 0x41)).toBe(0x40);
    expect(computePpr(0x45, 0x41)).toBe(0x45);
  });
  it('computes the arbitration priority', () => {
    expect(computeApr(0x20, -1, -1)).toBe(0x20);
    expect(computeApr(0x20, -1, 0x31)).toBe(0x30);
    expect(computeApr(0x20, 0x25, -1)).toBe(0x20);
    expect(computeApr(0x20, 0x51, 0x31)).toBe(0x50);
  });
  it('delivers only a class above PPR (any class when PPR is 0)', () => {
    expect(isDeliverable(-1, 0)).toBe(false);
    expect(isDeliverable(0x31, 0)).toBe(true);
    expect(isDeliverable(0x31, 0x30)).toBe(false);
    expect(isDeliverable(0x41, 0x3f)).toBe(true);
  });
});

describe('destinations', () => {
  it('match physical, flat, cluster and broadcast', () => {
    expect(matchDestination(3, 0, 3, 0, 0xf)).toBe(true);
    expect(matchDestination(0xff, 0, 3, 0, 0xf)).toBe(true);
    expect(matchDestination(0x103, 0, 3, 0, 0xf)).toBe(true); // 8-bit field
    expect(matchDestination(4, 0, 3, 0, 0xf)).toBe(false);
    expect(matchDestination(0x05, 1, 0, 0x04, 0xf)).toBe(true);
    expect(matchDestination(0x03, 1, 0, 0x04, 0xf)).toBe(false);
    expect(matchDestination(0x23, 1, 0, 0x21, 0x0)).toBe(true);
    expect(matchDestination(0x13, 1, 0, 0x21, 0x0)).toBe(false);
    expect(matchDestination(0x22, 1, 0, 0x21, 0x0)).toBe(false);
    expect(matchDestination(0xff, 1, 0, 0x21, 0x3)).toBe(false);
  });
});

describe('timer arithmetic', () => {
  it('derives count_shift from TDCR', () => {
    expect([0, 1, 2, 3, 8, 9, 0xa, 0xb].map(countShiftOf)).toEqual([1, 2, 3, 4, 5, 6, 7, 0]);
  });
  it('counts one-shot and periodic as QEMU', () => {
    expect(currentCount(false, 100, 0, 1000, 1000)).toBe(100);
    expect(currentCount(false, 100, 0, 1000, 1099)).toBe(1);
    expect(currentCount(false, 100, 0, 1000, 1100)).toBe(0);
    expect(currentCount(false, 100, 1, 1000, 1001)).toBe(100);
    expect(currentCount(false, 100, 1, 1000, 900)).toBe(100); // before the load
    expect(currentCount(true, 9, 0, 0, 9)).toBe(0);
    expect(currentCount(true, 9, 0, 0, 10)).toBe(9);
    expect(currentCount(true, 0, 0, 0, 10)).toBe(0);
    expect(currentCount(true, 0xffffffff, 7, 0, 2 ** 50)).toBe(0xffffffff - ((2 ** 43) % 2 ** 32));
  });
  it('finds the next expiry', () => {
    expect(nextExpiry(false, 100, 0, 1000, 1000)).toBe(1101);
    expect(nextExpiry(false, 100, 0, 1000, 1100)).toBe(-1);
    expect(nextExpiry(false, 0, 0, 1000, 1000)).toBe(-1);
    expect(nextExpiry(true, 9, 1, 0, 0)).toBe(20);
    expect(nextExpiry(true, 9, 1, 0, 20)).toBe(40);
    expect(nextExpiry(true, 9, 1, 0, 39)).toBe(40);
    expect(nextExpiry(true, 0xffffffff, 7, 0, 0)).toBe(2 ** 39);
  });
  it('rebases and derives load times exactly', () => {
    expect(elapsedInCount(true, 9, 0, 0, 25)).toBe(5);
    expect(elapsedInCount(false, 9, 0, 0, 25)).toBe(25);
    expect(rebasedLoadTime(100, 5, 2)).toBe(80);
    expect(loadTimeFromExpiry(1101, 100, 0)).toBe(1000);
  });
  it('converts a TSC deadline to virtual ns', () => {
    expect(tscDeadlineExpiry(150n, 100n, 1000)).toBe(1050);
    expect(tscDeadlineExpiry(50n, 100n, 1000)).toBe(1000);
    expect(tscDeadlineExpiry(2n ** 64n - 1n, 0n, 1000)).toBe(-1);
  });
});

describe('register masks', () => {
  it('masks LVT writes and maps timer mode 3 to periodic', () => {
    expect(lvtWriteValue(0, 0xffffffff, false)).toBe(0x300ff);
    expect(lvtWriteValue(0, 0xffffffff, true)).toBe(0x300ff);
    expect(lvtWriteValue(0, 0x40000, true)).toBe(0x40000);
    expect(lvtWriteValue(0, 0x40000, false)).toBe(0);
    expect(timerModeOf(0x40000)).toBe(2);
    expect(timerModeOf(0x60000)).toBe(1);
  });
  it('knows the registers QEMU decodes', () => {
    expect([0x20, 0x30, 0x80, 0xb0, 0x280, 0x300, 0x370, 0x390, 0x3e0].every(isApicRegister)).toBe(true);
    expect([0x0, 0x10, 0x40, 0xc0, 0x290, 0x2f0, 0x3a0, 0x3f0, 0x400, 0xff0].some(isApicRegister)).toBe(false);
  });
});
