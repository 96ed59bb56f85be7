/**
 * Multiboot v1 loader (Multiboot 0.6.96, as QEMU's -kernel does it): find the header, load the image
 * (header load addresses when flag 16 is set, else the ELF32 program headers), place the modules
 * (`-initrd a,b`) page-aligned after the kernel, and build the information structure.
 *
 * Layout, like QEMU's: the memory map at 0x9000 and the info structure at 0x9500 (elsewhere in low
 * memory if the kernel is there), then the module list, the command lines and the boot loader name
 * just after the kernel, then the modules, each on a page boundary. Nothing goes into [0, 0x500) or
 * [0x9FC00, 0x100000). The memory information and the map are always filled in.
 */
import type { PhysicalMemory } from '../../src/memory/physical-memory.ts';
import { ConfigError } from '../../src/util/errors.ts';
import type { BootState } from './boot-state.ts';
import { BOOT_GDT_SIZE, bootGdt, bootState } from './boot-state.ts';
import { e820Map, EBDA_START, HIGH_MEMORY, writeE820Entry } from './e820.ts';
import { alignUp, hex, PhysRanges } from './phys-ranges.ts';

/** The header magic, 4-byte aligned within the first MULTIBOOT_SEARCH bytes of the image. */
export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
/** EAX at entry. */
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
export const MULTIBOOT_SEARCH = 8192;

/** Header flag: align modules on 4 KiB boundaries (always done). */
export const MBH_PAGE_ALIGN = 1 << 0;
/** Header flag: wants memory information (always given). */
export const MBH_MEMORY_INFO = 1 << 1;
/** Header flag: wants a video mode (ignored: godwit is headless, as QEMU ignores it). */
export const MBH_VIDEO_MODE = 1 << 2;
/** Header flag: the address fields of the header are valid (the "a.out kludge"). */
export const MBH_AOUT_KLUDGE = 1 << 16;
/** Requirement bits (0..15) that a loader must understand or refuse the image. */
const MBH_KNOWN_REQUIREMENTS = MBH_PAGE_ALIGN | MBH_MEMORY_INFO | MBH_VIDEO_MODE;

/** Info flag: mem_lower and mem_upper are valid. */
export const MBI_MEMORY = 1 << 0;
/** Info flag: boot_device is valid (set as QEMU sets it, so guests see the same flags). */
export const MBI_BOOT_DEVICE = 1 << 1;
/** Info flag: cmdline is valid. */
export const MBI_CMDLINE = 1 << 2;
/** Info flag: mods_count and mods_addr are valid. */
export const MBI_MODS = 1 << 3;
/** Info flag: mmap_length and mmap_addr are valid. */
export const MBI_MMAP = 1 << 6;
/** Info flag: boot_loader_name is valid. */
export const MBI_LOADER_NAME = 1 << 9;

/** Offsets in the info structure. */
export const MBI_FLAGS = 0;
export const MBI_MEM_LOWER = 4;
export const MBI_MEM_UPPER = 8;
export const MBI_BOOT_DEVICE_FIELD = 12;
export const MBI_CMDLINE_ADDR = 16;
export const MBI_MODS_COUNT = 20;
export const MBI_MODS_ADDR = 24;
export const MBI_MMAP_LENGTH = 44;
export const MBI_MMAP_ADDR = 48;
export const MBI_BOOT_LOADER_NAME = 64;
/** Size of the info structure up to and including the framebuffer fields. */
export const MBI_SIZE = 120;
/** Bytes of one module list entry: mod_start, mod_end, string, reserved. */
export const MB_MODULE_SIZE = 16;
/** Bytes of one mmap entry: size (= 20, not counting itself), base u64, length u64, type u32. */
export const MB_MMAP_ENTRY_SIZE = 24;

export const BOOT_LOADER_NAME = 'godwit';
/** boot_device: BIOS drive 0x80, no partition (QEMU's value). */
export const BOOT_DEVICE = 0x8000ffff;

/** Preferred place of the low block (memory map, then the info structure at +0x500), as QEMU. */
const LOW_BLOCK_ADDR = 0x9000;
const LOW_MBI_OFFSET = 0x500;
const LOW_GDT_OFFSET = LOW_MBI_OFFSET + MBI_SIZE + 8;
const LOW_BLOCK_SIZE = LOW_GDT_OFFSET + BOOT_GDT_SIZE;

export interface MultibootHeader {
  /** File offset of the header. */
  offset: number;
  flags: number;
  headerAddr: number;
  loadAddr: number;
  loadEndAddr: number;
  bssEndAddr: number;
  entryAddr: number;
}

export interface BootModule {
  /** The module string: file name, then arguments. */
  name: string;
  data: Uint8Array;
}

/** What we load from the file: fileSize bytes from fileOffset at addr, then zeros up to memSize. */
interface Segment {
  fileOffset: number;
  fileSize: number;
  addr: number;
  memSize: number;
}

/** The first valid multiboot header (magic, flags, checksum summing to 0) or null. */
export function findMultibootHeader(image: Uint8Array): MultibootHeader | null {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const limit = Math.min(image.length, MULTIBOOT_SEARCH) - 12;
  for (let off = 0; off <= limit; off += 4) {
    if (view.getUint32(off, true) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = view.getUint32(off + 4, true);
    const checksum = view.getUint32(off + 8, true);
    if (((MULTIBOOT_HEADER_MAGIC + flags + checksum) | 0) !== 0) continue;
    const field = (i: number): number => (off + 12 + i * 4 + 4 <= image.length ? view.getUint32(off + 12 + i * 4, true) : 0);
    return {
      offset: off,
      flags,
      headerAddr: field(0),
      loadAddr: field(1),
      loadEndAddr: field(2),
      bssEndAddr: field(3),
      entryAddr: field(4),
    };
  }
  return null;
}

/** Segments from the header's address fields (flag 16). */
function aoutSegments(image: Uint8Array, h: MultibootHeader): { segments: Segment[]; entry: number } {
  if (h.offset + 32 > image.length) throw new ConfigError('multiboot header with flag 16 is truncated');
  if (h.headerAddr < h.loadAddr) {
    throw new ConfigError(`multiboot header_addr ${hex(h.headerAddr)} is below load_addr ${hex(h.loadAddr)}`);
  }
  const fileOffset = h.offset - (h.headerAddr - h.loadAddr);
  if (fileOffset < 0) throw new ConfigError(`multiboot load_addr ${hex(h.loadAddr)} lies before the start of the file`);
  let fileSize = image.length - fileOffset;
  if (h.loadEndAddr !== 0) {
    if (h.loadEndAddr < h.loadAddr) {
      throw new ConfigError(`multiboot load_end_addr ${hex(h.loadEndAddr)} is below load_addr ${hex(h.loadAddr)}`);
    }
    fileSize = h.loadEndAddr - h.loadAddr;
    if (fileOffset + fileSize > image.length) {
      throw new ConfigError(`multiboot kernel is ${image.length} bytes, shorter than its load_end_addr ${hex(h.loadEndAddr)} says`);
    }
  }
  let memSize = fileSize;
  if (h.bssEndAddr !== 0) {
    if (h.bssEndAddr < h.loadAddr + fileSize) {
      throw new ConfigError(`multiboot bss_end_addr ${hex(h.bssEndAddr)} is below the end of the loaded image`);
    }
    memSize = h.bssEndAddr - h.loadAddr;
  }
  return { segments: [{ fileOffset, fileSize, addr: h.loadAddr, memSize }], entry: h.entryAddr };
}

const PT_LOAD = 1;

/** Segments from the ELF32 program headers (PT_LOAD at p_paddr). */
function elfSegments(image: Uint8Array): { segments: Segment[]; entry: number } {
  const isElf = image.length >= 52 && image[0] === 0x7f && image[1] === 0x45 && image[2] === 0x4c && image[3] === 0x46;
  if (!isElf) throw new ConfigError('multiboot kernel without load addresses (header flag 16) must be an ELF file');
  if (image[4] !== 1 || image[5] !== 1) throw new ConfigError('multiboot ELF kernel must be 32-bit little-endian (ELFCLASS32)');
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const machine = view.getUint16(18, true);
  if (machine !== 3) throw new ConfigError(`multiboot ELF kernel is for machine ${machine}, not i386 (3)`);
  const entry = view.getUint32(24, true);
  const phoff = view.getUint32(28, true);
  const phentsize = view.getUint16(42, true);
  const phnum = view.getUint16(44, true);
  if (phnum === 0 || phentsize < 32 || phoff + phnum * phentsize > image.length) {
    throw new ConfigError('multiboot ELF kernel has no valid program headers');
  }
  const segments: Segment[] = [];
  let physEntry = entry;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (view.getUint32(ph, true) !== PT_LOAD) continue;
    const fileOffset = view.getUint32(ph + 4, true);
    const vaddr = view.getUint32(ph + 8, true);
    const addr = view.getUint32(ph + 12, true);
    const fileSize = view.getUint32(ph + 16, true);
    const memSize = view.getUint32(ph + 20, true);
    if (memSize === 0) continue;
    if (fileSize > memSize || fileOffset + fileSize > image.length || addr + memSize > 2 ** 32) {
      throw new ConfigError(`multiboot ELF kernel: program header ${i} is malformed`);
    }
    // An entry point given as a virtual address of a segment runs at that segment's physical address.
    if (entry >= vaddr && entry < vaddr + memSize && vaddr !== addr) physEntry = entry - vaddr + addr;
    segments.push({ fileOffset, fileSize, addr, memSize });
  }
  if (segments.length === 0) throw new ConfigError('multiboot ELF kernel has no PT_LOAD segment');
  return { segments, entry: physEntry };
}

const encoder = new TextEncoder();
function cString(text: string): Uint8Array {
  const bytes = encoder.encode(text);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

type LoaderMemory = Pick<PhysicalMemory, 'ramSize' | 'load'>;

/**
 * Load a multiboot kernel whose header is `header`, with modules and a command line. `cmdline` is
 * passed as the kernel's command line as is (QEMU passes "kernel-path args": the caller decides).
 */
export function loadMultiboot(
  mem: LoaderMemory,
  image: Uint8Array,
  header: MultibootHeader,
  modules: readonly BootModule[],
  cmdline: string,
): BootState {
  const unknown = header.flags & 0xffff & ~MBH_KNOWN_REQUIREMENTS;
  if (unknown !== 0) {
    throw new ConfigError(`multiboot header asks for features godwit does not support (flags ${hex(header.flags)})`);
  }
  const { segments, entry } = (header.flags & MBH_AOUT_KLUDGE) !== 0 ? aoutSegments(image, header) : elfSegments(image);

  const ranges = new PhysRanges(mem.ramSize);
  let kernelEnd = 0;
  for (const s of segments) {
    ranges.claim(s.addr, s.addr + s.memSize, 'kernel segment');
    kernelEnd = Math.max(kernelEnd, s.addr + s.memSize);
  }
  for (const s of segments) {
    mem.load(s.addr, image.subarray(s.fileOffset, s.fileOffset + s.fileSize));
    if (s.memSize > s.fileSize) mem.load(s.addr + s.fileSize, new Uint8Array(s.memSize - s.fileSize));
  }

  // The low block: memory map, info structure and GDT, at 0x9000 unless the kernel is there.
  let low: number;
  try {
    low = ranges.place(LOW_BLOCK_SIZE, 16, 'multiboot information', 0x500, EBDA_START, LOW_BLOCK_ADDR);
  } catch {
    low = ranges.place(LOW_BLOCK_SIZE, 16, 'multiboot information', HIGH_MEMORY);
  }
  const mmapAddr = low;
  const mbiAddr = low + LOW_MBI_OFFSET;
  const gdtAddr = low + LOW_GDT_OFFSET;

  // Module list and strings just after the kernel, then the modules on page boundaries.
  const strings = [cString(cmdline), cString(BOOT_LOADER_NAME), ...modules.map((m) => cString(m.name))];
  const stringBytes = strings.reduce((n, s) => n + s.length, 0);
  const listSize = modules.length * MB_MODULE_SIZE;
  const tail = ranges.place(alignUp(listSize + stringBytes, 4), 4, 'multiboot command lines', kernelEnd);
  const stringAddrs: number[] = [];
  let at = tail + listSize;
  for (const s of strings) {
    mem.load(at, s);
    stringAddrs.push(at);
    at += s.length;
  }
  const list = new Uint8Array(listSize);
  const listView = new DataView(list.buffer);
  modules.forEach((m, i) => {
    const start = ranges.place(m.data.length, 4096, `module '${m.name}'`, kernelEnd);
    mem.load(start, m.data);
    listView.setUint32(i * MB_MODULE_SIZE, start, true);
    listView.setUint32(i * MB_MODULE_SIZE + 4, start + m.data.length, true);
    listView.setUint32(i * MB_MODULE_SIZE + 8, stringAddrs[2 + i]!, true);
  });
  mem.load(tail, list);

  const map = e820Map(mem.ramSize);
  const mmap = new Uint8Array(map.length * MB_MMAP_ENTRY_SIZE);
  const mmapView = new DataView(mmap.buffer);
  map.forEach((e, i) => {
    mmapView.setUint32(i * MB_MMAP_ENTRY_SIZE, MB_MMAP_ENTRY_SIZE - 4, true);
    writeE820Entry(mmapView, i * MB_MMAP_ENTRY_SIZE + 4, e);
  });
  mem.load(mmapAddr, mmap);

  const mbi = new Uint8Array(MBI_SIZE);
  const v = new DataView(mbi.buffer);
  v.setUint32(MBI_FLAGS, MBI_MEMORY | MBI_BOOT_DEVICE | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_LOADER_NAME, true);
  v.setUint32(MBI_BOOT_DEVICE_FIELD, BOOT_DEVICE, true);
  v.setUint32(MBI_MEM_LOWER, EBDA_START >>> 10, true);
  v.setUint32(MBI_MEM_UPPER, Math.floor((mem.ramSize - HIGH_MEMORY) / 1024), true);
  v.setUint32(MBI_CMDLINE_ADDR, stringAddrs[0]!, true);
  v.setUint32(MBI_MODS_COUNT, modules.length, true);
  v.setUint32(MBI_MODS_ADDR, tail, true);
  v.setUint32(MBI_MMAP_LENGTH, mmap.length, true);
  v.setUint32(MBI_MMAP_ADDR, mmapAddr, true);
  v.setUint32(MBI_BOOT_LOADER_NAME, stringAddrs[1]!, true);
  mem.load(mbiAddr, mbi);
  mem.load(gdtAddr, bootGdt());

  const state = bootState(entry, gdtAddr);
  state.eax = MULTIBOOT_BOOTLOADER_MAGIC;
  state.ebx = mbiAddr;
  return state;
}
