/**
 * The CPU state a kernel loader asks for at entry. The Machine applies it: protected mode, paging
 * off, interrupts off, EFLAGS = 0x2, CR0 = 0x11, GDTR = {gdtBase, gdtLimit}, CS = cs and
 * DS = ES = FS = GS = SS = ds, all with the flat descriptors the loader wrote into the GDT.
 */
export interface BootState {
  eip: number;
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
  esi: number;
  edi: number;
  ebp: number;
  esp: number;
  /** A GDT the loader wrote into guest memory; cs/ds are selectors of flat 4 GiB 32-bit code/data in it. */
  gdtBase: number;
  gdtLimit: number;
  cs: number;
  ds: number;
}

/** Selector of the flat 32-bit code segment in the boot GDT (Linux's __BOOT_CS). */
export const BOOT_CS = 0x10;
/** Selector of the flat 32-bit data segment in the boot GDT (Linux's __BOOT_DS). */
export const BOOT_DS = 0x18;
/** Bytes of the boot GDT: null, unused, code, data. */
export const BOOT_GDT_SIZE = 32;

/** The boot GDT: two empty slots, then flat code (0x10) and flat data (0x18), base 0, limit 4 GiB. */
export function bootGdt(): Uint8Array {
  const gdt = new Uint8Array(BOOT_GDT_SIZE);
  const view = new DataView(gdt.buffer);
  // Limit 0xFFFFF with G=1 and D=1 (0xCF), present ring-0 code exec/read accessed (0x9B).
  view.setUint32(BOOT_CS, 0x0000ffff, true);
  view.setUint32(BOOT_CS + 4, 0x00cf9b00, true);
  // The same with a present ring-0 data read/write accessed type (0x93).
  view.setUint32(BOOT_DS, 0x0000ffff, true);
  view.setUint32(BOOT_DS + 4, 0x00cf9300, true);
  return gdt;
}

/** A BootState with every register zero and the boot GDT at gdtBase. */
export function bootState(eip: number, gdtBase: number): BootState {
  return {
    eip: eip >>> 0,
    eax: 0,
    ebx: 0,
    ecx: 0,
    edx: 0,
    esi: 0,
    edi: 0,
    ebp: 0,
    esp: 0,
    gdtBase,
    gdtLimit: BOOT_GDT_SIZE - 1,
    cs: BOOT_CS,
    ds: BOOT_DS,
  };
}
