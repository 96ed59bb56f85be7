/** virtio-blk completions at deterministic virtual times, interrupt suppression, and the device's life cycle. */
import { describe, expect, it } from 'vitest';
import { REQUEST_BASE_NS, REQUEST_NS_PER_BYTE } from '../../../devices/virtio-blk/blk-request.ts';
import { BLK_S_OK, BLK_T_FLUSH, BLK_T_IN, BLK_T_OUT } from '../../../devices/virtio-blk/virtio-blk-regs.ts';
import { INTERFACE_MODERN } from '../../../devices/virtio/virtio-common.ts';
import { AVAIL_F_NO_INTERRUPT, F_EVENT_IDX, featureBit, STATUS_DEVICE_NEEDS_RESET } from '../../../devices/virtio/virtio-regs.ts';
import { AVAIL } from '../virtio/virtio-harness.ts';
import { ALL_FEATURES, BlkRig, STATUS_UNSET } from './blk-harness.ts';

const latency = (payload: number) => REQUEST_BASE_NS + REQUEST_NS_PER_BYTE * payload;
const NO_EVENT_IDX = ALL_FEATURES & ~featureBit(F_EVENT_IDX);

describe('virtio-blk timing', () => {
  it('a request completes exactly at notify time + latency(request), with its interrupt', () => {
    const r = new BlkRig({ features: NO_EVENT_IDX });
    r.tc.advanceTo(1000);
    const q = r.request(BLK_T_IN, 0, { writable: [1024] });
    r.submit(q);
    const done = 1000 + latency(1024);
    r.tc.stepTo(done - 1);
    expect([r.d.usedIdx(), r.status(q)]).toEqual([0, STATUS_UNSET]);
    expect(r.d.irq.events).toEqual([]);
    r.tc.stepTo(done);
    expect([r.d.usedIdx(), r.status(q)]).toEqual([1, BLK_S_OK]);
    expect(r.d.irq.events).toEqual([{ kind: 'used', queue: 0, at: done }]);
  });

  it('requests in flight complete in deadline order, ties in the order taken, one interrupt per completion time', () => {
    const r = new BlkRig({ features: NO_EVENT_IDX });
    const big = r.request(BLK_T_IN, 0, { writable: [4096] });
    const small = r.request(BLK_T_IN, 8, { writable: [512] });
    const flush = r.request(BLK_T_FLUSH, 0);
    const small2 = r.request(BLK_T_OUT, 9, { readable: [512] });
    r.submit(big, small, flush, small2);
    r.runAll();
    expect(r.d.takeUsed().map(([id]) => id)).toEqual([flush.head, small.head, small2.head, big.head]);
    expect(r.d.irq.events.map((e) => e.at)).toEqual([latency(0), latency(512), latency(4096)]);
  });

  it('requests made available without a notification wait in the ring; a later notification schedules them from then', () => {
    const r = new BlkRig({ features: NO_EVENT_IDX });
    const a = r.request(BLK_T_FLUSH, 0);
    r.d.publish(a.head);
    r.tc.stepTo(1_000_000);
    expect(r.d.usedIdx()).toBe(0);
    const b = r.request(BLK_T_FLUSH, 0);
    r.submit(b);
    r.tc.stepTo(1_000_000 + latency(0));
    expect(r.d.takeUsed().map(([id]) => id)).toEqual([a.head, b.head]);
    expect(r.d.irq.events.map((e) => e.at)).toEqual([1_000_000 + latency(0)]);
  });

  it('EVENT_IDX: avail_event follows the taken requests; interrupts only when used_event is passed', () => {
    const r = new BlkRig();
    const reqs = [0, 1, 2, 3].map((i) => r.request(BLK_T_IN, i, { writable: [512 * (i + 1)] }));
    r.d.setUsedEvent(2); // interrupt me when the third completion is published
    r.submit(...reqs);
    expect(r.d.availEvent()).toBe(4);
    r.runAll();
    expect(r.d.usedIdx()).toBe(4);
    // The first completion always signals (no signal was sent since the reset), then the third.
    expect(r.d.irq.events.map((e) => e.at)).toEqual([latency(512), latency(1536)]);
  });

  it('without EVENT_IDX, NO_INTERRUPT suppresses interrupts but not completions', () => {
    const r = new BlkRig({ features: NO_EVENT_IDX });
    r.mem.write16(AVAIL, AVAIL_F_NO_INTERRUPT);
    const q = r.request(BLK_T_FLUSH, 0);
    r.submit(q);
    r.runAll();
    expect(r.d.usedIdx()).toBe(1);
    expect(r.d.irq.events).toEqual([]);
  });

  it('a head made available again while in flight breaks the device: nothing more completes', () => {
    const r = new BlkRig();
    const q = r.request(BLK_T_IN, 0, { writable: [512] });
    r.submit(q);
    r.submit(q);
    r.runAll();
    expect(r.d.status & STATUS_DEVICE_NEEDS_RESET).toBe(STATUS_DEVICE_NEEDS_RESET);
    expect(r.status(q)).toBe(STATUS_UNSET);
    expect(r.d.usedIdx()).toBe(0);
    expect(r.blk.inflight.broken).toBe(true);
    // Further notifications are dropped, by the transport and by the device itself.
    const f = r.request(BLK_T_FLUSH, 0);
    r.submit(f);
    r.blk.queueNotify(0);
    r.runAll();
    expect(r.status(f)).toBe(STATUS_UNSET);
    expect(r.d.common.queues[0]!.lastAvailIdx).toBe(2);
  });

  it('a ring that stops being RAM by completion time breaks the device instead of being written', () => {
    const r = new BlkRig();
    const q = r.request(BLK_T_FLUSH, 0);
    r.submit(q);
    r.d.common.queues[0]!.device = BigInt(r.mem.ramSize - 8);
    r.runAll();
    expect(r.d.status & STATUS_DEVICE_NEEDS_RESET).toBe(STATUS_DEVICE_NEEDS_RESET);
    expect(r.status(q)).toBe(STATUS_UNSET);
  });

  it('a reset drops the requests in flight: they never complete', () => {
    const r = new BlkRig();
    const q = r.request(BLK_T_IN, 0, { writable: [512] });
    r.submit(q);
    r.d.common.writeStatus(0, INTERFACE_MODERN);
    const before = r.mem.u8.slice();
    r.runAll();
    expect(r.blk.inflight.count).toBe(0);
    expect(r.tc.clock.nextDeadline()).toBe(Infinity);
    expect(Buffer.from(r.mem.u8).equals(Buffer.from(before))).toBe(true);
    expect(r.d.irq.events).toEqual([]);
  });
});
