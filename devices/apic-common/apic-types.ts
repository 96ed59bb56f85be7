/**
 * The contract between local APICs, IOAPICs, the APIC bus, the CPU and the machine, shared by both
 * interrupt-controller flavours (userspace `apic`/`ioapic` and the in-kernel ones): the interfaces a
 * device implements or is given. The hardware ABI itself (registers, delivery modes, the bus message,
 * MSI) is in src/hw.
 */
import type { ApicMessage } from '../../src/hw/apic-message.ts';

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
