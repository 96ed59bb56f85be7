/**
 * Property-based hostile inputs (seeded, so failures reproduce): whatever is done to a snapshot,
 * decoding either succeeds with a valid snapshot or throws a SnapshotError or StateError, quickly;
 * `__proto__` and `constructor` keys anywhere are data or refused, never prototypes.
 */
import { describe, expect, it } from 'vitest';
import { decodeSnapshot, verifyContainer } from '../../migration/decode.ts';
import { encodeSnapshotBytes } from '../../migration/encode.ts';
import { HEADER_BYTES } from '../../migration/header.ts';
import { isSnapshotError } from '../../migration/snapshot-error.ts';
import { isStateError } from '../../src/util/errors.ts';
import type { Snapshot } from '../../migration/snapshot.ts';
import { documentOf, forgeFile, jsonValuesFile, resealAll, type ForgedBlob } from './forge.ts';
import { Rng, sampleSnapshot } from './sample-snapshot.ts';

/** A version 3 file: its document holds the values (the value section's fuzzing: value-section-hostile.test.ts). */
const GOOD = jsonValuesFile(sampleSnapshot(64 * 1024, [0, 1, 7, 15]));
const GOOD_DOC = documentOf(GOOD);
const GOOD_BLOBS: ForgedBlob[] = verifyContainer(GOOD).blobs.map((b) => ({
  stored: GOOD.slice(b.offset, b.offset + b.storedLength),
  length: b.length,
  encoding: b.encoding,
}));
const DOC_START = HEADER_BYTES + 40;
const GOOD_SCHEMAS = decodeSnapshot(GOOD).schemas;

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

/** The key path of every JSON object (not array) in a parsed document, the document itself first. */
function objectPlaces(value: unknown, at: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [];
  const out: string[][] = Array.isArray(value) ? [] : [at];
  for (const key of Object.keys(value)) out.push(...objectPlaces((value as Record<string, unknown>)[key], [...at, key]));
  return out;
}

/** Plain JSON (config, clock.run): any key is data. */
function isJsonData(at: readonly string[]): boolean {
  return at[0] === 'config' || (at[0] === 'clock' && at[1] === 'run');
}

/** Inside one schema (its node or a field description), where unknown keys are dropped. */
function isInSchema(at: readonly string[]): boolean {
  return at[0] === 'schemas' && at.length >= 2;
}

/**
 * Decodes a document with `key` injected at `at`. Where keys are data (config, clock.run, and the
 * fields of /machine/pit, whose schema has fields called __proto__ and constructor), the value must
 * come back as an own property (or, for a field, be refused for its kind); inside a schema, keys
 * it does not define are dropped (parseSchema returns a clean copy), so the schemas must come back
 * exactly as they were; anywhere else decoding must fail with a SnapshotError or StateError that
 * names the key. Returns 'data', 'dropped' or 'refused'.
 */
function injectionOutcome(file: Uint8Array, at: readonly string[], key: string, value: unknown, where: string): string {
  let decoded: Snapshot;
  try {
    decoded = decodeSnapshot(file);
  } catch (e) {
    if (!isSnapshotError(e) && !isStateError(e)) throw new Error(`${where}: ${String(e)}`, { cause: e });
    const message = `${(e as Error).message} ${isSnapshotError(e) ? e.where : ''}`;
    expect(isJsonData(at) || isInSchema(at), `${where}: refused (${message})`).toBe(false);
    expect(message, where).toContain(key);
    return 'refused';
  } finally {
    expect(Object.prototype, where).not.toHaveProperty('polluted');
  }
  if (isJsonData(at)) {
    const root: unknown = at[0] === 'config' ? decoded.config : decoded.clock.run;
    const node = at.slice(at[0] === 'config' ? 1 : 2).reduce<unknown>((n, k) => (n as Record<string, unknown>)[k], root) as Record<string, unknown>;
    expect(Object.hasOwn(node, key), where).toBe(true);
    expect(node[key], where).toEqual(value);
    expect(Object.getPrototypeOf(node), where).toBeNull();
    return 'data';
  }
  if (isInSchema(at)) {
    expect(JSON.stringify([...decoded.schemas]), where).toBe(JSON.stringify([...GOOD_SCHEMAS]));
    return 'dropped';
  }
  expect(at.join('.'), `${where}: accepted`).toBe('objects./machine/pit.fields');
  const fields = decoded.objects.get('/machine/pit')!.fields;
  expect(Object.hasOwn(fields, key), where).toBe(true);
  expect(fields[key], where).toBe(value);
  return 'data';
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
      outcome(forgeFile(JSON.stringify(doc), GOOD_BLOBS));
    }
  });

  it('__proto__ and constructor at every level of the document are data or a clear error, never prototypes', () => {
    const places = objectPlaces(JSON.parse(GOOD_DOC) as unknown);
    // Every kind of place where the decoder reads keys: the document, config and clock.run (plain
    // JSON), clock, the objects and schemas maps, an object entry, its fields (whose schema has
    // __proto__ and constructor fields), nested and repeated groups, a blob reference, a schema,
    // a field description.
    const shown = places.map((p) => p.join('.'));
    for (const want of ['', 'config', 'config.machine', 'config.devices.0', 'clock', 'clock.run', 'objects', 'objects./machine/pit',
      'objects./machine/pit.fields', 'objects./machine/pit.fields.channels.1', 'objects./machine/pit.fields.timer',
      'objects./machine/ram.fields.data', 'schemas', 'schemas.i8254@2', 'schemas.i8254@2.fields.0']) {
      expect(shown).toContain(want);
    }
    const results = new Map<string, number>();
    for (const at of places) {
      for (const key of ['__proto__', 'constructor']) {
        for (const value of [{ polluted: 'yes' }, 9]) {
          const doc = JSON.parse(GOOD_DOC) as unknown;
          const target = at.reduce<Record<string, unknown>>((node, k) => node[k] as Record<string, unknown>, doc as Record<string, unknown>);
          // An own property named __proto__ (an assignment would set the prototype instead).
          Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
          const text = JSON.stringify(doc);
          expect(text).toContain(`"${key}":${JSON.stringify(value)}`);
          const where = `${key} = ${JSON.stringify(value)} at ${at.join('.') || 'the document'}`;
          const kind = injectionOutcome(forgeFile(text, GOOD_BLOBS), at, key, value, where);
          results.set(kind, (results.get(kind) ?? 0) + 1);
        }
      }
    }
    // Data where keys are data, dropped inside schemas, refused everywhere else; no prototype touched.
    expect(results.get('data')).toBeGreaterThan(10);
    expect(results.get('dropped')).toBeGreaterThan(10);
    expect(results.get('refused')).toBeGreaterThan(40);
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

});
