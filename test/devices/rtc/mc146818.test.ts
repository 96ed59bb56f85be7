import { describe, expect, it } from 'vitest';
import { IoBus } from '../../../src/bus/io-bus.ts';
import { IrqLine } from '../../../src/irq.ts';
import { Mc146818 } from '../../../devices/rtc/mc146818.ts';
import { RecordingSink, roundTrip, TestClock } from '../helpers.ts';

// 2024-01-02 03:04:05 UTC, a Tuesday
const BASE = Date.UTC(2024, 0, 2, 3, 4, 5) / 1000;

function setup(startNs = 0, ramSize = 32 * 1024 * 1024) {
  const tc = new TestClock();
  tc.counter.n = startNs;
  const sink = new RecordingSink(() => tc.now());
  const rtc = new Mc146818(tc.clock, new IrqLine(sink, 8), { baseTime: BASE, ramSize });
  const bus = new IoBus();
  bus.register(0x70, 2, rtc);
  const rd = (i: number) => {
    bus.write(0x70, 1, i);
    return bus.read(0x71, 1);
  };
  const wr = (i: number, v: number) => {
    bus.write(0x70, 1, i);
    bus.write(0x71, 1, v);
  };
  return { tc, sink, rtc, bus, rd, wr };
}

describe('mc146818', () => {
  it('reads the configured time in BCD, 24-hour mode', () => {
    const { rd } = setup();
    expect([0, 2, 4, 6, 7, 8, 9, 0x32].map(rd)).toEqual([0x05, 0x04, 0x03, 0x03, 0x02, 0x01, 0x24, 0x20]);
    expect(rd(0x0a)).toBe(0x26);
    expect(rd(0x0b)).toBe(0x02);
    expect(rd(0x0d)).toBe(0x80);
  });

  it('advances with virtual time only', () => {
    const { tc, rd } = setup();
    tc.advanceTo(999_999_999);
    expect(rd(0)).toBe(0x05);
    tc.advanceTo(1_000_000_000);
    expect(rd(0)).toBe(0x06);
    tc.advanceTo(61_000_000_000);
    expect(rd(0)).toBe(0x06);
    expect(rd(2)).toBe(0x05);
    tc.advanceTo(86_400_000_000_000); // a day later: Wednesday the 3rd
    expect(rd(6)).toBe(0x04);
    expect(rd(7)).toBe(0x03);
  });

  it('binary and 12-hour formats', () => {
    const { tc, rd, wr } = setup();
    wr(0x0b, 0x06); // binary, 24h
    expect(rd(0)).toBe(5);
    expect(rd(9)).toBe(24);
    expect(rd(0x32)).toBe(20);
    tc.advanceTo(12 * 3600 * 1e9); // 15:04:05
    expect(rd(4)).toBe(15);
    wr(0x0b, 0x04); // binary, 12h
    expect(rd(4)).toBe(0x80 | 3);
    wr(0x0b, 0x00); // BCD, 12h
    expect(rd(4)).toBe(0x83);
  });

  it('the guest sets the time with SET, and it runs from there', () => {
    const { tc, rd, wr } = setup();
    wr(0x0b, 0x82); // SET
    tc.advanceTo(5e9);
    expect(rd(0)).toBe(0x05); // frozen
    wr(0, 0x30);
    wr(2, 0x59);
    wr(4, 0x23);
    wr(7, 0x31);
    wr(8, 0x12);
    wr(9, 0x99);
    wr(0x32, 0x19);
    wr(0x0b, 0x02);
    tc.advanceTo(5e9 + 30e9);
    expect([0, 2, 4, 7, 8, 9, 0x32].map(rd)).toEqual([0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x20]);
    // writing one time register while running
    wr(2, 0x10);
    expect(rd(2)).toBe(0x10);
    expect(rd(4)).toBe(0x00);
  });

  it('UIP is set for 244 us before each update', () => {
    const { tc, rd } = setup();
    tc.advanceTo(1e9 - 244_001);
    expect(rd(0x0a) & 0x80).toBe(0);
    tc.advanceTo(1e9 - 244_000);
    expect(rd(0x0a) & 0x80).toBe(0x80);
    tc.advanceTo(1e9);
    expect(rd(0x0a) & 0x80).toBe(0);
  });

  it('periodic interrupt at the programmed rate; C clears on read', () => {
    const { tc, sink, rd, wr } = setup();
    wr(0x0a, 0x26); // 1024 Hz
    wr(0x0b, 0x42); // PIE
    let count = 0;
    for (;;) {
      const d = tc.clock.nextDeadline();
      if (d > 1e9) break;
      tc.stepTo(d);
      expect(sink.level(8)).toBe(1);
      const c = rd(0x0c);
      expect(c & 0xc0).toBe(0xc0);
      expect(sink.level(8)).toBe(0);
      count++;
    }
    expect(count).toBe(1024);
    // 2 Hz
    wr(0x0a, 0x2f);
    const start = tc.now();
    tc.stepTo(start + 2e9);
    expect(sink.rises(8).filter((t) => t > start).length).toBe(1); // stays high until C is read
  });

  it('PF is set without PIE and read through C; update and alarm interrupts', () => {
    const { tc, sink, rd, wr } = setup();
    wr(0x0a, 0x23);
    tc.advanceTo(1_000_000);
    expect(rd(0x0c)).toBe(0x40);
    expect(sink.level(8)).toBe(0);
    // alarm at 03:04:08
    wr(1, 0x08);
    wr(3, 0x04);
    wr(5, 0x03);
    wr(0x0a, 0x20);
    rd(0x0c);
    wr(0x0b, 0x22); // AIE
    tc.stepTo(2.5e9);
    expect(sink.level(8)).toBe(0);
    tc.stepTo(3e9);
    expect(sink.level(8)).toBe(1);
    expect(rd(0x0c) & 0xb0).toBe(0xb0);
    wr(0x0b, 0x12); // UIE
    tc.stepTo(3.5e9);
    expect(sink.level(8)).toBe(0);
    tc.stepTo(4e9);
    expect(sink.level(8)).toBe(1);
    expect(rd(0x0c) & 0x90).toBe(0x90);
  });

  it('divider reset stops the clock; the first update comes 500 ms after it restarts', () => {
    const { tc, sink, rd, wr } = setup();
    wr(0x0a, 0x70); // divider in reset
    tc.advanceTo(10e9);
    expect(rd(0)).toBe(0x05);
    wr(0, 0x30);
    wr(0x0a, 0x26);
    const start = tc.now();
    tc.advanceTo(start + 499_999_999);
    expect(rd(0)).toBe(0x30);
    tc.advanceTo(start + 500_000_000);
    expect(rd(0)).toBe(0x31);
    tc.advanceTo(start + 1_500_000_000);
    expect(rd(0)).toBe(0x32);
    expect(sink.events).toEqual([]); // no interrupt was enabled
  });

  it('building the device touches neither IRQ8 nor the timer', () => {
    const { tc, sink } = setup();
    expect(sink.events).toEqual([]);
    expect(tc.clock.nextDeadline()).toBe(Infinity);
  });

  it('fills the CMOS memory size bytes and stores the NMI mask bit', () => {
    const small = setup(0, 32 * 1024 * 1024);
    expect(small.rd(0x15) | (small.rd(0x16) << 8)).toBe(640);
    expect(small.rd(0x17) | (small.rd(0x18) << 8)).toBe(31 * 1024);
    expect(small.rd(0x30) | (small.rd(0x31) << 8)).toBe(31 * 1024);
    expect(small.rd(0x34) | (small.rd(0x35) << 8)).toBe(256);
    const big = setup(0, 128 * 1024 * 1024);
    expect(big.rd(0x17) | (big.rd(0x18) << 8)).toBe(0xffff);
    expect(big.rd(0x34) | (big.rd(0x35) << 8)).toBe(112 * 16);
    big.bus.write(0x70, 1, 0x80 | 0x20);
    expect(big.rtc.nmiMask).toBe(true);
    big.bus.write(0x71, 1, 0x5a);
    expect(big.rd(0x20)).toBe(0x5a);
    expect(big.rtc.nmiMask).toBe(false);
    expect(big.bus.read(0x70, 1)).toBe(0xff);
  });

  it('round-trips state; the next interrupts and reads are the same after load', () => {
    const { tc, sink, rtc, rd, wr } = setup(7_000);
    wr(0x0a, 0x2a); // 64 Hz
    wr(0x0b, 0x52); // PIE | UIE
    wr(0x40, 0x99);
    tc.stepTo(1_234_567_890);
    rd(0x0c);
    tc.stepTo(1_240_000_000);
    const b = setup(1_240_000_000);
    roundTrip(rtc, b.rtc, '/machine/rtc');
    b.rtc.postLoad();
    expect(b.sink.level(8)).toBe(sink.level(8));
    const trace = (x: { tc: TestClock; rd: (i: number) => number }) => {
      const out: number[] = [];
      for (let i = 0; i < 100; i++) {
        const d = x.tc.clock.nextDeadline();
        x.tc.stepTo(d);
        out.push(d, x.rd(0x0c), x.rd(0), x.rd(0x0a));
      }
      return out;
    };
    expect(trace(b)).toEqual(trace({ tc, rd }));
    expect(b.rd(0x40)).toBe(0x99);
  });
});
