/**
 * A test device that uses every visitor method: scalars of each kind, typed arrays, bytes, a struct,
 * a struct array and an optional group. The shape resembles a small interrupt controller.
 */
import type { Visitor } from '../../src/visit/visitor.ts';
import type { StateObject } from '../../src/qom/object.ts';

export interface Channel {
  mode: number;
  count: number;
  gate: boolean;
}

export class SampleDevice implements StateObject {
  readonly typeName = 'sample';
  readonly stateVersion = 2;
  tpr = 0;
  id = 0;
  flags = 0;
  small = 0;
  delta = 0;
  offset = 0;
  tsc = 0n;
  adjust = 0n;
  enabled = false;
  irr = new Uint8Array(4);
  words = new Uint16Array(3);
  isr = new Uint32Array(8);
  signed = new Int32Array(2);
  deadlines = new BigUint64Array(2);
  ram = new Uint8Array(64);
  timer = { divide: 0, initial: 0 };
  channels: Channel[] = [0, 1, 2].map(() => ({ mode: 0, count: 0, gate: false }));
  /** Optional group: saved only when waitForSipi is set. */
  waitForSipi = false;
  sipiVector = 0;
  /** Set by visit on load: whether the optional group was present. */
  sipiPresent = false;

  visit(v: Visitor): void {
    this.tpr = v.u8('tpr', this.tpr);
    this.id = v.u16('id', this.id);
    this.flags = v.u32('flags', this.flags);
    this.small = v.i8('small', this.small);
    this.delta = v.i16('delta', this.delta);
    this.offset = v.i32('offset', this.offset);
    this.tsc = v.u64('tsc', this.tsc);
    this.adjust = v.i64('adjust', this.adjust);
    this.enabled = v.bool('enabled', this.enabled);
    v.u8Array('irr', this.irr);
    v.u16Array('words', this.words);
    v.u32Array('isr', this.isr);
    v.i32Array('signed', this.signed);
    v.u64Array('deadlines', this.deadlines);
    v.bytes('ram', this.ram);
    v.struct('timer', () => {
      this.timer.divide = v.u8('divide', this.timer.divide);
      this.timer.initial = v.u32('initial', this.timer.initial);
    });
    v.structArray('channels', this.channels.length, (i) => {
      const ch = this.channels[i]!;
      ch.mode = v.u8('mode', ch.mode);
      ch.count = v.u16('count', ch.count);
      ch.gate = v.bool('gate', ch.gate);
    });
    this.sipiPresent = v.optional('sipi', this.waitForSipi, () => {
      this.sipiVector = v.u8('vector', this.sipiVector);
    });
    if (v.mode === 'load') {
      this.waitForSipi = this.sipiPresent;
      if (!this.sipiPresent) this.sipiVector = 0;
    }
  }
}

/** A SampleDevice with every field set to a distinctive, extreme value. */
export function filledSample(): SampleDevice {
  const d = new SampleDevice();
  d.tpr = 0xff;
  d.id = 0xabcd;
  d.flags = 0xffffffff;
  d.small = -128;
  d.delta = -32768;
  d.offset = -0x80000000;
  d.tsc = (1n << 64n) - 1n;
  d.adjust = -(1n << 63n);
  d.enabled = true;
  d.irr.set([1, 2, 3, 255]);
  d.words.set([0, 0xffff, 7]);
  d.isr.set([0, 1, 2, 0x80000000, 4, 5, 6, 0xffffffff]);
  d.signed.set([-1, 0x7fffffff]);
  d.deadlines.set([(1n << 63n) - 1n, 1n << 63n]);
  for (let i = 0; i < d.ram.length; i++) d.ram[i] = (i * 7) & 0xff;
  d.timer = { divide: 11, initial: 0x12345678 };
  d.channels[1]!.mode = 3;
  d.channels[1]!.count = 0xffff;
  d.channels[2]!.gate = true;
  d.waitForSipi = true;
  d.sipiVector = 0x9a;
  return d;
}
