/**
 * The CPU warm-up (src/cpu/warm-up.ts) must run the code it generates as meant: every pass to the
 * end, at the low EIP and at the one above 2 GiB, through the run loop alone and with blocks, and
 * leave the block cache's settings for later CPUs as they were.
 */
import { describe, expect, it } from 'vitest';
import { blockCacheEnabled, blockCacheHotCount, setBlockCacheEnabled, setBlockCacheHotCount } from '../../src/cpu/block-cache.ts';
import { blockProgram, CROSSINGS, HIGH_CS_BASE, HIGH_EIP, PASSES, program, runWarmUp, warmUpCpu, WARM_EIP } from '../../src/cpu/warm-up.ts';
import { EBP } from '../../src/cpu/constants.ts';

describe('CPU warm-up', () => {
  it('runs every pass of its code to the final HLT, at a low EIP and above 2 GiB', () => {
    const code = program();
    for (const [eip, base] of [
      [WARM_EIP, 0],
      [HIGH_EIP, HIGH_CS_BASE],
    ] as const) {
      const cpu = runWarmUp(eip, base, false, code);
      expect(cpu.halted, `eip ${eip.toString(16)}`).toBe(true);
      expect(cpu.eip).toBe((eip + code.bytes.length) >>> 0); // just past the HLT, the code's last byte
      expect(cpu.r32[EBP]).toBe(0); // the countdown ran out: every pass ran
      expect(cpu.retired).toBe(code.instructions); // each pass ran every instruction once
    }
    expect(code.instructions).toBeGreaterThan(PASSES * 300);
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
      if (target > i + 5 && target < code.length && (WARM_EIP + target) % 4096 === 4095 && code[target] !== 0) landed++;
    }
    expect(landed).toBe(CROSSINGS);
  });

  it('translates and runs blocks in its block pass', () => {
    const hot = blockCacheHotCount();
    setBlockCacheHotCount(2);
    try {
      const code = blockProgram();
      const cpu = runWarmUp(WARM_EIP, 0, true, code);
      expect(cpu.halted).toBe(true);
      expect(cpu.eip).toBe(WARM_EIP + code.bytes.length);
      expect(cpu.blockCache).not.toBeNull();
      // Many different block functions, so that V8 does not inline one into runBatchWithBlocks.
      expect(cpu.blockCache!.translated).toBeGreaterThan(4);
      // The same retired count as the interpreter alone: blocks retire exactly what it does.
      expect(cpu.retired).toBe(runWarmUp(WARM_EIP, 0, false, code).retired);
    } finally {
      setBlockCacheHotCount(hot);
    }
  });

  it('leaves the block cache settings of later CPUs as they were', () => {
    setBlockCacheEnabled(false);
    setBlockCacheHotCount(777);
    try {
      warmUpCpu();
      runWarmUp(WARM_EIP, 0, true, blockProgram());
      expect(blockCacheEnabled()).toBe(false);
      expect(blockCacheHotCount()).toBe(777);
    } finally {
      setBlockCacheEnabled(true);
      setBlockCacheHotCount(65535);
    }
  });
});
