/**
 * The block cache: translated blocks (block-compile.ts) of one CPU in a direct-mapped table keyed by
 * the physical address of their first byte, each checked against the EIP it was translated at.
 *
 * run-batch.ts looks up every instruction boundary of 32-bit code inside the fetch window. An
 * address is translated once its slot has counted HOT_COUNT arrivals, or HOT_COUNT / LOOP_STEPS
 * when its block loops or a JMP or Jcc back reached it: translation costs about as much as
 * interpreting a hundred thousand instructions, so only code that loops is worth it. A
 * block runs only when it lies wholly inside the current fetch window (so its instruction fetches
 * could not fault, whatever CS limit or paging says now) and its code bytes still equal guest
 * memory (the block checks them itself on entry): a block whose bytes changed is dropped and its
 * address interpreted and counted again. Nothing the guest sees depends on whether a block ran:
 * each block instruction behaves exactly like the interpreter's, retires one by one and can stop
 * at any instruction (docs/architecture.md section 2).
 *
 * The switch: setBlockCacheEnabled(false) makes the CPUs built afterwards interpret everything
 * (tests compare both; the benchmark reads GODWIT_BLOCK_CACHE=0 from the environment).
 */
import type { Cpu } from './cpu.ts';
import { compileBlock, jumpsBackTo } from './block-compile.ts';
import type { Block } from './block-compile.ts';
import { runBatch } from './run-batch.ts';
import { WIDE } from '../util/wide-field.ts';

/** Arrivals at a slot before its address is translated (the most a slot counts). */
export const HOT_COUNT = 65535;
/**
 * Code in a loop is translated after 1 / LOOP_STEPS of the arrivals other code needs: a block that
 * jumps back to its own start (it runs whole passes in one call), or one that a JMP or Jcc back
 * reached. Both pay for their translation sooner; a Linux boot's calls and returns do not.
 */
const LOOP_STEPS = 16;
/** Table slots (a power of two). */
const SLOTS = 1 << 14;
export const SLOT_MASK = SLOTS - 1;

let enabledForNewCpus = true;
let hotCountForNewCpus = HOT_COUNT;

/** Whether CPUs built from now on use the block cache (default true). */
export function setBlockCacheEnabled(on: boolean): void {
  enabledForNewCpus = on;
}

/**
 * Arrivals before translation for CPUs built from now on (1 to 65535; tests lower it so that short
 * guests run mostly in blocks).
 */
export function setBlockCacheHotCount(n: number): void {
  hotCountForNewCpus = Math.max(1, Math.min(0xffff, n | 0));
}

/** Arrivals before translation for CPUs built from now on. */
export function blockCacheHotCount(): number {
  return hotCountForNewCpus;
}

export function blockCacheEnabled(): boolean {
  return enabledForNewCpus;
}

/** The table slot of physical address `phys` (run-batch.ts computes it the same way). */
export function slotOf(phys: number): number {
  return (phys ^ (phys >>> 14)) & SLOT_MASK;
}

export class BlockCache {
  /** Block per slot (undefined: none). */
  readonly table: (Block | undefined)[] = new Array<Block | undefined>(SLOTS).fill(undefined);
  /** Physical address of the block in each slot, -1 for none: the interpreter's one check. */
  readonly tags = new Int32Array(SLOTS).fill(-1);
  /** Arrivals per slot since its last look (up to hotCount). */
  readonly hits = new Uint16Array(SLOTS);
  /** Looks at each slot's code since its last translation (up to LOOP_STEPS). */
  private readonly looks = new Uint8Array(SLOTS);
  /**
   * Arrivals at a slot between two looks at its code: code that loops is translated at the
   * first look, other code at the last of `steps` (after about as many arrivals as
   * setBlockCacheHotCount asked).
   */
  readonly hotCount: number;
  /** Looks before code that does not loop is translated. */
  private readonly steps: number;

  constructor() {
    this.steps = Math.min(LOOP_STEPS, hotCountForNewCpus);
    this.hotCount = Math.max(1, Math.round(hotCountForNewCpus / this.steps));
  }
  /**
   * EIP of the instruction run before the one at the handoff: a double from the start (WIDE), so
   * that a kernel's EIP above 2 GiB does not change this object's hidden class and throw away the
   * run loop's optimised code (src/util/wide-field.ts).
   */
  from = WIDE;
  /**
   * The interpreter takes the instruction at the handoff: no block was made there, or its block
   * needs more of the batch than is left (a block runs whole unless something asks for a check).
   */
  interpretNext = false;
  /** No block has gone into the table since it was made or last cleared. */
  private empty = true;
  /** Statistics: blocks translated, blocks dropped because their code changed. */
  translated = 0;
  dropped = 0;

  /**
   * Translate the block at `phys` (EIP `eip`, inside the fetch window) into slot `k` and run it.
   * When its first instruction is not translated the slot stays empty and counts again.
   */
  translate(c: Cpu, phys: number, eip: number, k: number): void {
    this.hits[k] = 0;
    const looksLeft = this.steps - ++this.looks[k]!;
    const early = looksLeft > 0 && !jumpsBackTo(c, this.from, eip);
    const b = compileBlock(c, phys, eip, c.fetchHi, early);
    if (b === null) {
      if (looksLeft <= 0) this.looks[k] = 0;
      this.table[k] = undefined;
      this.tags[k] = -1;
      // The interpreter takes this instruction (it must, when every arrival is due for a look).
      this.interpretNext = true;
      return;
    }
    this.looks[k] = 0;
    this.translated++;
    this.empty = false;
    this.table[k] = b;
    this.tags[k] = phys;
    if (c.batchLimit - c.batchCount >= b.instructions) b.fn(c);
    else this.interpretNext = true;
  }

  /** The block in slot `k` found its code changed: forget it. */
  drop(k: number): void {
    this.table[k] = undefined;
    this.tags[k] = -1;
    this.hits[k] = 0;
    this.looks[k] = 0;
    this.dropped++;
  }

  /**
   * Forget every block (after a snapshot load; correctness never depends on it). The table is
   * cleared only when a block went in since the last time: a restore into a machine that has not
   * run yet (most restores) skips the 16K-slot fills.
   */
  clear(): void {
    if (!this.empty) {
      this.table.fill(undefined);
      this.tags.fill(-1);
      this.empty = true;
    }
    this.hits.fill(0);
    this.looks.fill(0);
    this.interpretNext = false;
  }
}

/**
 * runBatch with blocks: the interpreter runs until the batch ends or it reaches an address with a
 * block (or one due for translation), which runs here, followed directly by the blocks it leads to
 * while there are any; then the interpreter goes on. A block made at another EIP (another CS base)
 * or reaching past the fetch window is translated again.
 */
export function runBatchWithBlocks(c: Cpu, cache: BlockCache): void {
  const table = cache.table;
  const tags = cache.tags;
  for (;;) {
    let k = runBatch(c);
    if (k < 0) return;
    let eip = c.eip;
    // runBatch stopped before this instruction: c.instrStart is still the one before it.
    cache.from = c.instrStart;
    c.instrStart = eip;
    let phys = c.fetchBase + eip;
    let b = table[k];
    if (b === undefined || b.phys !== phys || b.eip !== eip || b.last > c.fetchHi) {
      cache.translate(c, phys, eip, k);
      continue;
    }
    for (;;) {
      if (c.batchLimit - c.batchCount < b.instructions) {
        cache.interpretNext = true;
        break;
      }
      if (!b.fn(c)) {
        cache.drop(k);
        break;
      }
      if (c.batchCount >= c.batchLimit) return;
      eip = c.eip;
      if (eip < c.fetchLo || eip > c.fetchHi || c.csIndex !== 0x100) break;
      phys = c.fetchBase + eip;
      k = slotOf(phys);
      if (tags[k] !== phys) break;
      b = table[k]!;
      if (b.eip !== eip || b.last > c.fetchHi) break;
    }
  }
}
