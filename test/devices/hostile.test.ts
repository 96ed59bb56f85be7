/**
 * Every device survives arbitrary guest port traffic and describes its state; loading a tree with
 * extreme values never makes a later guest access throw.
 */
import { describe, expect, it } from 'vitest';
import { IO_16, IO_32, IO_8, IoBus } from '../../src/bus/io-bus.ts';
import { IrqLine } from '../../src/irq.ts';
import type { StateObject } from '../../src/qom/object.ts';
import { describeState } from '../../src/visit/describe-visitor.ts';
import { loadState } from '../../src/visit/input-visitor.ts';
import { saveState } from '../../src/visit/output-visitor.ts';
import { treesEqual, type StateNode, type StateValue } from '../../src/visit/state-tree.ts';
import { validateAgainstSchema } from '../../src/visit/schema.ts';
import { isStateError } from '../../src/util/errors.ts';
import { FwCfg } from '../../devices/fw-cfg/fw-cfg.ts';
import { Port80 } from '../../devices/misc/port80.ts';
import { Port92 } from '../../devices/misc/port92.ts';
import { PicPair } from '../../devices/pic/pic-pair.ts';
import { I8254 } from '../../devices/pit/i8254.ts';
import { Port61 } from '../../devices/pit/port61.ts';
import { Mc146818 } from '../../devices/rtc/mc146818.ts';
import { Uart16550 } from '../../devices/serial/uart16550.ts';
import { DebugExit } from '../../devices/testdev/debug-exit.ts';
import { PcTestdev } from '../../devices/testdev/pc-testdev.ts';
import { TestClock } from './helpers.ts';

function machine() {
  const tc = new TestClock();
  const pic = new PicPair();
  const bus = new IoBus();
  bus.map(pic.portRanges());
  const pit = new I8254(tc.clock, new IrqLine(pic, 0));
  const p61 = new Port61(pit, tc.clock);
  const uart = new Uart16550(new IrqLine(pic, 4), () => {});
  const rtc = new Mc146818(tc.clock, new IrqLine(pic, 8), { baseTime: 1.7e9, ramSize: 64 << 20 });
  const fw = new FwCfg(new Map());
  const testdev = new PcTestdev(pic);
  const objects: StateObject[] = [
    pic.master,
    pic.slave,
    pit,
    p61,
    uart,
    rtc,
    fw,
    testdev,
    new DebugExit(() => {}),
    new Port80(),
    new Port92(
      () => {},
      () => {},
    ),
  ];
  bus.register(0x40, 4, pit);
  bus.register(0x61, 1, p61);
  bus.register(0x3f8, 8, uart);
  bus.register(0x70, 2, rtc);
  bus.register(0x510, 2, fw, IO_8 | IO_16);
  bus.map(testdev.portRanges());
  bus.register(0xf4, 4, objects[8] as DebugExit, IO_8 | IO_16 | IO_32);
  bus.register(0x80, 1, objects[9] as Port80);
  bus.register(0x92, 1, objects[10] as Port92);
  return { tc, pic, bus, objects, uart };
}

const PORTS = [
  0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x40, 0x41, 0x42, 0x43, 0x61, 0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd,
  0x3fe, 0x3ff, 0x70, 0x71, 0x510, 0x511, 0xe0, 0xe4, 0xe8, 0x2000, 0x2007, 0x2017, 0xf4, 0x80, 0x92,
];

/** A small deterministic PRNG (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** Replace every number in a tree by an extreme value of the same field (keeps kinds valid). */
function extremes(tree: StateValue, pick: () => number): StateValue {
  if (typeof tree === 'number') return [0, tree, 0xff, 0x7f, 1][pick() % 5]!;
  if (typeof tree === 'bigint') return [0n, -1n, tree, 1n << 40n][pick() % 4]!;
  if (typeof tree === 'boolean' || tree instanceof Uint8Array) return tree;
  if (Array.isArray(tree)) return tree.map((t) => extremes(t, pick));
  const out: StateNode = Object.create(null) as StateNode;
  for (const k of Object.keys(tree)) out[k] = extremes(tree[k]!, pick);
  return out;
}

describe('devices under hostile input', () => {
  it('random port traffic never throws, reaches the devices, and every read fits its access size', () => {
    const { tc, bus, pic, uart, objects } = machine();
    const before = objects.map((o) => saveState(o));
    const next = rng(12345);
    const badReads: string[] = [];
    for (let i = 0; i < 50_000; i++) {
      const port = PORTS[next() % PORTS.length]!;
      const size = [1, 1, 1, 2, 4][next() % 5]!;
      if (next() & 1) {
        bus.write(port, size, next());
      } else {
        // A guest's IN gets exactly `size` bytes: a device may not answer with more (or a fraction).
        const value = bus.read(port, size);
        const max = size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
        if (!Number.isInteger(value) || value < 0 || value > max) badReads.push(`port 0x${port.toString(16)} size ${size}: ${value}`);
      }
      if ((i & 255) === 0) {
        tc.advanceBy(next() % 5_000_000);
        uart.receive([next() & 0xff, next() & 0xff]);
        if (pic.hasInterrupt()) pic.acknowledge();
      }
    }
    expect(badReads.slice(0, 5)).toEqual([]);
    // The traffic reached the devices: every one whose state the guest can change has changed.
    const changed = objects.filter((o, i) => !treesEqual(saveState(o), before[i]!)).map((o) => o.typeName);
    expect(changed).toEqual(objects.map((o) => o.typeName).filter((t) => t !== 'isa-debug-exit'));
  });

  it('every device describes its state, and what it saves fits that description', () => {
    const { objects } = machine();
    expect(objects).toHaveLength(11);
    for (const obj of objects) validateAgainstSchema(saveState(obj), describeState(obj, '/x'), `/x/${obj.typeName}`);
  });

  it('loading extreme field values leaves devices usable', () => {
    const next = rng(777);
    let loaded = 0;
    for (let round = 0; round < 20; round++) {
      const src = machine();
      const dst = machine();
      src.objects.forEach((obj, i) => {
        const tree = extremes(saveState(obj), next) as StateNode;
        try {
          loadState(dst.objects[i]!, tree, '/x');
          loaded++;
        } catch (e) {
          // A value rejected with a StateError is fine; any other error, or a later crash, is not.
          if (!isStateError(e)) throw e;
        }
      });
      for (const obj of dst.objects) obj.postLoad?.();
      for (let i = 0; i < 2000; i++) {
        const port = PORTS[next() % PORTS.length]!;
        if (next() & 1) dst.bus.write(port, 1, next());
        else dst.bus.read(port, 1);
        if ((i & 63) === 0) dst.tc.advanceBy(next() % 100_000_000);
      }
    }
    expect(loaded).toBeGreaterThan(150);
  });
});
