/**
 * The legacy interface of a transitional device (virtio 1.2 section 4.1.4.10): the register header
 * at the start of I/O BAR 0, then the device configuration (after the two MSI-X vector registers
 * while MSI-X is enabled). As QEMU's virtio_pci_config_read/write: a header register answers an
 * access at its own offset whatever its size (the value cut to the access), any other header offset
 * reads all ones and drops writes; reading the ISR clears it and lowers INTx. 32 feature bits only,
 * no FEATURES_OK: VirtioCommon activates the device at DRIVER_OK.
 */
import { INTERFACE_LEGACY } from '../virtio/virtio-common.ts';
import type { VirtioDevice } from '../virtio/virtio-device.ts';
import { acceptVector, type TransportRegisters } from './common-config.ts';
import {
  LEGACY_GUEST_FEATURES,
  LEGACY_HOST_FEATURES,
  LEGACY_ISR,
  LEGACY_MSIX_CONFIG_VECTOR,
  LEGACY_MSIX_QUEUE_VECTOR,
  LEGACY_QUEUE_NOTIFY,
  LEGACY_QUEUE_NUM,
  LEGACY_QUEUE_PFN,
  LEGACY_QUEUE_SELECT,
  LEGACY_STATUS,
  legacyConfigOffset,
  VIRTIO_MSI_NO_VECTOR,
} from './virtio-pci-regs.ts';

/** What the legacy registers need of the transport beyond the shared registers. */
export interface LegacyTransport extends TransportRegisters {
  readonly device: VirtioDevice;
  /** Whether MSI-X is enabled in the function (moves the device configuration). */
  readonly msixEnabled: boolean;
  /** Read and clear the ISR (lowers INTx). */
  takeIsr(): number;
}

const mask = (size: number) => (size === 4 ? 0xffffffff : (1 << (size * 8)) - 1);

export function legacyRead(t: LegacyTransport, offset: number, size: number): number {
  const config = legacyConfigOffset(t.msixEnabled);
  if (offset >= config) return t.device.readConfig(offset - config, size);
  const c = t.common;
  const q = c.selectedQueue();
  let value: number;
  switch (offset) {
    case LEGACY_HOST_FEATURES:
      value = c.readLegacyDeviceFeatures();
      break;
    case LEGACY_GUEST_FEATURES:
      // Bits 0-31 of what the driver accepted (a legacy driver cannot write more).
      value = Number(c.features.driverFeatures & 0xffffffffn);
      break;
    case LEGACY_QUEUE_PFN:
      value = c.readLegacyQueuePfn();
      break;
    case LEGACY_QUEUE_NUM:
      value = q === null ? 0 : q.size;
      break;
    case LEGACY_QUEUE_SELECT:
      value = c.queueSelect;
      break;
    case LEGACY_STATUS:
      value = c.status;
      break;
    case LEGACY_ISR:
      value = t.takeIsr();
      break;
    case LEGACY_MSIX_CONFIG_VECTOR:
      value = t.configVector;
      break;
    case LEGACY_MSIX_QUEUE_VECTOR:
      value = q === null ? VIRTIO_MSI_NO_VECTOR : t.queueVectors[c.queueSelect]!;
      break;
    default:
      value = 0xffffffff;
  }
  return (value & mask(size)) >>> 0;
}

export function legacyWrite(t: LegacyTransport, offset: number, size: number, value: number): void {
  const config = legacyConfigOffset(t.msixEnabled);
  if (offset >= config) {
    t.device.writeConfig(offset - config, size, value);
    return;
  }
  const c = t.common;
  value = (value & mask(size)) >>> 0;
  switch (offset) {
    case LEGACY_GUEST_FEATURES:
      c.writeLegacyDriverFeatures(value);
      return;
    case LEGACY_QUEUE_PFN:
      c.writeLegacyQueuePfn(value);
      return;
    case LEGACY_QUEUE_SELECT:
      c.queueSelect = value & 0xffff;
      return;
    case LEGACY_QUEUE_NOTIFY:
      c.notify(value & 0xffff);
      return;
    case LEGACY_STATUS:
      t.writeStatus(value & 0xff, INTERFACE_LEGACY);
      return;
    case LEGACY_MSIX_CONFIG_VECTOR:
      t.configVector = acceptVector(t, value & 0xffff);
      return;
    case LEGACY_MSIX_QUEUE_VECTOR:
      if (c.selectedQueue() !== null) t.queueVectors[c.queueSelect] = acceptVector(t, value & 0xffff);
      return;
    default:
      // Host features, queue size and ISR are read-only.
      return;
  }
}
