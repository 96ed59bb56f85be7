/**
 * A test driver for virtio devices: guest RAM (PhysicalMemory), a VirtioCommon standing in for the
 * transport, a recording interrupt capability, and helpers that lay out split rings and descriptor
 * chains by hand, as a guest driver would.
 */
import { PhysicalMemory } from '../../../src/memory/physical-memory.ts';
import { VirtioCommon, INTERFACE_MODERN } from '../../../devices/virtio/virtio-common.ts';
import type { VirtioDevice, VirtioInterrupt } from '../../../devices/virtio/virtio-device.ts';
import {
  AVAIL_IDX,
  AVAIL_RING,
  DESC_F_INDIRECT,
  DESC_F_NEXT,
  DESC_F_WRITE,
  F_VERSION_1,
  featureBit,
  STATUS_ACKNOWLEDGE,
  STATUS_DRIVER,
  STATUS_DRIVER_OK,
  STATUS_FEATURES_OK,
  USED_IDX,
  USED_RING,
} from '../../../devices/virtio/virtio-regs.ts';

export const RAM_BYTES = 2 << 20;
/** Where the harness puts the rings of queue 0, and where buffers start. */
export const DESC = 0x10000;
export const AVAIL = 0x18000;
export const USED = 0x19000;
export const BUFFERS = 0x40000;

export class RecordingInterrupt implements VirtioInterrupt {
  readonly events: { kind: 'used' | 'config'; queue: number; at: number }[] = [];
  private readonly now: () => number;
  constructor(now: () => number = () => 0) {
    this.now = now;
  }
  usedBuffer(queueIndex: number): void {
    this.events.push({ kind: 'used', queue: queueIndex, at: this.now() });
  }
  configChanged(): void {
    this.events.push({ kind: 'config', queue: -1, at: this.now() });
  }
  count(kind: 'used' | 'config'): number {
    return this.events.filter((e) => e.kind === kind).length;
  }
}

/** One buffer of a chain: guest address, length, device-writable or not. */
export interface Seg {
  addr: number;
  len: number;
  write?: boolean;
}

export class Driver {
  readonly mem: PhysicalMemory;
  readonly irq: RecordingInterrupt;
  readonly common: VirtioCommon;
  readonly device: VirtioDevice;
  size = 0;
  availIdx = 0;
  lastUsed = 0;
  nextDesc = 0;
  nextBuffer = BUFFERS;

  constructor(device: VirtioDevice, now: () => number = () => 0, mem = new PhysicalMemory(RAM_BYTES)) {
    this.mem = mem;
    this.device = device;
    this.irq = new RecordingInterrupt(now);
    this.common = new VirtioCommon(device, this.mem, this.irq);
  }

  /** The modern start-up sequence with `features` (VERSION_1 added), one queue of `size`. */
  start(features: bigint, size = 0): void {
    const c = this.common;
    c.writeStatus(STATUS_ACKNOWLEDGE, INTERFACE_MODERN);
    c.writeStatus(STATUS_ACKNOWLEDGE | STATUS_DRIVER, INTERFACE_MODERN);
    const f = features | featureBit(F_VERSION_1);
    c.features.driverFeatureSelect = 0;
    c.writeDriverFeatures(Number(f & 0xffffffffn));
    c.features.driverFeatureSelect = 1;
    c.writeDriverFeatures(Number(f >> 32n));
    c.writeStatus(STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK, INTERFACE_MODERN);
    c.queueSelect = 0;
    if (size !== 0) c.writeQueueSize(size);
    const q = c.selectedQueue()!;
    this.size = q.size;
    q.desc = BigInt(DESC);
    q.driver = BigInt(AVAIL);
    q.device = BigInt(USED);
    c.writeQueueEnable(1);
    c.writeStatus(STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK, INTERFACE_MODERN);
  }

  /** A fresh buffer of `len` bytes (16-byte aligned), filled with `fill`. */
  buffer(len: number, fill = 0): number {
    const addr = this.nextBuffer;
    this.nextBuffer = (this.nextBuffer + len + 15) & ~15;
    for (let i = 0; i < len; i++) this.mem.write8(addr + i, fill);
    return addr;
  }

  /** Write descriptor `index` of the table at `table`. */
  writeDesc(table: number, index: number, addr: number, len: number, flags: number, next: number): void {
    const d = table + 16 * index;
    this.mem.write32(d, addr >>> 0);
    this.mem.write32(d + 4, Math.floor(addr / 0x100000000));
    this.mem.write32(d + 8, len >>> 0);
    this.mem.write16(d + 12, flags);
    this.mem.write16(d + 14, next);
  }

  /** Put a chain in the descriptor table (consecutive slots, wrapping); returns its head. */
  chain(segs: readonly Seg[]): number {
    const head = this.nextDesc % this.size;
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!;
      const slot = (this.nextDesc + i) % this.size;
      const last = i === segs.length - 1;
      this.writeDesc(DESC, slot, s.addr, s.len, (s.write ? DESC_F_WRITE : 0) | (last ? 0 : DESC_F_NEXT), (slot + 1) % this.size);
    }
    this.nextDesc += segs.length;
    return head;
  }

  /** One descriptor in the main table pointing at an indirect table holding the chain. */
  indirectChain(segs: readonly Seg[]): number {
    const table = this.buffer(16 * segs.length);
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!;
      this.writeDesc(table, i, s.addr, s.len, (s.write ? DESC_F_WRITE : 0) | (i < segs.length - 1 ? DESC_F_NEXT : 0), i + 1);
    }
    const head = this.nextDesc % this.size;
    this.writeDesc(DESC, head, table, 16 * segs.length, DESC_F_INDIRECT, 0);
    this.nextDesc += 1;
    return head;
  }

  /** Publish heads in the available ring (without notifying). */
  publish(...heads: number[]): void {
    for (const h of heads) {
      this.mem.write16(AVAIL + AVAIL_RING + 2 * (this.availIdx % this.size), h);
      this.availIdx = (this.availIdx + 1) & 0xffff;
    }
    this.mem.write16(AVAIL + AVAIL_IDX, this.availIdx);
  }

  notify(): void {
    this.common.notify(0);
  }

  /** used_event (EVENT_IDX): interrupt me when the used index passes this. */
  setUsedEvent(v: number): void {
    this.mem.write16(AVAIL + AVAIL_RING + 2 * this.size, v);
  }

  /** avail_event the device wrote (EVENT_IDX). */
  availEvent(): number {
    return this.mem.read16(USED + USED_RING + 8 * this.size);
  }

  usedIdx(): number {
    return this.mem.read16(USED + USED_IDX);
  }

  /** Used elements published since the last call: [id, len]. */
  takeUsed(): [number, number][] {
    const out: [number, number][] = [];
    const end = this.usedIdx();
    while (this.lastUsed !== end) {
      const e = USED + USED_RING + 8 * (this.lastUsed % this.size);
      out.push([this.mem.read32(e), this.mem.read32(e + 4)]);
      this.lastUsed = (this.lastUsed + 1) & 0xffff;
    }
    return out;
  }

  get status(): number {
    return this.common.status;
  }
}
