/**
 * The transport-independent half of a virtio transport (rust-vmm's VirtioConfig): device status,
 * feature negotiation and the queue configuration, with activation at DRIVER_OK, reset at status 0
 * and DEVICE_NEEDS_RESET. A transport (virtio-pci's common configuration and legacy registers, or
 * virtio-mmio) maps its registers onto these calls and turns VirtioInterrupt calls into ISR bits,
 * INTx or MSI-X; it knows nothing of the device, and this knows nothing of PCI.
 *
 * Interfaces: a transitional device is driven either through the modern interface (64 feature
 * bits, FEATURES_OK, VERSION_1 required) or the legacy one (32 bits, activation at DRIVER_OK
 * without FEATURES_OK); the transport says which one each status write came through.
 *
 * State (visit): status, the feature state, queue_select, config_generation and every queue's
 * QueueState. The device's own state (requests in flight) is the device's to visit. postLoad
 * reconnects a live device (activate) without touching guest memory or interrupts.
 */
import type { GuestMemory } from '../../src/memory/guest-memory.ts';
import type { Visitor } from '../../src/visit/visitor.ts';
import { featuresProblem, featureWord, newFeatureState, visitFeatureState, writeDriverFeatureWord } from './features.ts';
import type { FeatureState } from './features.ts';
import {
  legacyQueuePfn,
  newQueueState,
  queueLayoutProblem,
  resetQueue,
  setLegacyQueuePfn,
  setQueueSize,
  visitQueueState,
} from './split-queue.ts';
import type { QueueState } from './split-queue.ts';
import type { VirtioActivation, VirtioDevice, VirtioInterrupt } from './virtio-device.ts';
import { STATUS_DEVICE_NEEDS_RESET, STATUS_DRIVER_OK, STATUS_FEATURES_OK } from './virtio-regs.ts';

/** Which register set a driver uses on a transitional device. */
export const INTERFACE_MODERN = 0;
export const INTERFACE_LEGACY = 1;

/** The three ring addresses of a queue (queue_desc, queue_driver, queue_device). */
export const QUEUE_DESC = 0;
export const QUEUE_DRIVER = 1;
export const QUEUE_DEVICE = 2;
const ADDRESS_FIELDS = ['desc', 'driver', 'device'] as const;

export class VirtioCommon {
  readonly device: VirtioDevice;
  readonly queues: QueueState[];
  status = 0;
  readonly features: FeatureState = newFeatureState();
  queueSelect = 0;
  configGeneration = 0;
  /** Why the device last set DEVICE_NEEDS_RESET (diagnostics only, not state). */
  lastError = '';
  private readonly memory: GuestMemory;
  private readonly interrupt: VirtioInterrupt;
  private readonly activation: VirtioActivation;

  constructor(device: VirtioDevice, memory: GuestMemory, interrupt: VirtioInterrupt) {
    this.device = device;
    this.memory = memory;
    this.interrupt = interrupt;
    this.queues = [];
    for (let i = 0; i < device.queueCount; i++) this.queues.push(newQueueState(device.queueMaxSize(i)));
    const self = this;
    this.activation = {
      memory,
      queues: this.queues,
      interrupt,
      get features() {
        return self.features.driverFeatures;
      },
      needsReset: (reason: string) => this.needsReset(reason),
    };
  }

  /** The device is live: DRIVER_OK is set and it has not asked for a reset. */
  get live(): boolean {
    return (this.status & (STATUS_DRIVER_OK | STATUS_DEVICE_NEEDS_RESET)) === STATUS_DRIVER_OK;
  }

  // ---- Features ----

  /** device_feature: word features.deviceFeatureSelect of what the device offers. */
  readDeviceFeatures(): number {
    return featureWord(this.device.deviceFeatures, this.features.deviceFeatureSelect);
  }

  /** driver_feature reads back what the driver wrote. */
  readDriverFeatures(): number {
    return featureWord(this.features.driverFeatures, this.features.driverFeatureSelect);
  }

  /** driver_feature write; ignored once FEATURES_OK or DRIVER_OK is set. */
  writeDriverFeatures(value: number): void {
    if (this.status & (STATUS_FEATURES_OK | STATUS_DRIVER_OK)) return;
    writeDriverFeatureWord(this.features, this.features.driverFeatureSelect, value);
  }

  /** Legacy: host features are bits 0-31 of the offer. */
  readLegacyDeviceFeatures(): number {
    return featureWord(this.device.deviceFeatures, 0);
  }

  /** Legacy: the guest features register sets bits 0-31 and clears the rest; ignored once live. */
  writeLegacyDriverFeatures(value: number): void {
    if (this.status & STATUS_DRIVER_OK) return;
    this.features.driverFeatures = BigInt(value >>> 0);
  }

  // ---- Status ----

  /**
   * device_status write. 0 resets the device. Setting FEATURES_OK checks the features (a refused
   * set leaves FEATURES_OK clear for the driver to see); setting DRIVER_OK activates the device
   * once its enabled queues are usable (else DEVICE_NEEDS_RESET). DEVICE_NEEDS_RESET is the device's
   * and stays until reset.
   */
  writeStatus(value: number, iface: number): void {
    value &= 0xff;
    if (value === 0) {
      this.reset();
      return;
    }
    const old = this.status;
    const modern = iface === INTERFACE_MODERN;
    if (value & STATUS_FEATURES_OK && !(old & STATUS_FEATURES_OK)) {
      if (!modern || featuresProblem(this.device.deviceFeatures, this.features.driverFeatures, true) !== null) {
        value &= ~STATUS_FEATURES_OK;
      }
    }
    this.status = (value & ~STATUS_DEVICE_NEEDS_RESET) | (old & STATUS_DEVICE_NEEDS_RESET);
    if (value & STATUS_DRIVER_OK && !(old & STATUS_DRIVER_OK)) this.driverOk(modern);
  }

  private driverOk(modern: boolean): void {
    if (modern && !(this.status & STATUS_FEATURES_OK)) {
      this.needsReset('DRIVER_OK without FEATURES_OK');
      return;
    }
    const problem = featuresProblem(this.device.deviceFeatures, this.features.driverFeatures, modern);
    if (problem !== null) {
      this.needsReset(problem);
      return;
    }
    for (let i = 0; i < this.queues.length; i++) {
      const q = this.queues[i]!;
      if (!q.ready) continue;
      const layout = queueLayoutProblem(q, this.device.queueMaxSize(i), this.memory);
      if (layout !== null) {
        this.needsReset(`queue ${i}: ${layout}`);
        return;
      }
    }
    this.device.activate(this.activation);
  }

  /** Set DEVICE_NEEDS_RESET and tell the driver through a configuration-change interrupt. */
  needsReset(reason: string): void {
    this.lastError = reason;
    if (this.status & STATUS_DEVICE_NEEDS_RESET) return;
    this.status |= STATUS_DEVICE_NEEDS_RESET;
    this.interrupt.configChanged();
  }

  /** Device reset: the device drops its work, every queue and the negotiation start over. */
  reset(): void {
    this.device.reset();
    for (let i = 0; i < this.queues.length; i++) resetQueue(this.queues[i]!, this.device.queueMaxSize(i));
    this.status = 0;
    Object.assign(this.features, newFeatureState());
    this.queueSelect = 0;
    this.lastError = '';
  }

  // ---- Queues ----

  /** The queue queue_select names, or null when it names none (its registers read 0). */
  selectedQueue(): QueueState | null {
    return this.queues[this.queueSelect] ?? null;
  }

  /** queue_size write to the selected queue (see setQueueSize: refused values are ignored). */
  writeQueueSize(size: number): void {
    const q = this.selectedQueue();
    if (q !== null && !(this.status & STATUS_DRIVER_OK)) setQueueSize(q, size, this.device.queueMaxSize(this.queueSelect));
  }

  /** queue_enable write: 1 enables the selected queue; 0 is not allowed (reset instead) and ignored. */
  writeQueueEnable(value: number): void {
    const q = this.selectedQueue();
    if (q !== null && value === 1 && !(this.status & STATUS_DRIVER_OK)) q.ready = true;
  }

  /**
   * One 32-bit half of a ring address of the selected queue (the 64-bit common-configuration
   * fields are written as two dwords); ignored once the queue is enabled or the device is live.
   */
  writeQueueAddress(which: number, high: boolean, value: number): void {
    const q = this.selectedQueue();
    const field = ADDRESS_FIELDS[which];
    if (q === null || field === undefined || q.ready || this.status & STATUS_DRIVER_OK) return;
    const shift = high ? 32n : 0n;
    q[field] = (q[field] & ~(0xffffffffn << shift)) | (BigInt(value >>> 0) << shift);
  }

  readQueueAddress(which: number, high: boolean): number {
    const q = this.selectedQueue();
    const field = ADDRESS_FIELDS[which];
    if (q === null || field === undefined) return 0;
    return Number((q[field] >> (high ? 32n : 0n)) & 0xffffffffn);
  }

  /** Legacy queue page frame number of the selected queue (0 disables it); ignored once live. */
  writeLegacyQueuePfn(pfn: number): void {
    const q = this.selectedQueue();
    if (q !== null && !(this.status & STATUS_DRIVER_OK)) setLegacyQueuePfn(q, pfn >>> 0);
  }

  readLegacyQueuePfn(): number {
    const q = this.selectedQueue();
    return q === null ? 0 : legacyQueuePfn(q);
  }

  /** The driver notified queue `index`: passed to a live device; otherwise dropped. */
  notify(index: number): void {
    if (this.live && index >= 0 && index < this.queues.length) this.device.queueNotify(index);
  }

  // ---- State ----

  visit(v: Visitor): void {
    this.status = v.u8('status', this.status);
    v.struct('features', () => visitFeatureState(v, this.features));
    this.queueSelect = v.u16('queue_select', this.queueSelect);
    this.configGeneration = v.u8('config_generation', this.configGeneration);
    v.structArray('queues', this.queues.length, (i) => visitQueueState(v, this.queues[i]!));
  }

  /** Reconnect a live device to its capabilities after a load; touches neither memory nor interrupts. */
  postLoad(): void {
    if (this.status & STATUS_DRIVER_OK) this.device.activate(this.activation);
  }
}
