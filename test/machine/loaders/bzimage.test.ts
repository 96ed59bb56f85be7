import { describe, expect, it } from 'vitest';
import { PhysicalMemory } from '../../../src/memory/physical-memory.ts';
import { isConfigError } from '../../../src/util/errors.ts';
import { BOOT_PARAMS_ADDR, kernelRuntimeEnd, loadBzImage, parseSetupHeader } from '../../../machine/loaders/bzimage.ts';
import type { BzOptions } from './images.ts';
import { buildBzImage, filled } from './images.ts';

const MIB = 1 << 20;

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

function cstr(mem: PhysicalMemory, addr: number): string {
  let end = addr;
  while (mem.u8[end] !== 0) end++;
  return new TextDecoder().decode(mem.u8.subarray(addr, end));
}

describe('bzImage loading', () => {
  it('loads the protected-mode code at 1 MiB and fills boot_params', () => {
    const pm = filled(5000, 0xc3);
    const img = buildBzImage({ pmCode: pm, setupSects: 4 });
    const mem = new PhysicalMemory(64 * MIB);
    const s = loadBzImage(mem, img, [], 'console=ttyS0 earlycon');
    expect(mem.u8.subarray(0x100000, 0x100000 + 5000)).toEqual(pm);
    expect(s.eip).toBe(0x100000);
    expect(s.esi).toBe(BOOT_PARAMS_ADDR);
    expect([s.eax, s.ebx, s.ecx, s.edx, s.edi, s.ebp]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(s.cs).toBe(0x10);
    expect(s.ds).toBe(0x18);
    expect(s.gdtLimit).toBe(31);
    expect(mem.read64(s.gdtBase + 0x10)).toBe(0x00cf9b000000ffffn);
    expect(mem.read64(s.gdtBase + 0x18)).toBe(0x00cf93000000ffffn);

    const bp = BOOT_PARAMS_ADDR;
    // The setup header is copied from 0x1F1 to 0x202 + byte[0x201]...
    const headerEnd = 0x202 + img[0x201]!;
    for (let off = 0x1f1; off < headerEnd; off++) {
      if ([0x210, 0x211, 0x224, 0x225, 0x228, 0x229, 0x22a, 0x22b].includes(off)) continue;
      expect(mem.u8[bp + off], `offset 0x${off.toString(16)}`).toBe(img[off]);
    }
    // ...then what the loader fills in.
    expect(mem.u8[bp + 0x210]).toBe(0xff); // type_of_loader
    expect(mem.u8[bp + 0x211]).toBe(0x81); // LOADED_HIGH | CAN_USE_HEAP
    expect(mem.read16(bp + 0x224)).toBe(0xfe00); // heap_end_ptr
    expect(mem.read32(bp + 0x214)).toBe(0x100000); // code32_start
    expect(cstr(mem, mem.read32(bp + 0x228))).toBe('console=ttyS0 earlycon');
    expect(mem.read32(bp + 0x228)).toBe(0x20000);
    expect(mem.read32(bp + 0x218)).toBe(0); // no initrd
    expect(mem.read32(bp + 0x21c)).toBe(0);
    expect(mem.read32(bp + 0x1e0)).toBe(63 * 1024); // alt_mem_k
    // Nothing outside the header area before 0x1E0 and the e820 table, and the sentinel is 0.
    expect(mem.u8.subarray(bp, bp + 0x1e0).every((b) => b === 0)).toBe(true);
    expect(mem.u8[bp + 0x1ef]).toBe(0);
    // e820
    expect(mem.u8[bp + 0x1e8]).toBe(4);
    const entries = [];
    for (let i = 0; i < 4; i++) {
      const e = bp + 0x2d0 + i * 20;
      entries.push([Number(mem.read64(e)), Number(mem.read64(e + 8)), mem.read32(e + 16)]);
    }
    expect(entries).toEqual([
      [0, 0x9fc00, 1],
      [0x9fc00, 0x400, 2],
      [0xf0000, 0x10000, 2],
      [0x100000, 63 * MIB, 1],
    ]);
    expect(mem.u8.subarray(bp + 0x2d0 + 80, bp + 0x1000).every((b) => b === 0)).toBe(true);
  });

  it('treats setup_sects 0 as 4', () => {
    const pm = filled(100, 0x42);
    const img = buildBzImage({ pmCode: pm, setupSects: 0 });
    const mem = new PhysicalMemory(64 * MIB);
    loadBzImage(mem, img, [], '');
    expect(mem.u8.subarray(0x100000, 0x100000 + 100)).toEqual(pm);
    expect(mem.u8[BOOT_PARAMS_ADDR + 0x1f1]).toBe(0);
  });

  it('puts the concatenated initrds at the highest 4 KiB-aligned address below RAM top', () => {
    const mem = new PhysicalMemory(64 * MIB);
    const a = filled(5000, 0xa1);
    const b = filled(3000, 0xb2);
    loadBzImage(mem, buildBzImage(), [{ name: 'a', data: a }, { name: 'b', data: b }], '');
    const addr = mem.read32(BOOT_PARAMS_ADDR + 0x218);
    const size = mem.read32(BOOT_PARAMS_ADDR + 0x21c);
    expect(size).toBe(8000);
    expect(addr % 4096).toBe(0);
    expect(addr).toBe(Math.floor((64 * MIB - 8000) / 4096) * 4096);
    expect(mem.u8.subarray(addr, addr + 5000)).toEqual(a);
    expect(mem.u8.subarray(addr + 5000, addr + 8000)).toEqual(b);
  });

  it('keeps the initrd below initrd_addr_max', () => {
    const mem = new PhysicalMemory(64 * MIB);
    loadBzImage(mem, buildBzImage({ initrdAddrMax: 32 * MIB - 1 }), [{ name: 'a', data: filled(8192, 1) }], '');
    expect(mem.read32(BOOT_PARAMS_ADDR + 0x218)).toBe(32 * MIB - 8192);
  });

  it('ignores initrd_addr_max when xloadflags says the initrd may go above 4 GiB, as QEMU', () => {
    const img = buildBzImage({ initrdAddrMax: 32 * MIB - 1 });
    img[0x236] = 0x02;
    expect(parseSetupHeader(img).initrdAddrMax).toBe(0xffffffff);
    const mem = new PhysicalMemory(64 * MIB);
    loadBzImage(mem, img, [{ name: 'a', data: filled(4096, 1) }], '');
    expect(mem.read32(BOOT_PARAMS_ADDR + 0x218)).toBe(64 * MIB - 4096);
  });

  it('refuses an initrd that would overlap the decompressed kernel', () => {
    const mem = new PhysicalMemory(64 * MIB);
    // Kernel runs at 16 MiB and needs 4 MiB: the initrd must lie in [20 MiB, 21 MiB).
    expectConfigError(
      () => loadBzImage(mem, buildBzImage({ initrdAddrMax: 21 * MIB - 1 }), [{ name: 'a', data: filled(2 * MIB, 1) }], ''),
      /no room for initrd \(2097152 bytes\) between 0x1400000 and 0x1500000/,
    );
  });

  it('computes where a kernel runs from kernel_alignment, relocatable, pref_address and init_size', () => {
    const info = (o: BzOptions) => parseSetupHeader(buildBzImage(o));
    expect(kernelRuntimeEnd(info({ relocatable: true, kernelAlignment: 0x200000, prefAddress: 0x100000, initSize: 0x300000 }), 1000)).toBe(0x500000);
    expect(kernelRuntimeEnd(info({ relocatable: false, prefAddress: 0x1000000, initSize: 0x300000 }), 1000)).toBe(0x1300000);
    expect(kernelRuntimeEnd(info({ relocatable: true, kernelAlignment: 0x1000000, prefAddress: 0x100000, initSize: 0x100000 }), 1000)).toBe(0x1100000);
    expect(kernelRuntimeEnd(info({ version: 0x209 }), 5000)).toBe(0x100000 + 5000);
  });

  it('refuses a kernel that needs more RAM than there is', () => {
    expectConfigError(() => loadBzImage(new PhysicalMemory(16 * MIB), buildBzImage(), [], ''), /needs RAM up to 0x1400000 \(20 MiB\) but there is 16 MiB; use -m/);
  });

  it('respects cmdline_size (and 255 before protocol 2.06)', () => {
    const mem = new PhysicalMemory(64 * MIB);
    loadBzImage(mem, buildBzImage({ cmdlineSize: 10 }), [], 'x'.repeat(10));
    expectConfigError(() => loadBzImage(mem, buildBzImage({ cmdlineSize: 10 }), [], 'x'.repeat(11)), /11 bytes; this kernel accepts at most 10/);
    expectConfigError(() => loadBzImage(mem, buildBzImage({ version: 0x205 }), [], 'x'.repeat(256)), /at most 255/);
  });

  it('refuses old protocols, zImages and broken headers', () => {
    const mem = new PhysicalMemory(64 * MIB);
    expectConfigError(() => loadBzImage(mem, buildBzImage({ version: 0x201 }), [], ''), /boot protocol 2\.01 is too old \(godwit needs 2\.02 or later\)/);
    expectConfigError(() => loadBzImage(mem, buildBzImage({ loadflags: 0 }), [], ''), /zImage/);
    const noFlag = buildBzImage();
    noFlag[0x1fe] = 0;
    expectConfigError(() => loadBzImage(mem, noFlag, [], ''), /boot flag 0xAA55/);
    expectConfigError(() => loadBzImage(mem, buildBzImage().subarray(0, 0x220), [], ''), /truncated/);
    expectConfigError(() => loadBzImage(mem, buildBzImage({ pmCode: new Uint8Array(0) }), [], ''), /no protected-mode code/);
  });

  it('uses protocol defaults for fields older versions lack', () => {
    const info = parseSetupHeader(buildBzImage({ version: 0x202, headerLength: 0x26 }));
    expect(info.initrdAddrMax).toBe(0x37ffffff);
    expect(info.cmdlineSize).toBe(255);
    expect(info.relocatable).toBe(false);
  });
});
