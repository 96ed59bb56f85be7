/**
 * The PC memory map both loaders hand over (Linux's e820 table, multiboot's mmap): RAM below the
 * EBDA, the EBDA and the BIOS area reserved, RAM from 1 MiB to the top.
 */

/** e820 type: usable RAM. */
export const E820_RAM = 1;
/** e820 type: reserved, not usable. */
export const E820_RESERVED = 2;

/** Start of the extended BIOS data area: conventional RAM ends here (639 KiB). */
export const EBDA_START = 0x9fc00;
/** The VGA hole ends here; the reserved BIOS area follows at 0xF0000. */
export const VGA_END = 0xa0000;
/** Start of the system BIOS area (the MP table lives here). */
export const BIOS_START = 0xf0000;
/** 1 MiB: extended memory starts here. */
export const HIGH_MEMORY = 0x100000;

export interface E820Entry {
  base: number;
  length: number;
  type: number;
}

/** The usual map for a PC with ramBytes of RAM (>= 1 MiB). */
export function e820Map(ramBytes: number): E820Entry[] {
  const map: E820Entry[] = [
    { base: 0, length: EBDA_START, type: E820_RAM },
    { base: EBDA_START, length: VGA_END - EBDA_START, type: E820_RESERVED },
    { base: BIOS_START, length: HIGH_MEMORY - BIOS_START, type: E820_RESERVED },
  ];
  if (ramBytes > HIGH_MEMORY) map.push({ base: HIGH_MEMORY, length: ramBytes - HIGH_MEMORY, type: E820_RAM });
  return map;
}

/** Bytes of one entry in Linux's boot_params e820 table: addr u64, size u64, type u32. */
export const E820_ENTRY_SIZE = 20;

/** Write entry as {addr u64, size u64, type u32} at offset of a DataView (little endian). */
export function writeE820Entry(view: DataView, offset: number, entry: E820Entry): void {
  view.setUint32(offset, entry.base >>> 0, true);
  view.setUint32(offset + 4, Math.floor(entry.base / 2 ** 32), true);
  view.setUint32(offset + 8, entry.length >>> 0, true);
  view.setUint32(offset + 12, Math.floor(entry.length / 2 ** 32), true);
  view.setUint32(offset + 16, entry.type, true);
}
