/**
 * A virtio-blk device on a memory disk, driven by the test Driver, with helpers that build requests
 * (header, data buffers, status byte) the way a guest driver lays them out.
 */
import { MemoryBackend } from '../../../src/block/memory-backend.ts';
import type { BlockBackend } from '../../../src/block/block-backend.ts';
import { VirtioBlk } from '../../../devices/virtio-blk/virtio-blk.ts';
import type { VirtioBlkOptions } from '../../../devices/virtio-blk/blk-config.ts';
import { BLK_F_DISCARD, BLK_F_WRITE_ZEROES } from '../../../devices/virtio-blk/virtio-blk-regs.ts';
import { F_EVENT_IDX, F_INDIRECT_DESC, featureBit } from '../../../devices/virtio/virtio-regs.ts';
import { TestClock } from '../helpers.ts';
import { Driver, type Seg } from '../virtio/virtio-harness.ts';

export const DISK_SECTORS = 256;
/** Sentinel the harness puts in status bytes: a status still reading 0xAA was never written. */
export const STATUS_UNSET = 0xaa;

/** The byte at `offset` of the test disk. */
export function diskByte(offset: number): number {
  return (offset * 7 + (offset >> 9) * 13 + 1) & 0xff;
}

export function diskImage(sectors = DISK_SECTORS): Uint8Array {
  return Uint8Array.from({ length: sectors * 512 }, (_, i) => diskByte(i));
}

export const ALL_FEATURES = featureBit(F_INDIRECT_DESC) | featureBit(F_EVENT_IDX) | featureBit(BLK_F_DISCARD) | featureBit(BLK_F_WRITE_ZEROES);

export interface BlkSetup {
  features?: bigint;
  readOnly?: boolean;
  options?: VirtioBlkOptions;
  queueSize?: number;
  backend?: BlockBackend;
}

/** A built request: its head, where its status byte is, and its data buffers. */
export interface Req {
  head: number;
  status: number;
  data: number[];
}

export class BlkRig {
  readonly tc = new TestClock();
  readonly backend: BlockBackend;
  readonly blk: VirtioBlk;
  readonly d: Driver;

  constructor(s: BlkSetup = {}) {
    this.backend = s.backend ?? new MemoryBackend(diskImage(), { readOnly: s.readOnly === true });
    this.blk = new VirtioBlk(this.tc.clock, this.backend, { serial: 'GODWIT-SERIAL-01', ...s.options });
    this.d = new Driver(this.blk, () => this.tc.now());
    this.d.start(s.features ?? ALL_FEATURES, s.queueSize ?? 0);
  }

  get mem() {
    return this.d.mem;
  }

  /** A 16-byte header buffer. */
  header(type: number, sector: number | bigint): number {
    const h = this.d.buffer(16);
    this.mem.write32(h, type >>> 0);
    this.mem.write32(h + 4, 0);
    this.mem.write64(h + 8, BigInt(sector));
    return h;
  }

  statusByte(): number {
    return this.d.buffer(1, STATUS_UNSET);
  }

  /**
   * A request: header, then `readable` data buffers (OUT, discard segments), `writable` data buffers
   * (IN, GET_ID), then the status byte. Lengths in bytes; buffers filled with `fill`.
   */
  request(type: number, sector: number | bigint, o: { readable?: number[]; writable?: number[]; fill?: number; indirect?: boolean } = {}): Req {
    const segs: Seg[] = [{ addr: this.header(type, sector), len: 16 }];
    const data: number[] = [];
    for (const len of o.readable ?? []) {
      const a = this.d.buffer(len, o.fill ?? 0);
      data.push(a);
      segs.push({ addr: a, len });
    }
    for (const len of o.writable ?? []) {
      const a = this.d.buffer(len, o.fill ?? 0xcc);
      data.push(a);
      segs.push({ addr: a, len, write: true });
    }
    const status = this.statusByte();
    segs.push({ addr: status, len: 1, write: true });
    const head = o.indirect === true ? this.d.indirectChain(segs) : this.d.chain(segs);
    return { head, status, data };
  }

  /** Publish, notify, and run virtual time forward until nothing is in flight. */
  submit(...reqs: Req[]): void {
    this.d.publish(...reqs.map((r) => r.head));
    this.d.notify();
  }

  runAll(): void {
    this.tc.stepTo(this.tc.now() + 1e12);
  }

  status(r: Req): number {
    return this.mem.read8(r.status);
  }

  bytes(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    this.mem.readBytes(addr, out);
    return out;
  }

  /** Write a discard / write-zeroes segment list into a buffer. */
  segments(list: { sector: number; count: number; flags?: number }[]): { addr: number; len: number } {
    const a = this.d.buffer(16 * list.length);
    list.forEach((s, i) => {
      this.mem.write64(a + 16 * i, BigInt(s.sector));
      this.mem.write32(a + 16 * i + 8, s.count);
      this.mem.write32(a + 16 * i + 12, s.flags ?? 0);
    });
    return { addr: a, len: 16 * list.length };
  }

  /** A DISCARD / WRITE_ZEROES request over the given segments (header + segment buffer + status). */
  dwz(type: number, list: { sector: number; count: number; flags?: number }[]): Req {
    const seg = this.segments(list);
    const status = this.statusByte();
    const head = this.d.chain([{ addr: this.header(type, 0), len: 16 }, seg, { addr: status, len: 1, write: true }]);
    return { head, status, data: [seg.addr] };
  }
}
