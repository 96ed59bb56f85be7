/**
 * virtio-blk-pci: the combined shape of a virtio block device on PCI, one object and one node
 * (/machine/peripheral/<id>, type `virtio-blk-pci`), as QEMU's -device virtio-blk-pci. It is built
 * from the same parts as the split shape (a VirtioPci transport carrying a VirtioBlk), so the guest
 * sees the same device, but its state is its own, laid out as QEMU's VirtIODevice keeps it: the
 * virtio fields at the top level, each queue with its MSI-X vector, the requests in flight beside
 * them. migration/filters/virtio-blk-shapes.ts turns one node into the split shape's two and back.
 *
 * Fields (version 1): `devfn` u8; `pci` {config, msix{table, pba}}; `isr` u8; `status` u8;
 * `features` {device_feature_select, driver_feature_select, driver_features}; `queue_select` u16;
 * `config_generation` u8; `config_vector` u16; `queues[n]` {size, ready, desc, driver, device,
 * last_avail_idx, used_idx, signalled_used, signalled_used_valid, vector}; `requests` {count,
 * heads[256], deadlines[256], broken}.
 */
import type { BlockBackend } from '../../src/block/block-backend.ts';
import type { VirtualClock } from '../../src/clock/clock.ts';
import type { GuestMemory } from '../../src/memory/guest-memory.ts';
import { PRIORITY_VIRTIO, type StateObject } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';
import type { PciFunction } from '../pci/pci-function.ts';
import { visitFeatureState } from '../virtio/features.ts';
import { visitQueueState } from '../virtio/split-queue.ts';
import type { VirtioBlkOptions } from '../virtio-blk/blk-config.ts';
import { visitBlkInflight } from '../virtio-blk/blk-inflight.ts';
import { VirtioBlk } from '../virtio-blk/virtio-blk.ts';
import { VirtioPci, type VirtioPciOptions } from '../virtio-pci/virtio-pci.ts';

export interface VirtioBlkPciOptions extends VirtioPciOptions {
  readonly blk?: VirtioBlkOptions;
}

export class VirtioBlkPci implements StateObject {
  readonly typeName = 'virtio-blk-pci';
  readonly stateVersion = 1;
  readonly postLoadPriority = PRIORITY_VIRTIO;
  readonly blk: VirtioBlk;
  readonly transport: VirtioPci;

  constructor(clock: VirtualClock, memory: GuestMemory, backend: BlockBackend, options: VirtioBlkPciOptions) {
    this.blk = new VirtioBlk(clock, backend, options.blk ?? {});
    this.transport = new VirtioPci(this.blk, memory, options);
  }

  get fn(): PciFunction {
    return this.transport.fn;
  }

  /** Power-on state (the PCI host has reset the function before). */
  reset(): void {
    this.transport.reset();
  }

  /** Stop the completion timer for good (a device replaced by a restore). */
  dispose(): void {
    this.blk.dispose();
  }

  visit(v: Visitor): void {
    const t = this.transport;
    const c = t.common;
    v.u8('devfn', t.devfn);
    v.struct('pci', () => t.fn.visit(v));
    t.isr = v.u8('isr', t.isr);
    c.status = v.u8('status', c.status);
    v.struct('features', () => visitFeatureState(v, c.features));
    c.queueSelect = v.u16('queue_select', c.queueSelect);
    c.configGeneration = v.u8('config_generation', c.configGeneration);
    t.configVector = v.u16('config_vector', t.configVector);
    v.structArray('queues', c.queues.length, (i) => {
      visitQueueState(v, c.queues[i]!);
      t.queueVectors[i] = v.u16('vector', t.queueVectors[i]!);
    });
    v.struct('requests', () => visitBlkInflight(v, this.blk.inflight));
    if (v.mode === 'load') t.sanitize();
  }

  /** The transport reconnects the device, then the device re-arms its completion timer. */
  postLoad(): void {
    this.transport.postLoad();
    this.blk.postLoad();
  }
}
