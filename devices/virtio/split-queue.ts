/**
 * Split virtqueues (virtio 1.2 section 2.7). The queue's state is plain data (QueueState) and every
 * operation takes guest memory as a parameter, as in rust-vmm's virtio-queue: a transport and a
 * device can hold the same QueueState, and two different objects can carry it in a snapshot
 * through visitQueueState.
 *
 * The guest owns the rings, so everything read from them is hostile: each operation checks the
 * queue layout first (queueLayoutProblem) and reports a broken ring to its caller instead of
 * throwing; descriptor chains are walked in descriptor-chain.ts.
 */
import type { GuestMemory } from '../../src/memory/guest-memory.ts';
import type { Visitor } from '../../src/visit/visitor.ts';
import {
  AVAIL_F_NO_INTERRUPT,
  AVAIL_FLAGS,
  AVAIL_IDX,
  AVAIL_RING,
  availRingBytes,
  descTableBytes,
  LEGACY_PFN_SHIFT,
  LEGACY_QUEUE_ALIGN,
  USED_ELEM_SIZE,
  USED_IDX,
  USED_RING,
  usedRingBytes,
} from './virtio-regs.ts';

export interface QueueState {
  /** Entries in the rings (the driver may lower it from the device's maximum before enabling). */
  size: number;
  /** The driver enabled the queue (queue_enable; a legacy driver by writing a page frame number). */
  ready: boolean;
  /** Guest-physical addresses of the descriptor table, the available ring and the used ring. */
  desc: bigint;
  driver: bigint;
  device: bigint;
  /** Free-running index of the next available-ring entry the device will take. */
  lastAvailIdx: number;
  /** Free-running index of the next used-ring entry the device will fill (also written to used.idx). */
  usedIdx: number;
  /** usedIdx when the driver was last notified of used buffers (EVENT_IDX), valid if signalledUsedValid. */
  signalledUsed: number;
  signalledUsedValid: boolean;
}

export function newQueueState(maxSize: number): QueueState {
  return {
    size: maxSize,
    ready: false,
    desc: 0n,
    driver: 0n,
    device: 0n,
    lastAvailIdx: 0,
    usedIdx: 0,
    signalledUsed: 0,
    signalledUsedValid: false,
  };
}

/** Device reset: the queue is back to its power-on state. */
export function resetQueue(q: QueueState, maxSize: number): void {
  Object.assign(q, newQueueState(maxSize));
}

/** A queue size the split layout allows: a power of two from 1 to maxSize. */
export function isValidQueueSize(size: number, maxSize: number): boolean {
  return Number.isInteger(size) && size >= 1 && size <= maxSize && (size & (size - 1)) === 0;
}

/**
 * The driver writes queue_size: sizes that are not a power of two, zero, or above the maximum are
 * refused (the register keeps its value), as is any change once the queue is enabled. Returns
 * whether the size was taken.
 */
export function setQueueSize(q: QueueState, size: number, maxSize: number): boolean {
  if (q.ready || !isValidQueueSize(size, maxSize)) return false;
  q.size = size;
  return true;
}

/** Legacy interface: the rings are laid out from one page frame number (0 disables the queue). */
export function setLegacyQueuePfn(q: QueueState, pfn: number): void {
  const desc = pfn * 2 ** LEGACY_PFN_SHIFT;
  const avail = desc + descTableBytes(q.size);
  const used = Math.ceil((avail + availRingBytes(q.size)) / LEGACY_QUEUE_ALIGN) * LEGACY_QUEUE_ALIGN;
  q.desc = BigInt(desc);
  q.driver = BigInt(avail);
  q.device = BigInt(used);
  q.ready = pfn !== 0;
}

/** The legacy page frame number register reads back the descriptor table's frame. */
export function legacyQueuePfn(q: QueueState): number {
  return Number((q.desc >> BigInt(LEGACY_PFN_SHIFT)) & 0xffffffffn);
}

/** A 64-bit guest address as a number, or -1 when it cannot be RAM (beyond 2^53). */
function addressOf(a: bigint): number {
  return a >= 0n && a < 1n << 53n ? Number(a) : -1;
}

/**
 * Null when the enabled queue can be used: its size is valid and each ring is aligned (16, 2, 4)
 * and lies wholly in RAM (not ROM, not a hole, not MMIO). Otherwise what is wrong.
 */
export function queueLayoutProblem(q: QueueState, maxSize: number, mem: GuestMemory): string | null {
  if (!q.ready) return 'queue not enabled';
  if (!isValidQueueSize(q.size, maxSize)) return `queue size ${q.size} is not a power of two up to ${maxSize}`;
  const desc = addressOf(q.desc);
  const avail = addressOf(q.driver);
  const used = addressOf(q.device);
  if (desc < 0 || desc % 16 !== 0 || !mem.isRam(desc, descTableBytes(q.size))) return 'descriptor table is not aligned RAM';
  if (avail < 0 || avail % 2 !== 0 || !mem.isRam(avail, availRingBytes(q.size))) return 'available ring is not aligned RAM';
  if (used < 0 || used % 4 !== 0 || !mem.isRam(used, usedRingBytes(q.size))) return 'used ring is not aligned RAM';
  return null;
}

/** Guest address of the descriptor table (only meaningful once queueLayoutProblem returned null). */
export function descTableAddress(q: QueueState): number {
  return Number(q.desc);
}

/** Entries the driver has made available and the device has not taken yet; -1 if the ring is broken. */
export function availableCount(q: QueueState, mem: GuestMemory): number {
  const n = (mem.read16(Number(q.driver) + AVAIL_IDX) - q.lastAvailIdx) & 0xffff;
  return n > q.size ? -1 : n;
}

/** Result of popAvailable when nothing is available. */
export const POP_EMPTY = -1;
/** Result of popAvailable when the ring is broken (the device must be reset). */
export const POP_BROKEN = -2;

/**
 * Take the next available descriptor head: its index, POP_EMPTY, or POP_BROKEN when the driver
 * claims more entries than the ring holds or names a head outside the table. With EVENT_IDX the
 * device then asks to be notified of the next entry (avail_event = lastAvailIdx).
 */
export function popAvailable(q: QueueState, mem: GuestMemory, eventIdx: boolean): number {
  const count = availableCount(q, mem);
  if (count < 0) return POP_BROKEN;
  if (count === 0) return POP_EMPTY;
  const avail = Number(q.driver);
  const head = mem.read16(avail + AVAIL_RING + 2 * (q.lastAvailIdx % q.size));
  if (head >= q.size) return POP_BROKEN;
  q.lastAvailIdx = (q.lastAvailIdx + 1) & 0xffff;
  if (eventIdx) mem.write16(Number(q.device) + USED_RING + USED_ELEM_SIZE * q.size, q.lastAvailIdx);
  return head;
}

/** Put a finished chain (its head and the bytes written into it) in the used ring and publish it. */
export function pushUsed(q: QueueState, mem: GuestMemory, head: number, writtenBytes: number): void {
  const used = Number(q.device);
  const elem = used + USED_RING + USED_ELEM_SIZE * (q.usedIdx % q.size);
  mem.write32(elem, head);
  mem.write32(elem + 4, writtenBytes >>> 0);
  q.usedIdx = (q.usedIdx + 1) & 0xffff;
  mem.write16(used + USED_IDX, q.usedIdx);
}

/**
 * Whether the driver wants an interrupt for the used buffers published since the last one (section
 * 2.7.7 and 2.7.10): without EVENT_IDX, unless avail.flags has NO_INTERRUPT; with it, when
 * used_event lies in the span of used indices published since the last signal (vring_need_event).
 * Records the signal as sent when it says yes.
 */
export function shouldSignalUsed(q: QueueState, mem: GuestMemory, eventIdx: boolean): boolean {
  const avail = Number(q.driver);
  if (!eventIdx) return (mem.read16(avail + AVAIL_FLAGS) & AVAIL_F_NO_INTERRUPT) === 0;
  const wasValid = q.signalledUsedValid;
  const old = q.signalledUsed;
  const now = q.usedIdx;
  q.signalledUsed = now;
  q.signalledUsedValid = true;
  if (!wasValid) return true;
  const usedEvent = mem.read16(avail + AVAIL_RING + 2 * q.size);
  return ((now - usedEvent - 1) & 0xffff) < ((now - old) & 0xffff);
}

/** One walk for save, load and describe; any object (combined or split) can call it inside a struct. */
export function visitQueueState(v: Visitor, q: QueueState): void {
  q.size = v.u16('size', q.size);
  q.ready = v.bool('ready', q.ready);
  q.desc = v.u64('desc', q.desc);
  q.driver = v.u64('driver', q.driver);
  q.device = v.u64('device', q.device);
  q.lastAvailIdx = v.u16('last_avail_idx', q.lastAvailIdx);
  q.usedIdx = v.u16('used_idx', q.usedIdx);
  q.signalledUsed = v.u16('signalled_used', q.signalledUsed);
  q.signalledUsedValid = v.bool('signalled_used_valid', q.signalledUsedValid);
}
