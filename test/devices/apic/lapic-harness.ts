/**
 * Test harness for both local-APIC flavours: fake CPU signals and 8259 that record what happens
 * and when, an ApicBus for IPIs, and a common surface so one behaviour suite runs against both.
 */
import { ApicBus } from '../../../devices/apic-common/apic-bus.ts';
import type { ApicMessage } from '../../../src/hw/apic-message.ts';
import type { ApicWiring } from '../../../devices/apic-common/apic-types.ts';
import { Apic } from '../../../devices/apic/apic.ts';
import { KvmLapic } from '../../../devices/kernel/kvm-lapic.ts';
import { KvmApicObject } from '../../../devices/kvm/kvm-apic-object.ts';
import type { StateObject } from '../../../src/qom/object.ts';
import { loadState } from '../../../src/visit/input-visitor.ts';
import { saveState } from '../../../src/visit/output-visitor.ts';
import type { StateNode } from '../../../src/visit/state-tree.ts';
import { TestClock } from '../helpers.ts';
import { lapicApi } from '../kernel/kvm-api.ts';

/** What both flavours offer the machine. */
export type Lapic = Apic | KvmLapic;

export type Flavour = 'apic' | 'kvm-lapic';
export const FLAVOURS: readonly Flavour[] = ['apic', 'kvm-lapic'];

export interface SignalEvent {
  cpu: number;
  kind: 'nmi' | 'init' | 'sipi' | 'eoi';
  value: number;
  at: number;
}

/** An 8259 stand-in: a level, and a vector handed out by INTA. */
export class FakePic {
  level = false;
  vector = 0x20;
  acks = 0;
  hasInterrupt(): boolean {
    return this.level;
  }
  acknowledge(): number {
    this.acks++;
    return this.vector;
  }
}

export interface Rig {
  tc: TestClock;
  bus: ApicBus;
  pic: FakePic;
  cpus: Lapic[];
  events: SignalEvent[];
  messages: ApicMessage[];
  /** Per CPU: the virtual times at which the APIC kicked its CPU. */
  kicks: number[][];
  tsc: { value: bigint | null };
  /** Per CPU: its wiring, to build a replacement object (a restore). */
  wirings: ApicWiring[];
  flavour: Flavour;
  tscDeadline: boolean;
}

export interface RigOptions {
  cpus?: number;
  tscDeadline?: boolean;
  start?: number;
}

/** Build `cpus` APICs of one flavour on a bus; CPU 0 is the BSP; everything is reset. */
export function makeRig(flavour: Flavour, opts: RigOptions = {}): Rig {
  const tc = new TestClock();
  tc.counter.n = opts.start ?? 0;
  const bus = new ApicBus();
  const pic = new FakePic();
  const events: SignalEvent[] = [];
  const messages: ApicMessage[] = [];
  const kicks: number[][] = [];
  const tsc: { value: bigint | null } = { value: null };
  const cpus: Lapic[] = [];
  const wirings: ApicWiring[] = [];
  for (let i = 0; i < (opts.cpus ?? 1); i++) {
    kicks.push([]);
    const wiring: ApicWiring = {
      cpuIndex: i,
      apicId: i,
      bsp: i === 0,
      signals: {
        kick: () => {
          kicks[i]!.push(tc.now());
        },
        nmi: () => events.push({ cpu: i, kind: 'nmi', value: 0, at: tc.now() }),
        init: () => events.push({ cpu: i, kind: 'init', value: 0, at: tc.now() }),
        sipi: (v) => events.push({ cpu: i, kind: 'sipi', value: v, at: tc.now() }),
      },
      sendMessage: (m) => {
        messages.push(m);
        bus.deliver(m);
      },
      eoiBroadcast: (v) => events.push({ cpu: i, kind: 'eoi', value: v, at: tc.now() }),
      pic,
      readTsc: () => tsc.value ?? BigInt(tc.now()),
    };
    wirings.push(wiring);
    const lapic = newLapic(flavour, wiring, tc, opts.tscDeadline ?? false);
    lapic.reset();
    bus.attach(lapic);
    cpus.push(lapic);
  }
  return { tc, bus, pic, cpus, events, messages, kicks, tsc, wirings, flavour, tscDeadline: opts.tscDeadline ?? false };
}

export function newLapic(flavour: Flavour, wiring: ApicWiring, tc: TestClock, tscDeadline: boolean): Lapic {
  const opt = { tscDeadline };
  return flavour === 'apic' ? new Apic(wiring, tc.clock, opt) : new KvmLapic(wiring, tc.clock, opt);
}

/** The QOM object that carries a LAPIC's state: the `apic` itself, or a `kvm-apic` over the kernel one. */
export function stateObject(l: Lapic): StateObject {
  if (l instanceof Apic) return l;
  return new KvmApicObject(lapicApi(l), 0);
}

/** Save CPU `i`'s APIC, load it into a fresh object of the same flavour and swap that in. */
export function saveAndRestore(rig: Rig, i: number): StateNode {
  const old = rig.cpus[i]!;
  const tree = saveState(stateObject(old), `/machine/cpu[${i}]/lapic`);
  old.dispose();
  const fresh = newLapic(rig.flavour, rig.wirings[i]!, rig.tc, rig.tscDeadline);
  const obj = stateObject(fresh);
  loadState(obj, tree, `/machine/cpu[${i}]/lapic`);
  obj.postLoad?.();
  rig.bus.replace(fresh);
  rig.cpus[i] = fresh;
  return tree;
}

export function rd(l: Lapic, offset: number): number {
  return l.mmioRead(offset, 4);
}

export function wr(l: Lapic, offset: number, value: number): void {
  l.mmioWrite(offset, 4, value);
}

/** Software-enable the APIC with spurious vector 0xFF. */
export function enable(l: Lapic): void {
  wr(l, 0xf0, 0x1ff);
}

/** Take every deliverable interrupt now (as the CPU would), returning the vectors in order. */
export function drain(l: Lapic, max = 300): number[] {
  const out: number[] = [];
  while (l.hasInterrupt() && out.length < max) out.push(l.acknowledge());
  return out;
}
