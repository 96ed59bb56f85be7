/**
 * The CPU warm-up (src/cpu/warm-up.ts) must run the code it generates as meant: every pass to the
 * end, with paging off and paged at a kernel's addresses, through the run loop alone and with
 * blocks, and leave the block cache's settings for later CPUs as they were.
 */
import { describe, expect, it } from 'vitest';
import { blockCacheEnabled, blockCacheHotCount, setBlockCacheEnabled, setBlockCacheHotCount } from '../../src/cpu/block-cache.ts';
import { blockProgram, CROSSINGS, KERNEL_BASE, modeBase, PASSES, program, runWarmUp, warmUpCpu, type WarmUpMode } from '../../src/cpu/warm-up.ts';
import { keptShapes } from '../../src/util/keep-shape.ts';
import { Cpu } from '../../src/cpu/cpu.ts';
import { v8Natives } from '../util/v8-natives.ts';
import { standaloneCpu } from '../../src/cpu/standalone-cpu.ts';
import { PhysicalMemory } from '../../src/memory/physical-memory.ts';
import { EBP } from '../../src/cpu/constants.ts';

/** Where the code is (warm-up.ts's CODE): its first instruction's physical address. */
const CODE = 0x80000;
const MODES: readonly WarmUpMode[] = ['flat', 'paged'];

describe('CPU warm-up', () => {
  it('runs every pass of its code to the final HLT, flat and paged at the kernel\'s addresses', () => {
    for (const mode of MODES) {
      const code = program(mode);
      const cpu = runWarmUp(code, false);
      expect(cpu.halted, mode).toBe(true);
      expect(cpu.eip).toBe((modeBase(mode) + CODE + code.bytes.length) >>> 0); // just past the HLT, the code's last byte
      expect(cpu.r32[EBP]).toBe(0); // the countdown ran out: every pass ran
      expect(cpu.retired).toBe(code.instructions); // each pass ran every instruction once
      expect(code.instructions).toBeGreaterThan(PASSES * 300);
    }
    expect(modeBase('paged')).toBe(KERNEL_BASE);
  });

  it('reaches memory through the kernel\'s addresses in the paged pass', () => {
    // The memory forms write ADD results and moves to DATA (0x20000) and above: through the 4 MiB
    // page at KERNEL_BASE they land at the same physical bytes as the flat pass's.
    const flat = runWarmUp(program('flat'), false);
    const paged = runWarmUp(program('paged'), false);
    const data = (cpu: typeof flat) => cpu.mem.u8.subarray(0x20000, 0x20400);
    expect(data(flat).some((b) => b !== 0)).toBe(true);
    // Register values differ by the base (EBX, ESI are stored by MOV [mem], reg), so compare what
    // does not depend on it: the bytes written at all.
    const written = (cpu: typeof flat) => data(cpu).reduce((n, b) => n + (b !== 0 ? 1 : 0), 0);
    expect(written(paged)).toBeGreaterThan(0);
    expect(paged.cr3).toBe(0x1000);
    expect(paged.eip >>> 0).toBeGreaterThan(KERNEL_BASE);
  });

  it('starts each page-crossing instruction on a page\'s last byte', () => {
    // Each is reached by a JMP rel32 over zero padding: count the jumps that land on a page's last
    // byte, where an opcode (not padding) starts, so that the rest of the instruction is fetched
    // from outside the fetch window.
    const code = program().bytes;
    const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
    let landed = 0;
    for (let i = 0; i + 5 <= code.length; i++) {
      if (code[i] !== 0xe9) continue;
      const target = i + 5 + view.getInt32(i + 1, true);
      if (target > i + 5 && target < code.length && (CODE + target) % 4096 === 4095 && code[target] !== 0) landed++;
    }
    expect(landed).toBe(CROSSINGS);
  });

  it('translates and runs blocks in its block pass', () => {
    const hot = blockCacheHotCount();
    setBlockCacheHotCount(2);
    try {
      const code = blockProgram('paged');
      const cpu = runWarmUp(code, true);
      expect(cpu.halted).toBe(true);
      expect(cpu.eip).toBe(KERNEL_BASE + CODE + code.bytes.length);
      expect(cpu.blockCache).not.toBeNull();
      // Many different block functions, so that V8 does not inline one into runBatchWithBlocks.
      expect(cpu.blockCache!.translated).toBeGreaterThan(4);
      // The same retired count as the interpreter alone: blocks retire exactly what it does.
      expect(cpu.retired).toBe(runWarmUp(code, false).retired);
    } finally {
      setBlockCacheHotCount(hot);
    }
  });

  it('leaves the block cache settings of later CPUs as they were', () => {
    setBlockCacheEnabled(false);
    setBlockCacheHotCount(777);
    try {
      warmUpCpu();
      runWarmUp(blockProgram(), true);
      expect(blockCacheEnabled()).toBe(false);
      expect(blockCacheHotCount()).toBe(777);
    } finally {
      setBlockCacheEnabled(true);
      setBlockCacheHotCount(65535);
    }
  });
});

describe('CPU warm-up: hidden classes', () => {
  it('keeps its block pass\'s CPU, whose hidden classes later CPUs share after a full collection', () => {
    const { gc, sameMap } = v8Natives();
    warmUpCpu();
    const trained = keptShapes().find((k): k is Cpu => k instanceof Cpu);
    expect(trained).toBeDefined();
    expect(trained!.blockCache).not.toBeNull();
    // V8 keeps a map that no object uses for two more full collections (--retain-maps-for-n-gc),
    // then frees it; a machine's RAM allocation brings several.
    for (let i = 0; i < 4; i++) gc();
    const cpu = standaloneCpu(new PhysicalMemory(1 << 20));
    // The feedback the warm-up gathered names these maps: a CPU on new ones would make it useless.
    expect(sameMap(trained!, cpu)).toBe(true);
    expect(sameMap(trained!.blockCache!, cpu.blockCache!)).toBe(true);
  });
});
