/**
 * The boot images as machine state. A machine puts what it was started with (-kernel, -initrd,
 * -append) into fw_cfg, and every boot, the first and each after a guest reset, loads the kernel from
 * there, never from the configuration: a snapshot carries the images, so a guest that resets after a
 * restore boots exactly what the straight run boots, whatever -kernel the restoring machine had.
 *
 * fw_cfg holds bytes (devices/fw-cfg); this module gives them meaning. `initrd` is the files
 * concatenated (QEMU's FW_CFG_INITRD_DATA); `initrdFiles` says where each one is and its module
 * string: per file, u32 LE size, u32 LE length of the module string, the module string in UTF-8.
 * Images from a snapshot are hostile: checkBootImages parses them and loads the kernel into a
 * memory that only checks bounds, so that a restore refuses images that could not boot again.
 */
import { StateError, isConfigError } from '../src/util/errors.ts';
import type { PhysicalMemory } from '../src/memory/physical-memory.ts';
import type { FwCfgBootImages } from '../devices/fw-cfg/fw-cfg.ts';
import { NO_BOOT_IMAGES } from '../devices/fw-cfg/fw-cfg.ts';
import type { MachineConfig, NamedBytes } from './machine-config.ts';
import type { BootState } from './loaders/boot-state.ts';
import { loadKernel } from './loaders/load-kernel.ts';

/** What a boot loads, decoded from the images. */
export interface BootInputs {
  kernel: NamedBytes;
  initrds: NamedBytes[];
  append: string;
}

/** The fw_cfg object and its fields, for messages. */
export const FW_CFG_PATH = '/machine/fw_cfg';

const encoder = new TextEncoder();
const FILE_HEADER = 8;

/** The images of a configuration (shared, not copied, where one file is one image). */
export function bootImagesOf(config: MachineConfig): FwCfgBootImages {
  if (config.kernel === null) return NO_BOOT_IMAGES;
  const names = config.initrds.map((r) => encoder.encode(r.name));
  const table = new Uint8Array(names.reduce((n, name) => n + FILE_HEADER + name.length, 0));
  const view = new DataView(table.buffer);
  let at = 0;
  config.initrds.forEach((r, i) => {
    const name = names[i]!;
    view.setUint32(at, r.data.length, true);
    view.setUint32(at + 4, name.length, true);
    table.set(name, at + FILE_HEADER);
    at += FILE_HEADER + name.length;
  });
  return {
    kernel: config.kernel.data,
    kernelName: encoder.encode(config.kernel.name),
    cmdline: encoder.encode(config.append),
    initrd: config.initrds.length === 1 ? config.initrds[0]!.data : concat(config.initrds.map((r) => r.data)),
    initrdFiles: table,
  };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function utf8(bytes: Uint8Array, field: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new StateError(`${FW_CFG_PATH}.${field}`, 'not UTF-8');
  }
}

/**
 * The kernel, initrds and command line the images hold; null when there is no kernel. Hostile
 * images are a StateError naming the field (`/machine/fw_cfg.initrd_files: ...`).
 */
export function decodeBootImages(images: FwCfgBootImages): BootInputs | null {
  const { kernel, initrd, initrdFiles: table } = images;
  if (kernel.length === 0) {
    const extra = images.kernelName.length + images.cmdline.length + initrd.length + table.length;
    if (extra > 0) throw new StateError(FW_CFG_PATH, 'boot images without a kernel');
    return null;
  }
  const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const initrds: NamedBytes[] = [];
  let at = 0;
  let used = 0;
  while (at < table.length) {
    const where = `${FW_CFG_PATH}.initrd_files`;
    if (table.length - at < FILE_HEADER) throw new StateError(where, `entry ${initrds.length} at byte ${at} is cut short`);
    const size = view.getUint32(at, true);
    const nameLength = view.getUint32(at + 4, true);
    if (nameLength > table.length - at - FILE_HEADER) throw new StateError(where, `module string of entry ${initrds.length} runs past the end`);
    if (size > initrd.length - used) {
      throw new StateError(where, `entry ${initrds.length} (${size} bytes at ${used}) runs past the ${initrd.length}-byte initrd`);
    }
    const name = utf8(table.subarray(at + FILE_HEADER, at + FILE_HEADER + nameLength), 'initrd_files');
    initrds.push({ name, data: initrd.subarray(used, used + size) });
    used += size;
    at += FILE_HEADER + nameLength;
  }
  if (used !== initrd.length) {
    throw new StateError(`${FW_CFG_PATH}.initrd_files`, `the files account for ${used} of the ${initrd.length} initrd bytes`);
  }
  return {
    kernel: { name: utf8(images.kernelName, 'kernel_name'), data: kernel },
    initrds,
    append: utf8(images.cmdline, 'cmdline'),
  };
}

/** Loads the kernel the images hold into `mem`; null (nothing loaded) without a kernel. */
export function bootFromImages(mem: Pick<PhysicalMemory, 'ramSize' | 'load'>, images: FwCfgBootImages): BootState | null {
  const inputs = decodeBootImages(images);
  if (inputs === null) return null;
  return loadKernel(mem, inputs.kernel.data, inputs.initrds, inputs.append, { kernelName: inputs.kernel.name });
}

/**
 * Checks images from an untrusted source: they decode, and the kernel loads into `ramBytes` of RAM
 * (into a memory that checks bounds and stores nothing). A StateError naming fw_cfg otherwise.
 */
export function checkBootImages(images: FwCfgBootImages, ramBytes: number): void {
  const dryRun = {
    ramSize: ramBytes,
    load(addr: number, bytes: Uint8Array): void {
      if (addr < 0 || addr + bytes.length > ramBytes) {
        throw new StateError(`${FW_CFG_PATH}.kernel`, `an image of ${bytes.length} bytes at 0x${addr.toString(16)} does not fit in RAM`);
      }
    },
  };
  try {
    bootFromImages(dryRun, images);
  } catch (e) {
    if (isConfigError(e)) throw new StateError(`${FW_CFG_PATH}.kernel`, `cannot boot: ${e.message.split('\n')[0] ?? ''}`);
    throw e;
  }
}

const IMAGE_FIELDS = ['kernel', 'kernel_name', 'cmdline', 'initrd', 'initrd_files'] as const;

/** The images in a saved fw_cfg node (fw_cfg_io version 2), or a StateError naming the field. */
export function bootImagesOfNode(fields: Readonly<Record<string, unknown>>): FwCfgBootImages {
  const get = (name: (typeof IMAGE_FIELDS)[number]): Uint8Array => {
    const value = Object.hasOwn(fields, name) ? fields[name] : undefined;
    if (!(value instanceof Uint8Array)) throw new StateError(`${FW_CFG_PATH}.${name}`, 'expected a byte string');
    return value;
  };
  return { kernel: get('kernel'), kernelName: get('kernel_name'), cmdline: get('cmdline'), initrd: get('initrd'), initrdFiles: get('initrd_files') };
}
