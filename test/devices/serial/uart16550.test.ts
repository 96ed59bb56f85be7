import { describe, expect, it } from 'vitest';
import { IoBus } from '../../../src/bus/io-bus.ts';
import { IrqLine } from '../../../src/irq.ts';
import { Uart16550 } from '../../../devices/serial/uart16550.ts';
import { RecordingSink, roundTrip } from '../helpers.ts';

const BASE = 0x3f8;

function setup() {
  const sink = new RecordingSink();
  const out: number[] = [];
  const irq = new IrqLine(sink, 4);
  const uart = new Uart16550(irq, (b) => out.push(b));
  const bus = new IoBus();
  bus.register(BASE, 8, uart);
  const rd = (r: number) => bus.read(BASE + r, 1);
  const wr = (r: number, v: number) => bus.write(BASE + r, 1, v);
  return { uart, sink, out, bus, rd, wr, irq };
}

/** The probe of Linux's drivers/tty/serial/8250/8250_port.c autoconfig(), reduced to its port I/O. */
function linuxAutoconfig(rd: (r: number) => number, wr: (r: number, v: number) => void): string {
  const scratch = rd(1);
  wr(1, 0);
  const scratch2 = rd(1) & 0x0f;
  wr(1, 0x0f);
  const scratch3 = rd(1) & 0x0f;
  wr(1, scratch);
  if (scratch2 !== 0 || scratch3 !== 0x0f) return 'none';
  const saveMcr = rd(4);
  const saveLcr = rd(3);
  wr(4, 0x10 | 0x0a);
  const status1 = rd(6) & 0xf0;
  wr(4, saveMcr);
  if (status1 !== 0x90) return 'loopback failed';
  wr(3, 0xbf);
  wr(2, 0);
  wr(3, 0);
  wr(2, 0x01);
  const iir = rd(2);
  wr(3, saveLcr);
  switch (iir >> 6) {
    case 0:
      return '16450';
    case 1:
      return 'unknown';
    case 2:
      return '16550';
    default: {
      // 16750 check: 64-byte FIFO bit must not stick
      wr(3, 0);
      wr(2, 0x21);
      const s1 = rd(2) >> 5;
      wr(2, 0x01);
      wr(3, 0x80);
      wr(2, 0x21);
      const s2 = rd(2) >> 5;
      wr(2, 0x01);
      wr(3, 0);
      if (s1 === 6 && s2 === 7) return '16750';
      // scratch register test (8250 vs 16450 family)
      wr(7, 0xa5);
      if (rd(7) !== 0xa5) return 'no scratch';
      return '16550A';
    }
  }
}

describe('uart16550', () => {
  it('passes the Linux 8250 autoconfig probe as a 16550A', () => {
    const { rd, wr } = setup();
    expect(linuxAutoconfig(rd, wr)).toBe('16550A');
    expect(rd(5)).toBe(0x60);
  });

  it('transmits to the sink and raises THRE at once, gated by OUT2', () => {
    const { sink, out, rd, wr } = setup();
    wr(4, 0x00); // OUT2 off
    wr(1, 0x02);
    expect(rd(2) & 0x0f).toBe(0x02);
    expect(sink.level(4)).toBe(0);
    wr(1, 0x00);
    wr(4, 0x08); // OUT2 on
    wr(1, 0x02);
    expect(sink.level(4)).toBe(1);
    expect(rd(2)).toBe(0x02); // reading IIR clears the THRE interrupt
    expect(sink.level(4)).toBe(0);
    wr(0, 0x41);
    expect(out).toEqual([0x41]);
    expect(sink.level(4)).toBe(1);
    // the write makes a fresh edge: low then high
    const last = sink.events.slice(-2).map((e) => e.level);
    expect(last).toEqual([0, 1]);
    expect(rd(5) & 0x60).toBe(0x60);
  });

  it('divisor latch through DLAB', () => {
    const { rd, wr } = setup();
    wr(3, 0x83);
    wr(0, 0x01);
    wr(1, 0x02);
    expect(rd(0)).toBe(0x01);
    expect(rd(1)).toBe(0x02);
    wr(3, 0x03);
    expect(rd(1)).toBe(0x00);
    expect(rd(3)).toBe(0x03);
  });

  it('loopback: transmitted bytes come back, MSR mirrors MCR with deltas', () => {
    const { out, rd, wr, uart } = setup();
    wr(4, 0x10);
    expect(rd(6)).toBe(0x0b); // CTS, DSR and DCD fell (RI was low)
    expect(rd(6)).toBe(0x00);
    wr(4, 0x1f);
    expect(rd(6)).toBe(0xf0 | 0x0b);
    wr(4, 0x10 | 0x08);
    expect(rd(6)).toBe(0x80 | 0x04 | 0x01 | 0x02); // RI trailing edge, CTS and DSR changed
    wr(0, 0x5a);
    expect(out).toEqual([]);
    expect(rd(5) & 0x01).toBe(1);
    expect(rd(0)).toBe(0x5a);
    expect(uart.canReceive()).toBe(0); // no outside input in loopback
  });

  it('FIFO: trigger level, timeout, priorities and overrun', () => {
    const { sink, rd, wr, uart } = setup();
    wr(2, 0x81); // FIFO on, trigger 8
    expect(rd(2) & 0xc0).toBe(0xc0);
    wr(1, 0x07); // RDI | THRI | RLSI
    expect(rd(2) & 0x0f).toBe(0x02); // THRE pending (IER THRI rising edge)
    expect(rd(2) & 0x0f).toBe(0x01);
    expect(uart.receive([1, 2, 3])).toBe(3);
    expect(rd(2) & 0x0f).toBe(0x0c); // below trigger: timeout
    expect(uart.receive([4, 5, 6, 7, 8])).toBe(5);
    expect(rd(2) & 0x0f).toBe(0x04); // at the trigger level
    expect(sink.level(4)).toBe(1);
    expect(uart.canReceive()).toBe(8);
    expect(uart.receive(new Uint8Array(20).fill(9))).toBe(8);
    expect(uart.canReceive()).toBe(0);
    const got: number[] = [];
    while (rd(5) & 0x01) got.push(rd(0));
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 9, 9, 9, 9, 9]);
    expect(rd(2) & 0x0f).toBe(0x01);
    expect(sink.level(4)).toBe(0);
    // overrun in non-FIFO loopback: line status interrupt has top priority
    wr(2, 0x00);
    wr(4, 0x18);
    wr(0, 1);
    wr(0, 2);
    expect(rd(2) & 0x0f).toBe(0x06);
    expect(rd(5) & 0x02).toBe(0x02);
    expect(rd(5) & 0x02).toBe(0); // OE clears on read
    expect(rd(2) & 0x0f).toBe(0x04);
    expect(rd(0)).toBe(2);
  });

  it('non-FIFO mode accepts one byte at a time from outside', () => {
    const { uart, rd } = setup();
    expect(uart.receive([10, 11])).toBe(1);
    expect(uart.receive([11])).toBe(0);
    expect(rd(0)).toBe(10);
    expect(uart.receive([11])).toBe(1);
  });

  it('modem status interrupt has the lowest priority', () => {
    const { rd, wr } = setup();
    wr(1, 0x0a); // MSI | THRI
    wr(4, 0x18); // loopback: DCD follows OUT2, deltas appear
    expect(rd(2) & 0x0f).toBe(0x02);
    expect(rd(2) & 0x0f).toBe(0x00);
    rd(6);
    expect(rd(2) & 0x0f).toBe(0x01);
  });

  it('round-trips registers, FIFO contents and pending interrupts', () => {
    const { uart, sink, rd, wr } = setup();
    wr(3, 0x83);
    wr(0, 0x01);
    wr(3, 0x03);
    wr(2, 0x41);
    wr(1, 0x03);
    wr(7, 0x77);
    uart.receive([0x61, 0x62, 0x63, 0x64, 0x65]);
    rd(0);
    const b = setup();
    roundTrip(uart, b.uart, '/machine/serial[0]');
    const driven = b.sink.events.length;
    b.uart.postLoad();
    expect(b.sink.events.length).toBe(driven);
    expect(b.irq.level).toBe(sink.level(4));
    for (const r of [2, 5, 6, 7, 3, 4, 1]) expect(b.rd(r)).toBe(rd(r));
    const drain = (x: typeof b) => {
      const got: number[] = [];
      while (x.rd(5) & 1) got.push(x.rd(0));
      return got;
    };
    expect(drain(b)).toEqual(drain({ uart, sink, rd, wr } as unknown as typeof b));
    expect(b.rd(2)).toBe(rd(2));
  });
});
