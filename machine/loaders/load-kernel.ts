/**
 * `-kernel`: detect the image format and load it, as QEMU does: a multiboot v1 header first, then a
 * Linux bzImage. Anything else is a ConfigError saying what the file is not.
 */
import type { PhysicalMemory } from '../../src/memory/physical-memory.ts';
import { ConfigError } from '../../src/util/errors.ts';
import type { MachineConfig } from '../machine-config.ts';
import type { BootState } from './boot-state.ts';
import { isBzImage, loadBzImage } from './bzimage.ts';
import { findMultibootHeader, loadMultiboot } from './multiboot.ts';

export type KernelFormat = 'multiboot' | 'bzimage';

export interface KernelOptions {
  /**
   * The kernel's file name. A multiboot kernel then gets "name cmdline" as its command line, as
   * QEMU and GRUB pass it; a Linux kernel gets cmdline alone.
   */
  kernelName?: string;
}

/** The format of a kernel image, or null if it is neither multiboot nor a bzImage. */
export function detectKernelFormat(kernel: Uint8Array): KernelFormat | null {
  if (findMultibootHeader(kernel) !== null) return 'multiboot';
  if (isBzImage(kernel)) return 'bzimage';
  return null;
}

export function loadKernel(
  mem: Pick<PhysicalMemory, 'ramSize' | 'load'>,
  kernel: Uint8Array,
  initrds: readonly { name: string; data: Uint8Array }[],
  cmdline: string,
  options: KernelOptions = {},
): BootState {
  const header = findMultibootHeader(kernel);
  if (header !== null) {
    const line = options.kernelName === undefined ? cmdline : `${options.kernelName} ${cmdline}`;
    return loadMultiboot(mem, kernel, header, initrds, line);
  }
  if (isBzImage(kernel)) return loadBzImage(mem, kernel, initrds, cmdline);
  const isElf = kernel.length >= 4 && kernel[0] === 0x7f && kernel[1] === 0x45 && kernel[2] === 0x4c && kernel[3] === 0x46;
  if (isElf) {
    throw new ConfigError('kernel is an ELF file without a multiboot header in its first 8 KiB (godwit boots multiboot v1 and Linux bzImage kernels)');
  }
  throw new ConfigError('kernel format not recognised (godwit boots multiboot v1 and Linux bzImage kernels)');
}

/** Load config.kernel (with its initrds and -append) into mem; null when there is no kernel. */
export function loadKernelFromConfig(mem: Pick<PhysicalMemory, 'ramSize' | 'load'>, config: MachineConfig): BootState | null {
  if (config.kernel === null) return null;
  return loadKernel(mem, config.kernel.data, config.initrds, config.append, { kernelName: config.kernel.name });
}
