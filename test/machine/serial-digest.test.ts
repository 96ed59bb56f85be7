import { describe, expect, it } from 'vitest';
import { SerialDigest } from '../../machine/serial-digest.ts';
import { hash64 } from '../../src/util/hash.ts';
import { StateError } from '../../src/util/errors.ts';

function bytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 131 + (i >> 3)) & 0xff;
  return out;
}

describe('SerialDigest', () => {
  it('gives hash64 of every byte put, at every length', () => {
    const d = new SerialDigest();
    const data = bytes(300);
    expect(d.hex()).toBe(hash64(new Uint8Array(0)));
    for (let i = 0; i < data.length; i++) {
      d.put(data[i]!);
      expect(d.hex(), `length ${i + 1}`).toBe(hash64(data.subarray(0, i + 1)));
    }
    expect(d.bytes).toBe(300);
  });

  it('goes on from a saved state as if never interrupted', () => {
    const data = bytes(100);
    for (const cut of [0, 1, 15, 16, 17, 33, 64, 99, 100]) {
      const a = new SerialDigest();
      for (const b of data.subarray(0, cut)) a.put(b);
      const json = JSON.parse(JSON.stringify(a.toJson())) as unknown;
      const b = SerialDigest.fromJson(json, 'clock.run.serial');
      for (const x of data.subarray(cut)) b.put(x);
      expect(b.hex(), `cut at ${cut}`).toBe(hash64(data));
      expect(b.bytes).toBe(100);
    }
  });

  it('refuses a malformed state, naming where', () => {
    const good = { bytes: 3, h: [0, 0, 0, 0], pending: 'aabbcc' };
    expect(() => SerialDigest.fromJson(good, 'x')).not.toThrow();
    for (const bad of [
      null,
      [],
      { ...good, bytes: -1 },
      { ...good, bytes: 4 },
      { ...good, h: [0, 0, 0] },
      { ...good, h: [0, 0, 0, 2 ** 32] },
      { ...good, pending: 'AABBCC' },
      { bytes: 3, h: [0, 0, 0, 0] },
    ]) {
      expect(() => SerialDigest.fromJson(bad, 'clock.run.serial')).toThrow(StateError);
    }
    expect(() => SerialDigest.fromJson({ ...good, bytes: 4 }, 'clock.run.serial')).toThrow(/^clock\.run\.serial: pending/);
  });
});
