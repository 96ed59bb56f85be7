/**
 * The virtio 1.x ABI that does not depend on the transport: device status bits, transport feature
 * bits, split-virtqueue layout and flags (virtio 1.2 sections 2.1, 2.7 and 6). Written once here
 * for the devices, the transports and the tests.
 */

// ---- Device status (section 2.1) ----
/** The guest found the device. */
export const STATUS_ACKNOWLEDGE = 1;
/** The guest knows how to drive it. */
export const STATUS_DRIVER = 2;
/** The driver is set up and ready: the device is live. */
export const STATUS_DRIVER_OK = 4;
/** Feature negotiation is complete (the device clears it again if it refuses the features). */
export const STATUS_FEATURES_OK = 8;
/** The device hit an error it cannot recover from; the driver must reset it. */
export const STATUS_DEVICE_NEEDS_RESET = 64;
/** The driver gave up on the device. */
export const STATUS_FAILED = 128;

// ---- Feature bits that belong to the transport and the rings (section 6) ----
/** Descriptors may point at tables of descriptors (VIRTQ_DESC_F_INDIRECT). */
export const F_INDIRECT_DESC = 28;
/** used_event / avail_event fields suppress notifications (section 2.7.10). */
export const F_EVENT_IDX = 29;
/** Compliance with virtio 1.0 or later (modern interface, little-endian). */
export const F_VERSION_1 = 32;
/** The device is behind an IOMMU (never offered: godwit devices see guest-physical memory). */
export const F_ACCESS_PLATFORM = 33;

/** 1n << bit, for 64-bit feature masks. */
export function featureBit(bit: number): bigint {
  return 1n << BigInt(bit);
}

// ---- Device types (section 5) ----
export const VIRTIO_ID_NET = 1;
export const VIRTIO_ID_BLOCK = 2;

// ---- Split virtqueue (section 2.7) ----
/** Bytes of one descriptor: addr u64, len u32, flags u16, next u16. */
export const DESC_SIZE = 16;
export const DESC_ADDR = 0;
export const DESC_LEN = 8;
export const DESC_FLAGS = 12;
export const DESC_NEXT = 14;
/** The buffer continues in the descriptor named by `next`. */
export const DESC_F_NEXT = 1;
/** The buffer is device-writable (else device-readable). */
export const DESC_F_WRITE = 2;
/** The buffer holds a table of descriptors. */
export const DESC_F_INDIRECT = 4;

/** Available ring: flags u16, idx u16, ring[size] u16, used_event u16. */
export const AVAIL_FLAGS = 0;
export const AVAIL_IDX = 2;
export const AVAIL_RING = 4;
/** avail.flags: the driver does not want interrupts (without EVENT_IDX). */
export const AVAIL_F_NO_INTERRUPT = 1;

/** Used ring: flags u16, idx u16, ring[size] {id u32, len u32}, avail_event u16. */
export const USED_FLAGS = 0;
export const USED_IDX = 2;
export const USED_RING = 4;
export const USED_ELEM_SIZE = 8;
/** used.flags: the device does not want notifications (without EVENT_IDX). */
export const USED_F_NO_NOTIFY = 1;

/** Largest split queue size the specification allows. */
export const MAX_QUEUE_SIZE = 32768;

/** Bytes of each ring part for a queue of `size` entries (with the event-index field). */
export function descTableBytes(size: number): number {
  return DESC_SIZE * size;
}
export function availRingBytes(size: number): number {
  return AVAIL_RING + 2 * size + 2;
}
export function usedRingBytes(size: number): number {
  return USED_RING + USED_ELEM_SIZE * size + 2;
}

/** Legacy interface: rings start at a page frame and the used ring is page aligned (section 4.1.5). */
export const LEGACY_QUEUE_ALIGN = 4096;
export const LEGACY_PFN_SHIFT = 12;
