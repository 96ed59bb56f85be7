/**
 * What a device implements for the CPU: the interrupt controller in front of it and the owner of
 * model-specific registers beyond the CPU's own. A small file of their own, so that a device (the
 * local APICs, the PIC) never imports the CPU's state or behaviour (test/arch.test.ts checks it).
 */

/** The CPU's view of the interrupt controller (the PIC, or the local APIC in front of it). */
export interface InterruptSource {
  /** INTR is asserted: a maskable interrupt is waiting. */
  hasInterrupt(): boolean;
  /** The interrupt-acknowledge cycle: returns the vector to deliver. */
  acknowledge(): number;
}

/** Where model-specific registers beyond the CPU's own go (the local APIC's base, TSC deadline). */
export interface MsrHandler {
  /** Returns the value, or null when the MSR does not exist (#GP). */
  readMsr(index: number): bigint | null;
  /** Returns false when the MSR does not exist or the value is invalid (#GP). */
  writeMsr(index: number, value: bigint): boolean;
}
