/**
 * The virtio device interface, as rust-vmm layers it: a device knows its type, the features it
 * offers, its configuration space and its queues, and nothing of the transport (PCI, MMIO) that
 * carries it. The transport (with VirtioCommon, virtio-common.ts) negotiates features, holds the
 * queue configuration the driver writes, and activates the device when the driver sets DRIVER_OK,
 * handing it guest memory, the queues and an interrupt capability.
 */
import type { GuestMemory } from '../../src/memory/guest-memory.ts';
import type { QueueState } from './split-queue.ts';

/** How a device tells the driver something happened; the transport maps it to ISR bits, INTx or MSI-X. */
export interface VirtioInterrupt {
  /** Buffers were added to the used ring of queue `queueIndex` and the driver wants to hear of it. */
  usedBuffer(queueIndex: number): void;
  /** The configuration space changed, or the device set DEVICE_NEEDS_RESET. */
  configChanged(): void;
}

/** What a device gets when the driver sets DRIVER_OK (and again after a restore). */
export interface VirtioActivation {
  readonly memory: GuestMemory;
  /** One entry per queue of the device (queues the driver did not enable have ready false). */
  readonly queues: readonly QueueState[];
  readonly interrupt: VirtioInterrupt;
  /** The features the driver accepted. */
  readonly features: bigint;
  /**
   * The device met an error it cannot recover from (a malformed ring): the transport sets
   * DEVICE_NEEDS_RESET and signals a configuration change. The device stops using its queues.
   */
  needsReset(reason: string): void;
}

export interface VirtioDevice {
  /** Virtio device type (VIRTIO_ID_BLOCK...). */
  readonly deviceType: number;
  /** Every feature the device offers, transport features (VERSION_1, INDIRECT_DESC...) included. */
  readonly deviceFeatures: bigint;
  readonly queueCount: number;
  /** Largest size of queue `index` (a power of two). */
  queueMaxSize(index: number): number;
  /** Bytes of the device-specific configuration space. */
  readonly configSize: number;
  /** Read `size` (1, 2 or 4) bytes of configuration space, little-endian; all ones past its end. */
  readConfig(offset: number, size: number): number;
  /** Write configuration space; read-only fields ignore it. */
  writeConfig(offset: number, size: number, value: number): void;
  /**
   * The driver set DRIVER_OK, or a restored device is being reconnected to the machine. Must not
   * touch guest memory, raise interrupts or start work: it only takes the capabilities. Work the
   * device carries in its own state (requests in flight) continues through its postLoad.
   */
  activate(activation: VirtioActivation): void;
  /** The driver wrote to the notification register of queue `index`. Never throws. */
  queueNotify(index: number): void;
  /** Device reset (status 0): drop all work in flight and forget the activation. */
  reset(): void;
}
