/** devices/virtio/split-queue.ts against hand-built rings in guest RAM. */
import { describe, expect, it } from 'vitest';
import { PhysicalMemory, PAGE_HOLE, PAGE_ROM } from '../../../src/memory/physical-memory.ts';
import {
  availableCount,
  isValidQueueSize,
  legacyQueuePfn,
  newQueueState,
  POP_BROKEN,
  POP_EMPTY,
  popAvailable,
  pushUsed,
  queueLayoutProblem,
  resetQueue,
  setLegacyQueuePfn,
  setQueueSize,
  shouldSignalUsed,
  visitQueueState,
} from '../../../devices/virtio/split-queue.ts';
import type { QueueState } from '../../../devices/virtio/split-queue.ts';
import { AVAIL_F_NO_INTERRUPT } from '../../../devices/virtio/virtio-regs.ts';
import { loadState } from '../../../src/visit/input-visitor.ts';
import { saveState } from '../../../src/visit/output-visitor.ts';
import { treesEqual } from '../../../src/visit/state-tree.ts';

const DESC = 0x10000;
const AVAIL = 0x11000;
const USED = 0x12000;

function setup(size = 8) {
  const mem = new PhysicalMemory(1 << 20);
  const q = newQueueState(256);
  q.size = size;
  q.desc = BigInt(DESC);
  q.driver = BigInt(AVAIL);
  q.device = BigInt(USED);
  q.ready = true;
  const publish = (idx: number, ...heads: number[]) => {
    let i = idx;
    for (const h of heads) mem.write16(AVAIL + 4 + 2 * (i++ % size), h);
    mem.write16(AVAIL + 2, i & 0xffff);
    return i;
  };
  return { mem, q, publish };
}

describe('split queue', () => {
  it('sizes: powers of two up to the maximum; the size is fixed once enabled', () => {
    expect([1, 2, 128, 256].every((s) => isValidQueueSize(s, 256))).toBe(true);
    expect([0, 3, 100, 512, 2.5, -4].some((s) => isValidQueueSize(s, 256))).toBe(false);
    const q = newQueueState(256);
    expect(q.size).toBe(256);
    expect(setQueueSize(q, 100, 256)).toBe(false);
    expect(setQueueSize(q, 0, 256)).toBe(false);
    expect(setQueueSize(q, 512, 256)).toBe(false);
    expect(q.size).toBe(256);
    expect(setQueueSize(q, 64, 256)).toBe(true);
    expect(q.size).toBe(64);
    q.ready = true;
    expect(setQueueSize(q, 32, 256)).toBe(false);
    expect(q.size).toBe(64);
  });

  it('pops heads in ring order, wrapping the free-running index', () => {
    const { mem, q, publish } = setup(4);
    q.lastAvailIdx = 0xfffe;
    publish(0xfffe, 3, 1, 2);
    expect(availableCount(q, mem)).toBe(3);
    expect([popAvailable(q, mem, false), popAvailable(q, mem, false), popAvailable(q, mem, false)]).toEqual([3, 1, 2]);
    expect(popAvailable(q, mem, false)).toBe(POP_EMPTY);
    expect(q.lastAvailIdx).toBe(1);
  });

  it('a driver that claims more entries than the ring holds, or a head outside the table, breaks the ring', () => {
    const { mem, q, publish } = setup(4);
    mem.write16(AVAIL + 2, 5);
    expect(availableCount(q, mem)).toBe(-1);
    expect(popAvailable(q, mem, false)).toBe(POP_BROKEN);
    expect(q.lastAvailIdx).toBe(0);
    publish(0, 4);
    expect(popAvailable(q, mem, false)).toBe(POP_BROKEN);
    publish(0, 0xffff);
    expect(popAvailable(q, mem, false)).toBe(POP_BROKEN);
    expect(q.lastAvailIdx).toBe(0);
  });

  it('pushes used elements and publishes the used index', () => {
    const { mem, q } = setup(2);
    q.usedIdx = 0xffff;
    pushUsed(q, mem, 1, 513);
    pushUsed(q, mem, 0, 1);
    expect(mem.read16(USED + 2)).toBe(1);
    expect([mem.read32(USED + 4 + 8), mem.read32(USED + 4 + 12)]).toEqual([1, 513]);
    expect([mem.read32(USED + 4), mem.read32(USED + 8)]).toEqual([0, 1]);
  });

  it('EVENT_IDX: popping writes avail_event, signals follow used_event (vring_need_event)', () => {
    const { mem, q, publish } = setup(8);
    publish(0, 1, 2);
    popAvailable(q, mem, true);
    expect(mem.read16(USED + 4 + 8 * 8)).toBe(1);
    popAvailable(q, mem, true);
    expect(mem.read16(USED + 4 + 8 * 8)).toBe(2);
    // Without EVENT_IDX avail_event is not written.
    mem.write16(USED + 4 + 64, 0x1234);
    publish(2, 3);
    popAvailable(q, mem, false);
    expect(mem.read16(USED + 4 + 64)).toBe(0x1234);

    const usedEvent = (v: number) => mem.write16(AVAIL + 4 + 2 * 8, v);
    // First signal after a reset always goes out, whatever used_event says.
    usedEvent(0x8000);
    pushUsed(q, mem, 1, 1);
    expect(shouldSignalUsed(q, mem, true)).toBe(true);
    // The driver wants to hear when used index passes 2 (i.e. becomes 3).
    usedEvent(2);
    pushUsed(q, mem, 2, 1); // used idx 2
    expect(shouldSignalUsed(q, mem, true)).toBe(false);
    pushUsed(q, mem, 3, 1); // used idx 3
    expect(shouldSignalUsed(q, mem, true)).toBe(true);
    // Nothing new since the last signal: no signal even if used_event says so.
    usedEvent(2);
    expect(shouldSignalUsed(q, mem, true)).toBe(false);
    // A batch that jumps over used_event signals once.
    usedEvent(3);
    pushUsed(q, mem, 4, 1);
    pushUsed(q, mem, 5, 1);
    expect(shouldSignalUsed(q, mem, true)).toBe(true);
    expect(q.signalledUsed).toBe(5);
  });

  it('EVENT_IDX across the 16-bit wrap', () => {
    const { mem, q } = setup(8);
    q.usedIdx = 0xfffe;
    q.signalledUsed = 0xfffe;
    q.signalledUsedValid = true;
    mem.write16(AVAIL + 4 + 16, 0xffff);
    pushUsed(q, mem, 0, 1); // 0xffff
    expect(shouldSignalUsed(q, mem, true)).toBe(false);
    pushUsed(q, mem, 0, 1); // 0x0000: passes 0xffff
    expect(shouldSignalUsed(q, mem, true)).toBe(true);
  });

  it('without EVENT_IDX, NO_INTERRUPT in avail.flags suppresses signals', () => {
    const { mem, q } = setup(8);
    pushUsed(q, mem, 0, 1);
    expect(shouldSignalUsed(q, mem, false)).toBe(true);
    mem.write16(AVAIL, AVAIL_F_NO_INTERRUPT);
    expect(shouldSignalUsed(q, mem, false)).toBe(false);
  });

  it('layout: enabled, valid size, aligned rings wholly in RAM (not ROM, holes or beyond RAM)', () => {
    const { mem, q } = setup(8);
    expect(queueLayoutProblem(q, 256, mem)).toBeNull();
    const bad: [keyof QueueState, unknown][] = [
      ['ready', false],
      ['size', 12],
      ['size', 512],
      ['desc', BigInt(DESC + 8)],
      ['driver', BigInt(AVAIL + 1)],
      ['device', BigInt(USED + 2)],
      ['desc', BigInt((1 << 20) - 64)],
      ['device', 1n << 40n],
      ['driver', (1n << 64n) - 2n],
    ];
    for (const [field, value] of bad) {
      const copy = { ...q, [field]: value } as QueueState;
      expect(queueLayoutProblem(copy, 256, mem), `${field}=${String(value)}`).not.toBeNull();
    }
    mem.setPageKind(0x12000, 0x1000, PAGE_ROM);
    expect(queueLayoutProblem(q, 256, mem)).toMatch(/used ring/);
    mem.setPageKind(0x12000, 0x1000, PAGE_HOLE);
    expect(queueLayoutProblem(q, 256, mem)).toMatch(/used ring/);
  });

  it('legacy page frame layout: avail after the table, used page aligned', () => {
    const q = newQueueState(256);
    setLegacyQueuePfn(q, 0x123);
    expect(q.ready).toBe(true);
    expect(q.desc).toBe(0x123000n);
    expect(q.driver).toBe(0x123000n + 4096n);
    expect(q.device).toBe(0x123000n + 8192n);
    expect(legacyQueuePfn(q)).toBe(0x123);
    setLegacyQueuePfn(q, 0);
    expect(q.ready).toBe(false);
    const small = newQueueState(16);
    setLegacyQueuePfn(small, 1);
    expect(small.device).toBe(0x2000n);
  });

  it('state round-trips through the visitor and reset clears it', () => {
    const { q } = setup(8);
    q.lastAvailIdx = 0xabcd;
    q.usedIdx = 0x1234;
    q.signalledUsed = 0x1200;
    q.signalledUsedValid = true;
    q.desc = (1n << 63n) + 16n;
    const holder = { visit: (v: Parameters<typeof visitQueueState>[0]) => visitQueueState(v, q) };
    const tree = saveState(holder);
    const copy = newQueueState(256);
    loadState({ visit: (v) => visitQueueState(v, copy) }, tree, '/q');
    expect(copy).toEqual(q);
    expect(treesEqual(saveState({ visit: (v) => visitQueueState(v, copy) }), tree)).toBe(true);
    resetQueue(copy, 64);
    expect(copy).toEqual(newQueueState(64));
  });
});
