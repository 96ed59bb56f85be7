/**
 * The contract between local APICs, IOAPICs, the APIC bus, the CPU and the machine, shared by both
 * interrupt-controller flavours (userspace `apic`/`ioapic` and the in-kernel ones). Only constants,
 * types and pure arithmetic live in apic-common; each flavour keeps its own storage and register paths.
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

/** What every local APIC implementation offers the APIC bus. */
export interface ApicEndpoint {
  /** The CPU this APIC belongs to (0-based). */
  readonly cpuIndex: number;
  /** The APIC is globally enabled (IA32_APIC_BASE bit 11) and so can receive messages. */
  isHardwareEnabled(): boolean;
  /** Physical (destMode 0) or logical (destMode 1, flat or cluster per DFR) destination match. */
  matchesDestination(dest: number, destMode: number): boolean;
  /** Arbitration priority used to choose the target of a lowest-priority message. */
  arbitrationPriority(): number;
  /** Accept a message routed here (fixed/lowpri vectors into IRR, NMI, INIT, SIPI, ExtINT). */
  accept(deliveryMode: number, vector: number, trigger: number): void;
}

/** Signals a local APIC drives into its CPU (the machine implements them). */
export interface CpuSignals {
  /** INTR may have changed: end the CPU's batch and re-examine interrupts. */
  kick(): void;
  /** NMI input edge. */
  nmi(): void;
  /** INIT: reset the CPU into wait-for-SIPI (the BSP too, as on hardware). */
  init(): void;
  /** Startup IPI with a vector: a CPU waiting for SIPI starts at vector << 12. */
  sipi(vector: number): void;
}

/** What a local APIC needs from the machine besides its CPU. */
export interface ApicWiring {
  cpuIndex: number;
  /** Initial APIC id (the CPU index). */
  apicId: number;
  /** True for the bootstrap processor (IA32_APIC_BASE bit 8, LINT0 preset to ExtINT as QEMU does). */
  bsp: boolean;
  signals: CpuSignals;
  /** Send a message on the APIC bus (IPIs from the ICR). */
  sendMessage(msg: ApicMessage): void;
  /** Broadcast an EOI for a level-triggered vector to the IOAPIC(s). */
  eoiBroadcast(vector: number): void;
  /** The 8259 side of ExtINT: INTR level and the INTA cycle. */
  pic: { hasInterrupt(): boolean; acknowledge(): number };
  /** This CPU's TSC (for TSC-deadline mode). */
  readTsc(): bigint;
}

/** MSI address/data decoded into an APIC message (see shared/reference/irqchip.md). */
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
