/**
 * The APIC bus: the message every local APIC, IOAPIC and MSI sends (an IPI, a redirection, a PCI
 * message signalled interrupt), its delivery modes and destination shorthands, and how an MSI's
 * address and data encode it (Intel SDM vol. 3, 11.11).
 */

// Delivery modes (ICR, LVT and redirection-entry bits 10:8).
/** Fixed: the vector goes to IRR. */
export const DM_FIXED = 0;
/** Lowest priority: one APIC of the destination set. */
export const DM_LOWPRI = 1;
/** SMI (not modelled: ignored). */
export const DM_SMI = 2;
/** NMI: the CPU's NMI input. */
export const DM_NMI = 4;
/** INIT: reset the CPU into wait-for-SIPI (INIT level de-assert is ignored). */
export const DM_INIT = 5;
/** Startup IPI: start a waiting CPU at vector << 12 in real mode. */
export const DM_SIPI = 6;
/** ExtINT: the vector comes from the 8259 through an INTA cycle. */
export const DM_EXTINT = 7;

// ICR destination shorthands (bits 19:18).
export const SH_NONE = 0;
export const SH_SELF = 1;
export const SH_ALL = 2;
export const SH_ALL_BUT_SELF = 3;

/** A message on the APIC bus: an IPI, an IOAPIC redirection or an MSI. */
export interface ApicMessage {
  /** 8-bit destination field (xAPIC). */
  dest: number;
  /** 0 physical, 1 logical. */
  destMode: number;
  deliveryMode: number;
  vector: number;
  /** 0 edge, 1 level. */
  trigger: number;
  /** ICR level bit: 0 for an INIT level de-assert (ignored by xAPICs on the receiving side). */
  level: number;
  shorthand: number;
  /** Index of the sending CPU for SH_SELF / SH_ALL_BUT_SELF; -1 for IOAPIC and MSI messages. */
  source: number;
}

/** MSI addresses are 0xFEExxxxx: the message goes to the APICs. */
export const MSI_ADDRESS_MASK = 0xfff00000;
export const MSI_ADDRESS_BASE = 0xfee00000;

/** MSI address/data decoded into an APIC message (Intel SDM vol. 3, 11.11). */
export function msiToMessage(address: number, data: number): ApicMessage {
  return {
    dest: (address >>> 12) & 0xff,
    destMode: (address >>> 2) & 1,
    deliveryMode: (data >>> 8) & 7,
    vector: data & 0xff,
    trigger: (data >>> 15) & 1,
    level: 1,
    shorthand: SH_NONE,
    source: -1,
  };
}
