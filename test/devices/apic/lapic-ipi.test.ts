/** IPIs between local APICs on an ApicBus, for both flavours. */
import { describe, expect, it } from 'vitest';
import type { Lapic } from './lapic-harness.ts';
import { FLAVOURS, drain, enable, makeRig, rd, wr } from './lapic-harness.ts';

/** Take the pending interrupts and EOI them all. */
function take(l: Lapic): number[] {
  const got = drain(l);
  for (let i = 0; i < got.length; i++) wr(l, 0xb0, 0);
  return got;
}

describe.each(FLAVOURS)('%s IPIs', (flavour) => {
  function rig3() {
    const rig = makeRig(flavour, { cpus: 3 });
    for (const l of rig.cpus) enable(l);
    return rig;
  }

  it('sends a fixed IPI to a physical destination, delivery status always 0', () => {
    const { cpus, messages, kicks } = rig3();
    const [a, , c] = [cpus[0]!, cpus[1]!, cpus[2]!];
    wr(a, 0x310, 0x02000000);
    wr(a, 0x300, 0x0000c0 | 0x1000); // the delivery-status bit is read-only
    expect(rd(a, 0x300)).toBe(0xc0);
    expect(messages).toEqual([
      { dest: 2, destMode: 0, deliveryMode: 0, vector: 0xc0, trigger: 0, level: 0, shorthand: 0, source: 0 },
    ]);
    expect(kicks[2]!.length).toBe(1);
    expect(drain(c)).toEqual([0xc0]);
    expect(drain(cpus[1]!)).toEqual([]);
  });

  it('uses the self, all and all-but-self shorthands', () => {
    const { cpus } = rig3();
    const a = cpus[1]!;
    wr(a, 0x300, 0x40000 | 0xd1);
    expect(cpus.map(take)).toEqual([[], [0xd1], []]);
    wr(a, 0x300, 0x80000 | 0xd2);
    expect(cpus.map(take)).toEqual([[0xd2], [0xd2], [0xd2]]);
    wr(a, 0x300, 0xc0000 | 0xd3);
    expect(cpus.map(take)).toEqual([[0xd3], [], [0xd3]]);
  });

  it('sends to logical flat and cluster destinations', () => {
    const { cpus } = rig3();
    cpus.forEach((l, i) => wr(l, 0xd0, (1 << i) << 24));
    wr(cpus[0]!, 0x310, 0x06000000);
    wr(cpus[0]!, 0x300, 0x800 | 0xe0);
    expect(cpus.map(take)).toEqual([[], [0xe0], [0xe0]]);
    for (const l of cpus) wr(l, 0xe0, 0x0fffffff);
    wr(cpus[0]!, 0xd0, 0x11000000);
    wr(cpus[1]!, 0xd0, 0x21000000);
    wr(cpus[2]!, 0xd0, 0x12000000);
    wr(cpus[0]!, 0x310, 0x13000000);
    wr(cpus[0]!, 0x300, 0x800 | 0xe1);
    expect(cpus.map(take)).toEqual([[0xe1], [], [0xe1]]);
  });

  it('gives a lowest-priority IPI to the APIC with the lowest arbitration priority', () => {
    const { cpus } = rig3();
    wr(cpus[0]!, 0x80, 0x30);
    wr(cpus[1]!, 0x80, 0x20);
    wr(cpus[2]!, 0x80, 0x20);
    wr(cpus[0]!, 0x310, 0xff000000);
    wr(cpus[0]!, 0x300, 0x100 | 0xe2);
    expect(cpus.map((l) => rd(l, 0x270))).toEqual([0, 1 << 2, 0]);
  });

  it('sends NMI, INIT and SIPI; ignores INIT de-assert and SIPI to a running CPU', () => {
    const { cpus, events } = rig3();
    const a = cpus[0]!;
    wr(a, 0x310, 0x01000000);
    wr(a, 0x300, 0x400);
    expect(events).toEqual([{ cpu: 1, kind: 'nmi', value: 0, at: 0 }]);
    events.length = 0;
    wr(a, 0x300, 0x8000 | 0x500); // INIT level de-assert
    expect(events).toEqual([]);
    expect(cpus[1]!.isWaitingForSipi()).toBe(true); // never started
    wr(a, 0x300, 0xc0000 | 0x4000 | 0x500); // INIT to all but self
    expect(events.map((e) => [e.cpu, e.kind])).toEqual([
      [1, 'init'],
      [2, 'init'],
    ]);
    expect(rd(cpus[1]!, 0xf0)).toBe(0xff);
    events.length = 0;
    wr(a, 0x300, 0xc0000 | 0x4000 | 0x600 | 0x9a); // SIPI to all but self
    expect(events).toEqual([
      { cpu: 1, kind: 'sipi', value: 0x9a, at: 0 },
      { cpu: 2, kind: 'sipi', value: 0x9a, at: 0 },
    ]);
    expect(cpus[1]!.isWaitingForSipi()).toBe(false);
    events.length = 0;
    wr(a, 0x300, 0xc0000 | 0x4000 | 0x600 | 0x9b); // no second start
    expect(events).toEqual([]);
  });

  it('does not deliver to a globally disabled APIC', () => {
    const { cpus } = rig3();
    cpus[2]!.writeMsr(0x1b, 0xfee00000n);
    wr(cpus[0]!, 0x300, 0x80000 | 0xd4);
    expect(cpus.map(take)).toEqual([[0xd4], [0xd4], []]);
  });

  it('delivers a self-IPI at once, ahead of lower vectors', () => {
    const { cpus } = rig3();
    const a = cpus[0]!;
    a.accept(0, 0x50, 0);
    wr(a, 0x300, 0x40000 | 0x60);
    expect(drain(a)).toEqual([0x60]);
    wr(a, 0xb0, 0);
    expect(drain(a)).toEqual([0x50]);
  });
});
