/**
 * Linux bzImage loader, 32-bit boot protocol (Documentation/arch/x86/boot.rst, zero-page.rst): the
 * protected-mode code goes to 0x100000, a zero page (boot_params) gets a copy of the setup header
 * plus what a boot loader fills in (type_of_loader, heap, command line, initrd, e820 table), and
 * the CPU enters at code32_start with ESI = boot_params and flat segments 0x10/0x18.
 *
 * Placement, like QEMU's: boot_params at 0x10000, the GDT after it, the command line at 0x20000; the
 * initrd (all `-initrd` files concatenated) as high as initrd_addr_max and RAM allow, above the
 * memory the kernel decompresses into.
 */
import type { PhysicalMemory } from '../../src/memory/physical-memory.ts';
import { ConfigError } from '../../src/util/errors.ts';
import type { BootState } from './boot-state.ts';
import { BOOT_GDT_SIZE, bootGdt, bootState } from './boot-state.ts';
import { E820_ENTRY_SIZE, e820Map, EBDA_START, HIGH_MEMORY, writeE820Entry } from './e820.ts';
import { alignUp, hex, PhysRanges } from './phys-ranges.ts';

// Offsets in the file's first sector and in boot_params (the setup header is at the same offset in both).
/** alt_mem_k u32: KiB of memory above 1 MiB. */
export const BP_ALT_MEM_K = 0x1e0;
/** e820_entries u8. */
export const BP_E820_ENTRIES = 0x1e8;
/** setup_sects u8 (0 means 4). */
export const BP_SETUP_SECTS = 0x1f1;
/** boot_flag u16 = 0xAA55. */
export const BP_BOOT_FLAG = 0x1fe;
/** The jump instruction; its second byte gives the length of the header after 0x202. */
export const BP_JUMP = 0x200;
/** header "HdrS". */
export const BP_HEADER = 0x202;
/** version u16 of the boot protocol. */
export const BP_VERSION = 0x206;
/** type_of_loader u8. */
export const BP_TYPE_OF_LOADER = 0x210;
/** loadflags u8. */
export const BP_LOADFLAGS = 0x211;
/** code32_start u32: the 32-bit entry point. */
export const BP_CODE32_START = 0x214;
/** ramdisk_image u32. */
export const BP_RAMDISK_IMAGE = 0x218;
/** ramdisk_size u32. */
export const BP_RAMDISK_SIZE = 0x21c;
/** heap_end_ptr u16. */
export const BP_HEAP_END_PTR = 0x224;
/** cmd_line_ptr u32. */
export const BP_CMD_LINE_PTR = 0x228;
/** initrd_addr_max u32 (protocol 2.03+): highest address the initrd may occupy. */
export const BP_INITRD_ADDR_MAX = 0x22c;
/** kernel_alignment u32 (2.05+). */
export const BP_KERNEL_ALIGNMENT = 0x230;
/** relocatable_kernel u8 (2.05+). */
export const BP_RELOCATABLE = 0x234;
/** xloadflags u16 (2.12+). */
export const BP_XLOADFLAGS = 0x236;
/** cmdline_size u32 (2.06+): longest command line, without the NUL. */
export const BP_CMDLINE_SIZE = 0x238;
/** pref_address u64 (2.10+): where a non-relocatable kernel runs. */
export const BP_PREF_ADDRESS = 0x258;
/** init_size u32 (2.10+): memory the kernel needs from where it runs. */
export const BP_INIT_SIZE = 0x260;
/** e820_table: 20-byte entries. */
export const BP_E820_TABLE = 0x2d0;
/** Entries the zero page holds. */
export const E820_MAX_ENTRIES = 128;
/** End of the setup header area in boot_params (the padding before e820_table starts here). */
const SETUP_HEADER_LIMIT = 0x290;

/** loadflags: the protected-mode code loads at 0x100000 (bzImage). */
export const LOADED_HIGH = 1 << 0;
/** loadflags: heap_end_ptr is valid. */
export const CAN_USE_HEAP = 1 << 7;

/** xloadflags: the kernel accepts an initrd anywhere below 4 GiB and above (initrd_addr_max is stale). */
export const XLF_CAN_BE_LOADED_ABOVE_4G = 1 << 1;

/** "HdrS" read as a little-endian u32. */
export const HDRS_MAGIC = 0x53726448;
/** type_of_loader: no registered ID. */
export const LOADER_TYPE_UNDEFINED = 0xff;
/** heap_end_ptr: the setup heap ends 0xFE00 + 0x200 bytes after the real-mode code, as QEMU sets it. */
export const HEAP_END_PTR = 0xfe00;

export const BOOT_PARAMS_ADDR = 0x10000;
export const BOOT_PARAMS_SIZE = 0x1000;
export const GDT_ADDR = BOOT_PARAMS_ADDR + BOOT_PARAMS_SIZE;
export const CMDLINE_ADDR = 0x20000;
/** Protected-mode code and entry point. */
export const KERNEL_ADDR = HIGH_MEMORY;

/** initrd_addr_max before protocol 2.03. */
const OLD_INITRD_ADDR_MAX = 0x37ffffff;
/** Command-line limit before protocol 2.06. */
const OLD_CMDLINE_SIZE = 255;

export interface SetupInfo {
  version: number;
  setupSects: number;
  loadflags: number;
  initrdAddrMax: number;
  kernelAlignment: number;
  relocatable: boolean;
  cmdlineSize: number;
  prefAddress: number;
  initSize: number;
  /** End of the setup header in the file: 0x202 + the byte at 0x201. */
  headerEnd: number;
}

/** True when the image carries a Linux setup header ("HdrS" at 0x202). */
export function isBzImage(image: Uint8Array): boolean {
  if (image.length < BP_HEADER + 4) return false;
  return new DataView(image.buffer, image.byteOffset, image.byteLength).getUint32(BP_HEADER, true) === HDRS_MAGIC;
}

/** Parse and check the setup header; a ConfigError for images we cannot boot. */
export function parseSetupHeader(image: Uint8Array): SetupInfo {
  if (!isBzImage(image)) throw new ConfigError('kernel has no Linux setup header ("HdrS" at 0x202)');
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const version = view.getUint16(BP_VERSION, true);
  const versionText = `${version >> 8}.${(version & 0xff).toString().padStart(2, '0')}`;
  if (version < 0x202) {
    throw new ConfigError(`Linux boot protocol ${versionText} is too old (godwit needs 2.02 or later)`);
  }
  const headerEnd = Math.min(BP_HEADER + image[BP_JUMP + 1]!, SETUP_HEADER_LIMIT);
  if (image.length < Math.max(headerEnd, BP_CMD_LINE_PTR + 4)) throw new ConfigError('Linux kernel image is truncated');
  if (view.getUint16(BP_BOOT_FLAG, true) !== 0xaa55) throw new ConfigError('Linux kernel image has no boot flag 0xAA55');
  const loadflags = image[BP_LOADFLAGS]!;
  if ((loadflags & LOADED_HIGH) === 0) throw new ConfigError('zImage kernels are not supported (build a bzImage)');
  const field32 = (off: number, minVersion: number, dflt: number): number =>
    version >= minVersion && off + 4 <= headerEnd ? view.getUint32(off, true) : dflt;
  const field8 = (off: number, minVersion: number, dflt: number): number =>
    version >= minVersion && off + 1 <= headerEnd ? image[off]! : dflt;
  const setupSects = image[BP_SETUP_SECTS]! === 0 ? 4 : image[BP_SETUP_SECTS]!;
  // As QEMU: a kernel that may have its initrd above 4 GiB takes it anywhere in 32-bit space.
  const xloadflags = field8(BP_XLOADFLAGS, 0x20c, 0);
  const initrdAddrMax = (xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G) !== 0 ? 0xffffffff : field32(BP_INITRD_ADDR_MAX, 0x203, OLD_INITRD_ADDR_MAX);
  return {
    version,
    setupSects,
    loadflags,
    initrdAddrMax,
    kernelAlignment: field32(BP_KERNEL_ALIGNMENT, 0x205, 0),
    relocatable: field8(BP_RELOCATABLE, 0x205, 0) !== 0,
    cmdlineSize: field32(BP_CMDLINE_SIZE, 0x206, OLD_CMDLINE_SIZE),
    prefAddress: field32(BP_PREF_ADDRESS, 0x20a, KERNEL_ADDR),
    initSize: field32(BP_INIT_SIZE, 0x20a, 0),
    headerEnd,
  };
}

/**
 * Where the kernel will run and how much it needs there: a relocatable kernel moves itself to
 * kernel_alignment above where it was loaded, but never below pref_address (LOAD_PHYSICAL_ADDR);
 * a fixed one runs at pref_address. init_size bytes from there (2.10+), else the loaded image.
 */
export function kernelRuntimeEnd(info: SetupInfo, loadedSize: number): number {
  if (info.version < 0x20a || info.initSize === 0) return KERNEL_ADDR + loadedSize;
  const align = info.kernelAlignment > 0 ? info.kernelAlignment : 1;
  const base = info.relocatable ? Math.max(alignUp(KERNEL_ADDR, align), info.prefAddress) : info.prefAddress;
  return Math.max(base + info.initSize, KERNEL_ADDR + loadedSize);
}

type LoaderMemory = Pick<PhysicalMemory, 'ramSize' | 'load'>;

const encoder = new TextEncoder();

/** Load a bzImage with its initrds (concatenated) and command line. */
export function loadBzImage(
  mem: LoaderMemory,
  image: Uint8Array,
  initrds: readonly { name: string; data: Uint8Array }[],
  cmdline: string,
): BootState {
  const info = parseSetupHeader(image);
  const pmOffset = (info.setupSects + 1) * 512;
  if (pmOffset >= image.length) throw new ConfigError('Linux kernel image has no protected-mode code after its setup sectors');
  const pmCode = image.subarray(pmOffset);
  const runtimeEnd = kernelRuntimeEnd(info, pmCode.length);
  if (runtimeEnd > mem.ramSize) {
    throw new ConfigError(
      `the kernel needs RAM up to ${hex(runtimeEnd)} (${Math.ceil(runtimeEnd / (1 << 20))} MiB) but there is ` +
        `${Math.floor(mem.ramSize / (1 << 20))} MiB; use -m`,
    );
  }
  const cmdBytes = encoder.encode(cmdline);
  if (cmdBytes.length > info.cmdlineSize) {
    throw new ConfigError(`kernel command line is ${cmdBytes.length} bytes; this kernel accepts at most ${info.cmdlineSize}`);
  }

  const ranges = new PhysRanges(mem.ramSize);
  ranges.claim(BOOT_PARAMS_ADDR, BOOT_PARAMS_ADDR + BOOT_PARAMS_SIZE, 'boot_params');
  ranges.claim(GDT_ADDR, GDT_ADDR + BOOT_GDT_SIZE, 'boot GDT');
  const cmdAddr = ranges.place(cmdBytes.length + 1, 16, 'kernel command line', CMDLINE_ADDR, EBDA_START, CMDLINE_ADDR);
  ranges.claim(KERNEL_ADDR, runtimeEnd, 'kernel');
  mem.load(KERNEL_ADDR, pmCode);
  const cmd = new Uint8Array(cmdBytes.length + 1);
  cmd.set(cmdBytes);
  mem.load(cmdAddr, cmd);

  let initrdAddr = 0;
  let initrdSize = 0;
  if (initrds.length > 0) {
    initrdSize = initrds.reduce((n, r) => n + r.data.length, 0);
    // initrd_addr_max is the highest address the initrd may occupy, so it may end one byte later.
    initrdAddr = ranges.placeHigh(initrdSize, 4096, 'initrd', runtimeEnd, info.initrdAddrMax + 1);
    let at = initrdAddr;
    for (const r of initrds) {
      mem.load(at, r.data);
      at += r.data.length;
    }
  }

  const bp = new Uint8Array(BOOT_PARAMS_SIZE);
  const v = new DataView(bp.buffer);
  bp.set(image.subarray(BP_SETUP_SECTS, info.headerEnd), BP_SETUP_SECTS);
  bp[BP_TYPE_OF_LOADER] = LOADER_TYPE_UNDEFINED;
  bp[BP_LOADFLAGS] = info.loadflags | CAN_USE_HEAP;
  v.setUint16(BP_HEAP_END_PTR, HEAP_END_PTR, true);
  v.setUint32(BP_CODE32_START, KERNEL_ADDR, true);
  v.setUint32(BP_CMD_LINE_PTR, cmdAddr, true);
  v.setUint32(BP_RAMDISK_IMAGE, initrdAddr, true);
  v.setUint32(BP_RAMDISK_SIZE, initrdSize, true);
  v.setUint32(BP_ALT_MEM_K, Math.floor((mem.ramSize - HIGH_MEMORY) / 1024), true);
  const map = e820Map(mem.ramSize).slice(0, E820_MAX_ENTRIES);
  bp[BP_E820_ENTRIES] = map.length;
  map.forEach((e, i) => writeE820Entry(v, BP_E820_TABLE + i * E820_ENTRY_SIZE, e));
  mem.load(BOOT_PARAMS_ADDR, bp);
  mem.load(GDT_ADDR, bootGdt());

  const state = bootState(KERNEL_ADDR, GDT_ADDR);
  state.esi = BOOT_PARAMS_ADDR;
  return state;
}
