/**
 * The modern interface's common configuration structure (virtio 1.2 section 4.1.4.3) mapped onto
 * VirtioCommon and the transport's MSI-X vector registers.
 *
 * Reads: any 1, 2 or 4 bytes of the 0x38-byte structure, each byte taken from the field it belongs to
 * (little-endian), so a driver reading a field at its own width gets the field; bytes past 0x38 read
 * 0. Writes: a field takes a write of exactly its width at its own offset (the 64-bit ring addresses
 * as two dwords); anything else is dropped, as are writes to the read-only fields (device_feature,
 * num_queues, config_generation, queue_notify_off). An MSI-X vector register takes a vector the
 * function has, and anything else reads back as VIRTIO_MSI_NO_VECTOR, which is how a driver learns
 * that a vector was refused (QEMU's rule).
 */
import type { VirtioCommon } from '../virtio/virtio-common.ts';
import { INTERFACE_MODERN, QUEUE_DESC, QUEUE_DEVICE, QUEUE_DRIVER } from '../virtio/virtio-common.ts';
import {
  COMMON_CFG_SIZE,
  COMMON_CONFIG_GENERATION,
  COMMON_DEVICE_FEATURE,
  COMMON_DEVICE_FEATURE_SELECT,
  COMMON_DEVICE_STATUS,
  COMMON_DRIVER_FEATURE,
  COMMON_DRIVER_FEATURE_SELECT,
  COMMON_MSIX_CONFIG,
  COMMON_NUM_QUEUES,
  COMMON_QUEUE_DESC,
  COMMON_QUEUE_DEVICE,
  COMMON_QUEUE_DRIVER,
  COMMON_QUEUE_ENABLE,
  COMMON_QUEUE_MSIX_VECTOR,
  COMMON_QUEUE_NOTIFY_OFF,
  COMMON_QUEUE_SELECT,
  COMMON_QUEUE_SIZE,
  VIRTIO_MSI_NO_VECTOR,
} from './virtio-pci-regs.ts';

/** What the register files of the transport (common configuration, legacy BAR) act on. */
export interface TransportRegisters {
  readonly common: VirtioCommon;
  /** The MSI-X vector of configuration changes (VIRTIO_MSI_NO_VECTOR: none). */
  configVector: number;
  /** The MSI-X vector of each queue. */
  readonly queueVectors: Uint16Array;
  /** MSI-X vectors the function has (0: no MSI-X). */
  readonly vectorCount: number;
  /** A device_status write through one interface (0 resets the device and the transport). */
  writeStatus(value: number, iface: number): void;
}

/** Fields of the structure: [offset, width]; every byte below COMMON_CFG_SIZE is in exactly one. */
const FIELDS: readonly (readonly [number, number])[] = [
  [COMMON_DEVICE_FEATURE_SELECT, 4],
  [COMMON_DEVICE_FEATURE, 4],
  [COMMON_DRIVER_FEATURE_SELECT, 4],
  [COMMON_DRIVER_FEATURE, 4],
  [COMMON_MSIX_CONFIG, 2],
  [COMMON_NUM_QUEUES, 2],
  [COMMON_DEVICE_STATUS, 1],
  [COMMON_CONFIG_GENERATION, 1],
  [COMMON_QUEUE_SELECT, 2],
  [COMMON_QUEUE_SIZE, 2],
  [COMMON_QUEUE_MSIX_VECTOR, 2],
  [COMMON_QUEUE_ENABLE, 2],
  [COMMON_QUEUE_NOTIFY_OFF, 2],
  [COMMON_QUEUE_DESC, 4],
  [COMMON_QUEUE_DESC + 4, 4],
  [COMMON_QUEUE_DRIVER, 4],
  [COMMON_QUEUE_DRIVER + 4, 4],
  [COMMON_QUEUE_DEVICE, 4],
  [COMMON_QUEUE_DEVICE + 4, 4],
];

/** The offset of the field each byte belongs to. */
const FIELD_START = new Uint8Array(COMMON_CFG_SIZE);
const FIELD_WIDTH = new Uint8Array(COMMON_CFG_SIZE);
for (const [start, width] of FIELDS) {
  for (let i = 0; i < width; i++) FIELD_START[start + i] = start;
  FIELD_WIDTH[start] = width;
}

/** A vector number as a vector register takes it: one the function has, or none. */
export function acceptVector(r: TransportRegisters, vector: number): number {
  return vector < r.vectorCount ? vector : VIRTIO_MSI_NO_VECTOR;
}

/** The value of the field starting at `start`. */
function field(r: TransportRegisters, start: number): number {
  const c = r.common;
  const q = c.selectedQueue();
  switch (start) {
    case COMMON_DEVICE_FEATURE_SELECT:
      return c.features.deviceFeatureSelect;
    case COMMON_DEVICE_FEATURE:
      return c.readDeviceFeatures();
    case COMMON_DRIVER_FEATURE_SELECT:
      return c.features.driverFeatureSelect;
    case COMMON_DRIVER_FEATURE:
      return c.readDriverFeatures();
    case COMMON_MSIX_CONFIG:
      return r.configVector;
    case COMMON_NUM_QUEUES:
      return c.queues.length;
    case COMMON_DEVICE_STATUS:
      return c.status;
    case COMMON_CONFIG_GENERATION:
      return c.configGeneration;
    case COMMON_QUEUE_SELECT:
      return c.queueSelect;
    case COMMON_QUEUE_SIZE:
      return q === null ? 0 : q.size;
    case COMMON_QUEUE_MSIX_VECTOR:
      return q === null ? VIRTIO_MSI_NO_VECTOR : r.queueVectors[c.queueSelect]!;
    case COMMON_QUEUE_ENABLE:
      return q !== null && q.ready ? 1 : 0;
    case COMMON_QUEUE_NOTIFY_OFF:
      // Queue n is notified at n * multiplier (QEMU reports queue_select here).
      return c.queueSelect;
    case COMMON_QUEUE_DESC:
    case COMMON_QUEUE_DESC + 4:
      return c.readQueueAddress(QUEUE_DESC, start !== COMMON_QUEUE_DESC);
    case COMMON_QUEUE_DRIVER:
    case COMMON_QUEUE_DRIVER + 4:
      return c.readQueueAddress(QUEUE_DRIVER, start !== COMMON_QUEUE_DRIVER);
    default:
      return c.readQueueAddress(QUEUE_DEVICE, start !== COMMON_QUEUE_DEVICE);
  }
}

/** A read of 1, 2 or 4 bytes at `offset` of the region (bytes past the structure read 0). */
export function commonConfigRead(r: TransportRegisters, offset: number, size: number): number {
  let value = 0;
  for (let i = size - 1; i >= 0; i--) {
    const at = offset + i;
    const byte = at < COMMON_CFG_SIZE ? (field(r, FIELD_START[at]!) >>> (8 * (at - FIELD_START[at]!))) & 0xff : 0;
    value = (value << 8) | byte;
  }
  return value >>> 0;
}

/** A write of 1, 2 or 4 bytes at `offset`: a field of exactly that width there takes it. */
export function commonConfigWrite(r: TransportRegisters, offset: number, size: number, value: number): void {
  if (offset >= COMMON_CFG_SIZE || FIELD_START[offset] !== offset || FIELD_WIDTH[offset] !== size) return;
  const c = r.common;
  switch (offset) {
    case COMMON_DEVICE_FEATURE_SELECT:
      c.features.deviceFeatureSelect = value >>> 0;
      return;
    case COMMON_DRIVER_FEATURE_SELECT:
      c.features.driverFeatureSelect = value >>> 0;
      return;
    case COMMON_DRIVER_FEATURE:
      c.writeDriverFeatures(value);
      return;
    case COMMON_MSIX_CONFIG:
      r.configVector = acceptVector(r, value);
      return;
    case COMMON_DEVICE_STATUS:
      r.writeStatus(value, INTERFACE_MODERN);
      return;
    case COMMON_QUEUE_SELECT:
      c.queueSelect = value;
      return;
    case COMMON_QUEUE_SIZE:
      c.writeQueueSize(value);
      return;
    case COMMON_QUEUE_MSIX_VECTOR:
      if (c.selectedQueue() !== null) r.queueVectors[c.queueSelect] = acceptVector(r, value);
      return;
    case COMMON_QUEUE_ENABLE:
      c.writeQueueEnable(value);
      return;
    case COMMON_QUEUE_DESC:
    case COMMON_QUEUE_DESC + 4:
      c.writeQueueAddress(QUEUE_DESC, offset !== COMMON_QUEUE_DESC, value);
      return;
    case COMMON_QUEUE_DRIVER:
    case COMMON_QUEUE_DRIVER + 4:
      c.writeQueueAddress(QUEUE_DRIVER, offset !== COMMON_QUEUE_DRIVER, value);
      return;
    case COMMON_QUEUE_DEVICE:
    case COMMON_QUEUE_DEVICE + 4:
      c.writeQueueAddress(QUEUE_DEVICE, offset !== COMMON_QUEUE_DEVICE, value);
      return;
    default:
      // device_feature, num_queues, config_generation, queue_notify_off: read-only.
      return;
  }
}
