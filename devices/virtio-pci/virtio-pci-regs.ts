/**
 * The virtio-over-PCI ABI (virtio 1.2 section 4.1) as plain numbers: PCI identity, the vendor
 * capabilities of the modern interface, the common configuration layout, the ISR bits, the legacy
 * I/O BAR of a transitional device, and the BAR layout godwit uses (QEMU's, so that a guest finds
 * the same device: legacy I/O BAR 0, MSI-X BAR 1, modern memory BAR 4 with four 4 KiB regions).
 */

// ---- PCI identity ----

export const VIRTIO_PCI_VENDOR_ID = 0x1af4;
/** Modern-only devices: 0x1040 + the virtio device type, PCI revision 1. */
export const VIRTIO_PCI_MODERN_DEVICE_ID_BASE = 0x1040;
export const VIRTIO_PCI_MODERN_REVISION = 1;
/** Transitional devices: PCI revision 0, subsystem id = the virtio device type. */
export const VIRTIO_PCI_TRANSITIONAL_REVISION = 0;

/** Transitional PCI device id of each virtio device type that has one (virtio 1.2 section 4.1.2.1). */
const TRANSITIONAL_DEVICE_IDS: Readonly<Record<number, number>> = {
  1: 0x1000, // network
  2: 0x1001, // block
  5: 0x1002, // memory balloon
  3: 0x1003, // console
  8: 0x1004, // SCSI host
  4: 0x1005, // entropy source
  9: 0x1009, // 9P transport
};

/** The transitional device id of a virtio device type, or null when the type has none. */
export function transitionalDeviceId(deviceType: number): number | null {
  return Object.hasOwn(TRANSITIONAL_DEVICE_IDS, deviceType) ? TRANSITIONAL_DEVICE_IDS[deviceType]! : null;
}

/** PCI class code of each virtio device type, as QEMU's devices report them; 0xFF0000 for others. */
const CLASS_CODES: Readonly<Record<number, number>> = {
  1: 0x020000, // network: Ethernet controller
  2: 0x010000, // block: SCSI storage controller (QEMU's virtio-blk-pci)
  8: 0x010000, // SCSI host
};

export function virtioPciClassCode(deviceType: number): number {
  return Object.hasOwn(CLASS_CODES, deviceType) ? CLASS_CODES[deviceType]! : 0xff0000;
}

// ---- Vendor capabilities (struct virtio_pci_cap, section 4.1.4) ----

/** cfg_type values. */
export const VIRTIO_PCI_CAP_COMMON_CFG = 1;
export const VIRTIO_PCI_CAP_NOTIFY_CFG = 2;
export const VIRTIO_PCI_CAP_ISR_CFG = 3;
export const VIRTIO_PCI_CAP_DEVICE_CFG = 4;
export const VIRTIO_PCI_CAP_PCI_CFG = 5;
/** Field offsets inside a capability: cap_vndr, cap_next, cap_len, cfg_type, bar, id, offset, length. */
export const CAP_LEN = 2;
export const CAP_CFG_TYPE = 3;
export const CAP_BAR = 4;
export const CAP_ID = 5;
export const CAP_OFFSET = 8;
export const CAP_LENGTH = 12;
/** Bytes of struct virtio_pci_cap. */
export const VIRTIO_PCI_CAP_SIZE = 16;
/** struct virtio_pci_notify_cap: the capability, then notify_off_multiplier (u32). */
export const NOTIFY_CAP_MULTIPLIER = 16;
export const VIRTIO_PCI_NOTIFY_CAP_SIZE = 20;
/** struct virtio_pci_cfg_cap: the capability, then pci_cfg_data[4], the access window. */
export const PCI_CFG_CAP_DATA = 16;
export const VIRTIO_PCI_CFG_CAP_SIZE = 20;

// ---- Common configuration (struct virtio_pci_common_cfg, section 4.1.4.3) ----

export const COMMON_DEVICE_FEATURE_SELECT = 0x00;
export const COMMON_DEVICE_FEATURE = 0x04;
export const COMMON_DRIVER_FEATURE_SELECT = 0x08;
export const COMMON_DRIVER_FEATURE = 0x0c;
export const COMMON_MSIX_CONFIG = 0x10;
export const COMMON_NUM_QUEUES = 0x12;
export const COMMON_DEVICE_STATUS = 0x14;
export const COMMON_CONFIG_GENERATION = 0x15;
export const COMMON_QUEUE_SELECT = 0x16;
export const COMMON_QUEUE_SIZE = 0x18;
export const COMMON_QUEUE_MSIX_VECTOR = 0x1a;
export const COMMON_QUEUE_ENABLE = 0x1c;
export const COMMON_QUEUE_NOTIFY_OFF = 0x1e;
/** The 64-bit ring addresses, each written as two dwords (low, then high at +4). */
export const COMMON_QUEUE_DESC = 0x20;
export const COMMON_QUEUE_DRIVER = 0x28;
export const COMMON_QUEUE_DEVICE = 0x30;
/** Bytes of the common configuration structure. */
export const COMMON_CFG_SIZE = 0x38;

/** ISR status bits (section 4.1.4.5): a queue interrupt, a configuration change. */
export const ISR_QUEUE = 1;
export const ISR_CONFIG = 2;

/** An MSI-X vector register that names no vector. */
export const VIRTIO_MSI_NO_VECTOR = 0xffff;

// ---- Legacy interface: the I/O BAR of a transitional device (section 4.1.4.10) ----

export const LEGACY_HOST_FEATURES = 0x00;
export const LEGACY_GUEST_FEATURES = 0x04;
export const LEGACY_QUEUE_PFN = 0x08;
export const LEGACY_QUEUE_NUM = 0x0c;
export const LEGACY_QUEUE_SELECT = 0x0e;
export const LEGACY_QUEUE_NOTIFY = 0x10;
export const LEGACY_STATUS = 0x12;
export const LEGACY_ISR = 0x13;
/** Present only while MSI-X is enabled; the device configuration follows them. */
export const LEGACY_MSIX_CONFIG_VECTOR = 0x14;
export const LEGACY_MSIX_QUEUE_VECTOR = 0x16;

/** Where the device configuration starts in the legacy BAR: after the MSI-X vectors when MSI-X is on. */
export function legacyConfigOffset(msixEnabled: boolean): number {
  return msixEnabled ? 0x18 : 0x14;
}

// ---- BAR layout (QEMU's virtio-pci) ----

export const LEGACY_IO_BAR = 0;
export const MSIX_BAR = 1;
export const MODERN_MEMORY_BAR = 4;
/** The modern BAR holds four regions of 4 KiB: common, ISR, device configuration, notifications. */
export const MODERN_REGION_SIZE = 0x1000;
export const MODERN_COMMON_OFFSET = 0x0000;
export const MODERN_ISR_OFFSET = 0x1000;
export const MODERN_DEVICE_OFFSET = 0x2000;
export const MODERN_NOTIFY_OFFSET = 0x3000;
export const MODERN_BAR_SIZE = 0x4000;
/** Queue n is notified at n * 4 in the notification region (QEMU without page-per-vq). */
export const NOTIFY_OFF_MULTIPLIER = 4;

/**
 * Where the capabilities sit in configuration space, as QEMU 7.2 places them: each added at the first
 * free place and linked at the head of the list, so the list runs MSI-X, PCI configuration access,
 * notifications, device configuration, ISR, common configuration.
 */
export const CAP_AT_COMMON = 0x40;
export const CAP_AT_ISR = 0x50;
export const CAP_AT_DEVICE = 0x60;
export const CAP_AT_NOTIFY = 0x70;
export const CAP_AT_PCI_CFG = 0x84;
export const CAP_AT_MSIX = 0x98;
