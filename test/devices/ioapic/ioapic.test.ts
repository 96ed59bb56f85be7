/**
 * IOAPIC behaviour, run against both flavours with the same expectations: the userspace `ioapic`
 * and the in-kernel one (devices/kvm/kvm-ioapic.ts). A fake APIC bus collects the messages.
 */
import { describe, expect, it } from 'vitest';
import { MmioBus } from '../../../src/bus/mmio-bus.ts';
import { ApicBus } from '../../../devices/apic-common/apic-bus.ts';
import type { ApicEndpoint } from '../../../devices/apic-common/apic-types.ts';
import type { ApicMessage } from '../../../src/hw/apic-message.ts';
import { DM_EXTINT, DM_FIXED, DM_LOWPRI, DM_NMI, SH_NONE } from '../../../src/hw/apic-message.ts';
import { Ioapic } from '../../../devices/ioapic/ioapic.ts';
import { APIC_WINDOW_SIZE as IOAPIC_MMIO_SIZE, IOAPIC_BASE as IOAPIC_DEFAULT_BASE } from '../../../src/hw/pc-layout.ts';
import { KvmIoapic } from '../../../devices/kernel/kvm-ioapic.ts';
import { loadState } from '../../../src/visit/input-visitor.ts';
import { saveState } from '../../../src/visit/output-visitor.ts';
import { roundTrip } from '../helpers.ts';

interface IoapicLike {
  mmioRead(offset: number, size: number): number;
  mmioWrite(offset: number, size: number, value: number): void;
  setIrq(gsi: number, level: number): void;
  setPin(pin: number, level: number): void;
  eoi(vector: number): void;
  reset(): void;
}

const FLAVOURS: [string, (send: (m: ApicMessage) => void) => IoapicLike][] = [
  ['userspace ioapic', (send) => new Ioapic(send)],
  ['kvm-ioapic', (send) => new KvmIoapic(send)],
];

const BASE = IOAPIC_DEFAULT_BASE;

function setup(make: (send: (m: ApicMessage) => void) => IoapicLike) {
  const msgs: ApicMessage[] = [];
  const io = make((m) => msgs.push(m));
  const bus = new MmioBus();
  bus.register(BASE, IOAPIC_MMIO_SIZE, io, 'ioapic');
  const read = (reg: number): number => {
    bus.write(BASE, 4, reg);
    return bus.read(BASE + 0x10, 4) >>> 0;
  };
  const write = (reg: number, value: number): void => {
    bus.write(BASE, 4, reg);
    bus.write(BASE + 0x10, 4, value);
  };
  /** Program redirection entry `pin`: high dword first, then low (as Linux does when unmasking). */
  const route = (pin: number, low: number, dest = 0): void => {
    write(0x11 + 2 * pin, (dest << 24) >>> 0);
    write(0x10 + 2 * pin, low);
  };
  return { io, bus, msgs, read, write, route };
}

const LEVEL = 1 << 15;
const MASK = 1 << 16;
const REMOTE_IRR = 1 << 14;
const LOGICAL = 1 << 11;

function fixed(vector: number, dest: number, trigger = 0, destMode = 0): ApicMessage {
  return { dest, destMode, deliveryMode: DM_FIXED, vector, trigger, level: 1, shorthand: SH_NONE, source: -1 };
}

describe.each(FLAVOURS)('%s', (_name, make) => {
  it('reads ID, version (0x20, 24 entries), arbitration, and reset entries masked', () => {
    const { read, write, bus } = setup(make);
    expect(read(0x01)).toBe(0x00170020);
    expect(read(0x00)).toBe(0);
    write(0x00, 0x0f00_0000 | 0x1234);
    expect(read(0x00)).toBe(0x0f00_0000);
    expect(read(0x02)).toBe(0x0f00_0000); // arbitration ID follows the ID
    write(0x00, 0xf200_0000);
    expect(read(0x00)).toBe(0x0200_0000);
    write(0x01, 0); // version is read only
    expect(read(0x01)).toBe(0x00170020);
    for (let pin = 0; pin < 24; pin++) {
      expect(read(0x10 + 2 * pin)).toBe(MASK);
      expect(read(0x11 + 2 * pin)).toBe(0);
    }
    // Outside the table, and registers 0x03-0x0F, read 0.
    expect(read(0x40)).toBe(0);
    expect(read(0x03)).toBe(0);
    expect(read(0xff)).toBe(0);
    // IOREGSEL reads back (8 bits); IOWIN only answers dword accesses; the window repeats every 256 bytes.
    bus.write(BASE, 4, 0x1ff);
    expect(bus.read(BASE, 4)).toBe(0xff);
    bus.write(BASE, 1, 0x01);
    expect(bus.read(BASE + 0x10, 2)).toBe(0);
    expect(bus.read(BASE + 0x110, 4)).toBe(0x00170020);
    expect(bus.read(BASE + 0x20, 4)).toBe(0);
  });

  it('redirection entries keep every writable bit; delivery status and remote IRR are read only', () => {
    const { read, write } = setup(make);
    write(0x10 + 2 * 5, 0xffff_ffff);
    // Level trigger, remote IRR and delivery status not writable.
    expect(read(0x10 + 2 * 5)).toBe((0xffff_ffff & ~(REMOTE_IRR | (1 << 12))) >>> 0);
    write(0x11 + 2 * 5, 0xab00_0001);
    expect(read(0x11 + 2 * 5)).toBe(0xab00_0001);
    write(0x10 + 2 * 23, 0x31);
    expect(read(0x10 + 2 * 23)).toBe(0x31);
    // Beyond entry 23 nothing is written.
    write(0x10 + 2 * 24, 0x42);
    expect(read(0x10 + 2 * 24)).toBe(0);
  });

  it('edge pins deliver once per rising edge, only when unmasked', () => {
    const { io, msgs, route } = setup(make);
    route(4, 0x34, 1);
    io.setIrq(4, 1);
    expect(msgs).toEqual([fixed(0x34, 1)]);
    io.setIrq(4, 1); // no new edge
    expect(msgs.length).toBe(1);
    io.setIrq(4, 0);
    io.setIrq(4, 1);
    expect(msgs.length).toBe(2);
    io.setIrq(4, 0);
    route(4, 0x34 | MASK, 1);
    io.setIrq(4, 1); // masked edge: lost
    route(4, 0x34, 1); // unmasking does not replay it
    expect(msgs.length).toBe(2);
    io.setIrq(4, 0);
    io.setIrq(4, 1);
    expect(msgs.length).toBe(3);
  });

  it('ISA IRQ0 arrives at pin 2', () => {
    const { io, msgs, route } = setup(make);
    route(2, 0x30);
    route(0, 0x99);
    io.setIrq(0, 1);
    expect(msgs).toEqual([fixed(0x30, 0)]);
    io.setIrq(0, 0);
    io.setIrq(24, 1); // no such pin
    io.setIrq(-1, 1);
    io.setIrq(2.5, 1);
    expect(msgs.length).toBe(1);
    io.setPin(0, 1); // the raw pin API reaches pin 0
    expect(msgs[1]).toEqual(fixed(0x99, 0));
  });

  it('level pins set remote IRR and wait for the EOI; the EOI re-delivers if still asserted', () => {
    const { io, msgs, read, route } = setup(make);
    route(10, LEVEL | 0x4a, 3);
    io.setIrq(10, 1);
    expect(msgs).toEqual([fixed(0x4a, 3, 1)]);
    expect(read(0x10 + 20) & REMOTE_IRR).toBe(REMOTE_IRR);
    io.setIrq(10, 1);
    io.setIrq(10, 0);
    io.setIrq(10, 1); // remote IRR still set: nothing
    expect(msgs.length).toBe(1);
    io.eoi(0x4b); // another vector: nothing
    expect(read(0x10 + 20) & REMOTE_IRR).toBe(REMOTE_IRR);
    io.eoi(0x4a); // still high: delivered again
    expect(msgs.length).toBe(2);
    expect(read(0x10 + 20) & REMOTE_IRR).toBe(REMOTE_IRR);
    io.setIrq(10, 0);
    io.eoi(0x4a); // low now: remote IRR clears, nothing sent
    expect(msgs.length).toBe(2);
    expect(read(0x10 + 20) & REMOTE_IRR).toBe(0);
    io.setIrq(10, 1);
    expect(msgs.length).toBe(3);
  });

  it('the EOI register (+0x40) clears remote IRR like the broadcast', () => {
    const { io, msgs, read, route, bus } = setup(make);
    route(11, LEVEL | 0x51);
    io.setIrq(11, 1);
    io.setIrq(11, 0);
    bus.write(BASE + 0x40, 2, 0x51); // not a dword: ignored
    expect(read(0x10 + 22) & REMOTE_IRR).toBe(REMOTE_IRR);
    bus.write(BASE + 0x40, 4, 0x151); // bits above 7:0 set: matches nothing
    expect(read(0x10 + 22) & REMOTE_IRR).toBe(REMOTE_IRR);
    bus.write(BASE + 0x40, 4, 0x51);
    expect(read(0x10 + 22) & REMOTE_IRR).toBe(0);
    expect(msgs.length).toBe(1);
    expect(bus.read(BASE + 0x40, 4)).toBe(0);
  });

  it('EOI leaves edge entries with the same vector alone', () => {
    const { io, msgs, route } = setup(make);
    route(3, 0x60);
    route(9, LEVEL | 0x60);
    io.setIrq(3, 1);
    io.setIrq(9, 1);
    expect(msgs.length).toBe(2);
    io.eoi(0x60);
    // pin 9 still high: one more; pin 3 (edge, still high) is not replayed
    expect(msgs.map((m) => m.trigger)).toEqual([0, 1, 1]);
  });

  it('masking a level line holds it; unmasking delivers a line still asserted', () => {
    const { io, msgs, route } = setup(make);
    route(7, LEVEL | MASK | 0x70);
    io.setIrq(7, 1);
    expect(msgs.length).toBe(0);
    route(7, LEVEL | 0x70);
    expect(msgs).toEqual([fixed(0x70, 0, 1)]);
    io.setIrq(7, 0);
    io.eoi(0x70);
    route(7, LEVEL | MASK | 0x70);
    io.setIrq(7, 1);
    io.setIrq(7, 0); // deasserted while masked
    route(7, LEVEL | 0x70);
    expect(msgs.length).toBe(1);
  });

  it('switching a pending level entry to edge clears remote IRR (Linux EOI emulation)', () => {
    const { io, msgs, read, route } = setup(make);
    route(12, LEVEL | 0x41);
    io.setIrq(12, 1);
    route(12, MASK | 0x41); // edge, masked: remote IRR dropped
    expect(read(0x10 + 24) & REMOTE_IRR).toBe(0);
    route(12, LEVEL | 0x41); // back to level while the line is high: delivered again
    expect(msgs.length).toBe(2);
    expect(read(0x10 + 24) & REMOTE_IRR).toBe(REMOTE_IRR);
  });

  it('messages carry physical or logical destinations, delivery mode and trigger', () => {
    const { io, msgs, route } = setup(make);
    route(1, 0x31, 0x02);
    route(5, LOGICAL | (DM_LOWPRI << 8) | 0x35, 0x0c);
    route(6, LOGICAL | LEVEL | (DM_NMI << 8) | 0x00, 0xff);
    route(8, DM_EXTINT << 8, 0);
    io.setIrq(1, 1);
    io.setIrq(5, 1);
    io.setIrq(6, 1);
    io.setIrq(8, 1);
    expect(msgs).toEqual([
      fixed(0x31, 0x02),
      { ...fixed(0x35, 0x0c, 0, 1), deliveryMode: DM_LOWPRI },
      { ...fixed(0x00, 0xff, 1, 1), deliveryMode: DM_NMI },
      { ...fixed(0x00, 0x00), deliveryMode: DM_EXTINT },
    ]);
  });

  it('routes through a real APIC bus to physical and logical (flat) destinations', () => {
    const got: string[] = [];
    const endpoint = (cpuIndex: number, logical: number): ApicEndpoint => ({
      cpuIndex,
      isHardwareEnabled: () => true,
      matchesDestination: (dest, destMode) => (destMode === 0 ? dest === cpuIndex || dest === 0xff : (dest & logical) !== 0),
      arbitrationPriority: () => 0,
      accept: (dm, vector, trigger) => got.push(`cpu${cpuIndex}:${dm}:${vector.toString(16)}:${trigger}`),
    });
    const apicBus = new ApicBus();
    for (let i = 0; i < 4; i++) apicBus.attach(endpoint(i, 1 << i));
    const io = make((m) => apicBus.deliver(m));
    io.mmioWrite(0, 4, 0x10 + 2 * 4);
    io.mmioWrite(0x10, 4, 0x44);
    io.mmioWrite(0, 4, 0x11 + 2 * 4);
    io.mmioWrite(0x10, 4, 2 << 24);
    io.mmioWrite(0, 4, 0x11 + 2 * 9);
    io.mmioWrite(0x10, 4, 0x0a << 24);
    io.mmioWrite(0, 4, 0x10 + 2 * 9);
    io.mmioWrite(0x10, 4, LOGICAL | LEVEL | 0x49);
    io.setIrq(4, 1);
    io.setIrq(9, 1);
    expect(got).toEqual(['cpu2:0:44:0', 'cpu1:0:49:1', 'cpu3:0:49:1']);
  });

  it('reset masks everything again and forgets the inputs and remote IRR', () => {
    const { io, msgs, read, write, route } = setup(make);
    write(0x00, 0x0500_0000);
    route(10, LEVEL | 0x4a);
    io.setIrq(10, 1);
    io.reset();
    expect(read(0x00)).toBe(0);
    expect(read(0x10 + 20)).toBe(MASK);
    route(10, LEVEL | 0x4a);
    expect(msgs.length).toBe(1); // the reset cleared irr: the line must be raised again
    io.setIrq(10, 1);
    expect(msgs.length).toBe(2);
  });

  it('survives arbitrary register traffic', () => {
    const { io, bus } = setup(make);
    let x = 12345;
    const next = (): number => {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>>= 0);
    };
    for (let i = 0; i < 5000; i++) {
      const off = [0, 0x10, 0x40, next() & 0xfff][next() & 3]!;
      const size = [1, 2, 4][next() % 3]!;
      if (next() & 1) bus.write(BASE + off, size, next());
      else bus.read(BASE + off, size);
      if ((next() & 7) === 0) io.setIrq(next() % 26, next() & 1);
      if ((next() & 15) === 0) io.eoi(next() & 0xff);
    }
  });
});

describe('both IOAPIC flavours', () => {
  it('produce the same messages and registers for the same random traffic', () => {
    const a = setup(FLAVOURS[0]![1]);
    const b = setup(FLAVOURS[1]![1]);
    let x = 777;
    const next = (): number => {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>>= 0);
    };
    for (let i = 0; i < 20000; i++) {
      const op = next() % 10;
      const pin = next() % 8; // few pins, so that lines, entries and EOIs collide
      if (op < 3) {
        const level = next() & 1;
        a.io.setIrq(pin, level);
        b.io.setIrq(pin, level);
      } else if (op < 5) {
        const low = (next() & (LEVEL | MASK | LOGICAL | 0x700)) | (0x40 + (next() & 3));
        const dest = next() & 0xff;
        a.route(pin, low, dest);
        b.route(pin, low, dest);
      } else if (op < 7) {
        const vector = 0x40 + (next() & 3);
        a.io.eoi(vector);
        b.io.eoi(vector);
      } else if (op < 8) {
        const vector = 0x40 + (next() & 3);
        a.bus.write(BASE + 0x40, 4, vector);
        b.bus.write(BASE + 0x40, 4, vector);
      } else {
        const reg = next() & 0x3f;
        expect(a.read(reg)).toBe(b.read(reg));
      }
    }
    expect(a.msgs.length).toBeGreaterThan(1000);
    expect(b.msgs).toEqual(a.msgs);
  });
});

describe('ioapic state', () => {
  it('visits QEMU fields and round-trips; behaves the same after load', () => {
    const msgs: ApicMessage[] = [];
    const io = new Ioapic((m) => msgs.push(m));
    io.mmioWrite(0, 4, 0);
    io.mmioWrite(0x10, 4, 0x0300_0000);
    io.mmioWrite(0, 4, 0x10 + 2 * 10);
    io.mmioWrite(0x10, 4, LEVEL | 0x4a);
    io.mmioWrite(0, 4, 0x11 + 2 * 3);
    io.mmioWrite(0x10, 4, 0xff00_0000);
    io.mmioWrite(0, 4, 0x10 + 2 * 3);
    io.mmioWrite(0x10, 4, LOGICAL | 0x33);
    io.setIrq(10, 1);
    io.setIrq(3, 1);
    io.mmioWrite(0, 4, 0x21);

    const freshMsgs: ApicMessage[] = [];
    const fresh = new Ioapic((m) => freshMsgs.push(m));
    const tree = roundTrip(io, fresh, '/machine/ioapic');
    expect(Object.keys(tree)).toEqual(['id', 'ioregsel', 'irr', 'ioredtbl']);
    expect(tree['id']).toBe(3);
    expect(tree['ioregsel']).toBe(0x21);
    expect(tree['irr']).toBe((1 << 10) | (1 << 3));
    expect((tree['ioredtbl'] as bigint[])[10]).toBe(BigInt(LEVEL | REMOTE_IRR | 0x4a));
    expect(fresh.mmioRead(0x10, 4)).toBe(io.mmioRead(0x10, 4));
    // Same continuation: EOI re-delivers the level line, the edge line needs a new edge.
    for (const d of [io, fresh]) {
      d.eoi(0x4a);
      d.setIrq(3, 1);
      d.setIrq(3, 0);
      d.setIrq(3, 1);
    }
    expect(freshMsgs).toEqual(msgs.slice(2));
  });
});

describe('ioapic hostile state', () => {
  it('brings loaded values into range and never throws on later accesses', () => {
    const io = new Ioapic(() => {});
    const tree = saveState(io, '/machine/ioapic');
    tree['id'] = 0xff;
    tree['irr'] = 0xffffffff;
    tree['ioregsel'] = 0xff;
    tree['ioredtbl'] = Array.from({ length: 24 }, (_v, i) => (i & 1 ? 0xffffffffffffffffn : BigInt(0x7fff | (1 << 12))));
    loadState(io, tree, '/machine/ioapic');
    expect(io.id).toBe(0xf);
    expect(io.irr).toBe(0xffffff);
    expect(io.ioredtbl[0]).toBe(BigInt(0x7fff & ~(1 << 12) & ~(1 << 14))); // edge: no remote IRR, no delivery status
    expect(io.ioredtbl[1]).toBe(0xffffffffffffffffn & ~(1n << 12n)); // level, masked, remote IRR kept
    for (let reg = 0; reg < 0x100; reg++) {
      io.mmioWrite(0, 4, reg);
      io.mmioRead(0x10, 4);
      io.mmioWrite(0x10, 4, 0xffffffff);
    }
    for (let pin = 0; pin < 24; pin++) io.setIrq(pin, 1);
    for (let v = 0; v < 256; v++) io.eoi(v);
  });
});
