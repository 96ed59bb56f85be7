/** What the CPU reports through CPUID: vendor and feature switches, set from -cpu. */
export interface CpuModel {
  /** 12-character vendor string, e.g. "GenuineIntel". */
  vendor: string;
  /** CPUID.1:EDX.TSC: RDTSC and MSR 0x10. */
  tsc: boolean;
  /** CPUID.1:EDX.PSE: 4 MiB pages. */
  pse: boolean;
  /** CPUID.1:EDX.PGE: global pages. */
  pge: boolean;
  /** CPUID.1:EDX.MSR: RDMSR/WRMSR. */
  msr: boolean;
  /** CPUID.1:EDX.CX8: CMPXCHG8B. */
  cx8: boolean;
  /** CPUID.1:EDX.CMOV: CMOVcc. */
  cmov: boolean;
  /** CPUID.1:EDX.APIC: a local APIC is present. */
  apic: boolean;
  /** CPUID.1:ECX.TSC_DEADLINE: the APIC timer's TSC-deadline mode. */
  tscDeadline: boolean;
  /** Offer leaf 0x15 (TSC / crystal clock ratio) so Linux needs no calibration. */
  leaf15: boolean;
}

export const DEFAULT_CPU_MODEL: CpuModel = {
  vendor: 'GenuineIntel',
  tsc: true,
  pse: true,
  pge: true,
  msr: true,
  cx8: true,
  cmov: true,
  apic: false,
  tscDeadline: false,
  leaf15: false,
};
