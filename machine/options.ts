/**
 * Options: the command line as typed data (paths, not file contents). machine/config.ts parses argv
 * into it; machine/read-config.ts reads the files and makes a MachineConfig for the Machine.
 */
import type { CpuConfig, KernelIrqchip } from './machine-config.ts';
import { DEFAULT_RAM_BYTES, DEFAULT_RTC_BASE_SECONDS, defaultCpuConfig } from './machine-config.ts';
import type { DeviceSpec } from './device-spec.ts';
import { defaultDeviceSpecs } from './device-spec.ts';
import type { DriveSpec } from './drive.ts';

export type SerialOption = { kind: 'stdio' } | { kind: 'file'; path: string } | { kind: 'none' };

/** One `-initrd` entry: `path` is the file, `module` the whole string "path args" (as QEMU). */
export interface InitrdOption {
  path: string;
  module: string;
}

export type Command = 'run' | 'demo' | 'help' | 'version';

export interface Options {
  command: Command;
  ramBytes: number;
  smp: number;
  /** undefined: the machine's default (DEFAULT_KERNEL_IRQCHIP). */
  kernelIrqchip: KernelIrqchip | undefined;
  kernel: string | null;
  initrds: InitrdOption[];
  append: string | null;
  serial: SerialOption;
  icountShift: number;
  noReboot: boolean;
  /** `-device`: the machine's devices, isa-debug-exit and pc-testdev by default. */
  devices: DeviceSpec[];
  /** `-drive`: the disks (opened by the front end: machine/read-config.ts's DriveOpener). */
  drives: DriveSpec[];
  rtcBaseSeconds: number;
  cpu: CpuConfig;
  /** `--max-insns N`: stop after N instructions. */
  maxInsns: number | null;
  /** `--stats PATH`: write run figures as JSON at exit. */
  statsPath: string | null;
  /** `--stop-at N` with `--save PATH`: save a snapshot after N instructions (planned). */
  stopAt: number | null;
  savePath: string | null;
  /** `-incoming file:PATH`: restore a snapshot instead of booting (planned). */
  incomingPath: string | null;
}

export function defaultOptions(): Options {
  return {
    command: 'run',
    ramBytes: DEFAULT_RAM_BYTES,
    smp: 1,
    kernelIrqchip: undefined,
    kernel: null,
    initrds: [],
    append: null,
    serial: { kind: 'stdio' },
    icountShift: 0,
    noReboot: false,
    devices: defaultDeviceSpecs(),
    drives: [],
    rtcBaseSeconds: DEFAULT_RTC_BASE_SECONDS,
    cpu: defaultCpuConfig(),
    maxInsns: null,
    statsPath: null,
    stopAt: null,
    savePath: null,
    incomingPath: null,
  };
}
