/**
 * `godwit demo` on the command line (`npm start`): the bundled Linux guest (test/guests/linux) with a
 * 1 MiB virtio-blk disk in memory under a snapshot=on overlay, booted under the source configuration
 * (-machine kernel-irqchip=, default on; the combined virtio-blk-pci), snapshotted mid-boot and
 * restored into machines that differ in kernel-irqchip, in the disk's shape (virtio-pci plus
 * virtio-blk) and in both. machine/demo.ts runs it and prints the report.
 */
import type { DeviceSpec } from './device-spec.ts';
import { defaultDeviceSpecs } from './device-spec.ts';
import type { KernelIrqchip, MachineConfig } from './machine-config.ts';
import type { Options } from './options.ts';
import { readMachineConfig } from './read-config.ts';
import { runDemo, type DemoMachineSpec } from './demo.ts';
import { MemoryBackend } from '../src/block/memory-backend.ts';
import { OverlayBackend } from '../src/block/overlay-backend.ts';
import { ConfigError } from '../src/util/errors.ts';
import type { CliDeps } from './cli-run.ts';
import { CliFailure, EXIT_FAILURE, ioReason } from './cli-errors.ts';
import { snapshotFilesOf, snapshotMachineOf } from './cli-snapshot-io.ts';

/** The guest `godwit demo` boots: files to read and the names the guest and the report see. */
export interface DemoGuest {
  kernel: { path: string; name: string };
  /** The Linux initrd, or null for a multiboot guest. */
  initrd: { path: string; name: string } | null;
  append: string;
}

/** The demo's source configuration when -machine kernel-irqchip= is not given. */
const DEMO_KERNEL_IRQCHIP: KernelIrqchip = 'on';
/** The demo's safety limit on every run when --max-insns is not given (a boot takes about 60 million). */
const DEMO_MAX_INSNS = 2_000_000_000;
/** CPUs unless -smp N (N > 1) says otherwise: the second CPU is brought up with INIT and SIPI. */
const DEMO_SMP = 2;
const DISK_BYTES = 1 << 20;
const DRIVE_ID = 'd0';
const DISK_ID = 'disk0';
const IRQCHIPS: readonly KernelIrqchip[] = ['on', 'split', 'off'];

type Shape = 'combined' | 'split';

function diskDevices(shape: Shape): DeviceSpec[] {
  if (shape === 'combined') return [{ driver: 'virtio-blk-pci', id: DISK_ID, props: new Map([['drive', DRIVE_ID]]) }];
  return [
    { driver: 'virtio-pci', id: DISK_ID, props: new Map() },
    { driver: 'virtio-blk', id: null, props: new Map([['drive', DRIVE_ID], ['bus', DISK_ID]]) },
  ];
}

const SHAPE_TEXT: Record<Shape, string> = { combined: 'combined virtio-blk-pci', split: 'virtio-pci + virtio-blk' };

/** The machines: the source, then one like it, the other irqchips, the other shape, and both. */
function demoMachines(base: MachineConfig, source: KernelIrqchip): { source: DemoMachineSpec; targets: DemoMachineSpec[] } {
  // One pristine image shared by every machine; each gets its own overlay, so none sees another's writes.
  const image = new MemoryBackend(new Uint8Array(DISK_BYTES), { readOnly: true });
  const make = (kernelIrqchip: KernelIrqchip, shape: Shape, incoming: boolean): MachineConfig => ({
    ...base,
    ...(incoming ? { kernel: null, initrds: [], append: '' } : {}),
    kernelIrqchip,
    devices: [...defaultDeviceSpecs(), ...diskDevices(shape)],
    drives: [{ id: DRIVE_ID, file: 'demo-disk.img', readOnly: false, snapshot: true, checkIdentity: true, backend: new OverlayBackend(image) }],
  });
  const spec = (kernelIrqchip: KernelIrqchip, shape: Shape, incoming: boolean, note = ''): DemoMachineSpec => ({
    label: `kernel-irqchip=${kernelIrqchip}, ${SHAPE_TEXT[shape]}${note}`,
    config: () => make(kernelIrqchip, shape, incoming),
  });
  const others = IRQCHIPS.filter((k) => k !== source);
  return {
    source: spec(source, 'combined', false),
    targets: [
      spec(source, 'combined', true, ' (same)'),
      ...others.map((k) => spec(k, 'combined', true)),
      spec(source, 'split', true),
      spec(others[others.length - 1]!, 'split', true),
    ],
  };
}

/** A line-buffered copy of the guest's console to standard output. */
function consoleEcho(write: (bytes: Uint8Array) => void): (byte: number) => void {
  let line: number[] = [];
  return (b) => {
    line.push(b);
    if (b === 0x0a) {
      write(Uint8Array.from(line));
      line = [];
    }
  };
}

export function runDemoCommand(options: Options, deps: CliDeps): number {
  const { io } = deps;
  const guest = deps.demoGuest;
  if (options.drives.length > 0) throw new ConfigError('demo brings its own disk: -drive cannot be given');
  const config = readMachineConfig(options, io.readFile, guest.kernel.path, io.openDrive);
  let initrds: MachineConfig['initrds'] = [];
  if (guest.initrd !== null) {
    try {
      initrds = [{ name: guest.initrd.name, data: io.readFile(guest.initrd.path, config.ramBytes) }];
    } catch (e) {
      throw new ConfigError(`cannot read the demo's initrd '${guest.initrd.path}': ${ioReason(e)}`);
    }
  }
  const base: MachineConfig = {
    ...config,
    kernel: { name: guest.kernel.name, data: config.kernel!.data },
    initrds,
    append: guest.append,
    smp: options.smp > 1 ? options.smp : DEMO_SMP,
    noReboot: true,
  };
  const source = options.kernelIrqchip ?? DEMO_KERNEL_IRQCHIP;
  const machines = demoMachines(base, source);
  const encoder = new TextEncoder();
  const showConsole = options.serial.kind !== 'none';
  const report = runDemo(
    {
      title: `${guest.kernel.name}${guest.initrd === null ? '' : ` + ${guest.initrd.name}`}, a ${DISK_BYTES >> 20} MiB virtio-blk disk under a snapshot=on overlay`,
      source: machines.source,
      targets: machines.targets,
      stopAt: options.stopAt,
      maxInsns: options.maxInsns ?? DEMO_MAX_INSNS,
    },
    {
      createMachine: (c, host) => snapshotMachineOf(deps.createMachine(c, host)),
      now: deps.now ?? (() => performance.now()),
      print: (line) => io.stdout.write(encoder.encode(`${line}\n`)),
      guestOutput: showConsole ? consoleEcho((bytes) => io.stdout.write(bytes)) : null,
      log: (message) => io.stderr(`godwit: ${message}\n`),
    },
  );
  if (options.savePath !== null && report.snapshot.length > 0) {
    try {
      snapshotFilesOf(deps).write(options.savePath, [report.snapshot]);
    } catch (e) {
      throw new CliFailure(`cannot write snapshot '${options.savePath}': ${ioReason(e)}`);
    }
    io.stdout.write(encoder.encode(`snapshot written to ${options.savePath}\n`));
  }
  return report.ok ? 0 : EXIT_FAILURE;
}
