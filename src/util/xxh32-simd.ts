/**
 * The XXH32 pair's block loop (xxh32.ts) in WebAssembly SIMD: both seeds' four lanes as two i32x4
 * vectors, so that one vector multiply does what four Math.imul calls do in JavaScript.
 *
 * Why: the checksum runs over every stored RAM page on save and again on load. The JavaScript loop
 * runs at about 3 GB/s on the development host; this one at about 5.5 over bytes already in its
 * memory and about 4.5 with the copy into it (`npm run bench -- checksum`). Its limit is the lane
 * step's latency (add, rotate, multiply: each 16-byte stripe waits for the previous one), not the
 * memory, so unrolling does not help.
 *
 * The module is built here, byte by byte, from the instructions below (about 370 bytes); it has no
 * imports and owns two pages of memory:
 *
 *   [0, 32)            the lanes: seed 0's at 0, XXH32_SEED_HI's at 16 (little-endian int32s)
 *   [DATA, DATA+PIECE) the bytes to hash, copied in by the caller
 *
 *   blocks(n)  mixes the n 16-byte stripes at DATA into the lanes (n <= PIECE / 16)
 *   zeros(n)   mixes n all-zero stripes into the lanes (reads no data)
 *
 * Where WebAssembly or its SIMD is missing (an old browser), or on a big-endian host,
 * `xxh32Kernel` is null and xxh32.ts runs its JavaScript loop; both give the same digests
 * (test/util/xxh32.test.ts).
 */
import { LITTLE_ENDIAN } from './block-hash.ts';

/** Where the data area starts in the module's memory, and its size (the second page). */
const DATA = 1 << 16;
export const PIECE_BYTES = 1 << 16;

// XXH32's primes as the int32s an i32.const takes.
const PRIME1 = 0x9e3779b1 | 0;
const PRIME2 = 0x85ebca77 | 0;

// Opcodes (WebAssembly core 2.0 and its fixed-width SIMD, prefix 0xfd).
const BLOCK = 0x02;
const LOOP = 0x03;
const BR_IF = 0x0d;
const END = 0x0b;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;
const I32_CONST = 0x41;
const I32_EQZ = 0x45;
const I32_LT_U = 0x49;
const I32_GE_U = 0x4f;
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const I32_SHL = 0x74;
const VOID = 0x40;
const T_I32 = 0x7f;
const T_V128 = 0x7b;
const SIMD = 0xfd;
const V128_LOAD = 0x00;
const V128_STORE = 0x0b;
const I32X4_SPLAT = 0x11;
const V128_OR = 0x50;
const I32X4_SHL = 0xab;
const I32X4_SHR_U = 0xad;
const I32X4_ADD = 0xae;
const I32X4_MUL = 0xb5;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

const get = (local: number) => [LOCAL_GET, local];
const set = (local: number) => [LOCAL_SET, local];
const tee = (local: number) => [LOCAL_TEE, local];
const i32 = (value: number) => [I32_CONST, ...sleb(value)];
const simd = (op: number) => [SIMD, ...uleb(op)];
/** v128.load / v128.store with 16-byte alignment at a constant offset from the address on the stack. */
const load = (offset: number) => [...simd(V128_LOAD), 4, ...uleb(offset)];
const store = (offset: number) => [...simd(V128_STORE), 4, ...uleb(offset)];

// Locals of both functions: the parameter n, then the rest.
const N = 0;
const P = 1; // i32: the address (blocks) or the stripes left (zeros)
const END_AT = 2; // i32: the data's end (blocks)
const A = 3; // v128: seed 0's lanes
const B = 4; // v128: XXH32_SEED_HI's lanes
const W = 5; // v128: the stripe's words times PRIME2
const T = 6; // v128: scratch
const P1 = 7; // v128: PRIME1 in every lane
const P2 = 8; // v128: PRIME2 in every lane
const LOCALS = [2, T_I32, 6, T_V128];

/** lanes = rotl(lanes + W, 13) * PRIME1 (XXH32's round); W is zero in `zeros`, left out. */
function round(lanes: number, withWords: boolean): number[] {
  return [
    ...get(lanes),
    ...(withWords ? [...get(W), ...simd(I32X4_ADD)] : []),
    ...tee(T),
    ...i32(13),
    ...simd(I32X4_SHL),
    ...get(T),
    ...i32(19),
    ...simd(I32X4_SHR_U),
    ...simd(V128_OR),
    ...get(P1),
    ...simd(I32X4_MUL),
    ...set(lanes),
  ];
}

/** Lanes and primes into locals; the function's own body; lanes back to memory. */
function lanesAround(body: number[]): number[] {
  return [
    ...i32(0), ...load(0), ...set(A),
    ...i32(0), ...load(16), ...set(B),
    ...i32(PRIME1), ...simd(I32X4_SPLAT), ...set(P1),
    ...i32(PRIME2), ...simd(I32X4_SPLAT), ...set(P2),
    ...body,
    ...i32(0), ...get(A), ...store(0),
    ...i32(0), ...get(B), ...store(16),
    END,
  ];
}

// blocks(n): for (p = DATA, end = DATA + 16n; p < end; p += 16) { W = load(p) * PRIME2; round A; round B }
const BLOCKS_BODY = lanesAround([
  ...i32(DATA), ...set(P),
  ...get(N), ...i32(4), I32_SHL, ...i32(DATA), I32_ADD, ...set(END_AT),
  BLOCK, VOID,
  ...get(P), ...get(END_AT), I32_GE_U, BR_IF, 0,
  LOOP, VOID,
  ...get(P), ...load(0), ...get(P2), ...simd(I32X4_MUL), ...set(W),
  ...round(A, true),
  ...round(B, true),
  ...get(P), ...i32(16), I32_ADD, ...tee(P), ...get(END_AT), I32_LT_U, BR_IF, 0,
  END,
  END,
]);

// zeros(n): for (p = n; p != 0; p--) { round A; round B } with W = 0
const ZEROS_BODY = lanesAround([
  ...get(N), ...set(P),
  BLOCK, VOID,
  ...get(P), I32_EQZ, BR_IF, 0,
  LOOP, VOID,
  ...round(A, false),
  ...round(B, false),
  ...get(P), ...i32(1), I32_SUB, ...tee(P), BR_IF, 0,
  END,
  END,
]);

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

function code(body: number[]): number[] {
  const withLocals = [...uleb(LOCALS.length / 2), ...LOCALS, ...body];
  return [...uleb(withLocals.length), ...withLocals];
}

/** The module's bytes. */
export function xxh32ModuleBytes(): Uint8Array {
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    // One type: (i32) -> ()
    ...section(1, [1, 0x60, 1, T_I32, 0]),
    // Two functions of that type.
    ...section(3, [2, 0, 0]),
    // One memory of two pages, fixed.
    ...section(5, [1, 0x01, 2, 2]),
    ...section(7, [3, ...name('mem'), 0x02, 0, ...name('blocks'), 0x00, 0, ...name('zeros'), 0x00, 1]),
    ...section(10, [2, ...code(BLOCKS_BODY), ...code(ZEROS_BODY)]),
  ]);
}

/** The instantiated module, as xxh32.ts uses it. */
export interface Xxh32Kernel {
  /** The lanes: [0, 4) seed 0's, [4, 8) XXH32_SEED_HI's. */
  readonly lanes: Int32Array;
  /** The data area (PIECE_BYTES). */
  readonly data: Uint8Array;
  blocks(stripes: number): void;
  zeros(stripes: number): void;
}

/** What this file needs of the WebAssembly JavaScript API (the project's TypeScript libraries do not declare it). */
interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}

interface KernelExports {
  mem: { buffer: ArrayBuffer };
  blocks: (stripes: number) => void;
  zeros: (stripes: number) => void;
}

function instantiate(): Xxh32Kernel | null {
  const wasm = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  // The lanes go in and out through an Int32Array, and WebAssembly's memory is little-endian: on a
  // big-endian host the module would read them byte-swapped (and block-hash.ts hands such a host's blocks over one at a time anyway).
  if (wasm === undefined || !LITTLE_ENDIAN) return null;
  const bytes = xxh32ModuleBytes();
  try {
    if (!wasm.validate(bytes)) return null;
    // Synchronous: the module is far below the 4 KiB browsers allow on their main thread.
    const exports = new wasm.Instance(new wasm.Module(bytes)).exports as unknown as KernelExports;
    // Fixed at two pages: the views below never detach.
    return {
      lanes: new Int32Array(exports.mem.buffer, 0, 8),
      data: new Uint8Array(exports.mem.buffer, DATA, PIECE_BYTES),
      blocks: exports.blocks,
      zeros: exports.zeros,
    };
  } catch {
    return null;
  }
}

/** The SIMD block loop, or null where this platform cannot run it. */
export const xxh32Kernel: Xxh32Kernel | null = instantiate();
