/**
 * PhysicalMemory with a pager (lazy restore): every way into RAM loads a lazy chunk before it reads
 * or writes it (CPU slow paths, device DMA, loaders), each chunk is loaded once, chunks without
 * data are never loaded, and the background prefetch and materializeAll finish the job.
 */
import { describe, expect, it } from 'vitest';
import { PAGE_HOLE, PAGE_LAZY, PAGE_RAM, PAGE_ROM, PhysicalMemory } from '../../src/memory/physical-memory.ts';
import type { RamPager } from '../../src/memory/ram-pager.ts';

const MIB = 1 << 20;

/** A pager over `image` (8 MiB, chunks of 256 pages) that records which chunks it loaded. */
function pagerFor(mem: () => PhysicalMemory, image: Uint8Array, empty: ReadonlySet<number> = new Set()): RamPager & { loads: number[] } {
  const loads: number[] = [];
  return {
    loads,
    chunkPages: 256,
    chunks: image.length / MIB,
    hasData: (c) => !empty.has(c),
    load: (c) => {
      loads.push(c);
      mem().u8.set(image.subarray(c * MIB, (c + 1) * MIB), c * MIB);
    },
  };
}

function setup(empty: ReadonlySet<number> = new Set()) {
  const image = new Uint8Array(8 * MIB);
  for (let i = 0; i < image.length; i += 4096) if (!empty.has(Math.floor(i / MIB))) image.fill((i >>> 12) & 0xff || 1, i, i + 4096);
  let m: PhysicalMemory | null = null;
  const pager = pagerFor(() => m!, image, empty);
  m = new PhysicalMemory(8 * MIB);
  m.attachPager(pager);
  return { mem: m, pager, image };
}

describe('lazy RAM', () => {
  it('marks only chunks with data lazy', () => {
    const { mem } = setup(new Set([2, 5]));
    expect(mem.lazyChunksLeft).toBe(6);
    expect(mem.pageKind[2 * 256]! & PAGE_LAZY).toBe(0);
    expect(mem.pageKind[3 * 256]! & PAGE_LAZY).toBe(PAGE_LAZY);
  });

  it('keeps the kinds of pages set before the pager came (a board maps ROM and holes first)', () => {
    const image = new Uint8Array(8 * MIB);
    let m: PhysicalMemory | null = null;
    const pager = pagerFor(() => m!, image, new Set([3]));
    m = new PhysicalMemory(8 * MIB);
    m.setPageKind(0xa0000, 0x20000, PAGE_HOLE);
    m.setPageKind(0xf0000, 0x10000, PAGE_ROM);
    // A ROM page in a chunk without data, and one at the very end of a chunk with data.
    m.setPageKind(3 * MIB + 0x5000, 0x1000, PAGE_ROM);
    m.setPageKind(5 * MIB - 0x1000, 0x1000, PAGE_HOLE);
    m.attachPager(pager);
    const expected = new Uint8Array(8 * 256);
    for (let p = 0; p < expected.length; p++) {
      const kind = p >= 0xa0 && p < 0xc0 ? PAGE_HOLE : (p >= 0xf0 && p < 0x100) || p === 3 * 256 + 5 ? PAGE_ROM : p === 5 * 256 - 1 ? PAGE_HOLE : PAGE_RAM;
      expected[p] = kind | (Math.floor(p / 256) === 3 ? 0 : PAGE_LAZY);
    }
    expect(m.pageKind).toEqual(expected);
    expect(m.lazyChunksLeft).toBe(7);
  });

  it('loads a chunk on its first read or write through every path, once', () => {
    const { mem, pager, image } = setup();
    expect(mem.readSlow(0x1234, 4)).toBe(new DataView(image.buffer).getUint32(0x1234, true));
    expect(mem.read8(MIB + 5)).toBe(image[MIB + 5]);
    const dest = new Uint8Array(64);
    mem.readBytes(2 * MIB + 100, dest);
    expect(dest).toEqual(image.subarray(2 * MIB + 100, 2 * MIB + 164));
    // A partial write keeps the rest of the page (the chunk is loaded first).
    mem.writeSlow(3 * MIB + 8, 1, 0xee);
    expect(mem.u8[3 * MIB + 9]).toBe(image[3 * MIB + 9]);
    mem.write32(4 * MIB + 16, 0x11223344);
    expect(mem.u8[4 * MIB + 20]).toBe(image[4 * MIB + 20]);
    mem.writeBytes(5 * MIB + 4000, new Uint8Array(200).fill(7));
    expect(mem.u8[5 * MIB + 4200]).toBe(image[5 * MIB + 4200]);
    mem.load(6 * MIB + 1, new Uint8Array([9]));
    expect(mem.u8[6 * MIB]).toBe(image[6 * MIB]);
    expect(mem.isRam(7 * MIB, 10)).toBe(true);
    expect(pager.loads).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    mem.read8(0);
    mem.read8(7 * MIB + 3);
    expect(pager.loads).toHaveLength(8);
    expect(mem.lazyChunksLeft).toBe(0);
  });

  it('keeps the lazy bit under a page-kind change, and ROM reads load it', () => {
    const { mem, image } = setup();
    mem.setPageKind(0xf0000, 0x10000, PAGE_ROM);
    expect(mem.pageKind[0xf0]).toBe(PAGE_ROM | PAGE_LAZY);
    expect(mem.readSlow(0xf0010, 1)).toBe(image[0xf0010]);
    mem.writeSlow(0xf0010, 1, 0);
    expect(mem.u8[0xf0010]).toBe(image[0xf0010]);
  });

  it('prefetches in address order, skipping loaded chunks; materializeAll ends with every byte', () => {
    const { mem, pager, image } = setup(new Set([1]));
    mem.read8(3 * MIB);
    expect(mem.prefetch(2)).toBe(4);
    expect(pager.loads).toEqual([3, 0, 2]);
    mem.materializeAll();
    expect(pager.loads).toEqual([3, 0, 2, 4, 5, 6, 7]);
    expect(Buffer.compare(mem.u8, image)).toBe(0);
    expect(mem.prefetch(4)).toBe(0);
  });
});
