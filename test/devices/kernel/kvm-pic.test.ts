/**
 * The in-kernel PIC pair against the userspace one: the i8259 scenarios run on both flavours with
 * the same expectations, a long random differential run compares every output, and the `kvm-i8259`
 * objects round-trip struct kvm_pic_state.
 */
import { describe, expect, it } from 'vitest';
import { IoBus } from '../../../src/bus/io-bus.ts';
import type { PortRange } from '../../../src/bus/io-bus.ts';
import { saveState } from '../../../src/visit/output-visitor.ts';
import { loadState } from '../../../src/visit/input-visitor.ts';
import type { StateNode } from '../../../src/visit/state-tree.ts';
import { PicPair } from '../../../devices/pic/pic-pair.ts';
import { KvmI8259Object } from '../../../devices/kvm/kvm-i8259-object.ts';
import { KvmPic } from '../../../devices/kernel/kvm-pic.ts';
import { roundTrip } from '../helpers.ts';
import { picApi } from './kvm-api.ts';
import { KVM_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_SLAVE } from '../../../src/hw/kvm-structs.ts';

interface PicLike {
  portRanges(): PortRange[];
  setIrq(pin: number, level: number): void;
  hasInterrupt(): boolean;
  acknowledge(): number;
  reset(): void;
  onOutputChange: (level: number) => void;
}

const FLAVOURS: [string, () => PicLike][] = [
  ['userspace i8259 pair', () => new PicPair()],
  ['kvm-pic', () => new KvmPic()],
];

function setup(make: () => PicLike, opts: { autoEoi?: boolean } = {}) {
  const pic = make();
  const outputs: number[] = [];
  pic.onOutputChange = (level) => outputs.push(level);
  const bus = new IoBus();
  bus.map(pic.portRanges());
  const icw4 = opts.autoEoi ? 0x03 : 0x01;
  for (const [port, v] of [
    [0x20, 0x11], [0x21, 0x30], [0x21, 0x04], [0x21, icw4],
    [0xa0, 0x11], [0xa1, 0x38], [0xa1, 0x02], [0xa1, icw4],
    [0x21, 0x00], [0xa1, 0x00],
  ] as const) {
    bus.write(port, 1, v);
  }
  return { pic, bus, outputs };
}

describe.each(FLAVOURS)('%s', (_name, make) => {
  it('initialises, raises INTR and delivers the vector', () => {
    const { pic, bus, outputs } = setup(make);
    expect(pic.hasInterrupt()).toBe(false);
    pic.setIrq(4, 1);
    expect(pic.hasInterrupt()).toBe(true);
    expect(outputs).toEqual([1]);
    expect(pic.acknowledge()).toBe(0x34);
    expect(pic.hasInterrupt()).toBe(false);
    bus.write(0x20, 1, 0x0b);
    expect(bus.read(0x20, 1)).toBe(0x10);
    bus.write(0x20, 1, 0x0a);
    expect(bus.read(0x20, 1)).toBe(0x00);
    bus.write(0x20, 1, 0x20);
    bus.write(0x20, 1, 0x0b);
    expect(bus.read(0x20, 1)).toBe(0);
  });

  it('masks with OCW1 and reads IMR back', () => {
    const { pic, bus } = setup(make);
    bus.write(0x21, 1, 0x10);
    expect(bus.read(0x21, 1)).toBe(0x10);
    pic.setIrq(4, 1);
    expect(pic.hasInterrupt()).toBe(false);
    bus.write(0x21, 1, 0x00);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x34);
  });

  it('orders by priority and nests higher priorities only', () => {
    const { pic, bus } = setup(make);
    pic.setIrq(5, 1);
    pic.setIrq(3, 1);
    expect(pic.acknowledge()).toBe(0x33);
    expect(pic.hasInterrupt()).toBe(false);
    pic.setIrq(1, 1);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x31);
    bus.write(0x20, 1, 0x20);
    expect(pic.hasInterrupt()).toBe(false);
    bus.write(0x20, 1, 0x20);
    expect(pic.acknowledge()).toBe(0x35);
  });

  it('specific EOI, rotation and set-priority', () => {
    const { pic, bus } = setup(make);
    pic.setIrq(3, 1);
    pic.acknowledge();
    bus.write(0x20, 1, 0x60 | 3);
    bus.write(0x20, 1, 0x0b);
    expect(bus.read(0x20, 1)).toBe(0);
    bus.write(0x20, 1, 0xc0 | 4);
    pic.setIrq(1, 0);
    pic.setIrq(1, 1);
    pic.setIrq(6, 1);
    expect(pic.acknowledge()).toBe(0x36);
    bus.write(0x20, 1, 0xa0);
    pic.setIrq(7, 1);
    expect(pic.acknowledge()).toBe(0x37);
    bus.write(0x20, 1, 0xe0 | 7);
    expect(pic.acknowledge()).toBe(0x31);
  });

  it('cascades the slave through IRQ2', () => {
    const { pic, bus } = setup(make);
    pic.setIrq(12, 1);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x3c);
    bus.write(0xa0, 1, 0x0b);
    expect(bus.read(0xa0, 1)).toBe(0x10);
    bus.write(0x20, 1, 0x0b);
    expect(bus.read(0x20, 1)).toBe(0x04);
    bus.write(0xa0, 1, 0x20);
    bus.write(0x20, 1, 0x20);
    expect(bus.read(0x20, 1)).toBe(0);
  });

  it('edge inputs latch once per rising edge; level inputs follow the line (ELCR)', () => {
    const { pic, bus } = setup(make);
    pic.setIrq(5, 1);
    pic.acknowledge();
    bus.write(0x20, 1, 0x20);
    expect(pic.hasInterrupt()).toBe(false);
    pic.setIrq(5, 0);
    pic.setIrq(5, 1);
    expect(pic.hasInterrupt()).toBe(true);
    pic.acknowledge();
    bus.write(0x20, 1, 0x20);
    pic.setIrq(5, 0);
    bus.write(0x4d1, 1, 0xff);
    expect(bus.read(0x4d1, 1)).toBe(0xde);
    bus.write(0x4d0, 1, 0xff);
    expect(bus.read(0x4d0, 1)).toBe(0xf8);
    pic.setIrq(11, 1);
    expect(pic.acknowledge()).toBe(0x3b);
    bus.write(0xa0, 1, 0x20);
    bus.write(0x20, 1, 0x20);
    expect(pic.hasInterrupt()).toBe(true);
    pic.setIrq(11, 0);
    expect(pic.acknowledge()).toBe(0x3f);
    expect(pic.hasInterrupt()).toBe(false);
  });

  it('returns a spurious IRQ7 / IRQ15 when nothing is pending', () => {
    const { pic, bus } = setup(make);
    expect(pic.acknowledge()).toBe(0x37);
    bus.write(0x20, 1, 0x0b);
    expect(bus.read(0x20, 1)).toBe(0);
    bus.write(0x4d1, 1, 0x08);
    pic.setIrq(11, 1);
    expect(pic.hasInterrupt()).toBe(true);
    pic.setIrq(11, 0);
    expect(pic.acknowledge()).toBe(0x3f);
  });

  it('poll mode answers the highest request and acknowledges it', () => {
    const { pic, bus } = setup(make);
    pic.setIrq(6, 1);
    bus.write(0x20, 1, 0x0c);
    expect(bus.read(0x20, 1)).toBe(0x86);
    bus.write(0x20, 1, 0x0b);
    expect(bus.read(0x20, 1)).toBe(0x40);
    bus.write(0x20, 1, 0x0c);
    expect(bus.read(0x20, 1)).toBe(0);
  });

  it('auto-EOI leaves ISR clear', () => {
    const { pic, bus } = setup(make, { autoEoi: true });
    pic.setIrq(3, 1);
    expect(pic.acknowledge()).toBe(0x33);
    bus.write(0x20, 1, 0x0b);
    expect(bus.read(0x20, 1)).toBe(0);
  });

  it('special mask mode lets lower priorities through', () => {
    const { pic, bus } = setup(make);
    pic.setIrq(3, 1);
    pic.acknowledge();
    bus.write(0x21, 1, 0x08);
    bus.write(0x20, 1, 0x68);
    pic.setIrq(5, 1);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x35);
  });

  it('ICW1 LTIM makes every input level-triggered; single mode skips ICW3', () => {
    const pic = make();
    const bus = new IoBus();
    bus.map(pic.portRanges());
    bus.write(0x20, 1, 0x1b); // LTIM, single, IC4
    bus.write(0x21, 1, 0x20);
    bus.write(0x21, 1, 0x01); // ICW4 straight after ICW2
    bus.write(0x21, 1, 0x00); // OCW1
    expect(bus.read(0x21, 1)).toBe(0);
    pic.setIrq(1, 1);
    expect(pic.acknowledge()).toBe(0x21);
    bus.write(0x20, 1, 0x20);
    expect(pic.hasInterrupt()).toBe(true);
  });

  it('reset clears everything including ELCR and tells the CPU', () => {
    const { pic, bus, outputs } = setup(make);
    bus.write(0x4d0, 1, 0x20);
    pic.setIrq(5, 1);
    expect(outputs).toEqual([1]);
    pic.reset();
    expect(outputs).toEqual([1, 0]);
    expect(bus.read(0x4d0, 1)).toBe(0);
    expect(bus.read(0x21, 1)).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}

/** The userspace chip's tree rewritten as a kvm-i8259 tree (the field mapping a filter would do). */
function toKvmTree(t: StateNode, elcrMask: number): StateNode {
  const out: StateNode = {};
  for (const k of ['last_irr', 'irr', 'imr', 'isr', 'priority_add', 'irq_base', 'read_reg_select', 'poll',
    'special_mask', 'init_state', 'auto_eoi', 'rotate_on_auto_eoi', 'special_fully_nested_mode', 'init4', 'elcr']) {
    out[k] = t[k]!;
  }
  out['elcr_mask'] = elcrMask;
  if (t['ltim'] !== undefined) out['ltim'] = t['ltim'];
  if (t['single_mode'] !== 0) out['single_mode'] = { single_mode: t['single_mode']! };
  return out;
}

function kvmObjects(pic: KvmPic): [KvmI8259Object, KvmI8259Object] {
  return [
    new KvmI8259Object(picApi(pic), KVM_IRQCHIP_PIC_MASTER),
    new KvmI8259Object(picApi(pic), KVM_IRQCHIP_PIC_SLAVE),
  ];
}

describe('userspace and kvm PIC pairs', () => {
  it('agree on every read, vector and INTR change over a long random run, and on their state', () => {
    const u = new PicPair();
    const k = new KvmPic();
    const uOut: number[] = [];
    const kOut: number[] = [];
    u.onOutputChange = (l) => uOut.push(l);
    k.onOutputChange = (l) => kOut.push(l);
    const ub = new IoBus();
    const kb = new IoBus();
    ub.map(u.portRanges());
    kb.map(k.portRanges());
    const next = rng(2024);
    const ports = [0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1];
    let acks = 0;
    for (let i = 0; i < 60000; i++) {
      const op = next() % 16;
      if (op < 5) {
        const pin = next() % 16;
        const level = next() & 1;
        u.setIrq(pin, level);
        k.setIrq(pin, level);
      } else if (op < 7) {
        const v1 = u.acknowledge();
        expect(k.acknowledge()).toBe(v1);
        acks++;
      } else if (op < 11) {
        const port = ports[next() % 6]!;
        let value = next() & 0xff;
        // Steer command-port writes towards meaningful commands: EOIs, OCW3, occasionally ICW1.
        if ((port & 1) === 0 && port < 0x100) {
          const r = next() % 10;
          if (r < 5) value = (value & 0xe7) | 0x00; // OCW2
          else if (r < 9) value = (value & 0x67) | 0x08; // OCW3
          else value = (value & 0x0f) | 0x10; // ICW1
        }
        ub.write(port, 1, value);
        kb.write(port, 1, value);
      } else if (op < 15) {
        const port = ports[next() % 6]!;
        expect(kb.read(port, 1)).toBe(ub.read(port, 1));
      } else {
        expect(k.hasInterrupt()).toBe(u.hasInterrupt());
        // Same state: the userspace trees mapped to KVM's layout equal the kvm-i8259 trees.
        const [km, ks] = kvmObjects(k);
        expect(saveState(km)).toEqual(toKvmTree(saveState(u.master), 0xf8));
        expect(saveState(ks)).toEqual(toKvmTree(saveState(u.slave), 0xde));
      }
    }
    expect(acks).toBeGreaterThan(5000);
    expect(kOut).toEqual(uOut);
    expect(uOut.length).toBeGreaterThan(500);
  });

  it('kvm-i8259 objects round-trip struct kvm_pic_state and behave the same afterwards', () => {
    const { pic, bus } = setup(() => new KvmPic());
    const k = pic as KvmPic;
    bus.write(0x4d1, 1, 0x0c);
    k.setIrq(11, 1);
    k.setIrq(3, 1);
    k.setIrq(14, 1);
    k.acknowledge();
    bus.write(0x20, 1, 0x0b);
    bus.write(0x21, 1, 0x40);

    const fresh = new KvmPic();
    let cpuLevel = -1;
    fresh.onOutputChange = (level) => (cpuLevel = level);
    const [m, s] = kvmObjects(k);
    const [fm, fs] = kvmObjects(fresh);
    expect(m.typeName).toBe('kvm-i8259');
    expect(m.stateVersion).toBe(1);
    const a = roundTrip(m, fm, '/machine/pic/master');
    expect(Object.keys(a)).toEqual([
      'last_irr', 'irr', 'imr', 'isr', 'priority_add', 'irq_base', 'read_reg_select', 'poll', 'special_mask',
      'init_state', 'auto_eoi', 'rotate_on_auto_eoi', 'special_fully_nested_mode', 'init4', 'elcr', 'elcr_mask',
    ]);
    expect(a['irq_base']).toBe(0x30);
    expect(a['elcr_mask']).toBe(0xf8);
    const b = roundTrip(s, fs, '/machine/pic/slave');
    expect(b['elcr']).toBe(0x0c);
    expect(b['elcr_mask']).toBe(0xde);
    fm.postLoad();
    fs.postLoad();
    // Post-load re-derives the INT output silently: driving it would invent an edge at LINT0.
    expect(cpuLevel).toBe(-1);
    expect(fresh.hasInterrupt()).toBe(k.hasInterrupt());
    const freshBus = new IoBus();
    freshBus.map(fresh.portRanges());
    expect(freshBus.read(0x20, 1)).toBe(bus.read(0x20, 1));
    expect(freshBus.read(0x4d1, 1)).toBe(0x0c);
    for (let i = 0; i < 3; i++) {
      expect(fresh.acknowledge()).toBe(k.acknowledge());
      freshBus.write(0x20, 1, 0x20);
      bus.write(0x20, 1, 0x20);
    }
  });

  it('the ltim and single_mode extensions appear only when set and survive a round trip', () => {
    const k = new KvmPic();
    const bus = new IoBus();
    bus.map(k.portRanges());
    bus.write(0x20, 1, 0x1b); // LTIM + single mode, waiting for ICW2
    const [m] = kvmObjects(k);
    const fresh = new KvmPic();
    const [fm] = kvmObjects(fresh);
    const tree = roundTrip(m, fm);
    fm.postLoad();
    expect(tree['ltim']).toEqual({ ltim: 1 });
    expect(tree['single_mode']).toEqual({ single_mode: 1 });
    const fb = new IoBus();
    fb.map(fresh.portRanges());
    for (const b of [bus, fb]) {
      b.write(0x21, 1, 0x40);
      b.write(0x21, 1, 0x01); // ICW4 straight away: single mode survived
      b.write(0x21, 1, 0xfd);
    }
    expect(fb.read(0x21, 1)).toBe(0xfd);
    fresh.setIrq(1, 1);
    expect(fresh.acknowledge()).toBe(0x41);
    fb.write(0x20, 1, 0x20);
    expect(fresh.hasInterrupt()).toBe(true); // level-triggered by LTIM
    // A plain chip has neither group; loading one without them clears the bits.
    const plain = saveState(kvmObjects(new KvmPic())[0]);
    expect(Object.keys(plain)).not.toContain('ltim');
    loadState(fm, plain, '/x');
    fm.postLoad();
    expect(fresh.getChip(0).ltim).toBe(0);
    expect(fresh.getChip(0).single_mode).toBe(0);
  });

  it('setChip takes a copy brought into range; getChip hands out a copy', () => {
    const k = new KvmPic();
    const s = k.getChip(1);
    s.priority_add = 0xff;
    s.irq_base = 0xff;
    s.init_state = 9;
    s.elcr = 0xff;
    s.elcr_mask = 0xff;
    s.auto_eoi = 5;
    k.setChip(1, s);
    s.irq_base = 0;
    const t = k.getChip(1);
    expect(t.priority_add).toBe(7);
    expect(t.irq_base).toBe(0xf8);
    expect(t.init_state).toBe(0);
    expect(t.elcr).toBe(0xde);
    expect(t.elcr_mask).toBe(0xde);
    expect(t.auto_eoi).toBe(1);
    k.setChip(5, s); // no such chip: ignored
    expect(k.getChip(0).irq_base).toBe(0);
  });

  it('a userspace i8259 state converted to kvm-i8259 continues identically', () => {
    const u = setup(() => new PicPair());
    const up = u.pic as PicPair;
    u.bus.write(0x4d1, 1, 0x08);
    up.setIrq(11, 1);
    up.setIrq(5, 1);
    up.setIrq(1, 1);
    up.acknowledge();
    u.bus.write(0x20, 1, 0x0a);
    const k = new KvmPic();
    let kLevel = -1;
    k.onOutputChange = (l) => (kLevel = l);
    const [km, ks] = kvmObjects(k);
    loadState(km, toKvmTree(saveState(up.master), 0xf8), '/machine/pic/master');
    loadState(ks, toKvmTree(saveState(up.slave), 0xde), '/machine/pic/slave');
    km.postLoad();
    ks.postLoad();
    expect(kLevel).toBe(-1);
    expect(k.hasInterrupt()).toBe(up.hasInterrupt());
    const kb = new IoBus();
    kb.map(k.portRanges());
    for (let i = 0; i < 4; i++) {
      expect(kb.read(0x20, 1)).toBe(u.bus.read(0x20, 1));
      expect(k.acknowledge()).toBe(up.acknowledge());
      kb.write(0x20, 1, 0x20);
      u.bus.write(0x20, 1, 0x20);
      kb.write(0xa0, 1, 0x20);
      u.bus.write(0xa0, 1, 0x20);
    }
  });
});
