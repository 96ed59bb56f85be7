/**
 * Property-based test of the virtio queue and virtio-blk against hostile drivers, with a seeded
 * generator (failures replay from their seed): random descriptor tables (direct, indirect, nested,
 * looping, out of RAM, over ROM and MMIO, absurd lengths), random available-ring entries and index
 * jumps, random notifications, used_event and flags, resets, and time steps. Each step checks:
 *
 * - nothing throws;
 * - the device writes only to device-writable buffers described by the tables and to the used
 *   ring, never to MMIO, ROM or outside RAM (a checking GuestMemory wraps the RAM);
 * - every status byte it writes is OK, IOERR or UNSUPP, one per used element, and each used element
 *   names a head inside the table with the chain's writable length;
 * - a device that asked for a reset completes nothing more;
 * - a twin restored from a snapshot at random steps behaves identically (memory, interrupts).
 */
import { describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../../src/block/memory-backend.ts';
import type { PhysicalMemory } from '../../../src/memory/physical-memory.ts';
import { loadState } from '../../../src/visit/input-visitor.ts';
import { saveState } from '../../../src/visit/output-visitor.ts';
import { hash64 } from '../../../src/util/hash.ts';
import { VirtioBlk } from '../../../devices/virtio-blk/virtio-blk.ts';
import { BLK_F_DISCARD, BLK_F_WRITE_ZEROES } from '../../../devices/virtio-blk/virtio-blk-regs.ts';
import { DescChain, walkChain } from '../../../devices/virtio/descriptor-chain.ts';
import { INTERFACE_MODERN, VirtioCommon } from '../../../devices/virtio/virtio-common.ts';
import {
  AVAIL_IDX,
  AVAIL_RING,
  F_EVENT_IDX,
  F_INDIRECT_DESC,
  F_VERSION_1,
  featureBit,
  STATUS_ACKNOWLEDGE,
  STATUS_DEVICE_NEEDS_RESET,
  STATUS_DRIVER,
  STATUS_DRIVER_OK,
  STATUS_FEATURES_OK,
  USED_IDX,
  USED_RING,
} from '../../../devices/virtio/virtio-regs.ts';
import { Rng } from '../../migration/filters/gen.ts';
import { TestClock } from '../helpers.ts';
import { RecordingInterrupt } from '../virtio/virtio-harness.ts';
import { AVAIL, CheckedMemory, DESC, DISK_SECTORS, layout, makeRam, USED } from './hostile-tables.ts';

const SEED_COUNT = 80;

interface Twin {
  tc: TestClock;
  ram: PhysicalMemory;
  mem: CheckedMemory;
  disk: MemoryBackend;
  blk: VirtioBlk;
  common: VirtioCommon;
  irq: RecordingInterrupt;
  mmioTouches: number;
}


function makeTwin(ramBytes: Uint8Array, disk: Uint8Array, now: number): Twin {
  const tc = new TestClock();
  tc.counter.n = now;
  const { ram, touches } = makeRam();
  ram.u8.set(ramBytes);
  const mem = new CheckedMemory(ram);
  const backend = new MemoryBackend(disk);
  const irq = new RecordingInterrupt(() => tc.now());
  const blk = new VirtioBlk(tc.clock, backend, { maxDiscardSeg: 2, maxWriteZeroesSeg: 3 });
  const common = new VirtioCommon(blk, mem, irq);
  const twin: Twin = { tc, ram, mem, disk: backend, blk, common, irq, mmioTouches: 0 };
  Object.defineProperty(twin, 'mmioTouches', { get: () => touches.n });
  return twin;
}

function start(t: Twin, features: bigint, size: number): void {
  const c = t.common;
  c.writeStatus(STATUS_ACKNOWLEDGE | STATUS_DRIVER, INTERFACE_MODERN);
  c.features.driverFeatureSelect = 0;
  c.writeDriverFeatures(Number(features & 0xffffffffn));
  c.features.driverFeatureSelect = 1;
  c.writeDriverFeatures(Number(features >> 32n));
  c.writeStatus(STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK, INTERFACE_MODERN);
  c.queueSelect = 0;
  c.writeQueueSize(size);
  const q = c.selectedQueue()!;
  q.desc = BigInt(DESC);
  q.driver = BigInt(AVAIL);
  q.device = BigInt(USED);
  c.writeQueueEnable(1);
  c.writeStatus(STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK, INTERFACE_MODERN);
}

/** Checks on the used elements published since `from`: heads in range, writable length, status count. */
function checkUsed(t: Twin, size: number, from: number, indirect: boolean, problems: string[], outstanding: Set<number>): number {
  const end = t.ram.read16(USED + USED_IDX);
  const chain = new DescChain(256);
  let n = 0;
  for (let i = from; i !== end; i = (i + 1) & 0xffff) {
    const e = USED + USED_RING + 8 * (i % size);
    const id = t.ram.read32(e);
    const len = t.ram.read32(e + 4);
    outstanding.delete(id);
    if (id >= size) problems.push(`used id ${id} outside the table`);
    else if (walkChain(t.ram, DESC, size, id, indirect, chain) === null && len !== chain.writableBytes) {
      problems.push(`used len ${len} for head ${id}, chain has ${chain.writableBytes} writable bytes`);
    }
    n++;
  }
  return n;
}

function runSeed(seed: number): { completed: number; broken: boolean; statuses: number[]; problems: string[] } {
  const r = new Rng(seed);
  const size = r.pick([1, 2, 4, 8, 16, 32, 64]);
  let features = featureBit(F_VERSION_1);
  if (r.bool()) features |= featureBit(F_INDIRECT_DESC);
  if (r.bool()) features |= featureBit(F_EVENT_IDX);
  if (r.bool()) features |= featureBit(BLK_F_DISCARD) | featureBit(BLK_F_WRITE_ZEROES);
  const indirect = (features & featureBit(F_INDIRECT_DESC)) !== 0n;
  const { ram: scratch } = makeRam();
  const { allowed, heads } = layout(r, scratch, size, indirect);
  const disk = Uint8Array.from({ length: DISK_SECTORS * 512 }, (_, i) => (i * 13) & 0xff);
  const a = makeTwin(scratch.u8, disk.slice(), 0);
  let b = makeTwin(scratch.u8, disk.slice(), 0);
  a.mem.allowed = allowed;
  b.mem.allowed = allowed;
  start(a, features, size);
  start(b, features, size);
  const problems: string[] = [];
  let availIdx = 0;
  let seenUsed = 0;
  const outstanding = new Set<number>();
  // Some drivers only break the rules of the tables; others also break those of the ring.
  const lawlessRate = r.pick([0, 0, 0.02, 0.1]);
  let completed = 0;
  let statusSeen = 0;
  let brokenAtUsed = -1;
  // Draw every random value before `both`: the twins must see the same operation.
  const both = (f: (t: Twin) => void) => {
    f(a);
    f(b);
  };
  for (let step = 0; step < 60; step++) {
    const op = r.below(100);
    if (op < 35) {
      // Publish some heads: mostly inside the table, sometimes not; sometimes a wild index jump.
      // Mostly as a driver would (chains not already outstanding, no more than the ring holds),
      // sometimes anything.
      const lawless = r.below(1000) < lawlessRate * 1000;
      const n = lawless ? 1 + r.below(2 * size) : Math.min(1 + r.below(Math.max(1, size)), size - outstanding.size);
      for (let i = 0; i < n; i++) {
        const free = heads.filter((h) => !outstanding.has(h));
        if (!lawless && free.length === 0) break;
        const head = lawless ? (r.bool() ? r.below(0x10000) : r.below(size)) : r.pick(free);
        outstanding.add(head);
        both((t) => t.ram.write16(AVAIL + AVAIL_RING + 2 * (availIdx % size), head));
        availIdx = (availIdx + 1) & 0xffff;
      }
      if (r.below(50) === 0) availIdx = (availIdx + r.below(0x10000)) & 0xffff;
      both((t) => t.ram.write16(AVAIL + AVAIL_IDX, availIdx));
      if (r.below(4) !== 0) both((t) => t.common.notify(0));
    } else if (op < 50) {
      const queue = r.below(10) === 0 ? 1 : 0;
      both((t) => t.common.notify(queue));
    } else if (op < 80) {
      const dt = r.pick([1, 100, 10_000, 10_100, 20_000, r.below(200_000)]);
      both((t) => t.tc.stepTo(t.tc.now() + dt));
    } else if (op < 88) {
      const v = r.below(0x10000);
      both((t) => t.ram.write16(AVAIL + AVAIL_RING + 2 * size, v));
    } else if (op < 91) {
      const v = r.below(4);
      both((t) => t.ram.write16(AVAIL, v));
    } else if (op < 94) {
      // Reset and start over.
      both((t) => {
        t.common.writeStatus(0, INTERFACE_MODERN);
        t.ram.write16(AVAIL + AVAIL_IDX, 0);
        t.ram.write16(USED + USED_IDX, 0);
        start(t, features, size);
      });
      availIdx = 0;
      seenUsed = 0;
      outstanding.clear();
      brokenAtUsed = -1;
    } else {
      // Replace twin b by a restore of itself (host resources copied, state through the visitors).
      const now = b.tc.now();
      const common = saveState(b.common, '/fuzz');
      const dev = saveState(b.blk, '/fuzz/virtio-backend');
      const restored = makeTwin(b.ram.u8, b.disk.bytes.slice(), now);
      restored.mem.allowed = allowed;
      loadState(restored.common, common, '/fuzz');
      loadState(restored.blk, dev, '/fuzz/virtio-backend');
      restored.common.postLoad();
      restored.blk.postLoad();
      restored.irq.events.push(...b.irq.events);
      restored.mem.statusWrites.push(...b.mem.statusWrites);
      b.blk.dispose();
      b = restored;
    }
    // Per-step invariants on twin a.
    const n = checkUsed(a, size, seenUsed, indirect, problems, outstanding);
    if (brokenAtUsed >= 0 && n > 0) problems.push('a device that asked for a reset completed a request');
    completed += n;
    seenUsed = a.ram.read16(USED + USED_IDX);
    const broken = (a.common.status & STATUS_DEVICE_NEEDS_RESET) !== 0;
    if (broken && brokenAtUsed < 0) brokenAtUsed = seenUsed;
    if (broken !== a.blk.inflight.broken && a.common.status & STATUS_DRIVER_OK && a.blk.inflight.broken) problems.push('device broken but status says live');
    if (a.blk.inflight.count > size) problems.push(`in flight ${a.blk.inflight.count} > queue size ${size}`);
    for (const v of a.mem.statusWrites.slice(statusSeen)) if (v > 2) problems.push(`status byte ${v}`);
    statusSeen = a.mem.statusWrites.length;
  }
  for (const t of [a, b]) {
    problems.push(...t.mem.bad);
    if (t.mmioTouches !== 0) problems.push('MMIO touched');
  }
  if (hash64(a.ram.u8) !== hash64(b.ram.u8)) problems.push('restored twin: RAM differs');
  if (hash64(a.disk.bytes) !== hash64(b.disk.bytes)) problems.push('restored twin: disk differs');
  if (JSON.stringify(a.irq.events) !== JSON.stringify(b.irq.events)) problems.push('restored twin: interrupts differ');
  if (a.mem.statusWrites.length !== b.mem.statusWrites.length) problems.push('restored twin: status writes differ');
  return { completed, broken: a.blk.inflight.broken, statuses: a.mem.statusWrites, problems };
}

describe('virtio-blk under hostile drivers (seeded)', () => {
  it(`${SEED_COUNT} seeds: nothing throws, writes stay in writable buffers and the used ring, statuses are valid, restores are invisible`, () => {
    let completed = 0;
    let broken = 0;
    const statuses = [0, 0, 0];
    for (let seed = 1; seed <= SEED_COUNT; seed++) {
      const res = runSeed(seed);
      expect(res.problems, `seed ${seed}`).toEqual([]);
      completed += res.completed;
      if (res.broken) broken++;
      for (const v of res.statuses) statuses[v]!++;
    }
    // The generator must exercise both paths: requests that complete and devices that break.
    expect(completed).toBeGreaterThan(500);
    expect(statuses.every((n) => n > 20), `statuses ${statuses}`).toBe(true);
    expect(broken).toBeGreaterThan(10);
    expect(broken).toBeLessThan(SEED_COUNT);
  });
});
