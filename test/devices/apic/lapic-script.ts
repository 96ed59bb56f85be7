/**
 * Scripted operations for the local APICs (register writes, bus messages, 8259 changes, TSC
 * deadlines, time passing while the CPU takes interrupts) and a player that logs everything the
 * guest could observe, for comparing flavours and save/restore paths.
 */
import type { Flavour, Lapic, Rig } from './lapic-harness.ts';
import { makeRig, rd, saveAndRestore, wr } from './lapic-harness.ts';

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Op =
  | { k: 'wr'; cpu: number; off: number; val: number }
  | { k: 'accept'; cpu: number; dm: number; vec: number; trig: number }
  | { k: 'msr'; cpu: number; index: number; val: bigint }
  | { k: 'pic'; level: boolean }
  | { k: 'run'; ns: number }
  | { k: 'read' }
  | { k: 'restore'; cpu: number };

const READABLE = [
  0x20, 0x30, 0x80, 0x90, 0xa0, 0xb0, 0xd0, 0xe0, 0xf0, 0x280, 0x300, 0x310, 0x320, 0x330, 0x340, 0x350, 0x360,
  0x370, 0x380, 0x390, 0x3e0,
];

export function script(seed: number, length: number, cpus: number, restores: boolean): Op[] {
  const r = prng(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = (n: number) => Math.floor(r() * n);
  const vector = () => (r() < 0.05 ? int(16) : 0x10 + int(0xf0));
  const ops: Op[] = [];
  for (let c = 0; c < cpus; c++) ops.push({ k: 'wr', cpu: c, off: 0xf0, val: 0x1ff });
  for (let i = 0; i < length; i++) {
    const cpu = int(cpus);
    const x = r();
    if (x < 0.3) {
      const off = pick([
        0x80, 0xb0, 0xb0, 0xd0, 0xe0, 0xf0, 0x280, 0x310, 0x300, 0x300, 0x320, 0x320, 0x350, 0x360, 0x370, 0x380, 0x380,
        0x3e0, 0x2f0, 0x20,
      ]);
      let val = (r() * 2 ** 32) >>> 0;
      if (off === 0xf0) val = r() < 0.85 ? 0x100 | vector() : vector();
      if (off === 0x80) val = int(256);
      if (off === 0x300) {
        val = vector() | (pick([0, 0, 1, 4, 5, 6, 2, 7]) << 8) | (int(2) << 11) | (int(4) << 14) | (int(4) << 18);
      }
      if (off === 0x310) val = pick([0, 1, 2, 3, 0xff, 0x0f]) << 24;
      if (off === 0x320) val = vector() | (int(4) < 1 ? 0x10000 : 0) | (pick([0, 1, 2]) << 17);
      if (off === 0x350) val = pick([0x700, 0x10700, 0x8000 | vector(), vector(), 0x400]);
      if (off === 0x380) val = int(5000);
      if (off === 0x3e0) val = int(16);
      if (off === 0xe0) val = pick([0xffffffff, 0x0fffffff]);
      if (off === 0x20) val = int(4) << 24;
      ops.push({ k: 'wr', cpu, off, val });
    } else if (x < 0.42) {
      ops.push({ k: 'accept', cpu, dm: pick([0, 0, 1, 4]), vec: vector(), trig: int(2) });
    } else if (x < 0.47) {
      // Mostly TSC deadlines; sometimes IA32_APIC_BASE's global enable off or (mostly) on.
      if (r() < 0.2) ops.push({ k: 'msr', cpu, index: 0x1b, val: r() < 0.3 ? 0xfee00000n : 0xfee00800n });
      else ops.push({ k: 'msr', cpu, index: 0x6e0, val: BigInt(int(20000)) });
    } else if (x < 0.5) {
      ops.push({ k: 'pic', level: r() < 0.5 });
    } else if (x < 0.85) {
      ops.push({ k: 'run', ns: int(3000) });
    } else if (restores && x < 0.9) {
      ops.push({ k: 'restore', cpu });
    } else {
      ops.push({ k: 'read' });
    }
  }
  ops.push({ k: 'read' });
  return ops;
}

/** The CPU side: take interrupts, EOI them at once (a simple handler), and log everything. */
function takeAll(rig: Rig, log: string[]): void {
  rig.cpus.forEach((l: Lapic, i) => {
    for (let n = 0; n < 50 && l.hasInterrupt(); n++) {
      const v = l.acknowledge();
      log.push(`t=${rig.tc.now()} cpu${i} int ${v.toString(16)}`);
      if (v !== (rd(l, 0xf0) & 0xff)) wr(l, 0xb0, 0);
    }
  });
}

/** Play a script on fresh APICs of one flavour; `restore` handles the 'restore' operations. */
export function play(
  flavour: Flavour,
  ops: readonly Op[],
  cpus: number,
  restore: (rig: Rig, cpu: number) => void = saveAndRestore,
): string[] {
  const rig = makeRig(flavour, { cpus, tscDeadline: true });
  const log: string[] = [];
  for (const op of ops) {
    switch (op.k) {
      case 'wr':
        wr(rig.cpus[op.cpu]!, op.off, op.val);
        break;
      case 'accept':
        rig.cpus[op.cpu]!.accept(op.dm, op.vec, op.trig);
        break;
      case 'msr':
        rig.cpus[op.cpu]!.writeMsr(op.index, op.val);
        break;
      case 'pic':
        rig.pic.level = op.level;
        for (const l of rig.cpus) l.picChanged(op.level ? 1 : 0);
        break;
      case 'run': {
        const until = rig.tc.now() + op.ns;
        for (;;) {
          takeAll(rig, log);
          const d = rig.tc.clock.nextDeadline();
          if (d > until) break;
          rig.tc.stepTo(d);
        }
        rig.tc.stepTo(until);
        takeAll(rig, log);
        break;
      }
      case 'read':
        rig.cpus.forEach((l, i) => {
          const regs = READABLE.map((off) => rd(l, off).toString(16));
          for (let w = 0; w < 24; w++) regs.push(rd(l, 0x100 + w * 16).toString(16));
          log.push(`t=${rig.tc.now()} cpu${i} ${regs.join(' ')} msr ${l.readMsr(0x6e0)} base ${l.readMsr(0x1b)} sipi ${l.isWaitingForSipi()}`);
        });
        break;
      case 'restore':
        restore(rig, op.cpu);
        break;
    }
  }
  for (const e of rig.events) log.push(`t=${e.at} cpu${e.cpu} ${e.kind} ${e.value}`);
  rig.kicks.forEach((k, i) => log.push(`cpu${i} kicks ${k.join(',')}`));
  return log;
}
