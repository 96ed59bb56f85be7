/**
 * Options (paths) -> MachineConfig (contents): read the kernel and initrd files through a reader
 * the caller gives, and fill in the defaults the Options leave open.
 */
import { ConfigError } from '../src/util/errors.ts';
import type { MachineConfig, NamedBytes } from './machine-config.ts';
import { DEFAULT_KERNEL_IRQCHIP } from './machine-config.ts';
import type { Options } from './options.ts';

/** Whole file contents; throws (an fs error with a `code`, or anything) if the file cannot be read. */
export type FileReader = (path: string) => Uint8Array;

function readOrFail(readFile: FileReader, path: string, what: string): Uint8Array {
  try {
    return readFile(path);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const reason = typeof code === 'string' ? code : e instanceof Error ? e.message : String(e);
    throw new ConfigError(`cannot read ${what} '${path}': ${reason}`);
  }
}

/** `kernelPath` overrides options.kernel (the demo picks its own kernel). */
export function readMachineConfig(options: Options, readFile: FileReader, kernelPath: string | null = options.kernel): MachineConfig {
  const kernel: NamedBytes | null = kernelPath === null ? null : { name: kernelPath, data: readOrFail(readFile, kernelPath, 'kernel') };
  const initrds = options.initrds.map((r) => ({ name: r.module, data: readOrFail(readFile, r.path, 'initrd') }));
  return {
    ramBytes: options.ramBytes,
    smp: options.smp,
    kernelIrqchip: options.kernelIrqchip ?? DEFAULT_KERNEL_IRQCHIP,
    kernel,
    initrds,
    append: options.append ?? '',
    icountShift: options.icountShift,
    noReboot: options.noReboot,
    debugExit: options.debugExit,
    testdev: options.testdev,
    rtcBaseSeconds: options.rtcBaseSeconds,
    cpu: { vendor: options.cpu.vendor, features: { ...options.cpu.features }, leaf15: options.cpu.leaf15 },
  };
}
