/**
 * Local APIC register offsets, bits, valid-bit masks and reset values (xAPIC, Intel SDM
 * vol. 3, chapter 11), shared by the userspace `apic` and the in-kernel LAPIC. Constants only.
 */

// Register offsets in the 4 KiB MMIO page (and in KVM's 1 KiB register image).
/** Local APIC ID (bits 31:24). */
export const REG_ID = 0x020;
/** Version (read-only). */
export const REG_VERSION = 0x030;
/** Task priority. */
export const REG_TPR = 0x080;
/** Arbitration priority (read-only). */
export const REG_APR = 0x090;
/** Processor priority (read-only). */
export const REG_PPR = 0x0a0;
/** End of interrupt (write-only). */
export const REG_EOI = 0x0b0;
/** Logical destination (bits 31:24). */
export const REG_LDR = 0x0d0;
/** Destination format (model in bits 31:28). */
export const REG_DFR = 0x0e0;
/** Spurious interrupt vector. */
export const REG_SVR = 0x0f0;
/** In-service bitmap, 8 words at a 16-byte stride. */
export const REG_ISR = 0x100;
/** Trigger-mode bitmap. */
export const REG_TMR = 0x180;
/** Interrupt-request bitmap. */
export const REG_IRR = 0x200;
/** Error status. */
export const REG_ESR = 0x280;
/** LVT CMCI (not modelled, as in QEMU). */
export const REG_LVT_CMCI = 0x2f0;
/** Interrupt command, low word (writing it sends the IPI). */
export const REG_ICR_LO = 0x300;
/** Interrupt command, high word (destination in 31:24). */
export const REG_ICR_HI = 0x310;
/** First LVT entry (timer); the six entries follow at a 16-byte stride. */
export const REG_LVT_TIMER = 0x320;
export const REG_LVT_THERMAL = 0x330;
export const REG_LVT_PERF = 0x340;
export const REG_LVT_LINT0 = 0x350;
export const REG_LVT_LINT1 = 0x360;
export const REG_LVT_ERROR = 0x370;
/** Timer initial count. */
export const REG_TMICT = 0x380;
/** Timer current count (read-only). */
export const REG_TMCCT = 0x390;
/** Timer divide configuration. */
export const REG_TDCR = 0x3e0;

// LVT indices (QEMU's lvt[] order).
export const LVT_TIMER = 0;
export const LVT_THERMAL = 1;
export const LVT_PERF = 2;
export const LVT_LINT0 = 3;
export const LVT_LINT1 = 4;
export const LVT_ERROR = 5;
/** Number of LVT entries modelled (max LVT index 5 in the Version register). */
export const LVT_COUNT = 6;

/** Version register: version 0x14 (integrated APIC), max LVT entry 5 in bits 23:16. */
export const APIC_VERSION_VALUE = 0x00050014;

// LVT bits.
/** Vector field. */
export const LVT_VECTOR = 0xff;
/** Delivery mode field (bits 10:8). */
export const LVT_DELIVERY_MODE = 0x700;
/** Delivery status (read-only; always 0 here: delivery is instantaneous). */
export const LVT_DELIVERY_STATUS = 1 << 12;
/** LINT input polarity. */
export const LVT_POLARITY = 1 << 13;
/** LINT remote IRR (read-only, not modelled). */
export const LVT_REMOTE_IRR = 1 << 14;
/** LINT trigger mode: 1 level. */
export const LVT_LEVEL = 1 << 15;
/** Mask. */
export const LVT_MASKED = 1 << 16;
/** Timer mode field (bits 18:17). */
export const LVT_TIMER_MODE = 3 << 17;
/** Timer mode bit 17: periodic. */
export const LVT_TIMER_PERIODIC = 1 << 17;
/** Timer mode bit 18: TSC-deadline. */
export const LVT_TIMER_TSC_DEADLINE = 1 << 18;

/** LVT reset value: masked, everything else 0. */
export const LVT_RESET = LVT_MASKED;
/** The BSP's LINT0 at reset: ExtINT, unmasked (virtual wire to the 8259, as QEMU presets it). */
export const LVT_LINT0_BSP_RESET = 0x700;

// SVR bits.
/** Spurious vector. */
export const SVR_VECTOR = 0xff;
/** APIC software enable. */
export const SVR_ENABLE = 1 << 8;
/** Focus processor checking (stored, not modelled). */
export const SVR_FOCUS_DISABLE = 1 << 9;
/** Writable SVR bits (no EOI-broadcast suppression). */
export const SVR_VALID = 0x3ff;
/** SVR reset value. */
export const SVR_RESET = 0xff;

// ESR bits.
/** An IPI with an illegal vector (0-15) was not sent. */
export const ESR_SEND_ILLEGAL_VECTOR = 1 << 5;
/** An interrupt with an illegal vector (0-15) was received or raised by an LVT entry. */
export const ESR_RECV_ILLEGAL_VECTOR = 1 << 6;
/** A reserved register was accessed. */
export const ESR_ILLEGAL_REGISTER = 1 << 7;
/** Bits the ESR can hold. */
export const ESR_VALID = 0xff;

// ICR bits.
/** Writable ICR low bits: vector, delivery mode, destination mode, level, trigger, shorthand. */
export const ICR_LO_VALID = 0x000ccfff;
/** Writable ICR high bits: destination. */
export const ICR_HI_VALID = 0xff000000;
/** ICR destination mode: logical. */
export const ICR_DEST_LOGICAL = 1 << 11;
/** ICR level: assert. */
export const ICR_LEVEL_ASSERT = 1 << 14;
/** ICR trigger mode: level. */
export const ICR_TRIGGER_LEVEL = 1 << 15;

/** Writable TDCR bits. */
export const TDCR_VALID = 0xb;
/** Writable TPR bits. */
export const TPR_VALID = 0xff;
/** Writable LDR bits. */
export const LDR_VALID = 0xff000000;
/** DFR model bits; the low 28 bits read as ones. */
export const DFR_MODEL = 0xf0000000;
/** DFR low bits, always one. */
export const DFR_ONES = 0x0fffffff;
/** DFR flat model (bits 31:28). */
export const DFR_MODEL_FLAT = 0xf;
/** DFR cluster model. */
export const DFR_MODEL_CLUSTER = 0x0;
/** Writable ID bits. */
export const ID_VALID = 0xff000000;

// IA32_APIC_BASE.
/** MSR index of IA32_APIC_BASE. */
export const MSR_IA32_APIC_BASE = 0x1b;
/** MSR index of IA32_TSC_DEADLINE. */
export const MSR_IA32_TSC_DEADLINE = 0x6e0;
/** IA32_APIC_BASE: this CPU is the bootstrap processor (read-only). */
export const APIC_BASE_BSP = 1 << 8;
/** IA32_APIC_BASE: x2APIC mode (not supported: setting it is #GP). */
export const APIC_BASE_X2APIC = 1 << 10;
/** IA32_APIC_BASE: APIC globally enabled. */
export const APIC_BASE_ENABLE = 1 << 11;
/** IA32_APIC_BASE: page address bits (32-bit physical addresses). */
export const APIC_BASE_ADDR = 0xfffff000;

/** Writable bits of LVT entry `index`; TSC-deadline mode only when the CPU advertises it. */
export function lvtValidMask(index: number, tscDeadline: boolean): number {
  switch (index) {
    case LVT_TIMER:
      return LVT_VECTOR | LVT_MASKED | LVT_TIMER_PERIODIC | (tscDeadline ? LVT_TIMER_TSC_DEADLINE : 0);
    case LVT_THERMAL:
    case LVT_PERF:
      return LVT_VECTOR | LVT_DELIVERY_MODE | LVT_MASKED;
    case LVT_LINT0:
    case LVT_LINT1:
      return LVT_VECTOR | LVT_DELIVERY_MODE | LVT_POLARITY | LVT_LEVEL | LVT_MASKED;
    default:
      return LVT_VECTOR | LVT_MASKED;
  }
}

/** The value an LVT write stores: valid bits only; the reserved timer mode 3 is stored as periodic. */
export function lvtWriteValue(index: number, value: number, tscDeadline: boolean): number {
  let v = value & lvtValidMask(index, tscDeadline);
  if (index === LVT_TIMER && (v & LVT_TIMER_MODE) === LVT_TIMER_MODE) v &= ~LVT_TIMER_TSC_DEADLINE;
  return v >>> 0;
}

/**
 * Registers a guest may access, as QEMU decodes them (offset >> 4); any other offset in the page
 * is reserved and sets ESR_ILLEGAL_REGISTER (reads return 0, writes are dropped).
 */
export function isApicRegister(offset: number): boolean {
  const index = offset >>> 4;
  if (index >= 0x10 && index <= 0x28) return true; // ISR, TMR, IRR, ESR
  if (index >= 0x30 && index <= 0x39) return true; // ICR, LVTs, TMICT, TMCCT
  switch (index) {
    case 0x02:
    case 0x03:
    case 0x08:
    case 0x09:
    case 0x0a:
    case 0x0b:
    case 0x0d:
    case 0x0e:
    case 0x0f:
    case 0x3e:
      return true;
    default:
      return false;
  }
}
