/**
 * Whole interrupt-controller sets under the three kernel-irqchip settings (on: every chip in the
 * kernel; split: only the LAPICs; off: none), built from the real devices in an ObjectTree. The same
 * guest actions are played on each; then for all 9 ordered pairs the source's saved objects go
 * through convertSnapshot to the destination's signatures, load into a fresh destination tree with
 * ObjectTree.loadAll, and must save back exactly as the destination's own devices did after the
 * same actions: a converted state is the state the other flavour would have reached itself.
 */
import { describe, expect, it } from 'vitest';
import { ObjectTree } from '../../../src/qom/object-tree.ts';
import { IrqLine } from '../../../src/irq.ts';
import { IoBus } from '../../../src/bus/io-bus.ts';
import { diffTrees } from '../../../src/visit/state-tree.ts';
import { Apic } from '../../../devices/apic/apic.ts';
import { KvmLapic } from '../../../devices/kernel/kvm-lapic.ts';
import { KvmApicObject } from '../../../devices/kvm/kvm-apic-object.ts';
import { Ioapic } from '../../../devices/ioapic/ioapic.ts';
import { KvmIoapic } from '../../../devices/kernel/kvm-ioapic.ts';
import { PicPair } from '../../../devices/pic/pic-pair.ts';
import { KvmPic } from '../../../devices/kernel/kvm-pic.ts';
import { I8254 } from '../../../devices/pit/i8254.ts';
import { Port61 } from '../../../devices/pit/port61.ts';
import { KvmPit } from '../../../devices/kernel/kvm-pit.ts';
import { KvmI8259Object } from '../../../devices/kvm/kvm-i8259-object.ts';
import { KvmIoapicObject } from '../../../devices/kvm/kvm-ioapic-object.ts';
import { KvmPitObject } from '../../../devices/kvm/kvm-pit-object.ts';
import { ioapicApi, lapicApi, picApi, pitApi } from '../../devices/kernel/kvm-api.ts';
import { KVM_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_SLAVE } from '../../../src/hw/kvm-structs.ts';
import type { ApicWiring } from '../../../devices/apic-common/apic-types.ts';
import { DM_FIXED } from '../../../src/hw/apic-message.ts';
import { FilterRegistry } from '../../../migration/registry.ts';
import { builtinFilters } from '../../../migration/filters/builtin.ts';
import { convertSnapshot, planMigration, sourceSignatures } from '../../../migration/planner.ts';
import type { Snapshot } from '../../../migration/snapshot.ts';
import { TestClock } from '../../devices/helpers.ts';
import { captureSnapshot } from '../../../migration/from-tree.ts';
import { encodeSnapshotBytes } from '../../../migration/encode.ts';
import { decodeSnapshot } from '../../../migration/decode.ts';

type Irqchip = 'on' | 'split' | 'off';
const SETTINGS: readonly Irqchip[] = ['on', 'split', 'off'];

interface Lapicish {
  mmioWrite(o: number, s: number, v: number): void;
  accept(dm: number, v: number, t: number): void;
  acknowledge(): number;
  reset(): void;
  dispose(): void;
}

interface Machine {
  tree: ObjectTree;
  postLoad(): void;
  /** The guest's actions, identical on every flavour. */
  play(tc: TestClock): void;
  dispose(): void;
}

function wiring(i: number, tc: TestClock): ApicWiring {
  return {
    cpuIndex: i,
    apicId: i,
    bsp: i === 0,
    signals: { kick: () => {}, nmi: () => {}, init: () => {}, sipi: () => {} },
    sendMessage: () => {},
    eoiBroadcast: () => {},
    pic: { hasInterrupt: () => false, acknowledge: () => 0 },
    readTsc: () => BigInt(tc.now()),
  };
}

function build(irqchip: Irqchip, tc: TestClock): Machine {
  const tree = new ObjectTree();
  const post: Array<() => void> = [];
  const lapics: Lapicish[] = [];
  for (let i = 0; i < 2; i++) {
    const path = `/machine/cpu[${i}]/lapic`;
    if (irqchip === 'off') {
      const a = new Apic(wiring(i, tc), tc.clock);
      tree.add(path, a);
      post.push(() => a.postLoad());
      lapics.push(a);
    } else {
      const k = new KvmLapic(wiring(i, tc), tc.clock);
      const obj = new KvmApicObject(lapicApi(k), 0);
      tree.add(path, obj);
      post.push(() => obj.postLoad());
      lapics.push(k);
    }
  }
  const bus = new IoBus();
  let ioapic: { setIrq(p: number, l: number): void; mmioWrite(o: number, s: number, v: number): void };
  let pic: { setIrq(p: number, l: number): void; reset(): void; hasInterrupt(): boolean; acknowledge(): number };
  let pitReset: () => void;
  const disposers: Array<() => void> = [];
  const irq0 = { setIrq: () => {} };
  if (irqchip === 'on') {
    const io = new KvmIoapic(() => {});
    const ioObj = new KvmIoapicObject(ioapicApi(io));
    tree.add('/machine/ioapic', ioObj);
    post.push(() => ioObj.postLoad());
    const kp = new KvmPic();
    bus.map(kp.portRanges());
    const master = new KvmI8259Object(picApi(kp), KVM_IRQCHIP_PIC_MASTER);
    tree.add('/machine/pic/master', master);
    post.push(() => master.postLoad());
    const slave = new KvmI8259Object(picApi(kp), KVM_IRQCHIP_PIC_SLAVE);
    tree.add('/machine/pic/slave', slave);
    post.push(() => slave.postLoad());
    const pit = new KvmPit(tc.clock, new IrqLine(irq0, 0));
    bus.map(pit.portRanges());
    const obj = new KvmPitObject(pitApi(pit));
    tree.add('/machine/pit', obj);
    post.push(() => obj.postLoad());
    ioapic = io;
    pic = kp;
    pitReset = () => pit.reset();
    disposers.push(() => pit.dispose());
  } else {
    const io = new Ioapic(() => {});
    tree.add('/machine/ioapic', io);
    const pp = new PicPair();
    bus.map(pp.portRanges());
    tree.add('/machine/pic/master', pp.master);
    tree.add('/machine/pic/slave', pp.slave);
    post.push(() => pp.postLoad());
    const pit = new I8254(tc.clock, new IrqLine(irq0, 0));
    const p61 = new Port61(pit, tc.clock);
    bus.register(0x40, 4, pit);
    bus.register(0x61, 1, p61);
    tree.add('/machine/pit', pit);
    tree.add('/machine/pcspk', p61);
    post.push(() => pit.postLoad());
    ioapic = io;
    pic = pp;
    pitReset = () => pit.reset();
    disposers.push(() => pit.dispose());
  }
  return {
    tree,
    postLoad: () => post.forEach((f) => f()),
    dispose: () => {
      disposers.forEach((f) => f());
      lapics.forEach((l) => l.dispose());
    },
    play: (t) => {
      lapics.forEach((l) => l.reset());
      pic.reset();
      pitReset();
      t.stepTo(10_000);
      // LAPICs: enabled, vectors waiting and in service, CPU 0's timer one-shot mid-count.
      for (const l of lapics) l.mmioWrite(0xf0, 4, 0x1ff);
      lapics[0]!.accept(DM_FIXED, 0x41, 0);
      lapics[0]!.accept(DM_FIXED, 0x52, 1);
      lapics[0]!.acknowledge();
      lapics[1]!.accept(DM_FIXED, 0x33, 0);
      lapics[0]!.mmioWrite(0x3e0, 4, 0x3);
      lapics[0]!.mmioWrite(0x320, 4, 0x40);
      lapics[0]!.mmioWrite(0x380, 4, 500_000);
      // IOAPIC: pin 9 level-triggered, unmasked, asserted (remote IRR set); pin 4 edge.
      ioapic.mmioWrite(0, 4, 0x10 + 18);
      ioapic.mmioWrite(0x10, 4, 0x8039);
      ioapic.mmioWrite(0, 4, 0x10 + 8);
      ioapic.mmioWrite(0x10, 4, 0x0034);
      ioapic.setIrq(9, 1);
      ioapic.setIrq(4, 1);
      // PICs: initialised as Linux does, IRQ1 pending, IRQ 8 level via ELCR.
      for (const [base, vec, icw3] of [[0x20, 0x30, 4], [0xa0, 0x38, 2]] as const) {
        bus.write(base, 1, 0x11);
        bus.write(base + 1, 1, vec);
        bus.write(base + 1, 1, icw3);
        bus.write(base + 1, 1, 0x01);
        bus.write(base + 1, 1, 0x00);
      }
      bus.write(0x4d1, 1, 0x08);
      pic.setIrq(1, 1);
      pic.setIrq(11, 1);
      // PIT: channel 0 periodic (mode 2), channel 2 one-shot gated on with the speaker bit.
      bus.write(0x43, 1, 0x34);
      bus.write(0x40, 1, 0x9b);
      bus.write(0x40, 1, 0x2e);
      bus.write(0x43, 1, 0xb0);
      bus.write(0x42, 1, 0x00);
      bus.write(0x42, 1, 0x40);
      bus.write(0x61, 1, 0x03);
      t.stepTo(1_234_567);
    },
  };
}

function snapshotOf(m: Machine, t: bigint): Snapshot {
  const objects = m.tree.saveAll();
  const schemas = new Map([...m.tree.describeAll().values()].map((d) => [`${d.type}@${d.version}`, d.schema]));
  return { config: {}, clock: { virtualTimeNs: t, retiredInstructions: t, run: {} }, objects, schemas };
}

describe('the three kernel-irqchip settings convert into each other exactly', () => {
  it('for all 9 ordered pairs, converted state = the destination flavour\'s own state', () => {
    const registry = new FilterRegistry().registerAll(builtinFilters());
    const native = new Map<Irqchip, Snapshot>();
    for (const s of SETTINGS) {
      // A clock per flavour: the same guest actions at the same virtual times.
      const own = new TestClock();
      const m = build(s, own);
      m.play(own);
      native.set(s, snapshotOf(m, BigInt(own.now())));
      m.dispose();
    }
    // The snapshot point is an interesting one: a timer mid-count, vectors in IRR and ISR, a
    // level-triggered line asserted with remote IRR set, the PIT mid-count.
    const off = native.get('off')!.objects;
    const lapic0 = off.get('/machine/cpu[0]/lapic')!.fields;
    expect(lapic0.timer_expiry).toBeGreaterThan(1_234_567n);
    expect((lapic0.isr as number[]).some((w) => w !== 0) && (lapic0.irr as number[]).some((w) => w !== 0)).toBe(true);
    expect(((off.get('/machine/ioapic')!.fields.ioredtbl as bigint[])[9]! >> 14n) & 1n).toBe(1n);
    expect(off.get('/machine/pic/master')!.fields.irr).toBe(0x06); // IRQ1, and IRQ2 from the slave's IRQ11
    const chains: string[] = [];
    for (const from of SETTINGS) {
      for (const to of SETTINGS) {
        const src = native.get(from)!;
        const own = new TestClock();
        own.counter.n = Number(src.clock.virtualTimeNs);
        const dst = build(to, own);
        const { snapshot, plan } = convertSnapshot(registry, src, dst.tree.describeAll());
        chains.push(`${from}->${to}: ${plan.chain.join(', ')}`);
        dst.tree.loadAll(snapshot.objects);
        dst.postLoad();
        const again = dst.tree.saveAll();
        const expected = native.get(to)!.objects;
        expect([...again.keys()]).toEqual([...expected.keys()]);
        for (const [path, o] of again) {
          expect(o.type).toBe(expected.get(path)!.type);
          expect(diffTrees(o.fields, expected.get(path)!.fields, path), `${from}->${to}`).toEqual([]);
        }
        // Planning from the signatures alone gives the same chain.
        expect(planMigration(registry, sourceSignatures(src), dst.tree.describeAll()).chain).toEqual(plan.chain);
        dst.dispose();
      }
    }
    expect(chains).toEqual([
      'on->on: ',
      'on->split: kvm-ioapic->ioapic, kvm-i8259->i8259, kvm-i8259->i8259, kvm-pit->i8254+pcspk',
      'on->off: kvm-apic->apic, kvm-apic->apic, kvm-ioapic->ioapic, kvm-i8259->i8259, kvm-i8259->i8259, kvm-pit->i8254+pcspk',
      'split->on: ioapic->kvm-ioapic, i8259->kvm-i8259, i8259->kvm-i8259, i8254+pcspk->kvm-pit',
      'split->split: ',
      'split->off: kvm-apic->apic, kvm-apic->apic',
      'off->on: apic->kvm-apic, apic->kvm-apic, ioapic->kvm-ioapic, i8259->kvm-i8259, i8259->kvm-i8259, i8254+pcspk->kvm-pit',
      'off->split: apic->kvm-apic, apic->kvm-apic',
      'off->off: ',
    ]);
  });

  it('through the container: encode, decode, convert, encode the converted snapshot, decode, load', () => {
    const registry = new FilterRegistry().registerAll(builtinFilters());
    for (const from of SETTINGS) {
      const own = new TestClock();
      const m = build(from, own);
      m.play(own);
      const t = BigInt(own.now());
      const bytes = encodeSnapshotBytes(captureSnapshot(m.tree, { irqchip: from }, { virtualTimeNs: t, retiredInstructions: t, run: {} }));
      m.dispose();
      for (const to of SETTINGS) {
        const clock = new TestClock();
        clock.counter.n = Number(t);
        const dst = build(to, clock);
        const { snapshot } = convertSnapshot(registry, decodeSnapshot(bytes), dst.tree.describeAll());
        const again = decodeSnapshot(encodeSnapshotBytes(snapshot));
        dst.tree.loadAll(again.objects);
        dst.postLoad();
        expect(again.clock.virtualTimeNs).toBe(t);
        dst.dispose();
      }
    }
  });
});
