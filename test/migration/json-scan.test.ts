/** The document's bytes to JSON: limits, duplicate keys, UTF-8 and syntax, the first fault reported. */
import { describe, expect, it } from 'vitest';
import { parseDocumentBytes } from '../../migration/decode.ts';
import { scanJsonLimits } from '../../migration/json-scan.ts';
import { DEFAULT_LIMITS, withLimits, type SnapshotLimits } from '../../migration/limits.ts';

const enc = (t: string) => new TextEncoder().encode(t);

function outcome(doc: Uint8Array, limits: SnapshotLimits = DEFAULT_LIMITS): string {
  try {
    parseDocumentBytes(doc, limits, 100);
    return 'ok';
  } catch (e) {
    return `${(e as { code?: string }).code}: ${(e as Error).message}`;
  }
}

describe('parseDocumentBytes', () => {
  it('parses documents without duplicates, whatever the keys look like', () => {
    expect(outcome(enc('{"a":{"2":1,"1":2,"__proto__":{"x":[{"y":1},{"y":2}]}},"b":[[],{}],"\\u0063":"c"}'))).toBe('ok');
  });

  it('finds a duplicate key at any depth, in any spelling, at its byte', () => {
    expect(outcome(enc('{"a":{"b":[{"x":1,"x":2}]}}'))).toBe('bad-json: byte 118 (document): duplicate key "x" in an object');
    expect(outcome(enc('{"a":{"1":1,"\\u0031":2}}'))).toMatch(/duplicate key "1"/);
    expect(outcome(enc('{"__proto__":1,"__proto__":2}'))).toMatch(/duplicate key "__proto__"/);
  });

  it('reports the first fault in the bytes: a duplicate before a later limit, bad UTF-8 or bad syntax', () => {
    const dupFirst = '{"d":1,"d":2,"a":[1,2,3,4]}';
    expect(outcome(enc(dupFirst), withLimits({ maxArrayLength: 2 }))).toMatch(/^bad-json: .*duplicate key "d"/);
    expect(outcome(enc('{"a":[1,2,3,4],"d":1,"d":2}'), withLimits({ maxArrayLength: 2 }))).toMatch(/^limit: .*array with more than 2/);
    const badUtf8 = new Uint8Array([...enc('{"d":1,"d":2,"s":"'), 0xff, ...enc('"}')]);
    expect(outcome(badUtf8)).toMatch(/^bad-json: .*duplicate key "d"/);
    expect(outcome(enc('{"d":1,"d":2,'))).toMatch(/^bad-json: .*duplicate key "d"/);
    expect(outcome(enc('{"s":"x",'))).toMatch(/^bad-json: .*not valid JSON/);
    expect(outcome(new Uint8Array([...enc('{"s":"'), 0xff, ...enc('"}')]))).toBe('bad-json: byte 100 (document): document is not valid UTF-8');
  });

  it('agrees with the full scan on every prefix of a document with a duplicate', () => {
    const text = '{"a":[{"k":1,"j":[1,2]},{"k":2,"k":3}],"b":{"c":"\\"}"}}';
    for (let end = 1; end <= text.length; end++) {
      const doc = enc(text.slice(0, end));
      let scanned = 'ok';
      try {
        scanJsonLimits(doc, DEFAULT_LIMITS, 100);
      } catch (e) {
        scanned = `${(e as { code?: string }).code}: ${(e as Error).message}`;
      }
      // What the full scan finds is what the decoder reports; past it, only syntax can be wrong.
      const got = outcome(doc);
      if (scanned !== 'ok') expect(got).toBe(scanned);
      else expect(got === 'ok' || /not valid JSON/.test(got)).toBe(true);
    }
  });
});
