/**
 * Hostile value sections (format version 4). Checksums are recomputed around every change (an
 * attacker can), so these reach the value section's own checks: every cut, flipped byte, bad flag,
 * oversized count or stray blob index ends in a SnapshotError naming the object path and field, in
 * bounded time and memory; nothing else escapes.
 */
import { describe, expect, it } from 'vitest';
import { decodeSnapshot, verifyContainer } from '../../migration/decode.ts';
import { encodeSnapshotBytes } from '../../migration/encode.ts';
import { H_BLOBS_OFFSET, H_VALUES_LENGTH, H_VALUES_SUM, HEADER_BYTES } from '../../migration/header.ts';
import { withLimits } from '../../migration/limits.ts';
import { isSnapshotError } from '../../migration/snapshot-error.ts';
import type { Snapshot } from '../../migration/snapshot.ts';
import { isStateError } from '../../src/util/errors.ts';
import { documentOf, forgeFile, resealHeader, type ForgedBlob } from './forge.ts';
import { Rng, sampleSnapshot } from './sample-snapshot.ts';
import { snapshotErrorOf as failure } from './snapshot-error-of.ts';

const GOOD = encodeSnapshotBytes(sampleSnapshot());
const CONTAINER = verifyContainer(GOOD);
const DOC = documentOf(GOOD);
const VALUES = CONTAINER.values.slice();
const BLOBS: ForgedBlob[] = CONTAINER.blobs.map((b) => ({ stored: GOOD.slice(b.offset, b.offset + b.storedLength), length: b.length, encoding: b.encoding }));
/** Where the value section starts in the file. */
const VALUES_AT = CONTAINER.header.jsonOffset + CONTAINER.header.jsonLength;

/**
 * The sample's value section, byte by byte: /machine/pit (mode 0, count 1-2, deadline 3-10, offset
 * 11-18, gate 19, latch 20-31, tscs 32-47, page 48-63, __proto__ 64, constructor 65-68, channels
 * 69-74 (out, value; out, value), timer.period 75-78, sipi flag 79), then /machine/ram (data: blob
 * index 80-83).
 */
const PIT_GATE = 19;
const PIT_CHANNEL1_OUT = 72;
const PIT_SIPI = 79;
const RAM_BLOB = 80;

function withValues(values: Uint8Array, doc = DOC, blobs = BLOBS): Uint8Array {
  return forgeFile(doc, blobs, values);
}

function edited(at: number, ...bytes: number[]): Uint8Array {
  const v = VALUES.slice();
  v.set(bytes, at);
  return v;
}

/** Decodes; 'ok' (the result encodes and decodes again) or the error kind; anything else fails. */
function outcome(file: Uint8Array): string {
  let decoded: Snapshot;
  try {
    decoded = decodeSnapshot(file);
  } catch (e) {
    if (isSnapshotError(e)) return `SnapshotError:${e.code}`;
    if (isStateError(e)) return 'StateError';
    throw e;
  }
  decodeSnapshot(encodeSnapshotBytes(decoded));
  return 'ok';
}

describe('value section, hostile', () => {
  it('has the layout the tests assume', () => {
    expect(VALUES.length).toBe(84);
    expect(VALUES[PIT_GATE]).toBe(1);
    expect(VALUES[PIT_SIPI]).toBe(0);
    expect(outcome(withValues(VALUES))).toBe('ok');
  });

  it('names the object and field where a cut value section ends, at every byte', () => {
    const expected: Array<[number, string]> = [
      [0, '/machine/pit.mode'],
      [1, '/machine/pit.count'],
      [2, '/machine/pit.count'],
      [19, '/machine/pit.gate'],
      [20, '/machine/pit.latch'],
      [69, '/machine/pit.channels[0].out'],
      [71, '/machine/pit.channels[0].value'],
      [74, '/machine/pit.channels[1].value'],
      [75, '/machine/pit.timer.period'],
      [79, '/machine/pit.sipi'],
      [80, '/machine/ram.data'],
      [83, '/machine/ram.data'],
    ];
    for (const [at, where] of expected) expect(failure(() => decodeSnapshot(withValues(VALUES.subarray(0, at)))), `cut at ${at}`).toMatchObject({ code: 'bad-values', where });
    const start = performance.now();
    for (let at = 0; at < VALUES.length; at++) {
      const e = failure(() => decodeSnapshot(withValues(VALUES.subarray(0, at))));
      expect(e.code, `cut at ${at}`).toBe('bad-values');
      expect(e.where, `cut at ${at}`).toMatch(/^\/machine\/(pit|ram)\.[a-z_]/);
      expect(e.message).not.toContain('\n');
    }
    expect(performance.now() - start).toBeLessThan(2000);
  });

  it('refuses bytes after the last object, a bad boolean and a bad presence flag', () => {
    expect(failure(() => decodeSnapshot(withValues(new Uint8Array([...VALUES, 0]))))).toMatchObject({
      code: 'bad-values',
      where: `byte ${VALUES_AT + 84} (value section)`,
    });
    expect(failure(() => decodeSnapshot(withValues(edited(PIT_GATE, 2))))).toMatchObject({ code: 'bad-values', where: '/machine/pit.gate' });
    expect(failure(() => decodeSnapshot(withValues(edited(PIT_GATE, 2)))).message).toContain('expected a boolean (0 or 1), got 2');
    expect(failure(() => decodeSnapshot(withValues(edited(PIT_CHANNEL1_OUT, 7))))).toMatchObject({ code: 'bad-values', where: '/machine/pit.channels[1].out' });
    expect(failure(() => decodeSnapshot(withValues(edited(PIT_SIPI, 2))))).toMatchObject({ code: 'bad-values', where: '/machine/pit.sipi' });
    // A present flag where there is none shifts the RAM's blob index one byte: the RAM runs short.
    expect(failure(() => decodeSnapshot(withValues(edited(PIT_SIPI, 1))))).toMatchObject({ code: 'bad-values', where: '/machine/ram.data' });
  });

  it('checks a blob index as a blob reference: in range, taken once, of the schema length', () => {
    expect(failure(() => decodeSnapshot(withValues(edited(RAM_BLOB, 1, 0, 0, 0))))).toMatchObject({ code: 'bad-blob', where: '/machine/ram.data' });
    expect(failure(() => decodeSnapshot(withValues(edited(RAM_BLOB, 0xff, 0xff, 0xff, 0xff))))).toMatchObject({ code: 'bad-blob', where: '/machine/ram.data' });
    const ramTwice = DOC.replace('"objects":{', '"objects":{"/machine/am":{"type":"ram","version":1},');
    const twice = new Uint8Array([0, 0, 0, 0, ...VALUES]);
    expect(failure(() => decodeSnapshot(withValues(twice, ramTwice)))).toMatchObject({ code: 'bad-blob', where: '/machine/ram.data' });
    expect(failure(() => decodeSnapshot(withValues(twice, ramTwice))).message).toContain('referenced a second time');
    const shorter = BLOBS.map((b) => ({ ...b, length: b.length! - 4096 }));
    expect(failure(() => decodeSnapshot(withValues(VALUES, DOC, shorter)))).toMatchObject({ code: 'bad-blob', where: '/machine/ram.data' });
  });

  it('refuses a byte string longer than its schema allows, and huge lengths, before reading them', () => {
    const doc = (max: number) =>
      JSON.stringify({
        config: {},
        clock: { virtualTimeNs: '0', retiredInstructions: '0', run: {} },
        objects: { '/machine/fw': { type: 'fw', version: 1 } },
        schemas: { 'fw@1': { fields: [{ name: 'kernel', kind: 'varbytes', maxLength: max }] } },
      });
    const length = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
    expect(outcome(forgeFile(doc(10), [], new Uint8Array([...length(3), 1, 2, 3])))).toBe('ok');
    expect(failure(() => decodeSnapshot(forgeFile(doc(10), [], new Uint8Array([...length(11), ...new Uint8Array(11)]))))).toMatchObject({
      code: 'bad-values',
      where: '/machine/fw.kernel',
    });
    expect(failure(() => decodeSnapshot(forgeFile(doc(0xffffffff), [], length(0xffffffff))))).toMatchObject({ code: 'bad-values', where: '/machine/fw.kernel' });
    expect(failure(() => decodeSnapshot(forgeFile(doc(0xffffffff), [], new Uint8Array([...length(0xffffffff), 0, 0, 0, 0]))))).toMatchObject({
      code: 'bad-blob',
      where: '/machine/fw.kernel',
    });
    expect(failure(() => decodeSnapshot(forgeFile(doc(4000), [], new Uint8Array([...length(3000), 1]))))).toMatchObject({ code: 'bad-values', where: '/machine/fw.kernel' });
  });

  it('refuses schemas whose counts would allocate without bound, before reading a byte', () => {
    const file = (field: object, values = new Uint8Array(0)) =>
      forgeFile(
        JSON.stringify({
          config: {},
          clock: { virtualTimeNs: '0', retiredInstructions: '0', run: {} },
          objects: { '/machine/a': { type: 'a', version: 1 }, '/machine/b': { type: 'a', version: 1 } },
          schemas: { 'a@1': { fields: [field] } },
        }),
        [],
        values,
      );
    const start = performance.now();
    // Empty groups cost no byte: only the limits stop 4 billion of them.
    expect(failure(() => decodeSnapshot(file({ name: 'many', kind: 'struct[]', length: 0xffffffff, fields: [] })))).toMatchObject({ code: 'limit', where: '/machine/a' });
    const nested = { name: 'outer', kind: 'struct[]', length: 1000, fields: [{ name: 'inner', kind: 'struct[]', length: 1000, fields: [] }] };
    expect(failure(() => decodeSnapshot(file(nested)))).toMatchObject({ code: 'limit', where: '/machine/a' });
    expect(failure(() => decodeSnapshot(file({ name: 'words', kind: 'u8[]', length: 0xffffffff })))).toMatchObject({ code: 'limit', where: '/machine/a' });
    // Within the limits per object, but not for two of them together.
    const half = { name: 'half', kind: 'struct[]', length: 150000, fields: [] };
    expect(failure(() => decodeSnapshot(file(half)))).toMatchObject({ code: 'limit', where: '/machine/b' });
    const small = { name: 'few', kind: 'struct[]', length: 1000, fields: [] };
    expect(decodeSnapshot(file(small), { limits: withLimits({ maxContainers: 2004 }) }).objects.size).toBe(2);
    expect(failure(() => decodeSnapshot(file(small), { limits: withLimits({ maxContainers: 2003 }) }))).toMatchObject({ code: 'limit', where: '/machine/b' });
    // A fixed size past the section is found at once, not by reading.
    expect(failure(() => decodeSnapshot(file({ name: 'big', kind: 'u64[]', length: 1 << 20 })))).toMatchObject({ code: 'bad-values', where: '/machine/a.big' });
    expect(performance.now() - start).toBeLessThan(2000);
  });

  it('checks the value section header fields: length limit, checksum, padding, a document with fields', () => {
    const big = resealHeader(GOOD.slice());
    new DataView(big.buffer).setUint32(H_VALUES_LENGTH, 0xffffffff, true);
    expect(failure(() => decodeSnapshot(resealHeader(big)))).toMatchObject({ code: 'limit', where: `byte ${H_VALUES_LENGTH} (header.valuesLength)` });
    const moved = GOOD.slice();
    new DataView(moved.buffer).setUint32(H_VALUES_LENGTH, 85, true);
    expect(failure(() => decodeSnapshot(resealHeader(moved)))).toMatchObject({ code: 'checksum', where: `byte ${H_VALUES_SUM} (header.valuesChecksum)` });
    const flipped = GOOD.slice();
    flipped[VALUES_AT + 5]! ^= 1;
    expect(failure(() => decodeSnapshot(flipped))).toMatchObject({ code: 'checksum', where: `byte ${H_VALUES_SUM} (header.valuesChecksum)` });
    const padded = GOOD.slice();
    padded[VALUES_AT + VALUES.length] = 1;
    expect(failure(() => decodeSnapshot(padded))).toMatchObject({ code: 'bad-layout', where: `byte ${VALUES_AT + VALUES.length}` });
    // The blob section starts after the value section, rounded up: nothing else.
    const blobsAt = new DataView(GOOD.buffer).getBigUint64(H_BLOBS_OFFSET, true);
    expect(blobsAt).toBe(BigInt(Math.ceil((VALUES_AT + VALUES.length) / 4096) * 4096));
    // Values in a version 4 document are an unknown key.
    const withFields = DOC.replace('"/machine/ram":{"type":"ram","version":1}', '"/machine/ram":{"type":"ram","version":1,"fields":{}}');
    expect(failure(() => decodeSnapshot(withValues(VALUES, withFields)))).toMatchObject({ code: 'bad-document', where: '/machine/ram."fields"' });
  });

  it('random flips in the value section with checksums recomputed end cleanly', () => {
    const rng = new Rng(11);
    const seen = new Map<string, number>();
    const start = performance.now();
    for (let i = 0; i < 600; i++) {
      const v = VALUES.slice();
      for (let k = 1 + rng.below(3); k > 0; k--) v[rng.below(v.length)]! ^= 1 + rng.below(255);
      const result = outcome(withValues(v));
      seen.set(result, (seen.get(result) ?? 0) + 1);
    }
    expect(performance.now() - start).toBeLessThan(5000);
    // Most flips land in integers (any value is one), some in flags and the blob index.
    expect(seen.get('ok')).toBeGreaterThan(300);
    expect(seen.get('SnapshotError:bad-values')).toBeGreaterThan(5);
    expect(seen.get('SnapshotError:bad-blob')).toBeGreaterThan(5);
  });

  it('reports every cut of a version 4 file as truncation, and a flip anywhere as a fault', () => {
    const rng = new Rng(12);
    const points = [0, 8, 12, 95, HEADER_BYTES, VALUES_AT, VALUES_AT + 40, GOOD.length - 1];
    for (let i = 0; i < 100; i++) points.push(rng.below(GOOD.length));
    for (const at of points) expect(outcome(GOOD.subarray(0, at)), `cut at ${at}`).toBe('SnapshotError:truncated');
    for (let i = 0; i < 200; i++) {
      const file = GOOD.slice();
      file[rng.below(VALUES_AT + VALUES.length)]! ^= 1 + rng.below(255);
      expect(outcome(file)).not.toBe('ok');
    }
  });
});
