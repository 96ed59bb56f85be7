import { describe, expect, it } from 'vitest';
import { IoBus } from '../../../src/bus/io-bus.ts';
import { IrqLine } from '../../../src/irq.ts';
import { I8254 } from '../../../devices/pit/i8254.ts';
import { Port61 } from '../../../devices/pit/port61.ts';
import { nsForTicks, PIT_HZ, ticksForNs } from '../../../src/hw/pit-math.ts';
import { RecordingSink, roundTrip, TestClock } from '../helpers.ts';

function setup(startNs = 0) {
  const tc = new TestClock();
  tc.counter.n = startNs;
  const sink = new RecordingSink(() => tc.now());
  const irq = new IrqLine(sink, 0);
  const pit = new I8254(tc.clock, irq);
  const p61 = new Port61(pit, tc.clock);
  const bus = new IoBus();
  bus.register(0x40, 4, pit);
  bus.register(0x61, 1, p61);
  return { tc, sink, pit, p61, bus, irq };
}

/** Exact reference: ns after the load at which tick n begins, ceil(n * 1e9 / PIT_HZ), in BigInt. */
function refNs(n: bigint): number {
  const num = n * 1_000_000_000n;
  const hz = BigInt(PIT_HZ);
  return Number((num + hz - 1n) / hz);
}

function latchRead(bus: IoBus, ch: number): number {
  bus.write(0x43, 1, ch << 6);
  const lo = bus.read(0x40 + ch, 1);
  const hi = bus.read(0x40 + ch, 1);
  return lo | (hi << 8);
}

describe('pit arithmetic', () => {
  it('converts ns and ticks exactly, also for long runs', () => {
    for (const ns of [0, 1, 838, 839, 999_999_999, 1e9, 7.5e9 + 123, 3.6e12 + 987_654_321, 8e15 + 1]) {
      const ref = Number((BigInt(ns) * BigInt(PIT_HZ)) / 1_000_000_000n);
      expect(ticksForNs(ns)).toBe(ref);
    }
    for (const n of [1, 2, 1193, 1193182, 1193183, 4_294_967_296, 9_000_000_000_000]) {
      const t = nsForTicks(n);
      expect(t).toBe(refNs(BigInt(n)));
      expect(ticksForNs(t)).toBeGreaterThanOrEqual(n);
      expect(ticksForNs(t - 1)).toBeLessThan(n);
    }
  });
});

describe('i8254', () => {
  it('mode 2 raises IRQ0 exactly once per period, for a long run', () => {
    const { tc, sink, pit, bus } = setup(5_000);
    bus.write(0x43, 1, 0x34); // channel 0, lo/hi, mode 2
    bus.write(0x40, 1, 1193 & 0xff);
    bus.write(0x40, 1, 1193 >> 8);
    const load = 5_000;
    tc.stepTo(load + 50_000_000); // 50 ms
    const rises = sink.rises(0).filter((t) => t > load);
    expect(rises.length).toBe(Math.floor(ticksForNs(50_000_000) / 1193));
    rises.forEach((t, i) => expect(t).toBe(load + refNs(BigInt((i + 1) * 1193))));
    // An hour later the edges are still exactly on the tick grid.
    const hour = 3_600_000_000_000;
    pit.setIrqEnabled(false); // skip an hour without delivering its 3.6 million edges
    tc.counter.n = load + hour;
    pit.setIrqEnabled(true);
    tc.stepTo(load + hour + 5_000_000);
    const late = sink.rises(0).filter((t) => t > load + hour);
    const firstK = Math.floor(ticksForNs(hour) / 1193) + 1;
    expect(late[0]).toBe(load + refNs(BigInt(firstK * 1193)));
  });

  it('building the device touches neither IRQ0 nor the timer; reset starts channel 0 at 18.2 Hz', () => {
    const { tc, sink, pit } = setup();
    expect(sink.events).toEqual([]);
    expect(tc.clock.nextDeadline()).toBe(Infinity);
    pit.reset();
    expect(sink.level(0)).toBe(1); // mode 3 starts high
    tc.stepTo(1e9);
    expect(sink.rises(0).length).toBe(1 + 18); // the rise at reset, then one per 54.9 ms
    pit.dispose();
    expect(tc.clock.nextDeadline()).toBe(Infinity);
  });

  it('mode 2 output is high except for the tick before reload; count reads back', () => {
    const { tc, pit, bus } = setup();
    bus.write(0x43, 1, 0x34);
    bus.write(0x40, 1, 100);
    bus.write(0x40, 1, 0);
    expect(pit.getOut(0)).toBe(1);
    tc.advanceTo(nsForTicks(10));
    expect(latchRead(bus, 0)).toBe(90);
    tc.advanceTo(nsForTicks(99));
    expect(pit.getOut(0)).toBe(0);
    tc.advanceTo(nsForTicks(100));
    expect(pit.getOut(0)).toBe(1);
    expect(latchRead(bus, 0)).toBe(100);
  });

  it('mode 0 via port 0x61: Linux TSC calibration sequence', () => {
    const { tc, bus } = setup(1_000);
    bus.write(0x61, 1, (bus.read(0x61, 1) & ~0x02) | 0x01);
    bus.write(0x43, 1, 0xb0); // channel 2, lo/hi, mode 0, binary
    const latch = Math.floor(PIT_HZ / 20); // 50 ms
    bus.write(0x42, 1, latch & 0xff);
    bus.write(0x42, 1, latch >> 8);
    const start = tc.now();
    let polls = 0;
    while ((bus.read(0x61, 1) & 0x20) === 0) {
      tc.counter.n += 1000;
      polls++;
    }
    const elapsed = tc.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(refNs(BigInt(latch)));
    expect(elapsed).toBeLessThan(refNs(BigInt(latch)) + 1000);
    expect(polls).toBeGreaterThan(0);
  });

  it('mode 0 stops counting while the gate is low', () => {
    const { tc, bus } = setup();
    bus.write(0x61, 1, 0x01);
    bus.write(0x43, 1, 0xb0);
    bus.write(0x42, 1, 0x00);
    bus.write(0x42, 1, 0x10); // 4096
    tc.advanceTo(nsForTicks(96));
    expect(latchRead(bus, 2)).toBe(4000);
    bus.write(0x61, 1, 0x00); // gate low
    tc.advanceTo(nsForTicks(96) + 1_000_000);
    expect(latchRead(bus, 2)).toBe(4000);
    expect(bus.read(0x61, 1) & 0x20).toBe(0);
    const resume = tc.now();
    bus.write(0x61, 1, 0x01);
    tc.advanceTo(resume + nsForTicks(4000) - 1);
    expect(bus.read(0x61, 1) & 0x20).toBe(0);
    tc.advanceTo(resume + nsForTicks(4000));
    expect(bus.read(0x61, 1) & 0x20).toBe(0x20);
  });

  it('mode 3 is a square wave, half high, half low', () => {
    const { tc, pit, bus } = setup();
    bus.write(0x43, 1, 0x36);
    bus.write(0x40, 1, 10);
    bus.write(0x40, 1, 0);
    const outs: number[] = [];
    for (let t = 0; t < 20; t++) {
      tc.advanceTo(nsForTicks(t));
      outs.push(pit.getOut(0));
    }
    expect(outs.join('')).toBe('11111000001111100000');
  });

  it('modes 1, 4 and 5 outputs', () => {
    const { tc, pit, bus } = setup();
    // mode 4 on channel 1: high, low for one tick at terminal count
    bus.write(0x43, 1, 0x78);
    bus.write(0x41, 1, 5);
    bus.write(0x41, 1, 0);
    const outs: number[] = [];
    for (let t = 0; t < 8; t++) {
      tc.advanceTo(nsForTicks(t));
      outs.push(pit.getOut(1));
    }
    expect(outs.join('')).toBe('11111011');
    // mode 1 on channel 2: triggered by the gate, low until terminal count
    const t0 = tc.now();
    bus.write(0x43, 1, 0xb2);
    bus.write(0x42, 1, 3);
    bus.write(0x42, 1, 0);
    bus.write(0x61, 1, 0x01); // rising gate: trigger
    const trig = tc.now();
    expect(pit.getOut(2)).toBe(0);
    tc.advanceTo(trig + nsForTicks(3));
    expect(pit.getOut(2)).toBe(1);
    expect(t0).toBeLessThanOrEqual(trig);
    // mode 5: retriggered strobe
    bus.write(0x61, 1, 0x00);
    bus.write(0x43, 1, 0xba);
    bus.write(0x42, 1, 4);
    bus.write(0x42, 1, 0);
    bus.write(0x61, 1, 0x01);
    const trig5 = tc.now();
    tc.advanceTo(trig5 + nsForTicks(4));
    expect(pit.getOut(2)).toBe(0);
    tc.advanceTo(trig5 + nsForTicks(5));
    expect(pit.getOut(2)).toBe(1);
  });

  it('lsb-only, msb-only access, BCD and the read-back command', () => {
    const { tc, bus } = setup();
    bus.write(0x43, 1, 0x50); // channel 1, lsb only, mode 0
    bus.write(0x41, 1, 200);
    tc.advanceTo(nsForTicks(50));
    expect(bus.read(0x41, 1)).toBe(150);
    bus.write(0x43, 1, 0x60); // msb only
    bus.write(0x41, 1, 0x02); // 0x200
    tc.advanceTo(nsForTicks(50) + nsForTicks(0x100) + 1);
    expect(bus.read(0x41, 1)).toBe(0x01); // 0x200 - 0x100 left: high byte 0x01
    bus.write(0x43, 1, 0x71); // channel 1, lo/hi, mode 0, BCD
    bus.write(0x41, 1, 0x00);
    bus.write(0x41, 1, 0x10); // BCD 1000
    const load = tc.now();
    tc.advanceTo(load + nsForTicks(1));
    expect(latchRead(bus, 1)).toBe(0x0999);
    // read-back: latch status and count of channel 1
    bus.write(0x43, 1, 0xc4);
    const status = bus.read(0x41, 1);
    expect(status & 0x3f).toBe(0x31); // lo/hi, mode 0, BCD
    expect(status & 0x80).toBe(0); // OUT low before terminal count
    expect(bus.read(0x41, 1) | (bus.read(0x41, 1) << 8)).toBe(0x0999);
    // control word register reads float
    expect(bus.read(0x43, 1)).toBe(0xff);
  });

  it('a latch holds the value until read, and is not re-latched', () => {
    const { tc, bus } = setup();
    bus.write(0x43, 1, 0x30);
    bus.write(0x40, 1, 0xff);
    bus.write(0x40, 1, 0xff);
    tc.advanceTo(nsForTicks(5));
    bus.write(0x43, 1, 0x00);
    tc.advanceTo(nsForTicks(500));
    bus.write(0x43, 1, 0x00); // ignored: already latched
    expect(bus.read(0x40, 1) | (bus.read(0x40, 1) << 8)).toBe(0xffff - 5);
  });

  it('port 0x61 refresh bit toggles with virtual time; speaker bit reads back', () => {
    const { tc, bus } = setup();
    bus.write(0x61, 1, 0x03);
    const a = bus.read(0x61, 1);
    tc.advanceBy(15_085);
    const b = bus.read(0x61, 1);
    expect((a ^ b) & 0x10).toBe(0x10);
    expect(a & 0x03).toBe(0x03);
  });

  it('round-trips state and fires the next IRQ at the same time after load', () => {
    const { tc, sink, pit, p61, bus } = setup(12_345);
    bus.write(0x43, 1, 0x34);
    bus.write(0x40, 1, 0x9c);
    bus.write(0x40, 1, 0x2e); // 11932 ~ 10 ms
    bus.write(0x61, 1, 0x03);
    bus.write(0x43, 1, 0xb0);
    bus.write(0x42, 1, 0x34);
    bus.write(0x43, 1, 0x80); // latch channel 2 mid-write? (write_state WORD1 pending)
    tc.stepTo(25_000_000);

    const b = setup(25_000_000);
    const tree = roundTrip(pit, b.pit, '/machine/pit');
    roundTrip(p61, b.p61, '/machine/pcspk');
    expect(Array.isArray(tree['channels'])).toBe(true);
    const driven = b.sink.events.length;
    b.pit.postLoad();
    // post-load remembers the output level without driving the PIC (whose state records it).
    expect(b.sink.events.length).toBe(driven);
    expect(b.irq.level).toBe(sink.level(0));
    tc.stepTo(60_000_000);
    b.tc.stepTo(60_000_000);
    const after = (s: RecordingSink) => s.rises(0).filter((t) => t > 25_000_000);
    expect(after(b.sink)).toEqual(after(sink));
    expect(after(sink).length).toBe(3);
    for (const port of [0x40, 0x41, 0x42, 0x61]) expect(b.bus.read(port, 1)).toBe(bus.read(port, 1));
  });
});
