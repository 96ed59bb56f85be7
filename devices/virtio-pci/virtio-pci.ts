/**
 * virtio-pci: the PCI transport of any VirtioDevice (virtio 1.2 section 4.1), as QEMU's virtio-pci
 * proxy lays it out, so that a guest finds the same device under both:
 *
 * - identity: 1AF4:1040+type revision 1 (modern only), or the transitional id (1AF4:1001 for a
 *   block device) revision 0 with subsystem id = the device type; QEMU's class for the device type
 *   (a block device is a SCSI storage controller, 0x010000); INTA#;
 * - BAR 0: the legacy I/O registers (transitional devices only, legacy-registers.ts); BAR 1: MSI-X
 *   (`vectors` vectors, table at 0, PBA at 2 KiB; none when vectors is 0); BAR 4: 16 KiB of memory
 *   with the common configuration (common-config.ts), the ISR, the device configuration and the
 *   notification region (queue n at n * 4), 4 KiB each;
 * - capabilities, at QEMU's offsets and in its order: MSI-X, the PCI configuration access window
 *   (pci-cfg-window.ts), notifications, device configuration, ISR, common configuration.
 *
 * Interrupts (QEMU's virtio_notify_vector): a used buffer sets ISR bit 0, a configuration change
 * (only once DRIVER_OK is set) bits 0 and 1 and increments config_generation; with MSI-X enabled the
 * queue's or the configuration vector is signalled (none when it is VIRTIO_MSI_NO_VECTOR), otherwise
 * INTx follows ISR bit 0. Reading the ISR clears it and lowers INTx. Writing status 0 resets the
 * device, the ISR and every vector register.
 *
 * This object (type `virtio-pci`) is the split shape's transport, at /machine/peripheral/<id>, its
 * device at ./virtio-backend; the combined virtio-blk-pci object holds one too and lays the same
 * state out its own way. State: `devfn` (checked by the restore against where this machine plugged
 * the device), `pci` (configuration space and MSI-X), `isr`, `msix_config_vector`,
 * `msix_queue_vectors`, `common` (VirtioCommon). Nothing the guest writes throws.
 */
import type { GuestMemory } from '../../src/memory/guest-memory.ts';
import { PRIORITY_VIRTIO, type StateObject } from '../../src/qom/object.ts';
import { WiringError } from '../../src/util/errors.ts';
import type { Visitor } from '../../src/visit/visitor.ts';
import { PciFunction } from '../pci/pci-function.ts';
import { PCI_CAP_ID_VNDR, PCI_INTERRUPT_INTA } from '../pci/pci-regs.ts';
import { VirtioCommon } from '../virtio/virtio-common.ts';
import type { VirtioDevice, VirtioInterrupt } from '../virtio/virtio-device.ts';
import { STATUS_DRIVER_OK } from '../virtio/virtio-regs.ts';
import { acceptVector, commonConfigRead, commonConfigWrite, type TransportRegisters } from './common-config.ts';
import { legacyRead, legacyWrite, type LegacyTransport } from './legacy-registers.ts';
import { PciCfgWindow } from './pci-cfg-window.ts';
import {
  CAP_AT_COMMON,
  CAP_AT_DEVICE,
  CAP_AT_ISR,
  CAP_AT_MSIX,
  CAP_AT_NOTIFY,
  CAP_AT_PCI_CFG,
  CAP_BAR,
  CAP_CFG_TYPE,
  CAP_LEN,
  CAP_LENGTH,
  CAP_OFFSET,
  ISR_CONFIG,
  ISR_QUEUE,
  LEGACY_IO_BAR,
  legacyConfigOffset,
  MODERN_BAR_SIZE,
  MODERN_COMMON_OFFSET,
  MODERN_DEVICE_OFFSET,
  MODERN_ISR_OFFSET,
  MODERN_MEMORY_BAR,
  MODERN_NOTIFY_OFFSET,
  MODERN_REGION_SIZE,
  MSIX_BAR,
  NOTIFY_CAP_MULTIPLIER,
  NOTIFY_OFF_MULTIPLIER,
  transitionalDeviceId,
  VIRTIO_MSI_NO_VECTOR,
  VIRTIO_PCI_CAP_COMMON_CFG,
  VIRTIO_PCI_CAP_DEVICE_CFG,
  VIRTIO_PCI_CAP_ISR_CFG,
  VIRTIO_PCI_CAP_NOTIFY_CFG,
  VIRTIO_PCI_CAP_SIZE,
  VIRTIO_PCI_MODERN_DEVICE_ID_BASE,
  VIRTIO_PCI_MODERN_REVISION,
  VIRTIO_PCI_NOTIFY_CAP_SIZE,
  VIRTIO_PCI_TRANSITIONAL_REVISION,
  VIRTIO_PCI_VENDOR_ID,
  virtioPciClassCode,
} from './virtio-pci-regs.ts';

/** Most MSI-X vectors a transport offers (QEMU's `vectors=` has no smaller useful bound). */
export const VIRTIO_PCI_MAX_VECTORS = 64;

export interface VirtioPciOptions {
  /** A transitional device: the legacy I/O BAR too (QEMU's disable-legacy=off, its pc default). */
  readonly legacy: boolean;
  /** MSI-X vectors (QEMU's vectors=): 0 for no MSI-X. */
  readonly vectors: number;
  /** Where the board plugged it (slot << 3 | function); saved so that a restore can check it. */
  readonly devfn: number;
}

const sizeMask = (size: number) => (size === 4 ? 0xffffffff : (1 << (size * 8)) - 1);

export class VirtioPci implements StateObject, TransportRegisters, LegacyTransport {
  readonly typeName = 'virtio-pci';
  readonly stateVersion = 1;
  readonly postLoadPriority = PRIORITY_VIRTIO;
  readonly device: VirtioDevice;
  readonly common: VirtioCommon;
  readonly fn: PciFunction;
  readonly devfn: number;
  readonly vectorCount: number;
  /** ISR status (ISR_QUEUE, ISR_CONFIG). */
  isr = 0;
  configVector = VIRTIO_MSI_NO_VECTOR;
  readonly queueVectors: Uint16Array;
  private readonly window: PciCfgWindow;

  constructor(device: VirtioDevice, memory: GuestMemory, options: VirtioPciOptions) {
    const { legacy, vectors, devfn } = options;
    const classCode = virtioPciClassCode(device.deviceType);
    if (!Number.isInteger(vectors) || vectors < 0 || vectors > VIRTIO_PCI_MAX_VECTORS) {
      throw new WiringError(`virtio-pci: ${vectors} MSI-X vectors (0 to ${VIRTIO_PCI_MAX_VECTORS})`);
    }
    if (!Number.isInteger(devfn) || devfn < 0 || devfn > 0xff) throw new WiringError(`virtio-pci: devfn ${devfn}`);
    const transitional = transitionalDeviceId(device.deviceType);
    if (legacy && transitional === null) throw new WiringError(`virtio-pci: device type ${device.deviceType} has no transitional id`);
    this.device = device;
    this.devfn = devfn;
    this.vectorCount = vectors;
    this.queueVectors = new Uint16Array(device.queueCount).fill(VIRTIO_MSI_NO_VECTOR);
    const interrupt: VirtioInterrupt = {
      usedBuffer: (q) => this.signal(ISR_QUEUE, this.queueVectors[q] ?? VIRTIO_MSI_NO_VECTOR),
      configChanged: () => this.configChanged(),
    };
    this.common = new VirtioCommon(device, memory, interrupt);
    this.window = new PciCfgWindow(CAP_AT_PCI_CFG, MODERN_MEMORY_BAR, MODERN_BAR_SIZE, {
      read: (o, n) => this.modernRead(o, n),
      write: (o, n, v) => this.modernWrite(o, n, v),
    });
    const fn = (this.fn = new PciFunction(
      legacy
        ? {
            vendorId: VIRTIO_PCI_VENDOR_ID,
            deviceId: transitional!,
            revision: VIRTIO_PCI_TRANSITIONAL_REVISION,
            classCode,
            subsystemId: device.deviceType,
            interruptPin: PCI_INTERRUPT_INTA,
          }
        : {
            vendorId: VIRTIO_PCI_VENDOR_ID,
            deviceId: VIRTIO_PCI_MODERN_DEVICE_ID_BASE + device.deviceType,
            revision: VIRTIO_PCI_MODERN_REVISION,
            classCode,
            interruptPin: PCI_INTERRUPT_INTA,
          },
      this.window.hooks(() => this.fn.config),
    ));
    if (legacy) {
      let size = 4;
      while (size < legacyConfigOffset(vectors > 0) + device.configSize) size *= 2;
      fn.defineIoBar(LEGACY_IO_BAR, size, { read: (o, n) => legacyRead(this, o, n), write: (o, n, v) => legacyWrite(this, o, n, v) });
    }
    fn.defineMemoryBar(MODERN_MEMORY_BAR, MODERN_BAR_SIZE, { read: (o, n) => this.modernRead(o, n), write: (o, n, v) => this.modernWrite(o, n, v) }, true);
    // Added in the reverse of QEMU's order at QEMU's offsets, so the list reads as QEMU's does.
    if (vectors > 0) fn.addMsixExclusiveBar(vectors, MSIX_BAR, CAP_AT_MSIX);
    this.window.define(fn);
    this.addRegionCap(CAP_AT_NOTIFY, VIRTIO_PCI_CAP_NOTIFY_CFG, MODERN_NOTIFY_OFFSET, VIRTIO_PCI_NOTIFY_CAP_SIZE);
    fn.defineConfig(CAP_AT_NOTIFY + NOTIFY_CAP_MULTIPLIER, 4, NOTIFY_OFF_MULTIPLIER);
    this.addRegionCap(CAP_AT_DEVICE, VIRTIO_PCI_CAP_DEVICE_CFG, MODERN_DEVICE_OFFSET, VIRTIO_PCI_CAP_SIZE);
    this.addRegionCap(CAP_AT_ISR, VIRTIO_PCI_CAP_ISR_CFG, MODERN_ISR_OFFSET, VIRTIO_PCI_CAP_SIZE);
    this.addRegionCap(CAP_AT_COMMON, VIRTIO_PCI_CAP_COMMON_CFG, MODERN_COMMON_OFFSET, VIRTIO_PCI_CAP_SIZE);
  }

  /** A vendor capability describing one 4 KiB region of the modern BAR. */
  private addRegionCap(at: number, cfgType: number, offset: number, length: number): void {
    const fn = this.fn;
    fn.addCapability(PCI_CAP_ID_VNDR, length, at);
    fn.defineConfig(at + CAP_LEN, 1, length);
    fn.defineConfig(at + CAP_CFG_TYPE, 1, cfgType);
    fn.defineConfig(at + CAP_BAR, 1, MODERN_MEMORY_BAR);
    fn.defineConfig(at + CAP_OFFSET, 4, offset);
    fn.defineConfig(at + CAP_LENGTH, 4, MODERN_REGION_SIZE);
  }

  get msixEnabled(): boolean {
    return this.fn.msix?.enabled ?? false;
  }

  // ---- Interrupts ----

  /** Set ISR bits and signal: the vector under MSI-X, else INTx from ISR bit 0. */
  private signal(bits: number, vector: number): void {
    this.isr |= bits;
    if (this.msixEnabled) {
      if (vector !== VIRTIO_MSI_NO_VECTOR) this.fn.notify(vector);
    } else {
      this.fn.setIntx(this.isr & ISR_QUEUE);
    }
  }

  private configChanged(): void {
    const c = this.common;
    if (!(c.status & STATUS_DRIVER_OK)) return;
    c.configGeneration = (c.configGeneration + 1) & 0xff;
    this.signal(ISR_QUEUE | ISR_CONFIG, this.configVector);
  }

  takeIsr(): number {
    const isr = this.isr;
    this.isr = 0;
    this.fn.setIntx(0);
    return isr;
  }

  // ---- Registers ----

  writeStatus(value: number, iface: number): void {
    this.common.writeStatus(value, iface);
    if (this.common.status === 0) this.deviceReset();
  }

  /** Status 0: the device and the queues (VirtioCommon), the ISR and every vector register. */
  private deviceReset(): void {
    this.common.reset();
    this.isr = 0;
    this.fn.setIntx(0);
    this.configVector = VIRTIO_MSI_NO_VECTOR;
    this.queueVectors.fill(VIRTIO_MSI_NO_VECTOR);
  }

  /** Power-on (the board's reset, after the PCI host reset the function): config_generation too. */
  reset(): void {
    this.deviceReset();
    this.common.configGeneration = 0;
  }

  /** The modern BAR: four 4 KiB regions; an access straddling two is taken byte by byte. */
  modernRead(offset: number, size: number): number {
    const region = offset >>> 12;
    if ((offset + size - 1) >>> 12 !== region) {
      let v = 0;
      for (let i = size - 1; i >= 0; i--) v = (v << 8) | this.modernRead(offset + i, 1);
      return v >>> 0;
    }
    const within = offset & (MODERN_REGION_SIZE - 1);
    switch (region * MODERN_REGION_SIZE) {
      case MODERN_COMMON_OFFSET:
        return commonConfigRead(this, within, size);
      case MODERN_ISR_OFFSET:
        // Any read in the region returns the ISR and clears it (QEMU's virtio_pci_isr_read).
        return this.takeIsr() & sizeMask(size);
      case MODERN_DEVICE_OFFSET:
        return this.device.readConfig(within, size) >>> 0;
      default:
        return 0;
    }
  }

  modernWrite(offset: number, size: number, value: number): void {
    const region = offset >>> 12;
    if ((offset + size - 1) >>> 12 !== region) {
      for (let i = 0; i < size; i++) this.modernWrite(offset + i, 1, (value >>> (8 * i)) & 0xff);
      return;
    }
    const within = offset & (MODERN_REGION_SIZE - 1);
    switch (region * MODERN_REGION_SIZE) {
      case MODERN_COMMON_OFFSET:
        commonConfigWrite(this, within, size, value);
        return;
      case MODERN_DEVICE_OFFSET:
        this.device.writeConfig(within, size, value);
        return;
      case MODERN_NOTIFY_OFFSET:
        // The value is not used (no VIRTIO_F_NOTIFICATION_DATA): the address names the queue.
        this.common.notify(Math.floor(within / NOTIFY_OFF_MULTIPLIER));
        return;
      default:
        // The ISR is read-only.
        return;
    }
  }

  // ---- State ----

  /** The registers of this transport beyond PCI and VirtioCommon (shared with the combined layout). */
  visitRegisters(v: Visitor): void {
    this.isr = v.u8('isr', this.isr);
    this.configVector = v.u16('msix_config_vector', this.configVector);
    v.u16Array('msix_queue_vectors', this.queueVectors);
  }

  /** After a load: ISR bits and vector registers as a guest could have left them. */
  sanitize(): void {
    this.isr &= ISR_QUEUE | ISR_CONFIG;
    this.configVector = acceptVector(this, this.configVector);
    for (let i = 0; i < this.queueVectors.length; i++) this.queueVectors[i] = acceptVector(this, this.queueVectors[i]!);
  }

  visit(v: Visitor): void {
    v.u8('devfn', this.devfn);
    v.struct('pci', () => this.fn.visit(v));
    this.visitRegisters(v);
    v.struct('common', () => this.common.visit(v));
    if (v.mode === 'load') this.sanitize();
  }

  /**
   * Reconnect a live device (VirtioCommon.postLoad). INTx and the BARs are the PCI host's post-load;
   * the device's requests in flight are its own (it comes after this in post-load order).
   */
  postLoad(): void {
    this.common.postLoad();
  }
}
