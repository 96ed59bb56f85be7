/**
 * QEMU's fw_cfg, traditional I/O interface: selector at 0x510 (offset 0; 16-bit write, a byte write
 * selects too), data at 0x511 (offset 1; byte reads with an auto-incrementing offset; reading past
 * the end of an item, or an unknown item, returns 0). No DMA interface (FW_CFG_ID bit 1 clear).
 * Writes to the data port are ignored, as on QEMU since 2.4.
 *
 * Two kinds of items. Configuration items (signature, RAM size, CPU counts) are built by the machine
 * from its configuration and are not state. The boot images (-kernel, -initrd, -append) are state:
 * a reset boots from them, so they travel in snapshots (as varbytes: binary blobs), and a machine
 * restored from a snapshot reboots into the snapshot's kernel whatever it was started with. The
 * guest reads them as QEMU's keys: KERNEL_SIZE/DATA, INITRD_SIZE/DATA, CMDLINE_SIZE/DATA.
 */
import type { PortDevice } from '../../src/bus/io-bus.ts';
import type { StateObject } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';

/** "QEMU". */
export const FW_CFG_SIGNATURE = 0x0000;
/** Interface id: bit 0 traditional interface, bit 1 DMA. */
export const FW_CFG_ID = 0x0001;
/** RAM size, u64 little-endian. */
export const FW_CFG_RAM_SIZE = 0x0003;
/** Boot CPU count (nb_cpus), u16 little-endian. */
export const FW_CFG_NB_CPUS = 0x0005;
/** Maximum CPU count, u16 little-endian. */
export const FW_CFG_MAX_CPUS = 0x000f;
/** Kernel image size, u32 little-endian. */
export const FW_CFG_KERNEL_SIZE = 0x0008;
/** Initrd size, u32 little-endian. */
export const FW_CFG_INITRD_SIZE = 0x000b;
/** The kernel image. */
export const FW_CFG_KERNEL_DATA = 0x0011;
/** The initrd (all -initrd files, concatenated). */
export const FW_CFG_INITRD_DATA = 0x0012;
/** Command line size with its NUL, u32 little-endian. */
export const FW_CFG_CMDLINE_SIZE = 0x0014;
/** The command line (-append), NUL-terminated. */
export const FW_CFG_CMDLINE_DATA = 0x0015;
/** Selector value meaning "nothing selected". */
export const FW_CFG_INVALID = 0xffff;

/** fw_cfg item sizes are u32: the largest boot image a snapshot may declare. */
export const FW_CFG_MAX_ITEM = 0xffffffff;

/**
 * What a reset boots, as fw_cfg holds it. All byte strings; the machine gives them meaning
 * (machine/boot-images.ts) and checks them before it loads a snapshot's.
 */
export interface FwCfgBootImages {
  /** The -kernel file; empty when the machine has no kernel. */
  readonly kernel: Uint8Array;
  /** The kernel's file name, UTF-8 (a multiboot kernel's command line starts with it). */
  readonly kernelName: Uint8Array;
  /** -append, UTF-8, without a NUL. */
  readonly cmdline: Uint8Array;
  /** The -initrd files, concatenated. */
  readonly initrd: Uint8Array;
  /** Where each -initrd file is in `initrd` and its module string (machine/boot-images.ts's table). */
  readonly initrdFiles: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** No kernel: every image empty. */
export const NO_BOOT_IMAGES: FwCfgBootImages = { kernel: EMPTY, kernelName: EMPTY, cmdline: EMPTY, initrd: EMPTY, initrdFiles: EMPTY };

/** Little-endian encodings for building the item map. */
export function fwCfgU16(value: number): Uint8Array {
  return Uint8Array.of(value & 0xff, (value >> 8) & 0xff);
}
export function fwCfgU32(value: number): Uint8Array {
  return Uint8Array.of(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff);
}
export function fwCfgU64(value: bigint | number): Uint8Array {
  const out = new Uint8Array(8);
  let v = BigInt.asUintN(64, BigInt(value));
  for (let i = 0; i < 8; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export class FwCfg implements PortDevice, StateObject {
  readonly typeName = 'fw_cfg_io';
  readonly stateVersion = 2;
  /** Configuration items. */
  private readonly items: ReadonlyMap<number, Uint8Array>;
  /** The boot images (state) and the items derived from them. */
  private boot: FwCfgBootImages = NO_BOOT_IMAGES;
  private bootItems: ReadonlyMap<number, Uint8Array> = new Map();
  curEntry = FW_CFG_INVALID;
  curOffset = 0;

  /** `items` maps a selector key to its bytes; signature and id are supplied if missing. */
  constructor(items: ReadonlyMap<number, Uint8Array>, boot: FwCfgBootImages = NO_BOOT_IMAGES) {
    const all = new Map(items);
    if (!all.has(FW_CFG_SIGNATURE)) all.set(FW_CFG_SIGNATURE, Uint8Array.of(0x51, 0x45, 0x4d, 0x55));
    if (!all.has(FW_CFG_ID)) all.set(FW_CFG_ID, fwCfgU32(1));
    this.items = all;
    this.setBootImages(boot);
  }

  /** The images a reset boots (shared, not copied: treat as read-only). */
  bootImages(): FwCfgBootImages {
    return this.boot;
  }

  /** Replaces the boot images (the machine does this once, from its configuration). */
  setBootImages(boot: FwCfgBootImages): void {
    this.boot = boot;
    const items = new Map<number, Uint8Array>();
    if (boot.kernel.length > 0) {
      const cmdline = new Uint8Array(boot.cmdline.length + 1);
      cmdline.set(boot.cmdline);
      items.set(FW_CFG_KERNEL_SIZE, fwCfgU32(boot.kernel.length));
      items.set(FW_CFG_KERNEL_DATA, boot.kernel);
      items.set(FW_CFG_INITRD_SIZE, fwCfgU32(boot.initrd.length));
      items.set(FW_CFG_INITRD_DATA, boot.initrd);
      items.set(FW_CFG_CMDLINE_SIZE, fwCfgU32(cmdline.length));
      items.set(FW_CFG_CMDLINE_DATA, cmdline);
    }
    this.bootItems = items;
  }

  /** Power-on state of the interface; the boot images stay (they are what the reset boots). */
  reset(): void {
    this.curEntry = FW_CFG_INVALID;
    this.curOffset = 0;
  }

  private select(key: number): void {
    this.curEntry = key & 0xffff;
    this.curOffset = 0;
  }

  ioWrite(offset: number, _size: number, value: number): void {
    if (offset === 0) this.select(value);
    // offset 1: data port writes are ignored
  }

  ioRead(offset: number, size: number): number {
    if (offset === 0 && size === 2) return 0xffff; // the selector is write-only
    let value = 0;
    for (let i = 0; i < size; i++) value |= this.readByte() << (8 * i);
    return value >>> 0;
  }

  private readByte(): number {
    const item = this.items.get(this.curEntry) ?? this.bootItems.get(this.curEntry);
    if (item === undefined || this.curOffset >= item.length) return 0;
    return item[this.curOffset++]!;
  }

  visit(v: Visitor): void {
    this.curEntry = v.u16('cur_entry', this.curEntry);
    this.curOffset = v.u32('cur_offset', this.curOffset);
    const b = this.boot;
    const boot: FwCfgBootImages = {
      kernel: v.varBytes('kernel', b.kernel, FW_CFG_MAX_ITEM),
      kernelName: v.varBytes('kernel_name', b.kernelName, FW_CFG_MAX_ITEM),
      cmdline: v.varBytes('cmdline', b.cmdline, FW_CFG_MAX_ITEM),
      initrd: v.varBytes('initrd', b.initrd, FW_CFG_MAX_ITEM),
      initrdFiles: v.varBytes('initrd_files', b.initrdFiles, FW_CFG_MAX_ITEM),
    };
    if (v.mode === 'load') this.setBootImages(boot);
  }
}
