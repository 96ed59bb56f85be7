import { describe, expect, it } from 'vitest';
import { describeState } from '../../src/visit/describe-visitor.ts';
import { saveState } from '../../src/visit/output-visitor.ts';
import { treesEqual, type StateNode } from '../../src/visit/state-tree.ts';
import { fastDecodeFields } from '../../migration/compiled-decode.ts';
import { decodeFieldsWalk, encodeFields, type BlobReader } from '../../migration/value-codec.ts';
import { filledSample, SampleDevice } from '../visit/sample-device.ts';

const schema = describeState(new SampleDevice());
type Json = Record<string, unknown>;

/** The sample's fields as the document holds them, parsed back as JSON.parse gives them. */
function documentFields(): Json {
  const encoded = encodeFields(saveState(filledSample()), () => ({ blob: 0, bytes: 64 }), '/x');
  return JSON.parse(JSON.stringify(encoded)) as Json;
}

let blobReads = 0;
const readBlob: BlobReader = (_ref, length) => {
  blobReads++;
  return new Uint8Array(length);
};

function reference(json: unknown): StateNode | null {
  try {
    return decodeFieldsWalk(json, schema, readBlob, '/x');
  } catch {
    return null;
  }
}

/** JSON values around every boundary the decoder cares about. */
const CANDIDATES: unknown[] = [
  0, -0, 1, -1, 0.5, 255, 256, -128, -129, 0xffff, 0x10000, -0x8000, -0x8001, 0xffffffff, 0x100000000, 0x7fffffff, -0x80000000, -0x80000001, 1e300,
  '0', '-0', '1', '-1', '01', '+1', ' 1', '1.0', '18446744073709551615', '18446744073709551616', '9223372036854775807', '-9223372036854775808',
  '-9223372036854775809', '123456789012345678901', '', 'ab', '00ff', '00FF', 'zz',
  true, false, null, [], {}, [1, 2], { blob: 0, bytes: 64 },
];

const PLACES: Array<[string, (json: Json, value: unknown) => void]> = [
  ['u8', (j, v) => (j['tpr'] = v)],
  ['u16', (j, v) => (j['id'] = v)],
  ['u32', (j, v) => (j['flags'] = v)],
  ['i8', (j, v) => (j['small'] = v)],
  ['i16', (j, v) => (j['delta'] = v)],
  ['i32', (j, v) => (j['offset'] = v)],
  ['u64', (j, v) => (j['tsc'] = v)],
  ['i64', (j, v) => (j['adjust'] = v)],
  ['bool', (j, v) => (j['enabled'] = v)],
  ['u8[] element', (j, v) => ((j['irr'] as unknown[])[0] = v)],
  ['u16[] element', (j, v) => ((j['words'] as unknown[])[1] = v)],
  ['u32[] element', (j, v) => ((j['isr'] as unknown[])[2] = v)],
  ['i32[] element', (j, v) => ((j['signed'] as unknown[])[0] = v)],
  ['u64[] element', (j, v) => ((j['deadlines'] as unknown[])[1] = v)],
  ['bytes', (j, v) => (j['ram'] = v)],
  ['struct', (j, v) => (j['timer'] = v)],
  ['struct field', (j, v) => ((j['timer'] as Json)['initial'] = v)],
  ['struct[]', (j, v) => (j['channels'] = v)],
  ['struct[] element', (j, v) => ((j['channels'] as unknown[])[1] = v)],
  ['struct[] field', (j, v) => ((j['channels'] as Json[])[0]!['gate'] = v)],
  ['optional', (j, v) => (j['sipi'] = v)],
  ['unknown field', (j, v) => (j['extra'] = v)],
];

describe('compiled field decoder', () => {
  it('decodes a document as the reference does, without reading blobs', () => {
    const json = documentFields();
    const fast = fastDecodeFields(json, schema);
    expect(fast).not.toBeNull();
    expect(treesEqual(fast!, reference(json)!)).toBe(true);
    expect(treesEqual(fast!, saveState(filledSample()))).toBe(true);
  });

  it('returns the reference result or null (ask the reference), for every place and candidate', () => {
    let refused = 0;
    for (const [where, set] of PLACES) {
      for (const value of CANDIDATES) {
        const json = documentFields();
        set(json, value);
        const reads = blobReads;
        const expected = reference(json);
        const readsBlob = blobReads !== reads;
        const fast = fastDecodeFields(json, schema);
        if (expected === null) refused++;
        // Whatever the reference refuses or reads a blob for, the fast path leaves to it.
        if (expected === null || readsBlob) expect([where, value, fast]).toEqual([where, value, null]);
        else expect([where, value, fast !== null && treesEqual(fast, expected)]).toEqual([where, value, true]);
      }
    }
    expect(refused).toBeGreaterThan(PLACES.length * 20);
  });

  it('leaves a missing optional group, a missing field and a non-object to the rules', () => {
    const json = documentFields();
    delete json['sipi'];
    expect(fastDecodeFields(json, schema)).not.toBeNull();
    delete json['tpr'];
    expect(fastDecodeFields(json, schema)).toBeNull();
    expect(fastDecodeFields([], schema)).toBeNull();
    expect(fastDecodeFields(null, schema)).toBeNull();
  });
});
