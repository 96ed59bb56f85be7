/**
 * kvm-i8259 <-> i8259 and kvm-ioapic <-> ioapic against the real devices: drive one flavour at
 * random, save, convert, load into the other flavour, and check that the guest then sees the same
 * port/MMIO reads, the same vectors and the same APIC messages; and that both round trips are exact.
 */
import { describe, expect, it } from 'vitest';
import { IoBus } from '../../../src/bus/io-bus.ts';
import { loadState } from '../../../src/visit/input-visitor.ts';
import { saveState } from '../../../src/visit/output-visitor.ts';
import { diffTrees, type StateNode } from '../../../src/visit/state-tree.ts';
import { PicPair } from '../../../devices/pic/pic-pair.ts';
import { KvmPic } from '../../../devices/kernel/kvm-pic.ts';
import { Ioapic } from '../../../devices/ioapic/ioapic.ts';
import { KvmIoapic } from '../../../devices/kernel/kvm-ioapic.ts';
import { KvmI8259Object } from '../../../devices/kvm/kvm-i8259-object.ts';
import { KvmIoapicObject } from '../../../devices/kvm/kvm-ioapic-object.ts';
import { KVM_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_SLAVE } from '../../../src/hw/kvm-structs.ts';
import type { ApicMessage } from '../../../src/hw/apic-message.ts';
import { i8259ToKvmI8259, kvmI8259ToI8259 } from '../../../migration/filters/i8259-kvm.ts';
import { ioapicToKvmIoapic, kvmIoapicToIoapic } from '../../../migration/filters/ioapic-kvm.ts';
import type { Filter } from '../../../migration/filters/filter.ts';
import { Rng } from './gen.ts';
import { ioapicApi, picApi } from '../../devices/kernel/kvm-api.ts';

const CHIPS = ['/machine/pic/master', '/machine/pic/slave'] as const;

interface PicSide {
  bus: IoBus;
  out: number[];
  setIrq(pin: number, level: number): void;
  hasInterrupt(): boolean;
  acknowledge(): number;
  save(): StateNode[];
  load(trees: StateNode[]): void;
}

function userPic(): PicSide {
  const p = new PicPair();
  const out: number[] = [];
  p.onOutputChange = (l) => out.push(l);
  const bus = new IoBus();
  bus.map(p.portRanges());
  p.reset();
  return {
    bus,
    out,
    setIrq: (pin, l) => p.setIrq(pin, l),
    hasInterrupt: () => p.hasInterrupt(),
    acknowledge: () => p.acknowledge(),
    save: () => [saveState(p.master, CHIPS[0]), saveState(p.slave, CHIPS[1])],
    load: (t) => {
      loadState(p.master, t[0]!, CHIPS[0]);
      loadState(p.slave, t[1]!, CHIPS[1]);
      p.postLoad();
    },
  };
}

function kvmPic(): PicSide {
  const p = new KvmPic();
  const out: number[] = [];
  p.onOutputChange = (l) => out.push(l);
  const bus = new IoBus();
  bus.map(p.portRanges());
  p.reset();
  const objs = [
    new KvmI8259Object(picApi(p), KVM_IRQCHIP_PIC_MASTER),
    new KvmI8259Object(picApi(p), KVM_IRQCHIP_PIC_SLAVE),
  ] as const;
  return {
    bus,
    out,
    setIrq: (pin, l) => p.setIrq(pin, l),
    hasInterrupt: () => p.hasInterrupt(),
    acknowledge: () => p.acknowledge(),
    save: () => [saveState(objs[0], CHIPS[0]), saveState(objs[1], CHIPS[1])],
    load: (t) => {
      loadState(objs[0], t[0]!, CHIPS[0]);
      loadState(objs[1], t[1]!, CHIPS[1]);
      objs[0].postLoad();
      objs[1].postLoad();
    },
  };
}

/** A guest's worth of PIC programming: ICW sequences (cascade, single, LTIM, AEOI), OCWs, lines. */
function drivePic(s: PicSide, r: Rng, lines: number[]): void {
  const init = (base: number, vec: number, icw3: number) => {
    const single = r.below(8) === 0 ? 0x02 : 0;
    const ltim = r.below(6) === 0 ? 0x08 : 0;
    const icw4 = r.below(5) === 0 ? 0 : 1;
    s.bus.write(base, 1, 0x10 | ltim | single | icw4);
    s.bus.write(base + 1, 1, vec);
    if (!single) s.bus.write(base + 1, 1, icw3);
    if (icw4) s.bus.write(base + 1, 1, 0x01 | (r.below(4) === 0 ? 0x02 : 0) | (r.below(6) === 0 ? 0x10 : 0));
  };
  if (r.below(5) !== 0) {
    init(0x20, 0x20, 0x04);
    init(0xa0, 0x28, 0x02);
  }
  const steps = 10 + r.below(40);
  for (let i = 0; i < steps; i++) {
    switch (r.below(10)) {
      case 0:
      case 1:
      case 2: {
        const pin = r.below(16);
        lines[pin] = lines[pin] ? 0 : 1;
        s.setIrq(pin, lines[pin]!);
        break;
      }
      case 3:
        s.bus.write(r.pick([0x21, 0xa1]), 1, r.u8() & r.u8());
        break;
      case 4:
        if (s.hasInterrupt()) s.acknowledge();
        break;
      case 5:
        s.bus.write(r.pick([0x20, 0xa0]), 1, r.pick([0x20, 0x60 | r.below(8), 0xa0, 0xc0 | r.below(8), 0xe0 | r.below(8), 0x80, 0x00]));
        break;
      case 6:
        s.bus.write(r.pick([0x20, 0xa0]), 1, r.pick([0x0a, 0x0b, 0x0c, 0x68, 0x48]));
        break;
      case 7:
        s.bus.write(r.pick([0x4d0, 0x4d1]), 1, r.u8());
        break;
      case 8:
        s.bus.read(r.pick([0x20, 0x21, 0xa0, 0xa1]), 1);
        break;
      default:
        break;
    }
  }
}

function picProbe(s: PicSide, r: Rng): number[] {
  const out: number[] = [];
  for (const port of [0x21, 0xa1, 0x4d0, 0x4d1]) out.push(s.bus.read(port, 1));
  for (const cmd of [0x0a, 0x0b]) {
    s.bus.write(0x20, 1, cmd);
    out.push(s.bus.read(0x20, 1));
    s.bus.write(0xa0, 1, cmd);
    out.push(s.bus.read(0xa0, 1));
  }
  for (let i = 0; i < 5 && s.hasInterrupt(); i++) {
    out.push(s.acknowledge());
    if (r.bool()) s.bus.write(0x20, 1, 0x20);
  }
  out.push(s.hasInterrupt() ? 1 : 0);
  return out;
}

function convertAll(f: Filter, trees: StateNode[], type: string): StateNode[] {
  return trees.map((t, i) => f.apply([{ type, version: 1, fields: t }], { path: CHIPS[i]!, virtualTimeNs: 0n })[0]!.fields);
}

describe('kvm-i8259 <-> i8259 with the real devices', () => {
  for (const from of ['user', 'kvm'] as const) {
    it(`${from === 'user' ? 'i8259 -> kvm-i8259' : 'kvm-i8259 -> i8259'}: same reads and vectors; the round trip is exact`, () => {
      let ltim = 0;
      let single = 0;
      for (let seed = 1; seed <= 200; seed++) {
        const r = new Rng(seed + (from === 'kvm' ? 5000 : 0));
        const a = from === 'user' ? userPic() : kvmPic();
        const lines = new Array<number>(16).fill(0);
        drivePic(a, r, lines);
        const saved = a.save();
        const [there, back] = from === 'user' ? [i8259ToKvmI8259, kvmI8259ToI8259] : [kvmI8259ToI8259, i8259ToKvmI8259];
        const converted = convertAll(there, saved, from === 'user' ? 'i8259' : 'kvm-i8259');
        const again = convertAll(back, converted, from === 'user' ? 'kvm-i8259' : 'i8259');
        again.forEach((t, i) => expect(diffTrees(t, saved[i]!), `seed ${seed}`).toEqual([]));
        const user = from === 'user' ? saved : converted;
        if (user.some((t) => t.ltim !== undefined)) ltim++;
        if (user.some((t) => t.single_mode === 1)) single++;

        const b = from === 'user' ? kvmPic() : userPic();
        b.load(converted);
        const probe = r.u32();
        expect(picProbe(b, new Rng(probe)), `seed ${seed}`).toEqual(picProbe(a, new Rng(probe)));
        // The same line changes afterwards give the same vectors.
        for (let i = 0; i < 10; i++) {
          const pin = r.below(16);
          lines[pin] = lines[pin] ? 0 : 1;
          a.setIrq(pin, lines[pin]!);
          b.setIrq(pin, lines[pin]!);
          const pr = r.u32();
          expect(picProbe(b, new Rng(pr)), `seed ${seed} after ${i}`).toEqual(picProbe(a, new Rng(pr)));
        }
      }
      expect(ltim).toBeGreaterThan(5);
      expect(single).toBeGreaterThan(5);
    });
  }
});

interface IoapicSide {
  msgs: ApicMessage[];
  dev: Ioapic | KvmIoapic;
  save(): StateNode;
  load(t: StateNode): void;
}

function ioapicSide(kind: 'user' | 'kvm'): IoapicSide {
  const msgs: ApicMessage[] = [];
  if (kind === 'user') {
    const dev = new Ioapic((m) => msgs.push(m));
    dev.reset();
    return { msgs, dev, save: () => saveState(dev, '/machine/ioapic'), load: (t) => loadState(dev, t, '/machine/ioapic') };
  }
  const dev = new KvmIoapic((m) => msgs.push(m));
  dev.reset();
  const obj = new KvmIoapicObject(ioapicApi(dev));
  return { msgs, dev, save: () => saveState(obj, '/machine/ioapic'), load: (t) => (loadState(obj, t, '/machine/ioapic'), obj.postLoad()) };
}

function driveIoapic(s: IoapicSide, r: Rng, lines: number[]): void {
  const steps = 20 + r.below(40);
  for (let i = 0; i < steps; i++) {
    switch (r.below(6)) {
      case 0: {
        const pin = r.below(24);
        s.dev.mmioWrite(0, 4, 0x10 + 2 * pin);
        s.dev.mmioWrite(0x10, 4, (0x20 + r.below(0xd0)) | (r.below(2) << 15) | (r.below(3) === 0 ? 0x10000 : 0) | (r.below(2) << 11));
        s.dev.mmioWrite(0, 4, 0x11 + 2 * pin);
        s.dev.mmioWrite(0x10, 4, r.u8() << 24);
        break;
      }
      case 1:
      case 2: {
        const pin = r.below(24);
        lines[pin] = lines[pin] ? 0 : 1;
        s.dev.setIrq(pin, lines[pin]!);
        break;
      }
      case 3:
        s.dev.eoi(0x20 + r.below(0xd0));
        break;
      case 4:
        s.dev.mmioWrite(0, 4, r.pick([0, 1, 2, 0x10 + r.below(48)]));
        break;
      default:
        s.dev.mmioWrite(0, 4, 0);
        s.dev.mmioWrite(0x10, 4, r.u32());
        break;
    }
  }
  s.dev.mmioWrite(0, 4, r.u8());
}

function ioapicProbe(s: IoapicSide): number[] {
  const out = [s.dev.mmioRead(0, 4)];
  const sel = out[0]!;
  for (let reg = 0; reg < 0x40; reg++) {
    s.dev.mmioWrite(0, 4, reg);
    out.push(s.dev.mmioRead(0x10, 4));
  }
  s.dev.mmioWrite(0, 4, sel);
  return out;
}

describe('kvm-ioapic <-> ioapic with the real devices', () => {
  for (const from of ['user', 'kvm'] as const) {
    it(`${from === 'user' ? 'ioapic -> kvm-ioapic' : 'kvm-ioapic -> ioapic'}: same registers and messages; exact round trip`, () => {
      for (let seed = 1; seed <= 150; seed++) {
        const r = new Rng(seed + (from === 'kvm' ? 7000 : 0));
        const a = ioapicSide(from);
        const lines = new Array<number>(24).fill(0);
        driveIoapic(a, r, lines);
        const saved = a.save();
        const [there, back] = from === 'user' ? [ioapicToKvmIoapic, kvmIoapicToIoapic] : [kvmIoapicToIoapic, ioapicToKvmIoapic];
        const ctx = { path: '/machine/ioapic', virtualTimeNs: 0n };
        const converted = there.apply([{ type: from === 'user' ? 'ioapic' : 'kvm-ioapic', version: from === 'user' ? 3 : 1, fields: saved }], ctx)[0]!;
        const again = back.apply([converted], ctx)[0]!;
        expect(diffTrees(again.fields, saved), `seed ${seed}`).toEqual([]);

        const b = ioapicSide(from === 'user' ? 'kvm' : 'user');
        b.load(converted.fields);
        expect(ioapicProbe(b), `seed ${seed}`).toEqual(ioapicProbe(a));
        a.msgs.length = 0;
        for (let i = 0; i < 20; i++) {
          if (r.bool()) {
            const pin = r.below(24);
            lines[pin] = lines[pin] ? 0 : 1;
            a.dev.setIrq(pin, lines[pin]!);
            b.dev.setIrq(pin, lines[pin]!);
          } else {
            const v = 0x20 + r.below(0xd0);
            a.dev.eoi(v);
            b.dev.eoi(v);
          }
        }
        expect(b.msgs, `seed ${seed}`).toEqual(a.msgs);
        expect(ioapicProbe(b)).toEqual(ioapicProbe(a));
      }
    });
  }
});
