import { describe, expect, it } from 'vitest';
import { isBlockIoError } from '../../src/block/block-backend.ts';
import { MemoryBackend } from '../../src/block/memory-backend.ts';
import { OVERLAY_BLOCK_SIZE, OverlayBackend } from '../../src/block/overlay-backend.ts';
import { isStateError } from '../../src/util/errors.ts';
import { firstDifference } from './bytes.ts';

const B = OVERLAY_BLOCK_SIZE;

function pattern(n: number, seed = 1): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 17 + (i >> 9)) & 0xff);
}

/** A reference disk that applies the same operations to a flat copy. */
function pair(size: number) {
  const baseBytes = pattern(size);
  const base = new MemoryBackend(baseBytes.slice(), { readOnly: true });
  const overlay = new OverlayBackend(base);
  const flat = new MemoryBackend(baseBytes.slice());
  return { base, overlay, flat, baseBytes };
}

function all(d: { size: number; read(o: number, b: Uint8Array): void }): Uint8Array {
  const out = new Uint8Array(d.size);
  d.read(0, out);
  return out;
}

/** Seeded xorshift32: deterministic random operations. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}

describe('OverlayBackend', () => {
  it('reads the base until written; writes land in the overlay only', () => {
    const { overlay, base, baseBytes } = pair(5 * B);
    expect(firstDifference(all(overlay), baseBytes)).toBe(-1);
    overlay.write(B - 3, Uint8Array.of(9, 9, 9, 9, 9, 9));
    const got = all(overlay);
    expect([...got.subarray(B - 4, B + 4)]).toEqual([baseBytes[B - 4], 9, 9, 9, 9, 9, 9, baseBytes[B + 3]]);
    expect(firstDifference(all(base), baseBytes)).toBe(-1);
    expect(overlay.writtenBlocks().map((b) => b.index)).toEqual([0, 1]);
  });

  it('matches a flat disk under a seeded sequence of writes, zeroing and discards (partial last block too)', () => {
    for (const size of [3 * B, 3 * B + 1536]) {
      const { overlay, flat } = pair(size);
      const r = rng(size);
      for (let step = 0; step < 400; step++) {
        const off = r(size);
        const len = Math.min(r(2 * B + 7), size - off);
        const op = r(4);
        if (op === 0) {
          const data = pattern(len, step);
          overlay.write(off, data);
          flat.write(off, data);
        } else if (op === 1) {
          overlay.writeZeroes(off, len);
          flat.writeZeroes(off, len);
        } else if (op === 2) {
          overlay.discard(off, len);
          flat.discard(off, len);
        } else {
          const a = new Uint8Array(len);
          const b = new Uint8Array(len);
          overlay.read(off, a);
          flat.read(off, b);
          expect(firstDifference(a, b)).toBe(-1);
        }
      }
      expect(firstDifference(all(overlay), all(flat))).toBe(-1);
    }
  });

  it('zeroing whole blocks shares one zero block and copies it before a write', () => {
    const { overlay } = pair(4 * B);
    overlay.writeZeroes(B, 2 * B);
    overlay.write(B + 10, Uint8Array.of(7));
    const got = all(overlay);
    expect(got[B + 10]).toBe(7);
    expect(got.subarray(B, 3 * B).reduce((a, v) => a + v, 0)).toBe(7);
    // The other zeroed block is still all zeros: the write did not go into a shared buffer.
    const blocks = overlay.writtenBlocks();
    expect(blocks.map((b) => b.index)).toEqual([1, 2]);
    expect(blocks[1]!.data.every((v) => v === 0)).toBe(true);
  });

  it('written blocks restore into a fresh overlay that reads the same', () => {
    const { overlay, base } = pair(6 * B + 512);
    overlay.write(100, pattern(3 * B, 5));
    overlay.writeZeroes(5 * B, B + 512);
    const fresh = new OverlayBackend(base);
    fresh.restoreBlocks(overlay.writtenBlocks());
    expect(firstDifference(all(fresh), all(overlay))).toBe(-1);
    expect(fresh.writtenBlocks().map((b) => b.index)).toEqual(overlay.writtenBlocks().map((b) => b.index));
    fresh.clear();
    expect(firstDifference(all(fresh), all(base))).toBe(-1);
  });

  it('adopted blocks are used in place and copied before a write: the adopted bytes never change', () => {
    const { overlay, base } = pair(6 * B + 512);
    overlay.write(100, pattern(3 * B, 5));
    overlay.writeZeroes(5 * B, B + 512);
    const expected = all(overlay);
    // The blocks as a snapshot holds them: one byte string, each block a view of it.
    const saved = overlay.writtenBlocks();
    const bytes = new Uint8Array(saved.length * B);
    saved.forEach((b, i) => bytes.set(b.data, i * B));
    const untouched = bytes.slice();
    const blocks = saved.map((b, i) => ({ index: b.index, data: bytes.subarray(i * B, (i + 1) * B) }));
    const a = new OverlayBackend(base);
    const b = new OverlayBackend(base);
    a.adoptBlocks(blocks);
    b.adoptBlocks(blocks);
    expect(firstDifference(all(a), expected)).toBe(-1);
    // No copy: the whole blocks are the snapshot's bytes (the partial last one is a copy of its own).
    const held = a.writtenBlocks();
    expect(held.filter((x) => x.data.buffer === bytes.buffer).map((x) => x.index)).toEqual([0, 1, 2, 3, 5]);
    // Writes of every kind into adopted blocks: partial, whole, zeroing, at the partial last block.
    a.write(B + 7, Uint8Array.of(1, 2, 3));
    a.write(2 * B, pattern(B, 9));
    a.writeZeroes(3 * B, B);
    a.write(3 * B + 5, Uint8Array.of(4));
    a.write(6 * B + 3, Uint8Array.of(5));
    a.writeZeroes(0, 100);
    expect(firstDifference(bytes, untouched)).toBe(-1);
    expect(firstDifference(all(b), expected)).toBe(-1);
    const flat = expected.slice();
    flat.set([1, 2, 3], B + 7);
    flat.set(pattern(B, 9), 2 * B);
    flat.fill(0, 3 * B, 4 * B);
    flat[3 * B + 5] = 4;
    flat[6 * B + 3] = 5;
    flat.fill(0, 0, 100);
    expect(firstDifference(all(a), flat)).toBe(-1);
    // A block written after the adoption is the overlay's own: written again in place.
    const own = a.writtenBlocks().find((x) => x.index === 1)!.data;
    a.write(B, Uint8Array.of(9));
    expect(a.writtenBlocks().find((x) => x.index === 1)!.data).toBe(own);
    expect(own[0]).toBe(9);
  });

  it('refuses bad adopt input and keeps its blocks', () => {
    const { overlay } = pair(2 * B);
    overlay.write(0, Uint8Array.of(1));
    const before = all(overlay);
    let err: unknown = null;
    try {
      overlay.adoptBlocks([{ index: 0, data: new Uint8Array(B) }, { index: 0, data: new Uint8Array(B) }]);
    } catch (e) {
      err = e;
    }
    expect(isStateError(err)).toBe(true);
    expect(firstDifference(all(overlay), before)).toBe(-1);
  });

  it('refuses bad restore input and keeps its blocks', () => {
    const { overlay } = pair(2 * B);
    overlay.write(0, Uint8Array.of(1));
    const before = all(overlay);
    const bad = [
      [{ index: 2, data: new Uint8Array(B) }],
      [{ index: -1, data: new Uint8Array(B) }],
      [{ index: 0.5, data: new Uint8Array(B) }],
      [{ index: 1, data: new Uint8Array(B - 1) }],
      [
        { index: 1, data: new Uint8Array(B) },
        { index: 1, data: new Uint8Array(B) },
      ],
    ];
    for (const blocks of bad) {
      let err: unknown = null;
      try {
        overlay.restoreBlocks(blocks);
      } catch (e) {
        err = e;
      }
      expect(isStateError(err)).toBe(true);
      expect(firstDifference(all(overlay), before)).toBe(-1);
    }
  });

  it('range and read-only errors are BlockIoError', () => {
    const { base } = pair(2 * B);
    const ro = new OverlayBackend(base, { readOnly: true });
    for (const f of [
      () => ro.write(0, new Uint8Array(1)),
      () => ro.writeZeroes(0, 1),
      () => ro.discard(0, 1),
      () => ro.read(2 * B, new Uint8Array(1)),
      () => new OverlayBackend(base).write(2 * B - 1, new Uint8Array(2)),
    ]) {
      let err: unknown = null;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(isBlockIoError(err)).toBe(true);
    }
    expect(ro.writtenBlockCount).toBe(0);
  });
});
