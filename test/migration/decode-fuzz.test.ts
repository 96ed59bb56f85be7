/**
 * Property-based hostile inputs (seeded, so failures reproduce): whatever is done to a snapshot,
 * decoding either succeeds with a valid snapshot or throws a SnapshotError or StateError, quickly and
 * without large allocations.
 */
import { describe, expect, it } from 'vitest';
import { decodeSnapshot, verifyContainer } from '../../migration/decode.ts';
import { encodeSnapshotBytes } from '../../migration/encode.ts';
import { HEADER_BYTES } from '../../migration/header.ts';
import { isSnapshotError } from '../../migration/snapshot-error.ts';
import { isStateError } from '../../src/util/errors.ts';
import type { Snapshot } from '../../migration/snapshot.ts';
import { documentOf, forgeFile, resealAll, type ForgedBlob } from './forge.ts';
import { Rng, sampleSnapshot } from './sample-snapshot.ts';

const GOOD = encodeSnapshotBytes(sampleSnapshot(64 * 1024, [0, 1, 7, 15]));
const GOOD_DOC = documentOf(GOOD);
const GOOD_BLOBS: ForgedBlob[] = verifyContainer(GOOD).blobs.map((b) => ({
  stored: GOOD.slice(b.offset, b.offset + b.storedLength),
  length: b.length,
  encoding: b.encoding,
}));
const DOC_START = HEADER_BYTES + 40;

/**
 * Decodes; returns 'ok' (after checking that the result encodes and decodes again), or the error kind
 * ('SnapshotError:<code>', 'StateError'); any other exception fails the test.
 */
function outcome(file: Uint8Array): string {
  const start = performance.now();
  let decoded: Snapshot;
  try {
    decoded = decodeSnapshot(file);
  } catch (e) {
    expect(performance.now() - start).toBeLessThan(2000);
    if (isSnapshotError(e)) return `SnapshotError:${e.code}`;
    if (isStateError(e)) return 'StateError';
    throw e;
  }
  // Whatever the decoder accepts is a valid snapshot: it encodes again, to a file that decodes.
  decodeSnapshot(encodeSnapshotBytes(decoded));
  return 'ok';
}

function flip(file: Uint8Array, rng: Rng, count: number, from = 0, to = file.length): Uint8Array {
  const out = file.slice();
  for (let i = 0; i < count; i++) out[from + rng.below(to - from)]! ^= 1 + rng.below(255);
  return out;
}

describe('hostile bytes, property-based', () => {
  it('every truncation is reported as truncation', () => {
    const rng = new Rng(1);
    const points = [0, 1, 7, 8, 11, 12, 95, 96, 135, 136, GOOD.length - 1];
    for (let i = 0; i < 200; i++) points.push(rng.below(GOOD.length));
    for (const at of points) expect(outcome(GOOD.subarray(0, at)), `cut at ${at}`).toBe('SnapshotError:truncated');
  });

  it('random byte flips anywhere are caught (checksums, magic, version)', () => {
    const rng = new Rng(2);
    const seen = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const result = outcome(flip(GOOD, rng, 1 + rng.below(4)));
      seen.set(result, (seen.get(result) ?? 0) + 1);
      expect(result).not.toBe('ok');
    }
    expect(seen.get('SnapshotError:checksum')).toBeGreaterThan(300);
  });

  it('random flips with recomputed checksums (a deliberate attacker) end cleanly', () => {
    const rng = new Rng(3);
    const seen = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      // Half in the header and blob table, half in the document.
      const file = i % 2 === 0 ? flip(GOOD, rng, 1 + rng.below(3), 0, DOC_START) : flip(GOOD, rng, 1 + rng.below(3), DOC_START, DOC_START + GOOD_DOC.length);
      const result = outcome(resealAll(file));
      seen.set(result, (seen.get(result) ?? 0) + 1);
    }
    expect(seen.size).toBeGreaterThan(4);
  });

  it('random edits of the document text end cleanly', () => {
    const rng = new Rng(4);
    const alphabet = '{}[]:,"0123456789-.e\\ _abcdefnrtul/@';
    for (let i = 0; i < 400; i++) {
      const chars = [...GOOD_DOC];
      for (let k = 1 + rng.below(3); k > 0; k--) {
        const at = rng.below(chars.length);
        const op = rng.below(3);
        const c = alphabet[rng.below(alphabet.length)]!;
        if (op === 0) chars[at] = c;
        else if (op === 1) chars.splice(at, 0, c);
        else chars.splice(at, 1 + rng.below(8));
      }
      outcome(forgeFile(chars.join(''), GOOD_BLOBS));
    }
  });

  it('random values substituted anywhere in the document end cleanly', () => {
    const rng = new Rng(5);
    const values = (): unknown => {
      const pick = [
        0, -1, 255, 256, 65536, 2 ** 32, 2 ** 53, -(2 ** 63), 1.5, 1e308, null, true, false, '', '0', '18446744073709551616',
        '-9223372036854775809', 'zz', [], [0], {}, { blob: 0, bytes: 65536 }, { blob: 0 }, { __proto__: null, x: 1 },
        'a'.repeat(5000), Array(1000).fill(0),
      ];
      return pick[rng.below(pick.length)];
    };
    for (let i = 0; i < 400; i++) {
      const doc = JSON.parse(GOOD_DOC);
      // Walk to a random place and replace or add something there.
      let node: Record<string, unknown> = doc;
      for (let depth = 0; depth < 1 + rng.below(6); depth++) {
        const keys = Object.keys(node);
        if (keys.length === 0) break;
        const key = keys[rng.below(keys.length)]!;
        const next = node[key];
        if (typeof next !== 'object' || next === null || rng.below(4) === 0) {
          node[key] = values();
          node = {};
          break;
        }
        node = next as Record<string, unknown>;
      }
      if (rng.below(5) === 0) node[rng.below(2) === 0 ? '__proto__' : 'constructor'] = values();
      outcome(forgeFile(JSON.stringify(doc), GOOD_BLOBS));
    }
  });

  it('keeps memory bounded across all of the above', () => {
    // Decoding hostile files allocates at most what the limits allow; here a 64 KiB RAM.
    expect(process.memoryUsage().arrayBuffers).toBeLessThan(512 * 1024 * 1024);
  });
});
