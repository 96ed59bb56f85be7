/**
 * IOAPIC register map and redirection-entry bits (Intel 82093AA / ICH IOAPIC, version 0x20), shared
 * as plain constants by the userspace `ioapic` and the in-kernel one (devices/kvm/kvm-ioapic.ts).
 * Each flavour keeps its own storage and register paths.
 */

/** Input pins (redirection entries); the base address and window size are in pc-layout.ts. */
export const IOAPIC_NUM_PINS = 24;
/** Version register bits 7:0 (0x20: the EOI register exists). */
export const IOAPIC_VERSION = 0x20;

/** MMIO: register select (bits 7:0). */
export const IOAPIC_IOREGSEL = 0x00;
/** MMIO: data window onto the selected register (32-bit accesses only). */
export const IOAPIC_IOWIN = 0x10;
/** MMIO: EOI register (version 0x20): writing a vector clears remote IRR of matching level entries. */
export const IOAPIC_EOI = 0x40;

/** Indirect register: ID in bits 27:24. */
export const IOAPIC_REG_ID = 0x00;
/** Indirect register: version in 7:0, max redirection entry in 23:16 (read only). */
export const IOAPIC_REG_VER = 0x01;
/** Indirect register: arbitration ID in 27:24 (read only; reads the ID). */
export const IOAPIC_REG_ARB = 0x02;
/** Indirect register: redirection entry n low dword at 0x10 + 2n, high dword at 0x11 + 2n. */
export const IOAPIC_REG_REDTBL_BASE = 0x10;

/** ID register: shift of the 4-bit ID. */
export const IOAPIC_ID_SHIFT = 24;
/** ID register: width mask of the ID. */
export const IOAPIC_ID_MASK = 0xf;
/** Version register: shift of the max redirection entry field. */
export const IOAPIC_VER_ENTRIES_SHIFT = 16;

// Redirection entry, low dword.
/** Vector, bits 7:0. */
export const RTE_VECTOR_MASK = 0xff;
/** Delivery mode, bits 10:8 (shift). */
export const RTE_DELIVERY_MODE_SHIFT = 8;
/** Destination mode, bit 11: 0 physical, 1 logical. */
export const RTE_DEST_MODE = 1 << 11;
/** Delivery status, bit 12 (read only; always 0 here: messages are delivered at once). */
export const RTE_DELIVERY_STATUS = 1 << 12;
/** Input polarity, bit 13: 1 active low (stored; the input levels are already logical). */
export const RTE_POLARITY = 1 << 13;
/** Remote IRR, bit 14 (read only): a level interrupt was accepted and awaits its EOI. */
export const RTE_REMOTE_IRR = 1 << 14;
/** Trigger mode, bit 15: 1 level, 0 edge. */
export const RTE_TRIGGER_LEVEL = 1 << 15;
/** Mask, bit 16. */
export const RTE_MASKED = 1 << 16;
/** Bits a guest write never changes. */
export const RTE_RO_BITS = RTE_REMOTE_IRR | RTE_DELIVERY_STATUS;
/** Destination field: bits 63:56, i.e. bits 31:24 of the high dword. */
export const RTE_DEST_SHIFT_HI = 24;
/** Reset value of every entry: masked, everything else 0. */
export const RTE_RESET = RTE_MASKED;

// The same bits for a whole 64-bit entry (struct kvm_ioapic_state's redirtbl is u64[24]).
export const RTE64_VECTOR_MASK = BigInt(RTE_VECTOR_MASK);
export const RTE64_DELIVERY_MODE_SHIFT = BigInt(RTE_DELIVERY_MODE_SHIFT);
export const RTE64_DEST_MODE = BigInt(RTE_DEST_MODE);
export const RTE64_DELIVERY_STATUS = BigInt(RTE_DELIVERY_STATUS);
export const RTE64_REMOTE_IRR = BigInt(RTE_REMOTE_IRR);
export const RTE64_TRIGGER_LEVEL = BigInt(RTE_TRIGGER_LEVEL);
export const RTE64_MASKED = BigInt(RTE_MASKED);
/** Destination field: bits 63:56 of the entry. */
export const RTE64_DEST_SHIFT = BigInt(RTE_DEST_SHIFT_HI + 32);

/** The IOAPIC input a GSI drives: ISA IRQ0 goes to pin 2 (QEMU's ioapic_set_irq, and its KVM routes). */
export function gsiToPin(gsi: number): number {
  return gsi === 0 ? 2 : gsi;
}
