/**
 * A short run of generated 32-bit code on a throwaway CPU, once per process, before the first
 * machine runs: it trains V8 on the run loop (run-batch.ts) and the block cache.
 *
 * Why: run-batch.ts is one large function, and V8 optimises it from the type feedback it has
 * gathered so far. A path that a guest reaches for the first time after that (a ModRM byte outside
 * the fetch window, a memory form that falls back to the opcode table, a jump at an address above
 * 2 GiB, the first block handoff) throws the optimised code away, and the loop runs unoptimised
 * until V8 has compiled it again, tens of milliseconds each time. A cold Linux boot did that about
 * ten times. The code here goes through each of the loop's own cases in its register and memory
 * forms, with the ModRM byte inside and outside the fetch window, every Jcc taken and not after
 * each kind of flag-setting operation, at a low EIP with paging off and again as a 32-bit Linux
 * kernel runs, with paging on and code and data at 0xC0000000 and up; then a short loop with blocks
 * translated and run, at the kernel's addresses too. It takes about 35 ms; after it a cold Linux
 * boot deoptimised the loop once instead of about seven times and used about 10% less CPU time from
 * process start to the init's first line (/usr/bin/time, alternating runs).
 *
 * Why the kernel's addresses: an address at or above 2 GiB is a number V8 cannot keep in a 32-bit
 * register. Code that has only seen smaller ones (an effective address, a displacement, a linear
 * address, a TLB lookup) is optimised for them, and the kernel's first access throws that code away
 * ("lost precision"): the address decoders, the memory paths and, with them inlined, the run loop.
 * The paged pass is the kernel's case exactly: 4 MiB pages map 0xC0000000 to physical 0 (as Linux
 * maps its low memory), EIP, the base registers and the absolute displacements all lie above it.
 *
 * Nothing here touches a machine: the CPU, its memory and its I/O bus are its own, and a failure is
 * ignored (the warm-up changes how fast code runs, never what it does).
 */
import type { Cpu } from './cpu.ts';
import { CR0_PG, CR4_PSE, EBX, EDI, ESI, ESP } from './constants.ts';
import { blockCacheEnabled, blockCacheHotCount, setBlockCacheEnabled, setBlockCacheHotCount } from './block-cache.ts';
import { PhysicalMemory } from '../memory/physical-memory.ts';
import { standaloneCpu } from './standalone-cpu.ts';
import { keepShape } from '../util/keep-shape.ts';

/** The opcodes run-batch.ts executes itself (besides Jcc rel8 0x70-0x7f): each takes a ModRM byte. */
const MODRM_OPS = [0x01, 0x03, 0x09, 0x0b, 0x21, 0x23, 0x29, 0x2b, 0x31, 0x33, 0x39, 0x3b, 0x85, 0x89, 0x8b, 0x8d];
/** Jcc rel8 opcodes the loop executes itself. */
const JCC_OPS = [0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x7c, 0x7d, 0x7e, 0x7f];
/** Operations whose flags the Jccs test: CMP, TEST, ADD, XOR, INC, DEC, SHL (registers only). */
const FLAG_OPS = [[0x39, 0xc8], [0x85, 0xc8], [0x01, 0xc8], [0x31, 0xc2], [0x40], [0x4a], [0xc1, 0xe0, 0x03]];
const PAGE = 0x1000;
const GDT = 0x500;
/** Where the code goes. */
const CODE = 0x80000;
/** Data the memory forms read and write (EBX; ESI and ESP are above, EDI indexes): every operand stays below CODE. */
const DATA = 0x20000;
/** Room for the code (a page per instruction that crosses a page end). */
const CODE_MAX = 0x40000;
/** Passes over the code (each ends with a backward Jcc): blocks are translated and then run. */
export const PASSES = 6;
/** Arrivals before translation on the warm-up CPU. */
const WARM_HOT_COUNT = 2;
/** Where a 32-bit Linux kernel maps physical memory from 0 (PAGE_OFFSET). */
export const KERNEL_BASE = 0xc0000000;
/** The paged pass's page directory: two 4 MiB pages, 0 and KERNEL_BASE, both to physical 0. */
const PAGE_DIR = 0x1000;
/** PDE bits of a present, writable 4 MiB page. */
const PDE_LARGE = 0x83;

/** How a pass runs: with paging off at the code's physical address, or paged at KERNEL_BASE + it. */
export type WarmUpMode = 'flat' | 'paged';

/** Where code and data are in a mode: the paged mode adds KERNEL_BASE to each. */
export function modeBase(mode: WarmUpMode): number {
  return mode === 'paged' ? KERNEL_BASE : 0;
}

let done = false;

/**
 * The forms of one ModRM opcode: registers EAX ECX EDX only as destinations, [EBX]/[ESI] memory,
 * and DATA at `base` + DATA as an absolute displacement.
 */
function forms(op: number, base: number): number[][] {
  const data = (base + DATA) >>> 0;
  const out: number[][] = [];
  // Register forms (LEA has none: it is #UD).
  if (op !== 0x8d) out.push([op, 0xc1], [op, 0xd0]); // reg EAX, rm ECX; reg EDX, rm EAX
  out.push(
    [op, 0x03], // [EBX]
    [op, 0x46, 0x10], // [ESI + disp8]
    [op, 0x84, 0x3e, 0x20, 0x00, 0x00, 0x00], // [ESI + EDI + disp32] (SIB)
    [op, 0x04, 0xbd, ...le32(data)], // [disp32 + EDI*4] (SIB without a base)
    [op, 0x44, 0x24, 0x10], // [ESP + disp8] (SIB, the stack segment)
    [op, 0x14, 0x7b], // [EBX + EDI*2] (SIB, EDX)
    [op, 0x05, ...le32(data)], // [disp32]
  );
  return out;
}

/**
 * The code: every form once inside a page, then again with its opcode as the last byte of a page
 * (so that the ModRM byte and the rest are fetched outside the window), every Jcc both inside and
 * across a page end; a countdown in EBP repeats it all PASSES times, then HLT. For `mode`: the
 * absolute displacements include its base.
 */
export function program(mode: WarmUpMode = 'flat'): WarmUpCode {
  const base = modeBase(mode);
  return assemble(mode, (emit, crossing) => {
    for (const op of MODRM_OPS) for (const f of forms(op, base)) emit(f);
    // Each Jcc after each kind of flag-setting operation (the lazy flags differ), to +0: taken or
    // not, the next instruction is the same.
    for (const jcc of JCC_OPS) {
      for (const flags of FLAG_OPS) {
        emit(flags);
        emit([jcc, 0x00]);
      }
    }
    for (const op of MODRM_OPS) for (const f of forms(op, base).slice(-2)) crossing(f);
    for (const op of MODRM_OPS) if (op !== 0x8d) crossing(forms(op, base)[0]!);
    for (const jcc of JCC_OPS) crossing([jcc, 0x00]);
  });
}

/** Instructions of program() that start on a page's last byte (two memory forms of each ModRM opcode,
 * a register form of each but LEA, and each Jcc). */
export const CROSSINGS = MODRM_OPS.length * 2 + (MODRM_OPS.length - 1) + JCC_OPS.length;

/**
 * A short loop for the block cache's paths: blocks translated and then run one after another. A
 * JMP +0 after each ADD form ends a block, so that runBatchWithBlocks calls many different block
 * functions (V8 would otherwise inline the one it saw into that loop and throw the code away at
 * the guest's first other block).
 */
export function blockProgram(mode: WarmUpMode = 'flat'): WarmUpCode {
  const base = modeBase(mode);
  return assemble(mode, (emit) => {
    for (const f of forms(0x89, base)) emit(f);
    emit([0x39, 0xc8]); // CMP EAX, ECX
    emit([0x74, 0x00]); // JE +0
    for (const f of forms(0x01, base)) {
      emit(f);
      emit([0xeb, 0x00]); // JMP +0
    }
  });
}

/** Generated code for a mode, and the instructions a run of it retires (HLT included). */
export interface WarmUpCode {
  mode: WarmUpMode;
  bytes: Uint8Array;
  instructions: number;
}

/** A 32-bit immediate or displacement's bytes (little-endian). */
function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
}

/** One instruction's bytes. */
type Emit = (bytes: readonly number[]) => void;

/** MOV EBP, PASSES; the body; DEC EBP; JNZ to the body; HLT. */
function assemble(mode: WarmUpMode, body: (emit: Emit, crossing: Emit) => void): WarmUpCode {
  const code = new Uint8Array(CODE_MAX);
  let n = 0;
  let perPass = 0;
  const emit = (bytes: readonly number[]): void => {
    code.set(bytes, n);
    n += bytes.length;
    perPass++;
  };
  const crossing = (bytes: readonly number[]): void => {
    // JMP rel32 (through the table) to the page's last byte, where the instruction starts.
    const at = n + 5;
    const target = at + PAGE - 1 - ((CODE + at) % PAGE);
    emit([0xe9, ...le32(target - at)]);
    n = target;
    emit(bytes);
  };
  emit([0xbd, ...le32(PASSES)]); // MOV EBP, PASSES
  const top = n;
  perPass = 0;
  body(emit, crossing);
  emit([0x4d]); // DEC EBP
  emit([0x0f, 0x85, ...le32(top - (n + 6))]); // JNZ top
  const loop = perPass;
  emit([0xf4]); // HLT
  return { mode, bytes: code.subarray(0, n), instructions: 1 + PASSES * loop + 1 };
}

/**
 * The warm-up code run in its mode on a CPU of its own, until its HLT (exported for the test that
 * checks the code does what it should).
 */
export function runWarmUp(code: WarmUpCode, blocks: boolean): Cpu {
  const mode = code.mode;
  const enabled = blockCacheEnabled();
  setBlockCacheEnabled(blocks);
  const mem = new PhysicalMemory(1 << 20);
  const cpu = standaloneCpu(mem);
  setBlockCacheEnabled(enabled);
  mem.load(GDT, Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0x9a, 0xcf, 0, 0xff, 0xff, 0, 0, 0, 0x92, 0xcf, 0]));
  mem.load(CODE, code.bytes);
  const base = modeBase(mode);
  cpu.reset();
  cpu.enterFlatProtectedMode(GDT, 23, 0x08, 0x10, base + CODE);
  if (mode === 'paged') {
    const dir = new DataView(new ArrayBuffer(4096));
    dir.setUint32(0, PDE_LARGE, true);
    dir.setUint32((KERNEL_BASE >>> 22) * 4, PDE_LARGE, true);
    mem.load(PAGE_DIR, new Uint8Array(dir.buffer));
    cpu.writeCr4(CR4_PSE);
    cpu.writeCr3(PAGE_DIR);
    cpu.writeCr0(cpu.cr0 | CR0_PG);
  }
  cpu.r32[EBX] = base + DATA;
  cpu.r32[ESI] = base + DATA + 0x100;
  // An index: small, so that base + index stays in the mapped 4 MiB.
  cpu.r32[EDI] = 0x80;
  cpu.r32[ESP] = base + DATA + 0x200;
  cpu.run(code.instructions);
  return cpu;
}

/** Runs the warm-up once per process (later calls return at once). */
export function warmUpCpu(): void {
  if (done) return;
  done = true;
  const hot = blockCacheHotCount();
  setBlockCacheHotCount(WARM_HOT_COUNT);
  try {
    // The loop alone first (V8 records feedback once the function has run a while), flat and
    // paged; then with blocks, which are translated after two passes and run the rest.
    runWarmUp(program('flat'), false);
    runWarmUp(program('paged'), false);
    // The block pass's CPU, with its block cache and memory, is kept for the life of the process
    // (about 1 MiB), so that V8 keeps their hidden classes (src/util/keep-shape.ts). Left to die,
    // they took them along at the collections a machine's RAM brings, before its CPUs were built:
    // the machine's CPU got new maps, the feedback gathered here named dead ones (the run loop's
    // first optimised code deoptimised for "insufficient type feedback" on paths run here), and
    // the new maps' fields started out constant again, so the first store to one written here (the
    // block cache's interpretNext) threw away every optimised function that relied on it.
    keepShape(runWarmUp(blockProgram('paged'), true));
  } catch {
    // A warm-up that failed has only failed to speed things up.
  } finally {
    setBlockCacheHotCount(hot);
  }
}
