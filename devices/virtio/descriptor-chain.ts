/**
 * Walking a split-queue descriptor chain (virtio 1.2 sections 2.7.5 and 2.7.5.3) into a list of
 * guest buffers, with hard limits, because the driver writes the table and may write anything:
 *
 * - a head or `next` index outside its table;
 * - a chain that loops (more descriptors than its table holds) or is longer than the queue size;
 * - INDIRECT without the negotiated feature, together with NEXT, or inside an indirect table
 *   (nesting is illegal); an indirect table of length 0, not a multiple of 16, or longer than the
 *   queue;
 * - a buffer or table that is not wholly RAM (beyond RAM, ROM, a hole, MMIO: GuestMemory.isRam), so
 *   no length, however absurd, makes the device touch anything but guest RAM;
 * - a device-readable buffer after a device-writable one.
 *
 * Each is reported as a message (the device then sets DEVICE_NEEDS_RESET); nothing throws. The walk
 * fills a DescChain that the caller allocates once and reuses.
 */
import type { GuestMemory } from '../../src/memory/guest-memory.ts';
import { DESC_F_INDIRECT, DESC_F_NEXT, DESC_F_WRITE, DESC_SIZE } from './virtio-regs.ts';

/** The buffers of one chain, device-readable ones first. Reused between walks. */
export class DescChain {
  head = 0;
  /** Number of buffers (zero-length descriptors are not listed). */
  count = 0;
  readonly addr: Float64Array;
  readonly len: Float64Array;
  readonly writable: Uint8Array;
  readableBytes = 0;
  writableBytes = 0;

  /** `capacity`: the largest queue size the chain will be walked for. */
  constructor(capacity: number) {
    this.addr = new Float64Array(capacity);
    this.len = new Float64Array(capacity);
    this.writable = new Uint8Array(capacity);
  }
}

/**
 * Walk the chain that starts at descriptor `head` of the table at `table` (queueSize entries).
 * Returns null and fills `out`, or the reason the chain is unusable.
 */
export function walkChain(
  mem: GuestMemory,
  table: number,
  queueSize: number,
  head: number,
  indirectAllowed: boolean,
  out: DescChain,
): string | null {
  out.head = head;
  out.count = 0;
  out.readableBytes = 0;
  out.writableBytes = 0;
  if (out.addr.length < queueSize) return 'queue larger than the chain buffer (device bug)';
  if (!Number.isInteger(head) || head < 0 || head >= queueSize) return `head ${head} is outside the table`;
  let base = table;
  let entries = queueSize;
  let index = head;
  let inIndirect = false;
  /** Descriptors walked in the current table, and in the whole chain. */
  let inTable = 0;
  let total = 0;
  let sawWritable = false;
  for (;;) {
    if (++inTable > entries) return 'descriptor chain loops';
    if (++total > queueSize) return `descriptor chain is longer than the queue (${queueSize})`;
    const d = base + DESC_SIZE * index;
    const lo = mem.read32(d);
    const hi = mem.read32(d + 4);
    const len = mem.read32(d + 8);
    const flags = mem.read16(d + 12);
    const next = mem.read16(d + 14);
    // A high word up to 2^21 still makes an exact number; isRam refuses anything beyond RAM.
    const addr = hi < 0x200000 ? hi * 0x100000000 + lo : -1;
    if (flags & DESC_F_INDIRECT) {
      if (inIndirect) return 'nested indirect table';
      if (!indirectAllowed) return 'indirect descriptor without VIRTIO_F_INDIRECT_DESC';
      if (flags & DESC_F_NEXT) return 'indirect descriptor with NEXT';
      if (len === 0 || len % DESC_SIZE !== 0) return `indirect table length ${len} is not a positive multiple of 16`;
      if (len / DESC_SIZE > queueSize) return `indirect table of ${len / DESC_SIZE} entries is longer than the queue`;
      if (addr < 0 || !mem.isRam(addr, len)) return 'indirect table is not RAM';
      // The descriptor that points at the table is not a buffer and does not count towards the chain.
      total--;
      base = addr;
      entries = len / DESC_SIZE;
      index = 0;
      inIndirect = true;
      inTable = 0;
      continue;
    }
    const writable = (flags & DESC_F_WRITE) !== 0;
    if (writable) sawWritable = true;
    else if (sawWritable) return 'device-readable buffer after a device-writable one';
    if (len > 0) {
      if (addr < 0 || !mem.isRam(addr, len)) return 'buffer is not RAM';
      const i = out.count++;
      out.addr[i] = addr;
      out.len[i] = len;
      out.writable[i] = writable ? 1 : 0;
      if (writable) out.writableBytes += len;
      else out.readableBytes += len;
    }
    if (!(flags & DESC_F_NEXT)) return null;
    if (next >= entries) return `next ${next} is outside the table`;
    index = next;
  }
}
