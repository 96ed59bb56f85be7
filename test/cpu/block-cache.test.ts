/**
 * The block cache (src/cpu/block-cache.ts, block-compile.ts) must be invisible: every program here
 * runs on a CPU that translates hot code (after two arrivals) and on one that only interprets, in
 * the same steps, and both must end in the same registers, EIP, flags, instruction count and RAM.
 * The programs rewrite their own code (the next instruction in the same block, and a block already
 * translated), have it rewritten by a device (GuestMemory writes) and by another CPU between runs,
 * fault in the middle of a block, and are stopped after every possible instruction count.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Cpu } from '../../src/cpu/cpu.ts';
import { ATTR_DB, DESC_A, DESC_P, DESC_RW, DESC_S, DS, EBX, ECX, EDX, ESI, ESP } from '../../src/cpu/constants.ts';
import { setBlockCacheEnabled, setBlockCacheHotCount } from '../../src/cpu/block-cache.ts';
import { HOT_COUNT } from '../../src/cpu/block-cache.ts';
import { CODE, flatCpu, gate, le } from './flat-cpu.ts';

afterEach(() => {
  setBlockCacheEnabled(true);
  setBlockCacheHotCount(HOT_COUNT);
});

/** Two CPUs with the same program: one translating hot code early, one interpreting. */
function pair(code: number[], setup: (c: Cpu) => void = () => {}): [Cpu, Cpu] {
  setBlockCacheHotCount(2);
  setBlockCacheEnabled(true);
  const fast = flatCpu(code);
  setBlockCacheEnabled(false);
  const slow = flatCpu(code);
  setBlockCacheEnabled(true);
  expect(fast.blockCache).not.toBeNull();
  expect(slow.blockCache).toBeNull();
  setup(fast);
  setup(slow);
  return [fast, slow];
}

function state(c: Cpu): unknown {
  return {
    regs: [...c.r32],
    eip: c.eip,
    flags: c.getFlags(),
    retired: c.retired,
    halted: c.halted,
  };
}

function expectSame(fast: Cpu, slow: Cpu, what: string): void {
  expect(state(fast), what).toEqual(state(slow));
  expect(Buffer.from(fast.mem.u8).equals(Buffer.from(slow.mem.u8)), `${what}: RAM`).toBe(true);
}

/** Runs to HLT (within `limit` instructions). */
function finish(c: Cpu, limit = 1_000_000): void {
  c.run(limit);
  expect(c.halted).toBe(true);
}

// L: mov [L+7], bl; mov eax, imm32 (its low byte is what BL was); add ecx, eax; inc ebx; dec edx;
// jnz L; hlt. The first instruction rewrites the immediate of the next one, in the same block.
const REWRITE_NEXT = [0x88, 0x1d, ...le(CODE + 7), 0xb8, 0x01, 0, 0, 0, 0x01, 0xc1, 0x43, 0x4a, 0x75, 0xef, 0xf4];

// L: mov [F+1], ebx; jmp F; F: mov eax, imm32; add ecx, eax; inc ebx; dec edx; jnz L; hlt. The
// block at F, translated already, is rewritten before every time it runs.
const REWRITE_OTHER = [0x89, 0x1d, ...le(CODE + 9), 0xeb, 0x00, 0xb8, 0x01, 0, 0, 0, 0x01, 0xc1, 0x43, 0x4a, 0x75, 0xed, 0xf4];

// L: mov eax, imm32; add ecx, eax; mov [L+1], ebx; inc ebx; dec edx; jnz L; hlt. The block loops,
// and each pass rewrites the immediate of its first instruction, which the next pass must use.
const REWRITE_EARLIER = [0xb8, 0x01, 0, 0, 0, 0x01, 0xc1, 0x89, 0x1d, ...le(CODE + 1), 0x43, 0x4a, 0x75, 0xef, 0xf4];

// L: mov eax, imm32; add ecx, eax; dec edx; jnz L; hlt (the immediate is at CODE + 1).
const LOOP = [0xb8, 0x01, 0, 0, 0, 0x01, 0xc1, 0x4a, 0x75, 0xf6, 0xf4];

// L: call F; dec edx; jnz L; hlt. F: mov eax, edx; and eax, 1; jz S; add ecx, 2; S: cmp edx, 5;
// je X; mov eax, imm32; add ecx, eax; ret. X: add ecx, 100; ret. F is one block that goes on past
// two Jcc: one skips over an instruction of the block (on odd EDX), one leaves it (at EDX 5). The
// immediate is at CODE + 25, after both.
const CALLS = [
  0xe8, ...le(4), 0x4a, 0x75, 0xf8, 0xf4, // L
  0x89, 0xd0, 0x83, 0xe0, 0x01, 0x74, 0x03, 0x83, 0xc1, 0x02, // F
  0x83, 0xfa, 0x05, 0x74, 0x08, 0xb8, 0x01, 0, 0, 0, 0x01, 0xc1, 0xc3, // S
  0x83, 0xc1, 0x64, 0xc3, // X
];

const counter = (n: number) => (c: Cpu) => {
  c.r32[EBX] = 0;
  c.r32[ECX] = 0;
  c.r32[EDX] = n;
};

describe('the block cache', () => {
  it('sees code that rewrites the next instruction of its own block', () => {
    const [fast, slow] = pair(REWRITE_NEXT, counter(3000));
    finish(fast);
    finish(slow);
    expect(fast.blockCache!.translated).toBeGreaterThan(0);
    expectSame(fast, slow, 'end');
    // 0 + 1 + ... + 255, eleven times and a bit: the immediate followed BL every time.
    expect(slow.r32[ECX]).not.toBe(3000);
  });

  it('sees code that rewrites an earlier instruction of its own loop', () => {
    const [fast, slow] = pair(REWRITE_EARLIER, counter(3000));
    finish(fast);
    finish(slow);
    expect(fast.blockCache!.translated).toBeGreaterThan(0);
    expectSame(fast, slow, 'end');
    // 1 + 0 + 1 + ... + 2998: each pass but the first added the EBX of the pass before.
    expect(slow.r32[ECX]).toBe(1 + (2998 * 2999) / 2);
  });

  it('forgets every block on clear (as after a snapshot load), also after an earlier clear', () => {
    const [fast] = pair(LOOP, counter(1000));
    const cache = fast.blockCache!;
    cache.clear(); // nothing in it yet
    finish(fast);
    expect(cache.translated).toBeGreaterThan(0);
    expect(cache.tags.some((t) => t !== -1)).toBe(true);
    cache.clear();
    expect(cache.tags.every((t) => t === -1)).toBe(true);
    expect(cache.table.every((b) => b === undefined)).toBe(true);
    expect(cache.hits.every((h) => h === 0)).toBe(true);
  });

  it('sees code that rewrites a block it has translated before', () => {
    const [fast, slow] = pair(REWRITE_OTHER, counter(3000));
    finish(fast);
    finish(slow);
    expect(fast.blockCache!.translated).toBeGreaterThan(0);
    expect(fast.blockCache!.dropped).toBeGreaterThan(0);
    expectSame(fast, slow, 'end');
  });

  it('sees code rewritten by a device (GuestMemory writes) between runs', () => {
    const [fast, slow] = pair(LOOP, counter(100_000));
    for (const c of [fast, slow]) {
      c.run(5000);
      c.mem.write8(CODE + 1, 7);
      c.run(5000);
      c.mem.writeBytes(CODE + 1, new Uint8Array([3, 0, 0, 0]));
      c.run(5000);
      c.mem.write32(CODE + 1, 0x10000);
      finish(c);
    }
    expect(fast.blockCache!.translated).toBeGreaterThan(0);
    expect(fast.blockCache!.dropped).toBeGreaterThanOrEqual(3);
    expectSame(fast, slow, 'end');
  });

  it('sees code rewritten by another CPU sharing the memory', () => {
    const [fast, slow] = pair(LOOP, counter(100_000));
    for (const c of [fast, slow]) {
      // A second CPU on the same memory: mov dword [CODE + 1], 5; hlt.
      setBlockCacheEnabled(c.blockCache !== null);
      const other = flatCpu([], { mem: c.mem });
      other.ram8.set([0xc7, 0x05, ...le(CODE + 1), ...le(5), 0xf4], 0x3000);
      c.run(5000);
      other.eip = 0x3000;
      other.run(10);
      expect(other.halted).toBe(true);
      finish(c);
    }
    expectSame(fast, slow, 'end');
    expect(fast.r32[ECX]).toBeGreaterThan(100_000);
  });

  it.each([
    ['a loop that rewrites its own code', REWRITE_NEXT],
    ['a loop', LOOP],
    ['a block past a skipping Jcc and a leaving one', CALLS],
  ])('stops after any instruction of %s: runs of every length from 1 to 13 give the same states', (_what, code) => {
    const [fast, slow] = pair(code, counter(400));
    for (let step = 0; !slow.halted; step++) {
      const n = (step % 13) + 1;
      fast.run(n);
      slow.run(n);
      expectSame(fast, slow, `after run ${step} of ${n}`);
    }
    expect(fast.blockCache!.translated).toBeGreaterThan(0);
  });

  it('runs a block past its Jcc on both paths and sees code rewritten after them', () => {
    const [fast, slow] = pair(CALLS, counter(3000));
    for (const c of [fast, slow]) {
      c.run(4000);
      c.mem.write32(CODE + 25, 7);
      c.run(4000);
      c.mem.write8(CODE + 25, 3);
      finish(c);
    }
    expect(fast.blockCache!.translated).toBeGreaterThan(0);
    expectSame(fast, slow, 'end');
    // 2 on every odd EDX, 100 at EDX 5, the immediate (1, then 7, then 3) at every other.
    expect(slow.r32[ECX]).toBeGreaterThan(3000 + 100);
  });

  it('translates a loop sooner than code that does not loop', () => {
    // 5000 passes: a loop is due after HOT_COUNT / 16 arrivals, the rest after HOT_COUNT.
    setBlockCacheHotCount(HOT_COUNT);
    const loop = flatCpu(LOOP);
    counter(5000)(loop);
    finish(loop);
    expect(loop.blockCache!.translated).toBe(1);
    const calls = flatCpu(CALLS);
    counter(5000)(calls);
    finish(calls);
    // L, reached by the JNZ back, only: F (reached by CALL) and the DEC after it (by RET) are
    // not due yet.
    expect(calls.blockCache!.translated).toBe(1);
    expect(calls.blockCache!.table.filter((b) => b !== undefined).map((b) => b!.eip)).toEqual([CODE]);
  });

  it('faults in the middle of a block exactly as the interpreter does', () => {
    // L: inc ebx; mov eax, [esi]; add ecx, eax; add esi, 0x1000; dec edx; jnz L; hlt, with DS
    // limited to 64 KiB: the read beyond it raises #GP(0), whose handler halts. The return address
    // pushed must be the MOV's, the second instruction of the block.
    const code = [0x43, 0x8b, 0x06, 0x01, 0xc1, 0x81, 0xc6, ...le(0x1000), 0x4a, 0x75, 0xf2, 0xf4];
    const [fast, slow] = pair(code, (c) => {
      counter(1000)(c);
      c.r32[ESI] = 0;
      c.setSeg(DS, 0x10, 0, 0xffff, DESC_P | DESC_S | DESC_RW | DESC_A | ATTR_DB);
      gate(c, 13, 0x2000);
      c.ram8[0x2000] = 0xf4;
    });
    finish(fast);
    finish(slow);
    expect(fast.blockCache!.translated).toBeGreaterThan(0);
    expect(slow.eip).toBe(0x2001);
    expect(slow.mem.i32[((slow.r32[ESP]! >>> 0) >> 2) + 1]).toBe(CODE + 1);
    expectSame(fast, slow, 'after #GP');
  });
});
