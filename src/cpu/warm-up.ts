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
 * each kind of flag-setting operation, at a low EIP and at one above 2 GiB, and then a short loop
 * with blocks translated and run. It takes about 35 ms; after it a cold Linux boot deoptimised the
 * loop once instead of about seven times and used about 10% less CPU time from process start to the
 * init's first line (/usr/bin/time, alternating runs).
 *
 * Nothing here touches a machine: the CPU, its memory and its I/O bus are its own, and a failure is
 * ignored (the warm-up changes how fast code runs, never what it does).
 */
import type { Cpu } from './cpu.ts';
import { ATTR_DB, ATTR_G, CS, DESC_A, DESC_CODE, DESC_P, DESC_RW, DESC_S, EBX, ESI } from './constants.ts';
import { blockCacheEnabled, blockCacheHotCount, setBlockCacheEnabled, setBlockCacheHotCount } from './block-cache.ts';
import { PhysicalMemory } from '../memory/physical-memory.ts';
import { standaloneCpu } from './standalone-cpu.ts';

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
/** Data the memory forms read and write (EBX; ESI is 0x100 above): every operand stays below CODE. */
const DATA = 0x20000;
/** Room for the code (a page per instruction that crosses a page end). */
const CODE_MAX = 0x40000;
/** Passes over the code (each ends with a backward Jcc): blocks are translated and then run. */
export const PASSES = 6;
/** Arrivals before translation on the warm-up CPU. */
const WARM_HOT_COUNT = 2;
/** Where the code runs: at its physical address, and at an EIP above 2 GiB whose linear address
 * (CS base 0x80000000, wrapping) is the same. */
export const WARM_EIP = CODE;
export const HIGH_EIP = 0x80000000 + CODE;
export const HIGH_CS_BASE = 0x80000000;

let done = false;

/** The forms of one ModRM opcode: registers EAX ECX EDX only as destinations, [EBX]/[ESI] memory. */
function forms(op: number): number[][] {
  const out: number[][] = [];
  // Register forms (LEA has none: it is #UD).
  if (op !== 0x8d) out.push([op, 0xc1], [op, 0xd0]); // reg EAX, rm ECX; reg EDX, rm EAX
  out.push(
    [op, 0x03], // [EBX]
    [op, 0x46, 0x10], // [ESI + disp8]
    [op, 0x84, 0x1e, 0x20, 0x00, 0x00, 0x00], // [ESI + EBX + disp32] (SIB)
    [op, 0x14, 0x73], // [EBX + ESI*2] (SIB, EDX)
    [op, 0x05, DATA & 0xff, (DATA >> 8) & 0xff, (DATA >> 16) & 0xff, 0], // [disp32]
  );
  return out;
}

/**
 * The code: every form once inside a page, then again with its opcode as the last byte of a page
 * (so that the ModRM byte and the rest are fetched outside the window), every Jcc both inside and
 * across a page end; a countdown in EBP repeats it all PASSES times, then HLT.
 */
export function program(): WarmUpCode {
  return assemble((emit, crossing) => {
    for (const op of MODRM_OPS) for (const f of forms(op)) emit(f);
    // Each Jcc after each kind of flag-setting operation (the lazy flags differ), to +0: taken or
    // not, the next instruction is the same.
    for (const jcc of JCC_OPS) {
      for (const flags of FLAG_OPS) {
        emit(flags);
        emit([jcc, 0x00]);
      }
    }
    for (const op of MODRM_OPS) for (const f of forms(op).slice(-2)) crossing(f);
    for (const op of MODRM_OPS) if (op !== 0x8d) crossing(forms(op)[0]!);
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
export function blockProgram(): WarmUpCode {
  return assemble((emit) => {
    for (const f of forms(0x89)) emit(f);
    emit([0x39, 0xc8]); // CMP EAX, ECX
    emit([0x74, 0x00]); // JE +0
    for (const f of forms(0x01)) {
      emit(f);
      emit([0xeb, 0x00]); // JMP +0
    }
  });
}

/** Generated code, and the instructions a run of it retires (HLT included). */
export interface WarmUpCode {
  bytes: Uint8Array;
  instructions: number;
}

/** One instruction's bytes. */
type Emit = (bytes: readonly number[]) => void;

/** MOV EBP, PASSES; the body; DEC EBP; JNZ to the body; HLT. */
function assemble(body: (emit: Emit, crossing: Emit) => void): WarmUpCode {
  const code = new Uint8Array(CODE_MAX);
  let n = 0;
  let perPass = 0;
  const emit = (bytes: readonly number[]): void => {
    code.set(bytes, n);
    n += bytes.length;
    perPass++;
  };
  const rel32 = (rel: number): number[] => [rel & 0xff, (rel >> 8) & 0xff, (rel >> 16) & 0xff, (rel >> 24) & 0xff];
  const crossing = (bytes: readonly number[]): void => {
    // JMP rel32 (through the table) to the page's last byte, where the instruction starts.
    const at = n + 5;
    const target = at + PAGE - 1 - ((CODE + at) % PAGE);
    emit([0xe9, ...rel32(target - at)]);
    n = target;
    emit(bytes);
  };
  emit([0xbd, ...rel32(PASSES)]); // MOV EBP, PASSES
  const top = n;
  perPass = 0;
  body(emit, crossing);
  emit([0x4d]); // DEC EBP
  emit([0x0f, 0x85, ...rel32(top - (n + 6))]); // JNZ top
  const loop = perPass;
  emit([0xf4]); // HLT
  return { bytes: code.subarray(0, n), instructions: 1 + PASSES * loop + 1 };
}

/**
 * The warm-up code run at `eip` with CS base `csBase` on a CPU of its own, until its HLT (exported
 * for the test that checks the code does what it should).
 */
export function runWarmUp(eip: number, csBase: number, blocks: boolean, code: WarmUpCode): Cpu {
  const enabled = blockCacheEnabled();
  setBlockCacheEnabled(blocks);
  const mem = new PhysicalMemory(1 << 20);
  const cpu = standaloneCpu(mem);
  setBlockCacheEnabled(enabled);
  mem.load(GDT, Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0x9a, 0xcf, 0, 0xff, 0xff, 0, 0, 0, 0x92, 0xcf, 0]));
  mem.load(CODE, code.bytes);
  cpu.reset();
  cpu.enterFlatProtectedMode(GDT, 23, 0x08, 0x10, eip);
  if (csBase !== 0) cpu.setSeg(CS, 0x08, csBase | 0, 0xffffffff, ATTR_G | ATTR_DB | DESC_P | DESC_S | DESC_RW | DESC_A | DESC_CODE);
  cpu.r32[EBX] = DATA;
  cpu.r32[ESI] = DATA + 0x100;
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
    const code = program();
    // The loop alone first (V8 records feedback once the function has run a while), at both EIPs;
    // then with blocks, which are translated after two passes and run the rest.
    runWarmUp(WARM_EIP, 0, false, code);
    runWarmUp(HIGH_EIP, HIGH_CS_BASE, false, code);
    runWarmUp(WARM_EIP, 0, true, blockProgram());
  } catch {
    // A warm-up that failed has only failed to speed things up.
  } finally {
    setBlockCacheHotCount(hot);
  }
}
