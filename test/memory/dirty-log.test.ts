/**
 * The dirty log (src/memory/physical-memory.ts): every path that writes RAM marks the page, the CPU
 * included although its fast path bypasses memory (it marks when it fills a write TLB entry, and a
 * new log drops those entries so that the next write marks again); loading a lazy chunk marks
 * nothing, since it only brings back bytes that a snapshot holds.
 */
import { describe, expect, it } from 'vitest';
import { Cpu } from '../../src/cpu/cpu.ts';
import { PhysicalMemory } from '../../src/memory/physical-memory.ts';
import type { RamPager } from '../../src/memory/ram-pager.ts';
import { CODE, flatCpu, le } from '../cpu/flat-cpu.ts';

const MIB = 1 << 20;

/** Pages marked in a taken log. */
function pages(log: Uint8Array): number[] {
  const out: number[] = [];
  log.forEach((v, p) => {
    if (v !== 0) out.push(p);
  });
  return out;
}

/** A flat CPU whose memory flushes its TLB on map changes, as PcBoard wires it. */
function cpuWith(code: number[]): Cpu {
  const cpu = flatCpu(code);
  cpu.mem.onMapChange = () => cpu.flushTlb();
  return cpu;
}

/** Runs from CODE to HLT again. */
function runFromStart(cpu: Cpu): void {
  cpu.eip = CODE;
  cpu.halted = false;
  for (let i = 0; i < 100 && !cpu.halted; i++) cpu.run(1000);
  expect(cpu.halted).toBe(true);
}

describe('dirty log', () => {
  it('marks a page the CPU writes, again after the log is taken (its write TLB entry is dropped)', () => {
    // mov [0x20000], eax; mov eax, [0x30000]; hlt
    const cpu = cpuWith([0xa3, ...le(0x20000), 0xa1, ...le(0x30000), 0xf4]);
    cpu.mem.takeDirtyPages();
    runFromStart(cpu);
    expect(pages(cpu.mem.takeDirtyPages())).toEqual([0x20]);
    // The same write again, its translation made before the log was taken.
    runFromStart(cpu);
    expect(pages(cpu.mem.takeDirtyPages())).toEqual([0x20]);
    expect(pages(cpu.mem.takeDirtyPages())).toEqual([]);
  });

  it('marks a page first read, then written (a read makes no write entry for a clean page)', () => {
    // mov eax, [0x30000]; mov [0x30010], eax; hlt
    const cpu = cpuWith([0xa1, ...le(0x30000), 0xa3, ...le(0x30010), 0xf4]);
    cpu.mem.takeDirtyPages();
    runFromStart(cpu);
    expect(pages(cpu.mem.takeDirtyPages())).toEqual([0x30]);
  });

  it('marks a page whose write entry a probe made before a fast write (ADC to memory)', () => {
    // adc [0x50000], eax; hlt
    const cpu = cpuWith([0x11, 0x05, ...le(0x50000), 0xf4]);
    cpu.mem.takeDirtyPages();
    runFromStart(cpu);
    expect(pages(cpu.mem.takeDirtyPages())).toEqual([0x50]);
  });

  it('marks every page a string instruction writes across a page boundary', () => {
    // cld; mov edi, 0x20ff0; mov ecx, 16; rep stosd; mov esi, 0x40000; mov edi, 0x41ffe; mov ecx, 8; rep movsb; hlt
    const cpu = cpuWith([0xfc, 0xbf, ...le(0x20ff0), 0xb9, ...le(16), 0xf3, 0xab, 0xbe, ...le(0x40000), 0xbf, ...le(0x41ffe), 0xb9, ...le(8), 0xf3, 0xa4, 0xf4]);
    runFromStart(cpu);
    cpu.mem.takeDirtyPages();
    runFromStart(cpu);
    expect(pages(cpu.mem.takeDirtyPages())).toEqual([0x20, 0x21, 0x41, 0x42]);
  });

  it('marks device DMA and loader writes, not reads', () => {
    const mem = new PhysicalMemory(4 * MIB);
    mem.takeDirtyPages();
    mem.write8(0x1000, 1);
    mem.write16(0x2fff, 0x1234);
    mem.write32(0x5000, 7);
    mem.write64(0x6ffc, 0x1122334455667788n);
    mem.writeBytes(0x9ff0, new Uint8Array(0x20));
    mem.load(0xc000, new Uint8Array(0x2001));
    mem.read32(0x20000);
    mem.readBytes(0x21000, new Uint8Array(0x3000));
    expect(pages(mem.takeDirtyPages())).toEqual([0x1, 0x2, 0x3, 0x5, 0x6, 0x7, 0x9, 0xa, 0xc, 0xd, 0xe]);
  });

  it('does not mark what a lazy chunk brings back, only what is written after', () => {
    const mem = new PhysicalMemory(4 * MIB);
    const image = new Uint8Array(4 * MIB).fill(0x5a);
    const pager: RamPager = { chunkPages: 256, chunks: 4, hasData: () => true, load: (c) => mem.u8.set(image.subarray(c * MIB, (c + 1) * MIB), c * MIB) };
    mem.attachPager(pager);
    mem.takeDirtyPages();
    expect(mem.read8(MIB + 5)).toBe(0x5a);
    mem.write8(2 * MIB + 0x3000, 1);
    mem.materializeAll();
    expect(pages(mem.takeDirtyPages())).toEqual([2 * 256 + 3]);
  });
});
