/**
 * Options: the command line as typed data (paths, not file contents). machine/config.ts parses argv
 * into it; machine/read-config.ts reads the files and makes a MachineConfig for the Machine.
 */
import type { CpuConfig, KernelIrqchip } from './machine-config.ts';
import { DEFAULT_RAM_BYTES, DEFAULT_RTC_BASE_SECONDS, defaultCpuConfig } from './machine-config.ts';
import type { DeviceSpec } from './device-spec.ts';
import { defaultDeviceSpecs } from './device-spec.ts';
import type { DriveSpec } from './drive.ts';
import type { SocketOption } from './socket-option.ts';

/** -serial: a terminal or pipe (stdio), a file, nothing, or a listening socket (socket-option.ts). */
export type SerialOption =
  | { kind: 'stdio' }
  | { kind: 'file'; path: string }
  | { kind: 'none' }
  | { kind: 'socket'; socket: SocketOption };

/** -icount rr=record|replay,rrfile=PATH: record the run's nondeterministic events, or replay them. */
export interface RecordReplayOption {
  mode: 'record' | 'replay';
  path: string;
}

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
  /**
   * -nographic or -serial mon:stdio: Ctrl-C on the terminal goes to the guest (QEMU's signal=off on
   * its mux); with plain -serial stdio it interrupts godwit.
   */
  nographic: boolean;
  /** -qmp unix:PATH,server / tcp:HOST:PORT,server (null without). */
  qmp: SocketOption | null;
  /** -S: start stopped (QMP's cont starts the machine). */
  startPaused: boolean;
  /** -name NAME (QMP's query-name). */
  name: string | null;
  icountShift: number;
  /** -icount sleep=on|off; null: on when a person drives the console (a terminal or a socket). */
  icountSleep: boolean | null;
  rr: RecordReplayOption | null;
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
  /** `--base EARLIER` with `--save`: write a diff snapshot against EARLIER (the -incoming file). */
  diffBase: string | null;
  /** `-incoming file:PATH`: restore a snapshot instead of booting. */
  incomingPath: string | null;
  /** `-incoming defer`: wait for QMP's migrate-incoming. */
  incomingDefer: boolean;
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
    nographic: false,
    qmp: null,
    startPaused: false,
    name: null,
    icountShift: 0,
    icountSleep: null,
    rr: null,
    noReboot: false,
    devices: defaultDeviceSpecs(),
    drives: [],
    rtcBaseSeconds: DEFAULT_RTC_BASE_SECONDS,
    cpu: defaultCpuConfig(),
    maxInsns: null,
    statsPath: null,
    stopAt: null,
    savePath: null,
    diffBase: null,
    incomingPath: null,
    incomingDefer: false,
  };
}

/** Options only a run driven through the host's event loop can serve (machine/cli-session.ts). */
export function needsSession(o: Options): boolean {
  return o.qmp !== null || o.startPaused || o.incomingDefer || o.rr !== null || o.serial.kind === 'socket';
}
