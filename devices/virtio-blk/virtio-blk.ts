/**
 * virtio-blk (virtio 1.2 section 5.2) as a VirtioDevice: one request queue, a BlockBackend, and a
 * deterministic latency model. When the driver notifies, the device takes every available request,
 * walks its chain, and schedules it to complete at now + requestLatencyNs(chain) on one virtual-clock
 * Timer; at that time it walks the chain again and executes it (data moved, status written, used ring
 * updated, interrupt signalled subject to EVENT_IDX) in one step. See README.md.
 *
 * State: the in-flight table (blk-inflight.ts). The queue, status and features belong to the
 * transport's VirtioCommon, which carries them; the configuration space is fixed by the options and
 * the backend. postLoad re-arms the completion timer.
 */
import type { BlockBackend } from '../../src/block/block-backend.ts';
import type { Timer, VirtualClock } from '../../src/clock/clock.ts';
import { PRIORITY_VIRTIO, type StateObject } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';
import { DescChain, walkChain } from '../virtio/descriptor-chain.ts';
import {
  descTableAddress,
  POP_BROKEN,
  POP_EMPTY,
  popAvailable,
  pushUsed,
  queueLayoutProblem,
  shouldSignalUsed,
} from '../virtio/split-queue.ts';
import type { VirtioActivation, VirtioDevice } from '../virtio/virtio-device.ts';
import { F_EVENT_IDX, F_INDIRECT_DESC, F_VERSION_1, featureBit, VIRTIO_ID_BLOCK } from '../virtio/virtio-regs.ts';
import { BLK_MAX_QUEUE_SIZE, blkConfigSpace, blkLimits, type BlkLimits, type VirtioBlkOptions } from './blk-config.ts';
import {
  clearBlkInflight,
  inflightAdd,
  inflightEarliest,
  inflightHas,
  inflightNextDue,
  inflightRemove,
  newBlkInflight,
  visitBlkInflight,
} from './blk-inflight.ts';
import type { BlkInflight } from './blk-inflight.ts';
import { BlkRequestExecutor, REQUEST_MALFORMED, requestLatencyNs } from './blk-request.ts';
import {
  BLK_F_BLK_SIZE,
  BLK_F_DISCARD,
  BLK_F_FLUSH,
  BLK_F_RO,
  BLK_F_SEG_MAX,
  BLK_F_WRITE_ZEROES,
} from './virtio-blk-regs.ts';

export class VirtioBlk implements VirtioDevice, StateObject {
  readonly typeName = 'virtio-blk';
  readonly stateVersion = 1;
  /** After its transport (same priority, and its path sorts after the transport's). */
  readonly postLoadPriority = PRIORITY_VIRTIO;
  readonly deviceType = VIRTIO_ID_BLOCK;
  readonly deviceFeatures: bigint;
  readonly queueCount = 1;
  readonly configSize: number;
  readonly limits: BlkLimits;
  /** Requests taken and not yet completed (the device's state). */
  readonly inflight: BlkInflight = newBlkInflight(BLK_MAX_QUEUE_SIZE);
  private readonly clock: VirtualClock;
  private readonly timer: Timer;
  private readonly config: Uint8Array;
  private readonly executor: BlkRequestExecutor;
  private readonly chain = new DescChain(BLK_MAX_QUEUE_SIZE);
  private active: VirtioActivation | null = null;
  private eventIdx = false;
  private indirect = false;

  constructor(clock: VirtualClock, backend: BlockBackend, options: VirtioBlkOptions = {}) {
    this.clock = clock;
    this.limits = blkLimits(options, backend.size);
    this.config = blkConfigSpace(this.limits);
    this.configSize = this.config.length;
    this.executor = new BlkRequestExecutor(backend, this.limits);
    let features =
      featureBit(F_VERSION_1) |
      featureBit(F_INDIRECT_DESC) |
      featureBit(F_EVENT_IDX) |
      featureBit(BLK_F_SEG_MAX) |
      featureBit(BLK_F_BLK_SIZE) |
      featureBit(BLK_F_FLUSH) |
      featureBit(BLK_F_DISCARD) |
      featureBit(BLK_F_WRITE_ZEROES);
    if (backend.readOnly) features |= featureBit(BLK_F_RO);
    this.deviceFeatures = features;
    // Not armed until a request is taken or postLoad: a device built for a restore disturbs nothing.
    this.timer = clock.createTimer('virtio-blk', (now) => this.complete(now));
  }

  queueMaxSize(_index: number): number {
    return this.limits.queueSize;
  }

  readConfig(offset: number, size: number): number {
    if (!Number.isInteger(offset) || offset < 0 || offset + size > this.config.length || (size !== 1 && size !== 2 && size !== 4)) {
      return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    }
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + this.config[offset + i]!;
    return v;
  }

  writeConfig(_offset: number, _size: number, _value: number): void {
    // Every field is read-only (CONFIG_WCE is not offered).
  }

  activate(activation: VirtioActivation): void {
    this.active = activation;
    const f = activation.features;
    this.eventIdx = (f & featureBit(F_EVENT_IDX)) !== 0n;
    this.indirect = (f & featureBit(F_INDIRECT_DESC)) !== 0n;
    this.executor.discardEnabled = (f & featureBit(BLK_F_DISCARD)) !== 0n;
    this.executor.writeZeroesEnabled = (f & featureBit(BLK_F_WRITE_ZEROES)) !== 0n;
  }

  reset(): void {
    this.active = null;
    clearBlkInflight(this.inflight);
    this.timer.cancel();
  }

  /** Stop the timer for good (a device replaced by a restore). */
  dispose(): void {
    this.timer.cancel();
  }

  /** Take every available request and schedule its completion. */
  queueNotify(index: number): void {
    const a = this.active;
    if (a === null || index !== 0 || this.inflight.broken) return;
    const q = a.queues[0];
    if (q === undefined || !q.ready) return;
    const layout = queueLayoutProblem(q, this.limits.queueSize, a.memory);
    if (layout !== null) return this.fail(layout);
    const now = this.clock.now();
    for (;;) {
      const head = popAvailable(q, a.memory, this.eventIdx);
      if (head === POP_EMPTY) break;
      if (head === POP_BROKEN) return this.fail('available ring index or entry out of range');
      if (inflightHas(this.inflight, head)) return this.fail(`descriptor ${head} made available while in flight`);
      const problem = walkChain(a.memory, descTableAddress(q), q.size, head, this.indirect, this.chain);
      if (problem !== null) return this.fail(problem);
      if (!inflightAdd(this.inflight, head, now + requestLatencyNs(this.chain))) return this.fail('too many requests in flight');
    }
    this.arm();
  }

  /** Timer: execute every request due at `now`, in deadline order, then signal once. */
  private complete(now: number): void {
    const a = this.active;
    if (a === null || this.inflight.broken) return;
    const q = a.queues[0];
    if (q === undefined) return;
    const layout = queueLayoutProblem(q, this.limits.queueSize, a.memory);
    if (layout !== null) return this.fail(layout);
    let pushed = false;
    for (;;) {
      const i = inflightNextDue(this.inflight, now);
      if (i < 0) break;
      const head = inflightRemove(this.inflight, i);
      const problem = walkChain(a.memory, descTableAddress(q), q.size, head, this.indirect, this.chain);
      if (problem !== null) return this.fail(problem);
      const written = this.executor.execute(a.memory, this.chain);
      if (written === REQUEST_MALFORMED) return this.fail(this.executor.error);
      pushUsed(q, a.memory, head, written);
      pushed = true;
    }
    if (pushed && shouldSignalUsed(q, a.memory, this.eventIdx)) a.interrupt.usedBuffer(0);
    this.arm();
  }

  private arm(): void {
    const d = inflightEarliest(this.inflight);
    if (d === Infinity || this.inflight.broken) this.timer.cancel();
    else this.timer.arm(d);
  }

  /** A broken ring: stop, and have the transport set DEVICE_NEEDS_RESET. */
  private fail(reason: string): void {
    this.inflight.broken = true;
    this.timer.cancel();
    this.active?.needsReset(reason);
  }

  visit(v: Visitor): void {
    visitBlkInflight(v, this.inflight);
  }

  /** Re-arm the completion timer at the earliest saved deadline (the clock is already restored). */
  postLoad(): void {
    this.arm();
  }
}
