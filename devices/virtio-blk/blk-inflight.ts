/**
 * The virtio-blk requests a device has taken from the available ring and not yet completed, as plain
 * data: for each, its descriptor head and its completion time (virtual ns), in the order they were
 * taken. With the queue state (last_avail_idx, used_idx, the EVENT_IDX signal state) this is all it
 * takes to finish every request exactly once after a restore: requests still in the ring are found
 * again through last_avail_idx, taken ones are re-walked from their head at their completion time,
 * and a completion signals at once, so nothing is left half done between instructions.
 *
 * visitBlkInflight lays it out in fixed-length arrays (the queue's largest size), so that the schema
 * does not depend on how many requests are in flight, and so that a combined virtio-blk-pci node and
 * a split virtio-blk node can both carry it.
 */
import type { Visitor } from '../../src/visit/visitor.ts';

export interface BlkInflight {
  /** Requests in flight (entries [0, count) of the arrays are used, in the order taken). */
  count: number;
  readonly heads: Uint16Array;
  /** Completion time of each, virtual ns (integers). */
  readonly deadlines: Float64Array;
  /** The device set DEVICE_NEEDS_RESET: nothing more is taken or completed until a reset. */
  broken: boolean;
}

export function newBlkInflight(capacity: number): BlkInflight {
  return { count: 0, heads: new Uint16Array(capacity), deadlines: new Float64Array(capacity), broken: false };
}

export function clearBlkInflight(s: BlkInflight): void {
  s.count = 0;
  s.heads.fill(0);
  s.deadlines.fill(0);
  s.broken = false;
}

/** Whether `head` is in flight. */
export function inflightHas(s: BlkInflight, head: number): boolean {
  for (let i = 0; i < s.count; i++) if (s.heads[i] === head) return true;
  return false;
}

/** Append a request; false when the table is full. */
export function inflightAdd(s: BlkInflight, head: number, deadline: number): boolean {
  if (s.count >= s.heads.length) return false;
  s.heads[s.count] = head;
  s.deadlines[s.count] = deadline;
  s.count++;
  return true;
}

/** Index of the request to complete next at time `now`: the earliest deadline, then the earliest taken; -1 if none is due. */
export function inflightNextDue(s: BlkInflight, now: number): number {
  let best = -1;
  for (let i = 0; i < s.count; i++) {
    const d = s.deadlines[i]!;
    if (d <= now && (best < 0 || d < s.deadlines[best]!)) best = i;
  }
  return best;
}

/** Remove entry `i`, keeping the order of the others; returns its head. */
export function inflightRemove(s: BlkInflight, i: number): number {
  const head = s.heads[i]!;
  s.heads.copyWithin(i, i + 1, s.count);
  s.deadlines.copyWithin(i, i + 1, s.count);
  s.count--;
  s.heads[s.count] = 0;
  s.deadlines[s.count] = 0;
  return head;
}

/** The earliest deadline in flight, or Infinity. */
export function inflightEarliest(s: BlkInflight): number {
  let d = Infinity;
  for (let i = 0; i < s.count; i++) if (s.deadlines[i]! < d) d = s.deadlines[i]!;
  return d;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * One walk for save, load and describe. A loaded table is untrusted: the count is clamped to the
 * capacity, deadlines to 2^53 - 1, and unused slots are zeroed.
 */
export function visitBlkInflight(v: Visitor, s: BlkInflight): void {
  const capacity = s.heads.length;
  s.count = v.u16('count', s.count);
  v.u16Array('heads', s.heads);
  const deadlines = new BigUint64Array(capacity);
  if (v.mode === 'save') for (let i = 0; i < capacity; i++) deadlines[i] = BigInt(s.deadlines[i]!);
  v.u64Array('deadlines', deadlines);
  s.broken = v.bool('broken', s.broken);
  if (v.mode !== 'load') return;
  s.count = Math.min(s.count, capacity);
  for (let i = 0; i < capacity; i++) {
    const d = deadlines[i]!;
    s.deadlines[i] = i < s.count ? Number(d > MAX_SAFE ? MAX_SAFE : d) : 0;
    if (i >= s.count) s.heads[i] = 0;
  }
}
