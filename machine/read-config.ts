/**
 * Options (paths) -> MachineConfig (contents): read the kernel and initrd files through a reader
 * the caller gives, and fill in the defaults the Options leave open.
 */
import { ConfigError } from '../src/util/errors.ts';
import type { MachineConfig, NamedBytes } from './machine-config.ts';
import { DEFAULT_KERNEL_IRQCHIP } from './machine-config.ts';
import type { Options } from './options.ts';
import type { BlockBackend } from '../src/block/block-backend.ts';
import type { DriveSpec } from './drive.ts';

/**
 * Whole file contents, at most `maxBytes` of them: throws (an fs error with a `code`, or anything) if
 * the file cannot be read. The Node reader (host/input-file.ts) refuses anything but a regular file
 * (code ENOTREG, with `kind`) and a file larger than `maxBytes` (code EFBIG, with `size`) before it
 * reads a byte.
 */
export type FileReader = (path: string, maxBytes: number) => Uint8Array;

function sizeText(bytes: number): string {
  return bytes % (1 << 20) === 0 ? `${bytes / (1 << 20)} MiB` : `${bytes} bytes`;
}

function readOrFail(readFile: FileReader, path: string, what: string, maxBytes: number, room: string): Uint8Array {
  let data: Uint8Array;
  try {
    data = readFile(path, maxBytes);
  } catch (e) {
    const { code, kind, size } = e as { code?: unknown; kind?: unknown; size?: unknown };
    if (code === 'ENOTREG') throw new ConfigError(`cannot read ${what} '${path}': not a regular file${typeof kind === 'string' ? ` (${kind})` : ''}`);
    if (code === 'EFBIG' && typeof size === 'number') throw new ConfigError(`${what} '${path}' is ${size} bytes, more than ${room}`);
    const reason = typeof code === 'string' ? code : e instanceof Error ? e.message : String(e);
    throw new ConfigError(`cannot read ${what} '${path}': ${reason}`);
  }
  // A reader that does not check the limit itself (a test's, an embedder's).
  if (data.length > maxBytes) throw new ConfigError(`${what} '${path}' is ${data.length} bytes, more than ${room}`);
  return data;
}

/**
 * Opens a drive's backend (machine/host/drives.ts for image files): throws ConfigError with one line
 * naming the drive and what is wrong.
 */
export type DriveOpener = (drive: DriveSpec) => BlockBackend;

function noDrives(drive: DriveSpec): BlockBackend {
  throw new ConfigError(`-drive ${drive.id}: this front end cannot open disk images`);
}

/** `kernelPath` overrides options.kernel (the demo picks its own kernel). */
export function readMachineConfig(
  options: Options,
  readFile: FileReader,
  kernelPath: string | null = options.kernel,
  openDrive: DriveOpener = noDrives,
): MachineConfig {
  // Nothing larger than RAM can be loaded: refuse it before reading (`-kernel /dev/zero` too).
  const ram = options.ramBytes;
  const kernel: NamedBytes | null =
    kernelPath === null ? null : { name: kernelPath, data: readOrFail(readFile, kernelPath, 'kernel', ram, `the ${sizeText(ram)} of RAM`) };
  let left = ram;
  const initrds = options.initrds.map((r) => {
    const room = left === ram ? `the ${sizeText(ram)} of RAM` : `the ${left} bytes of the ${sizeText(ram)} of RAM the initrds before it leave`;
    const data = readOrFail(readFile, r.path, 'initrd', left, room);
    left -= data.length;
    return { name: r.module, data };
  });
  return {
    ramBytes: options.ramBytes,
    smp: options.smp,
    kernelIrqchip: options.kernelIrqchip ?? DEFAULT_KERNEL_IRQCHIP,
    kernel,
    initrds,
    append: options.append ?? '',
    icountShift: options.icountShift,
    noReboot: options.noReboot,
    devices: options.devices,
    drives: options.drives.map((d) => ({ ...d, backend: openDrive(d) })),
    rtcBaseSeconds: options.rtcBaseSeconds,
    cpu: { vendor: options.cpu.vendor, features: { ...options.cpu.features }, leaf15: options.cpu.leaf15 },
  };
}
