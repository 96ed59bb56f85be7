import { describe, expect, it } from 'vitest';
import { PhysicalMemory } from '../../../src/memory/physical-memory.ts';
import { isConfigError } from '../../../src/util/errors.ts';
import { BOOT_CS, BOOT_DS } from '../../../machine/loaders/boot-state.ts';
import { findMultibootHeader, loadMultiboot, MBI_BOOT_DEVICE, MBI_CMDLINE, MBI_LOADER_NAME, MBI_MEMORY, MBI_MMAP, MBI_MODS } from '../../../machine/loaders/multiboot.ts';
import { buildElf, filled, multibootHeader } from './images.ts';

const MIB = 1 << 20;

function cstr(mem: PhysicalMemory, addr: number): string {
  let end = addr;
  while (mem.u8[end] !== 0) end++;
  return new TextDecoder().decode(mem.u8.subarray(addr, end));
}

function load(mem: PhysicalMemory, image: Uint8Array, modules: { name: string; data: Uint8Array }[] = [], cmdline = '') {
  const header = findMultibootHeader(image);
  if (header === null) throw new Error('no header');
  return loadMultiboot(mem, image, header, modules, cmdline);
}

function expectConfigError(f: () => unknown, pattern: RegExp): void {
  let caught: unknown = null;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(isConfigError(caught), String(caught)).toBe(true);
  expect((caught as Error).message).toMatch(pattern);
}

describe('multiboot header', () => {
  it('is found 4-byte aligned within 8 KiB with a valid checksum only', () => {
    const img = new Uint8Array(0x3000);
    img.set(multibootHeader(3), 0x1ff0);
    expect(findMultibootHeader(img)?.offset).toBe(0x1ff0);
    expect(findMultibootHeader(img)?.flags).toBe(3);
    const late = new Uint8Array(0x3000);
    late.set(multibootHeader(3), 0x2000);
    expect(findMultibootHeader(late)).toBeNull();
    const unaligned = new Uint8Array(0x1000);
    unaligned.set(multibootHeader(3), 0x102);
    expect(findMultibootHeader(unaligned)).toBeNull();
    const bad = multibootHeader(3);
    bad[8]! ^= 1;
    const badImg = new Uint8Array(0x1000);
    badImg.set(bad, 0x100);
    expect(findMultibootHeader(badImg)).toBeNull();
  });
});

describe('multiboot ELF loading', () => {
  const text = filled(0x1800, 0xaa);
  const data = filled(0x100, 0xbb);
  const image = buildElf(
    0x100010,
    [
      { vaddr: 0x100000, paddr: 0x100000, data: text, memSize: text.length },
      { vaddr: 0x102000, paddr: 0x102000, data, memSize: 0x3000 }, // bss up to 0x105000
    ],
    multibootHeader(3),
  );

  it('loads PT_LOAD segments at p_paddr, zeroes bss, and enters at e_entry', () => {
    const mem = new PhysicalMemory(16 * MIB);
    mem.u8.fill(0x55, 0x102100, 0x105000); // bss must be zeroed, whatever was there
    const s = load(mem, image);
    expect(mem.u8.subarray(0x100000, 0x101800).every((b) => b === 0xaa)).toBe(true);
    expect(mem.u8.subarray(0x102000, 0x102100).every((b) => b === 0xbb)).toBe(true);
    expect(mem.u8.subarray(0x102100, 0x105000).every((b) => b === 0)).toBe(true);
    expect(s.eip).toBe(0x100010);
    expect(s.eax).toBe(0x2badb002);
    expect(s.cs).toBe(BOOT_CS);
    expect(s.ds).toBe(BOOT_DS);
    expect([s.ecx, s.edx, s.esi, s.edi, s.ebp, s.esp]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('fills the info structure: memory, cmdline, modules, mmap, loader name', () => {
    const mem = new PhysicalMemory(64 * MIB);
    const mods = [
      { name: 'mod1.bin arg=1', data: filled(5000, 0x11) },
      { name: 'mod2.bin', data: filled(10, 0x22) },
    ];
    const s = load(mem, image, mods, 'console=ttyS0 x');
    const mbi = s.ebx;
    expect(mbi).toBe(0x9500);
    const r = (off: number): number => mem.read32(mbi + off);
    expect(r(0)).toBe(MBI_MEMORY | MBI_BOOT_DEVICE | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_LOADER_NAME);
    expect(r(0)).toBe(0x24f); // the flags QEMU passes
    expect(r(12)).toBe(0x8000ffff);
    expect(r(4)).toBe(639);
    expect(r(8)).toBe(63 * 1024);
    expect(cstr(mem, r(16))).toBe('console=ttyS0 x');
    expect(cstr(mem, r(64))).toBe('godwit');
    // Modules: count 2, page aligned after the kernel's bss end (0x105000), in order, with strings.
    expect(r(20)).toBe(2);
    const list = r(24);
    expect(list).toBeGreaterThanOrEqual(0x105000);
    const m0 = [mem.read32(list), mem.read32(list + 4), mem.read32(list + 8), mem.read32(list + 12)];
    const m1 = [mem.read32(list + 16), mem.read32(list + 20), mem.read32(list + 24), mem.read32(list + 28)];
    expect(m0[0]! % 4096).toBe(0);
    expect(m0[0]!).toBeGreaterThanOrEqual(0x105000);
    expect(m0[1]! - m0[0]!).toBe(5000);
    expect(cstr(mem, m0[2]!)).toBe('mod1.bin arg=1');
    expect(m0[3]).toBe(0);
    expect(m1[0]! % 4096).toBe(0);
    expect(m1[0]!).toBeGreaterThanOrEqual(m0[1]!);
    expect(m1[1]! - m1[0]!).toBe(10);
    expect(cstr(mem, m1[2]!)).toBe('mod2.bin');
    expect(mem.u8.subarray(m0[0]!, m0[1]!).every((b) => b === 0x11)).toBe(true);
    expect(mem.u8.subarray(m1[0]!, m1[1]!).every((b) => b === 0x22)).toBe(true);
    // Memory map: 4 entries of 24 bytes with size field 20.
    expect(r(44)).toBe(4 * 24);
    const mmap = r(48);
    expect(mmap).toBe(0x9000);
    const entries = [];
    for (let i = 0; i < 4; i++) {
      const e = mmap + i * 24;
      entries.push([mem.read32(e), Number(mem.read64(e + 4)), Number(mem.read64(e + 12)), mem.read32(e + 20)]);
    }
    expect(entries).toEqual([
      [20, 0, 0x9fc00, 1],
      [20, 0x9fc00, 0x400, 2],
      [20, 0xf0000, 0x10000, 2],
      [20, 0x100000, 63 * MIB, 1],
    ]);
    // The GDT: flat code at 0x10, data at 0x18.
    expect(mem.read64(s.gdtBase + 0x10)).toBe(0x00cf9b000000ffffn);
    expect(mem.read64(s.gdtBase + 0x18)).toBe(0x00cf93000000ffffn);
    expect(s.gdtLimit).toBe(31);
    // Nothing of ours in [0, 0x500) or [0x9fc00, 0x100000).
    expect(mem.u8.subarray(0, 0x500).every((b) => b === 0)).toBe(true);
    expect(mem.u8.subarray(0x9fc00, 0x100000).every((b) => b === 0)).toBe(true);
  });

  it('sets the module flag with no modules (count 0)', () => {
    const mem = new PhysicalMemory(16 * MIB);
    const s = load(mem, image);
    expect(mem.read32(s.ebx) & MBI_MODS).toBe(MBI_MODS);
    expect(mem.read32(s.ebx + 20)).toBe(0);
    expect(cstr(mem, mem.read32(s.ebx + 16))).toBe('');
  });

  it('translates a virtual entry point to the physical address of its segment', () => {
    const img = buildElf(0xc0100020, [{ vaddr: 0xc0100000, paddr: 0x100000, data: text, memSize: text.length }], multibootHeader(3));
    const mem = new PhysicalMemory(16 * MIB);
    expect(load(mem, img).eip).toBe(0x100020);
  });

  it('moves the info structure when the kernel occupies 0x9000', () => {
    const img = buildElf(0x8000, [{ vaddr: 0x8000, paddr: 0x8000, data: filled(0x4000, 1), memSize: 0x4000 }], multibootHeader(3));
    const mem = new PhysicalMemory(16 * MIB);
    const s = load(mem, img);
    expect(s.ebx < 0x8000 || s.ebx >= 0xc000).toBe(true);
    expect(s.ebx).toBeGreaterThanOrEqual(0x500);
    expect(mem.u8.subarray(0x8000, 0xc000).every((b) => b === 1)).toBe(true);
  });

  it('refuses overlapping segments, naming the addresses', () => {
    const img = buildElf(
      0x100000,
      [
        { vaddr: 0x100000, paddr: 0x100000, data: filled(0x2000, 1), memSize: 0x2000 },
        { vaddr: 0x101000, paddr: 0x101000, data: filled(0x100, 2), memSize: 0x100 },
      ],
      multibootHeader(3),
    );
    expectConfigError(() => load(new PhysicalMemory(16 * MIB), img), /\[0x101000, 0x101100\) overlaps kernel segment \[0x100000, 0x102000\)/);
  });

  it('refuses segments in the BIOS area or beyond RAM', () => {
    const bios = buildElf(0xf0000, [{ vaddr: 0xf0000, paddr: 0xf0000, data: filled(16, 1), memSize: 16 }], multibootHeader(3));
    expectConfigError(() => load(new PhysicalMemory(16 * MIB), bios), /overlaps the EBDA, VGA and BIOS area/);
    const big = buildElf(0x100000, [{ vaddr: 0x100000, paddr: 0x100000, data: filled(16, 1), memSize: 4 * MIB }], multibootHeader(3));
    expectConfigError(() => load(new PhysicalMemory(4 * MIB), big), /does not fit in 4096 KiB of RAM/);
  });

  it('refuses modules that do not fit', () => {
    const mem = new PhysicalMemory(2 * MIB);
    expectConfigError(() => load(mem, image, [{ name: 'big', data: new Uint8Array(MIB) }]), /no room for module 'big'/);
  });

  it('refuses non-ELF images without flag 16, wrong machines and unknown requirement flags', () => {
    const raw = new Uint8Array(0x1000);
    raw.set(multibootHeader(3), 0x40);
    expectConfigError(() => load(new PhysicalMemory(16 * MIB), raw), /must be an ELF file/);
    const arm = buildElf(0x100000, [{ vaddr: 0x100000, paddr: 0x100000, data: text, memSize: text.length }], multibootHeader(3));
    arm[18] = 40;
    expectConfigError(() => load(new PhysicalMemory(16 * MIB), arm), /machine 40, not i386/);
    const req = buildElf(0x100000, [{ vaddr: 0x100000, paddr: 0x100000, data: text, memSize: text.length }], multibootHeader(3 | 1 << 8));
    expectConfigError(() => load(new PhysicalMemory(16 * MIB), req), /flags 0x103/);
    const noload = buildElf(0x100000, [{ vaddr: 0x100000, paddr: 0x100000, data: text, memSize: text.length, type: 4 }], multibootHeader(3));
    expectConfigError(() => load(new PhysicalMemory(16 * MIB), noload), /no PT_LOAD/);
  });
});

describe('multiboot a.out kludge (flag 16)', () => {
  // File: header at offset 0x20; the file is loaded from offset 0 at 0x200000.
  function kludge(loadEnd: number, bssEnd: number, size = 0x3000): Uint8Array {
    const img = filled(size, 0x77);
    img.set(multibootHeader(0x10003, [0x200020, 0x200000, loadEnd, bssEnd, 0x200100]), 0x20);
    return img;
  }

  it('loads from header_addr - load_addr before the header, to load_end_addr, then zeroes to bss_end_addr', () => {
    const mem = new PhysicalMemory(16 * MIB);
    mem.u8.fill(0x55, 0x202000, 0x204000);
    const img = kludge(0x202000, 0x204000);
    const s = load(mem, img);
    expect(s.eip).toBe(0x200100);
    expect(mem.u8.subarray(0x200000, 0x202000)).toEqual(img.subarray(0, 0x2000));
    expect(mem.u8.subarray(0x202000, 0x204000).every((b) => b === 0)).toBe(true);
    expect(mem.read32(s.ebx + 24)).toBeGreaterThanOrEqual(0x204000);
  });

  it('loads the whole file when load_end_addr is 0', () => {
    const mem = new PhysicalMemory(16 * MIB);
    const img = kludge(0, 0);
    load(mem, img);
    expect(mem.u8.subarray(0x200000, 0x203000)).toEqual(img);
  });

  it('refuses inconsistent addresses', () => {
    const mem = new PhysicalMemory(16 * MIB);
    expectConfigError(() => load(mem, kludge(0x210000, 0)), /shorter than its load_end_addr 0x210000/);
    expectConfigError(() => load(mem, kludge(0x202000, 0x201000)), /bss_end_addr 0x201000 is below/);
    const before = filled(0x1000, 0);
    before.set(multibootHeader(0x10003, [0x200020, 0x1f0000, 0, 0, 0x200100]), 0x20);
    expectConfigError(() => load(mem, before), /before the start of the file/);
  });
});
