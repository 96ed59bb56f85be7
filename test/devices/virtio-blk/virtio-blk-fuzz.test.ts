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
import type { GuestMemory } from '../../../src/memory/guest-memory.ts';
import { PAGE_HOLE, PAGE_ROM, PhysicalMemory } from '../../../src/memory/physical-memory.ts';
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
  DESC_F_INDIRECT,
  DESC_F_NEXT,
  DESC_F_WRITE,
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
  usedRingBytes,
} from '../../../devices/virtio/virtio-regs.ts';
import { Rng } from '../../migration/filters/gen.ts';
import { TestClock } from '../helpers.ts';
import { RecordingInterrupt } from '../virtio/virtio-harness.ts';

const RAM = 1 << 20;
const DESC = 0x10000;
const AVAIL = 0x18000;
const USED = 0x19000;
const CELLS = 0x40000; // 512-byte cells, each starting with a plausible request header
const CELLS_END = 0x7f000;
const MMIO = 0x80000;
const ROM = 0x81000;
const TABLES = 0xa0000; // indirect tables, 0x200 bytes apart
const TABLE_COUNT = 16;
const STATUS_AREA = 0x7f000; // status bytes of the sane chains
const DISK_SECTORS = 64;
const SEED_COUNT = 80;

/** GuestMemory over RAM that fails the test on a write outside the allowed bytes, and records status bytes. */
class CheckedMemory implements GuestMemory {
  readonly ramSize: number;
  allowed: Uint8Array = new Uint8Array(0);
  readonly bad: string[] = [];
  readonly statusWrites: number[] = [];
  readonly ram: PhysicalMemory;
  constructor(ram: PhysicalMemory) {
    this.ram = ram;
    this.ramSize = ram.ramSize;
  }
  private check(addr: number, len: number, what: string): void {
    for (let i = 0; i < len; i++) {
      if (!(this.allowed[addr + i] === 1)) {
        this.bad.push(`${what} at 0x${(addr + i).toString(16)}`);
        return;
      }
    }
  }
  isRam(a: number, l: number) {
    return this.ram.isRam(a, l);
  }
  read8(a: number) {
    return this.ram.read8(a);
  }
  read16(a: number) {
    return this.ram.read16(a);
  }
  read32(a: number) {
    return this.ram.read32(a);
  }
  read64(a: number) {
    return this.ram.read64(a);
  }
  readBytes(a: number, d: Uint8Array) {
    this.ram.readBytes(a, d);
  }
  write8(a: number, v: number) {
    this.check(a, 1, 'write8');
    this.statusWrites.push(v);
    this.ram.write8(a, v);
  }
  write16(a: number, v: number) {
    this.check(a, 2, 'write16');
    this.ram.write16(a, v);
  }
  write32(a: number, v: number) {
    this.check(a, 4, 'write32');
    this.ram.write32(a, v);
  }
  write64(a: number, v: bigint) {
    this.check(a, 8, 'write64');
    this.ram.write64(a, v);
  }
  writeBytes(a: number, s: Uint8Array) {
    this.check(a, s.length, 'writeBytes');
    this.ram.writeBytes(a, s);
  }
}

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

function makeRam(): { ram: PhysicalMemory; touches: { n: number } } {
  const ram = new PhysicalMemory(RAM);
  const touches = { n: 0 };
  ram.setPageKind(MMIO, 0x1000, PAGE_HOLE);
  ram.mmio.register(MMIO, 0x1000, {
    mmioRead: () => {
      touches.n++;
      return 0;
    },
    mmioWrite: () => {
      touches.n++;
    },
  });
  ram.setPageKind(ROM, 0x1000, PAGE_ROM);
  return { ram, touches };
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

type Desc = [addr: number, hi: number, len: number, flags: number, next: number];

/** Random descriptor contents, mostly hostile. */
function randomDescriptor(r: Rng, size: number, inTable: boolean): Desc {
  let addr: number;
  let hi = 0;
  const pick = r.below(100);
  if (pick < 45) addr = CELLS + 512 * r.below((CELLS_END - CELLS) / 512) + (r.below(4) === 0 ? r.below(512) : 0);
  else if (pick < 55) addr = r.pick([DESC, AVAIL, USED, USED + 8, TABLES + 0x200 * r.below(TABLE_COUNT)]) + r.below(64);
  else if (pick < 65) addr = r.pick([MMIO, ROM, MMIO - 8, ROM - 3]);
  else if (pick < 75) addr = RAM - r.below(1024);
  else if (pick < 80) {
    addr = r.u32();
    hi = r.pick([1, 0xffffffff, r.u32()]);
  } else addr = r.u32() % RAM;
  let len = r.pick([0, 1, 15, 16, 17, 20, 512, 513, 1024, 4096, r.below(8192), 0xffffffff, 0x80000000, 16 * r.below(size + 2)]);
  let flags = 0;
  if (r.below(3) !== 0) flags |= DESC_F_NEXT;
  if (r.below(2) === 0) flags |= DESC_F_WRITE;
  if (r.below(inTable ? 20 : 8) === 0) {
    flags |= DESC_F_INDIRECT;
    if (r.below(4) !== 0) flags &= ~DESC_F_NEXT;
    addr = TABLES + 0x200 * r.below(TABLE_COUNT);
    hi = 0;
    len = r.below(6) === 0 ? r.below(100) : 16 * (1 + r.below(8));
  }
  const next = r.below(5) === 0 ? r.below(0x10000) : r.below(size + 1);
  return [addr, hi, len, flags, next];
}

/** A sane request chain: header, data buffers, status byte (then the caller damages some of it). */
function saneChain(r: Rng, statusAt: number): Desc[] {
  const cell = () => CELLS + 512 * r.below((CELLS_END - CELLS) / 512);
  const out: Desc[] = [[cell(), 0, 16, 0, 0]];
  const write = r.bool();
  for (let i = r.below(3); i > 0; i--) out.push([cell() + 16, 0, r.pick([16, 32, 256, 480, 496]), write ? DESC_F_WRITE : 0, 0]);
  out.push([statusAt, 0, 1, DESC_F_WRITE, 0]);
  return out;
}

/** Lay out everything the device may look at; returns which bytes it may write. */
function layout(r: Rng, ram: PhysicalMemory, size: number, indirect: boolean): { allowed: Uint8Array; heads: number[] } {
  const hostility = r.pick([0, 0.02, 0.1, 0.5]);
  const tables = [DESC, ...Array.from({ length: TABLE_COUNT }, (_, t) => TABLES + 0x200 * t)];
  const overTable = (addr: number, len: number) =>
    (addr < DESC + 16 * size && addr + len > DESC) || (addr < TABLES + 0x200 * TABLE_COUNT && addr + len > TABLES);
  const main: Desc[] = [];
  const indirectTables: Desc[][] = [];
  const heads: number[] = [];
  let status = STATUS_AREA;
  // Sane chains first, packed into the table (or into an indirect table).
  while (main.length < size) {
    const chain = saneChain(r, status++);
    if (indirect && indirectTables.length < TABLE_COUNT && r.below(3) === 0) {
      const t = indirectTables.length;
      indirectTables.push(chain.map((d, i) => [d[0], d[1], d[2], d[3] | (i < chain.length - 1 ? DESC_F_NEXT : 0), i + 1] as Desc));
      heads.push(main.length);
      main.push([TABLES + 0x200 * t, 0, 16 * chain.length, DESC_F_INDIRECT, 0]);
      continue;
    }
    if (main.length + chain.length > size) {
      main.push(randomDescriptor(r, size, false));
      continue;
    }
    heads.push(main.length);
    chain.forEach((d, i) => main.push([d[0], d[1], d[2], d[3] | (i < chain.length - 1 ? DESC_F_NEXT : 0), main.length + 1]));
  }
  while (indirectTables.length < TABLE_COUNT) indirectTables.push(Array.from({ length: 8 }, () => randomDescriptor(r, size, true)));
  // Damage: replace a descriptor by a random one, or change one of its fields to something hostile.
  const damage = (d: Desc, inTable: boolean): Desc => {
    if (r.below(1000) >= hostility * 1000) return d;
    const [addr, hi, len, flags, next] = d;
    switch (r.below(5)) {
      case 0:
        return randomDescriptor(r, size, inTable);
      case 1:
        return [r.pick([MMIO, MMIO + 0x10, ROM, RAM - 1, RAM - 8, RAM, 0xfffff000]), r.below(4) === 0 ? 1 : 0, len, flags, next];
      case 2:
        return [addr, hi, r.pick([0xffffffff, 0x80000000, RAM, 0x100000 - (addr % 0x100000) + 1, 0]), flags, next];
      case 3:
        return [addr, hi, len, flags, r.pick([size, 0xffff, r.below(size), next + 1])];
      default:
        return [addr, hi, len, flags ^ r.pick([DESC_F_WRITE, DESC_F_NEXT, DESC_F_INDIRECT]), next];
    }
  };
  const allowed = new Uint8Array(RAM);
  const put = (table: number, i: number, d: Desc) => {
    let [addr, hi, len, flags, next] = d;
    // Writable buffers never overlap descriptor tables, so that the allowed bytes stay what they are.
    if (flags & DESC_F_WRITE && !(flags & DESC_F_INDIRECT) && overTable(hi === 0 ? addr : RAM, len)) flags &= ~DESC_F_WRITE;
    const a = table + 16 * i;
    ram.write32(a, addr >>> 0);
    ram.write32(a + 4, hi >>> 0);
    ram.write32(a + 8, len >>> 0);
    ram.write16(a + 12, flags);
    ram.write16(a + 14, next);
    if (flags & DESC_F_WRITE && !(flags & DESC_F_INDIRECT) && hi === 0 && ram.isRam(addr, len)) allowed.fill(1, addr, addr + len);
  };
  main.forEach((d, i) => put(tables[0]!, i, damage(d, false)));
  indirectTables.forEach((t, k) => t.forEach((d, i) => put(tables[k + 1]!, i, damage(d, true))));
  // Cells: a plausible header (type, sector), then random bytes.
  for (let c = CELLS; c < CELLS_END; c += 512) {
    ram.write32(c, r.pick([0, 0, 1, 1, 4, 8, 11, 13, 0x80000000, r.u32()]));
    ram.write32(c + 4, 0);
    ram.write32(c + 8, r.below(3) === 0 ? r.u32() : r.below(DISK_SECTORS + 4));
    ram.write32(c + 12, r.below(8) === 0 ? r.u32() : 0);
    for (let i = 16; i < 64; i += 16) {
      ram.write32(c + i, r.below(DISK_SECTORS + 2));
      ram.write32(c + i + 8, r.below(4));
      ram.write32(c + i + 12, r.below(6) === 0 ? r.u32() : r.below(2));
    }
  }
  allowed.fill(1, USED, USED + usedRingBytes(size));
  return { allowed, heads };
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
