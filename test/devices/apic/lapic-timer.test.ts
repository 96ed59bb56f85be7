/**
 * The APIC timer on virtual time (a fake instruction counter, 1 ns per instruction), both flavours:
 * one-shot, periodic, TSC-deadline, divider changes, masking and TMCCT.
 */
import { describe, expect, it } from 'vitest';
import type { Lapic, Rig } from './lapic-harness.ts';
import { FLAVOURS, drain, enable, makeRig, rd, saveAndRestore, wr } from './lapic-harness.ts';

/** Run to `until`, taking (and EOI-ing) timer interrupts as a CPU would; returns [time, vector]s. */
function run(rig: Rig, l: Lapic, until: number): [number, number][] {
  const got: [number, number][] = [];
  for (;;) {
    const d = rig.tc.clock.nextDeadline();
    if (d > until) break;
    rig.tc.stepTo(d);
    for (const v of drain(l)) {
      got.push([rig.tc.now(), v]);
      wr(l, 0xb0, 0);
    }
  }
  rig.tc.stepTo(until);
  return got;
}

describe.each(FLAVOURS)('%s timer', (flavour) => {
  it('counts down once and fires one tick after reaching 0 (QEMU arithmetic)', () => {
    const rig = makeRig(flavour, { start: 1000 });
    const l = rig.cpus[0]!;
    enable(l);
    wr(l, 0x3e0, 0xb); // divide by 1
    wr(l, 0x320, 0x40);
    wr(l, 0x380, 100);
    expect(rd(l, 0x390)).toBe(100);
    rig.tc.stepTo(1040);
    expect(rd(l, 0x390)).toBe(60);
    expect(run(rig, l, 1100)).toEqual([]);
    expect(rd(l, 0x390)).toBe(0);
    expect(run(rig, l, 5000)).toEqual([[1101, 0x40]]);
    expect(rd(l, 0x380)).toBe(100);
    expect(rd(l, 0x390)).toBe(0);
  });

  it('reloads periodically at every initial + 1 ticks, with the divider', () => {
    const rig = makeRig(flavour);
    const l = rig.cpus[0]!;
    enable(l);
    wr(l, 0x3e0, 0x0); // divide by 2
    wr(l, 0x320, 0x20041);
    rig.tc.stepTo(10);
    wr(l, 0x380, 9); // a period is 10 ticks = 20 ns
    rig.tc.stepTo(13);
    expect(rd(l, 0x390)).toBe(8);
    expect(run(rig, l, 75)).toEqual([
      [30, 0x41],
      [50, 0x41],
      [70, 0x41],
    ]);
    expect(rd(l, 0x390)).toBe(7);
    wr(l, 0x380, 0); // stop
    expect(run(rig, l, 500)).toEqual([]);
    expect(rd(l, 0x390)).toBe(0);
  });

  it('keeps counting while masked and drops masked expiries', () => {
    const rig = makeRig(flavour);
    const l = rig.cpus[0]!;
    enable(l);
    wr(l, 0x3e0, 0xb);
    wr(l, 0x320, 0x30042);
    wr(l, 0x380, 99);
    expect(run(rig, l, 250)).toEqual([]);
    expect(rd(l, 0x390)).toBe(99 - (250 % 100));
    wr(l, 0x320, 0x20042); // unmask: next period boundary at 300
    expect(run(rig, l, 410)).toEqual([
      [300, 0x42],
      [400, 0x42],
    ]);
  });

  it('keeps the count over a divider change', () => {
    const rig = makeRig(flavour);
    const l = rig.cpus[0]!;
    enable(l);
    wr(l, 0x3e0, 0xb);
    wr(l, 0x320, 0x43);
    wr(l, 0x380, 1000);
    rig.tc.stepTo(400);
    expect(rd(l, 0x390)).toBe(600);
    wr(l, 0x3e0, 0x1); // divide by 4
    expect(rd(l, 0x390)).toBe(600);
    rig.tc.stepTo(800);
    expect(rd(l, 0x390)).toBe(500);
    expect(run(rig, l, 3000)).toEqual([[400 + 601 * 4, 0x43]]);
  });

  it('keeps counting when periodic switches to one-shot, fires once at the end of the period', () => {
    const rig = makeRig(flavour);
    let l = rig.cpus[0]!;
    enable(l);
    wr(l, 0x3e0, 0xb);
    wr(l, 0x320, 0x20047);
    wr(l, 0x380, 99); // a period is 100 ns
    expect(run(rig, l, 250)).toEqual([
      [100, 0x47],
      [200, 0x47],
    ]);
    wr(l, 0x320, 0x47); // one-shot, 2.5 periods after the load
    expect(rd(l, 0x380)).toBe(99);
    expect(rd(l, 0x390)).toBe(49);
    rig.tc.stepTo(290);
    wr(l, 0x3e0, 0x0); // a divider change carries on the one-shot count: 9 ticks left, 2 ns each
    expect(rd(l, 0x390)).toBe(9);
    expect(run(rig, l, 2000)).toEqual([[310, 0x47]]);
    expect(rd(l, 0x390)).toBe(0);
    wr(l, 0x320, 0x20047); // the finished count stays stopped in periodic mode
    expect(rd(l, 0x390)).toBe(0);
    expect(rd(l, 0x380)).toBe(99);
    saveAndRestore(rig, 0); // and so it stays across a restore
    l = rig.cpus[0]!;
    wr(l, 0x3e0, 0xb);
    expect(run(rig, l, 5000)).toEqual([]);
    expect(rd(l, 0x390)).toBe(0);
    wr(l, 0x380, 9); // until TMICT is written again
    expect(run(rig, l, 5025)).toEqual([
      [5010, 0x47],
      [5020, 0x47],
    ]);
  });

  it('keeps counting when one-shot switches to periodic, then reloads', () => {
    const rig = makeRig(flavour);
    const l = rig.cpus[0]!;
    enable(l);
    wr(l, 0x3e0, 0xb);
    wr(l, 0x320, 0x48);
    wr(l, 0x380, 99);
    rig.tc.stepTo(30);
    wr(l, 0x320, 0x20048);
    expect(rd(l, 0x380)).toBe(99);
    expect(rd(l, 0x390)).toBe(69);
    expect(run(rig, l, 320)).toEqual([
      [100, 0x48],
      [200, 0x48],
      [300, 0x48],
    ]);
    expect(rd(l, 0x390)).toBe(79);
  });

  it('stops on a switch to or from TSC-deadline mode, clearing TMICT and the deadline', () => {
    const rig = makeRig(flavour, { tscDeadline: true });
    const l = rig.cpus[0]!;
    enable(l);
    wr(l, 0x3e0, 0xb);
    wr(l, 0x320, 0x20049);
    wr(l, 0x380, 99);
    rig.tc.stepTo(30);
    wr(l, 0x320, 0x40049);
    expect(rd(l, 0x380)).toBe(0);
    expect(run(rig, l, 500)).toEqual([]);
    l.writeMsr(0x6e0, 800n);
    wr(l, 0x320, 0x49); // back to one-shot before the deadline
    expect(l.readMsr(0x6e0)).toBe(0n);
    expect(run(rig, l, 2000)).toEqual([]);
  });

  it('re-fires a one-shot on each TMICT write', () => {
    const rig = makeRig(flavour);
    const l = rig.cpus[0]!;
    enable(l);
    wr(l, 0x3e0, 0xb);
    wr(l, 0x320, 0x44);
    wr(l, 0x380, 50);
    rig.tc.stepTo(20);
    wr(l, 0x380, 50); // restart
    expect(run(rig, l, 200)).toEqual([[71, 0x44]]);
  });

  it('fires in TSC-deadline mode at the deadline, then clears the MSR', () => {
    const rig = makeRig(flavour, { tscDeadline: true, start: 100 });
    const l = rig.cpus[0]!;
    enable(l);
    expect(l.writeMsr(0x6e0, 500n)).toBe(true); // ignored: not in TSC-deadline mode
    expect(l.readMsr(0x6e0)).toBe(0n);
    wr(l, 0x320, 0x40045);
    expect(rd(l, 0x320)).toBe(0x40045);
    wr(l, 0x380, 10); // ignored in TSC-deadline mode
    expect(rd(l, 0x380)).toBe(0);
    rig.tsc.value = 1100n; // the TSC runs 1000 ahead of virtual ns
    expect(l.writeMsr(0x6e0, 1500n)).toBe(true);
    expect(l.readMsr(0x6e0)).toBe(1500n);
    expect(rd(l, 0x390)).toBe(0);
    expect(run(rig, l, 1000)).toEqual([[500, 0x45]]);
    expect(l.readMsr(0x6e0)).toBe(0n);
    // A deadline already passed fires at once; writing 0 disarms.
    rig.tsc.value = 2000n;
    l.writeMsr(0x6e0, 5n);
    expect(run(rig, l, 1000)).toEqual([[1000, 0x45]]);
    l.writeMsr(0x6e0, 9000n);
    l.writeMsr(0x6e0, 0n);
    expect(run(rig, l, 20000)).toEqual([]);
    // Leaving TSC-deadline mode clears the deadline.
    l.writeMsr(0x6e0, 30000n);
    wr(l, 0x320, 0x45);
    expect(l.readMsr(0x6e0)).toBe(0n);
    expect(run(rig, l, 40000)).toEqual([]);
  });

  it('has no timer interrupt while software-disabled, and INIT stops the count', () => {
    const rig = makeRig(flavour);
    const l = rig.cpus[0]!;
    enable(l);
    wr(l, 0x3e0, 0xb);
    wr(l, 0x320, 0x20046);
    wr(l, 0x380, 10);
    expect(run(rig, l, 25)).toEqual([
      [11, 0x46],
      [22, 0x46],
    ]);
    wr(l, 0xf0, 0xff);
    expect(run(rig, l, 60)).toEqual([]);
    l.initReset();
    expect(rig.tc.clock.nextDeadline()).toBe(Infinity);
  });
});
