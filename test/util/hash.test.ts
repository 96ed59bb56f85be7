import { describe, expect, it } from 'vitest';
import { SPAN_BYTES } from '../../src/util/block-hash.ts';
import { hash64, Murmur3X86_128, murmur3X86_128 } from '../../src/util/hash.ts';

/** SMHasher's VerificationTest: hash keys 0..255 of length n with seed 256-n, then hash the digests. */
function smhasherVerification(): number {
  const key = new Uint8Array(256);
  const digests = new Uint8Array(16 * 256);
  const view = new DataView(digests.buffer);
  for (let n = 0; n < 256; n++) {
    key[n] = n;
    const d = murmur3X86_128(key.subarray(0, n), 256 - n);
    for (let w = 0; w < 4; w++) view.setUint32(n * 16 + w * 4, d[w]!, true);
  }
  return murmur3X86_128(digests, 0)[0];
}

describe('hash64 (MurmurHash3_x86_128)', () => {
  it('passes the SMHasher verification value 0xB3ECE62A', () => {
    expect(smhasherVerification().toString(16)).toBe('b3ece62a');
  });

  it('gives known answers', () => {
    expect(hash64(new Uint8Array(0))).toBe('0000000000000000');
    expect(hash64(new TextEncoder().encode('hello'))).toMatchInlineSnapshot(`"a044242bf7de91db"`);
  });

  it('does not depend on the alignment of the view', () => {
    const buffer = new Uint8Array(1000 + 3);
    for (let i = 0; i < buffer.length; i++) buffer[i] = (i * 37 + 11) & 0xff;
    for (const length of [0, 1, 4, 15, 16, 17, 31, 32, 33, 999]) {
      const aligned = buffer.slice(3, 3 + length);
      const unaligned = buffer.subarray(3, 3 + length);
      expect(hash64(unaligned)).toBe(hash64(aligned));
    }
  });

  it('changes with every byte and with the seed', () => {
    const data = new Uint8Array(4096);
    const base = hash64(data);
    const seen = new Set([base]);
    for (const i of [0, 1, 2, 3, 15, 16, 4095]) {
      data[i] = 1;
      seen.add(hash64(data));
      data[i] = 0;
    }
    seen.add(hash64(data, 1));
    seen.add(hash64(data.subarray(0, 4095)));
    expect(seen.size).toBe(10);
    expect(base).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('Murmur3X86_128 (incremental)', () => {
  function data(n: number, offset = 0): Uint8Array {
    const backing = new Uint8Array(n + offset);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 167 + (i >> 5)) & 0xff;
    return backing.subarray(offset);
  }

  it('equals the one-shot digest however the input is cut, aligned or fed byte by byte', () => {
    for (const offset of [0, 1, 3]) {
      // Past the 64 KiB scratch buffer that unaligned input is copied through.
      const d = data(70000 + 13, offset);
      const whole = murmur3X86_128(d, 9);
      for (const cut of [1, 7, 16, 100, 4099, 65536 + 5]) {
        const m = new Murmur3X86_128(9);
        for (let at = 0; at < d.length; at += cut) m.update(d.subarray(at, at + cut));
        expect(m.digest(), `offset ${offset} cut ${cut}`).toEqual(whole);
        expect(m.bytes).toBe(d.length);
      }
      const small = d.subarray(0, 300);
      const m = new Murmur3X86_128();
      for (let i = 0; i < small.length; i++) {
        m.updateByte(small[i]!);
        expect(m.hex64()).toBe(hash64(small.subarray(0, i + 1)));
      }
    }
  });

  it('goes on from an exported state as if never interrupted', () => {
    const d = data(200);
    for (const cut of [0, 1, 15, 16, 17, 100, 200]) {
      const a = new Murmur3X86_128(5).update(d.subarray(0, cut));
      const state = a.exportState();
      expect(state.length).toBe(cut);
      expect(state.tail.length).toBe(cut % 16);
      const b = Murmur3X86_128.fromState(state).update(d.subarray(cut));
      expect(b.digest(), `cut ${cut}`).toEqual(murmur3X86_128(d, 5));
      // The export is a copy: going on with the original does not change it.
      a.update(d.subarray(cut));
      expect(Murmur3X86_128.fromState(state).bytes).toBe(cut);
    }
  });

  it('refuses an inconsistent state', () => {
    const words = [0, 0, 0, 0] as const;
    expect(() => Murmur3X86_128.fromState({ words, length: 3, tail: new Uint8Array(2) })).toThrow(RangeError);
    expect(() => Murmur3X86_128.fromState({ words, length: -1, tail: new Uint8Array(0) })).toThrow(RangeError);
  });

  it('hashes zeros without reading memory exactly as update() hashes zero bytes', () => {
    const zeros = new Uint8Array(5000);
    const d = data(40);
    for (const before of [0, 1, 15, 16, 33]) {
      for (const count of [0, 1, 15, 16, 17, 4096, 4999]) {
        const a = new Murmur3X86_128(3).update(d.subarray(0, before)).updateZeros(count).update(d.subarray(before));
        const b = new Murmur3X86_128(3).update(d.subarray(0, before)).update(zeros.subarray(0, count)).update(d.subarray(before));
        expect(a.digest(), `before ${before} count ${count}`).toEqual(b.digest());
        expect(a.bytes).toBe(b.bytes);
      }
    }
    expect(() => new Murmur3X86_128().updateZeros(-1)).toThrow(RangeError);
  });
});

/**
 * A byte string longer than 2 GiB, all zero but for `tail` at its end, without 2 GiB of memory: it
 * answers subarray() with views of one shared zero buffer. Only length and subarray() are real; a
 * hash that reaches past them (buffer, byteOffset of the whole) sees an empty buffer and fails.
 */
class LargeZeros extends Uint8Array {
  readonly spans: number[] = [];
  private readonly fakeLength: number;
  private readonly zeros: Uint8Array<ArrayBuffer>;
  private readonly end: Uint8Array;

  constructor(length: number, tail: Uint8Array, zeros: Uint8Array<ArrayBuffer>) {
    super(0);
    this.fakeLength = length;
    this.end = tail;
    this.zeros = zeros;
  }

  override get length(): number {
    return this.fakeLength;
  }

  override subarray(begin = 0, finish = this.fakeLength): Uint8Array<ArrayBuffer> {
    this.spans.push(finish - begin);
    if (finish - begin > this.zeros.length) throw new RangeError(`a span of ${finish - begin} bytes`);
    const tailAt = this.fakeLength - this.end.length;
    if (finish <= tailAt) return this.zeros.subarray(0, finish - begin);
    const out = new Uint8Array(finish - begin);
    for (let i = Math.max(begin, tailAt); i < finish; i++) out[i - begin] = this.end[i - tailAt]!;
    return out;
  }
}

describe('inputs of 2 GiB and more (RAM up to 3.5 GiB)', () => {
  it('update() walks them in spans whose offsets fit 32-bit arithmetic, and hashes them right', () => {
    const tail = Uint8Array.from({ length: 40 }, (_, i) => i + 1);
    const length = 2 ** 31 + tail.length;
    const big = new LargeZeros(length, tail, new Uint8Array(SPAN_BYTES));
    const m = new Murmur3X86_128(7).update(big);
    expect(m.bytes).toBe(length);
    expect(Math.max(...big.spans)).toBeLessThanOrEqual(SPAN_BYTES);
    expect(big.spans.reduce((a, b) => a + b, 0)).toBe(length);
    const expected = new Murmur3X86_128(7).updateZeros(2 ** 31).update(tail);
    expect(m.hex64()).toBe(expected.hex64());
  });
});
