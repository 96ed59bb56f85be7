import { describe, expect, it } from 'vitest';
import { PhysicalMemory } from '../../../src/memory/physical-memory.ts';
import { isConfigError } from '../../../src/util/errors.ts';
import { detectKernelFormat, loadKernel, loadKernelFromConfig } from '../../../machine/loaders/load-kernel.ts';
import { defaultMachineConfig } from '../../../machine/machine-config.ts';
import { buildBzImage, buildElf, filled, multibootHeader } from './images.ts';

const MIB = 1 << 20;

function errorOf(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    expect(isConfigError(e)).toBe(true);
    return e as Error;
  }
  throw new Error('no error');
}

const elf = buildElf(0x100000, [{ vaddr: 0x100000, paddr: 0x100000, data: filled(64, 0x90), memSize: 64 }], multibootHeader(3));

describe('loadKernel', () => {
  it('detects multiboot before bzImage, as QEMU', () => {
    expect(detectKernelFormat(elf)).toBe('multiboot');
    expect(detectKernelFormat(buildBzImage())).toBe('bzimage');
    const both = buildBzImage();
    both.set(multibootHeader(0x10003, [0x100000 + 0x400, 0x100000, 0, 0, 0x100000]), 0x400);
    expect(detectKernelFormat(both)).toBe('multiboot');
    expect(detectKernelFormat(new Uint8Array(100))).toBeNull();
  });

  it('boots each format', () => {
    expect(loadKernel(new PhysicalMemory(16 * MIB), elf, [], '').eax).toBe(0x2badb002);
    expect(loadKernel(new PhysicalMemory(64 * MIB), buildBzImage(), [], '').esi).toBe(0x10000);
  });

  it('names the format it does not know', () => {
    expect(errorOf(() => loadKernel(new PhysicalMemory(16 * MIB), new Uint8Array(600), [], '')).message).toBe(
      'kernel format not recognised (godwit boots multiboot v1 and Linux bzImage kernels)',
    );
    const plainElf = buildElf(0x100000, [{ vaddr: 0x100000, paddr: 0x100000, data: filled(64, 0x90), memSize: 64 }], null);
    expect(errorOf(() => loadKernel(new PhysicalMemory(16 * MIB), plainElf, [], '')).message).toMatch(/ELF file without a multiboot header/);
  });

  it('gives a multiboot kernel "name cmdline" when the name is known, as QEMU', () => {
    const mem = new PhysicalMemory(16 * MIB);
    const s = loadKernelFromConfig(mem, defaultMachineConfig({ kernel: { name: 'k.elf', data: elf }, append: 'a=1' }))!;
    const addr = mem.read32(s.ebx + 16);
    expect(new TextDecoder().decode(mem.u8.subarray(addr, addr + 8))).toBe('k.elf a=');
    expect(loadKernelFromConfig(mem, defaultMachineConfig())).toBeNull();
  });
});

describe('the committed guests', () => {
  it('hello.elf loads as a multiboot ELF', async () => {
    const { readFileSync, existsSync } = await import('node:fs');
    const path = new URL('../../guests/bin/hello.elf', import.meta.url);
    if (!existsSync(path)) return;
    const mem = new PhysicalMemory(128 * MIB);
    const s = loadKernel(mem, new Uint8Array(readFileSync(path)), [], '');
    expect(s.eip).toBeGreaterThanOrEqual(0x100000);
    expect(s.eax).toBe(0x2badb002);
  });
});
