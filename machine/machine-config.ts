/**
 * MachineConfig: what the Machine consumes. Plain data with file contents already read, so the
 * machine needs no file system (it runs in a browser too). machine/config.ts turns a command line
 * into Options (paths); the CLI reads the files and builds a MachineConfig with `machineConfig`.
 */

import type { DeviceSpec } from './device-spec.ts';
import { defaultDeviceSpecs } from './device-spec.ts';

export type { KernelIrqchip } from '../devices/kernel/kvm-vm.ts';
import type { KernelIrqchip } from '../devices/kernel/kvm-vm.ts';

/** CPUID feature bits a user may turn on or off with `-cpu +feat/-feat`. */
export interface CpuFeatures {
  tsc: boolean;
  pse: boolean;
  pge: boolean;
  msr: boolean;
  cx8: boolean;
  cmov: boolean;
  apic: boolean;
}

export interface CpuConfig {
  /** CPUID leaf 0 vendor string, exactly 12 characters. */
  vendor: string;
  features: CpuFeatures;
  /** Report CPUID leaf 0x15 (TSC / crystal clock ratio) so Linux skips TSC calibration. */
  leaf15: boolean;
}

export interface NamedBytes {
  name: string;
  data: Uint8Array;
}

export interface MachineConfig {
  ramBytes: number;
  smp: number;
  kernelIrqchip: KernelIrqchip;
  kernel: NamedBytes | null;
  /**
   * `-initrd a,b`: for multiboot these are modules and `name` is the module string (the file name
   * followed by its arguments, as QEMU passes it); for a bzImage they are concatenated.
   */
  initrds: NamedBytes[];
  /** `-append`: the kernel command line. */
  append: string;
  /** Guest time per instruction is 2^icountShift ns. */
  icountShift: number;
  /** `-no-reboot`: a guest reset ends the run instead of restarting. */
  noReboot: boolean;
  /** `-device`: isa-debug-exit and pc-testdev by default (machine/device-table.ts). */
  devices: DeviceSpec[];
  /** RTC time at virtual time 0, in seconds since 1970-01-01T00:00:00Z. */
  rtcBaseSeconds: number;
  cpu: CpuConfig;
}

export const DEFAULT_RAM_BYTES = 128 << 20;
/** Used when `-machine kernel-irqchip=` is not given. */
export const DEFAULT_KERNEL_IRQCHIP: KernelIrqchip = 'split';
/** 2026-01-01T00:00:00Z: a fixed RTC start keeps runs deterministic. */
export const DEFAULT_RTC_BASE_SECONDS = Date.UTC(2026, 0, 1) / 1000;
export const DEFAULT_CPU_VENDOR = 'GenuineIntel';

export function defaultCpuFeatures(): CpuFeatures {
  return { tsc: true, pse: true, pge: true, msr: true, cx8: true, cmov: true, apic: true };
}

export function defaultCpuConfig(): CpuConfig {
  return { vendor: DEFAULT_CPU_VENDOR, features: defaultCpuFeatures(), leaf15: false };
}

/** A complete configuration with defaults everywhere: for tests and embedders. */
export function defaultMachineConfig(overrides: Partial<MachineConfig> = {}): MachineConfig {
  return {
    ramBytes: DEFAULT_RAM_BYTES,
    smp: 1,
    kernelIrqchip: DEFAULT_KERNEL_IRQCHIP,
    kernel: null,
    initrds: [],
    append: '',
    icountShift: 0,
    noReboot: false,
    devices: defaultDeviceSpecs(),
    rtcBaseSeconds: DEFAULT_RTC_BASE_SECONDS,
    cpu: defaultCpuConfig(),
    ...overrides,
  };
}
