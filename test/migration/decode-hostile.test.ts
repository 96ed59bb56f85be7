/** Hand-written hostile snapshots: each must fail with a specific error naming what and where. */
import { describe, expect, it } from 'vitest';
import { decodeSnapshot, verifyContainer } from '../../migration/decode.ts';
import { encodeSnapshotBytes } from '../../migration/encode.ts';
import {
  BLOB_ENTRY_BYTES,
  BLOB_SPARSE,
  B_LENGTH,
  B_OFFSET,
  B_STORED_LENGTH,
  HEADER_BYTES,
  H_BLOBS_LENGTH,
  H_FLAGS,
  H_JSON_LENGTH,
  H_VERSION,
} from '../../migration/header.ts';
import { withLimits } from '../../migration/limits.ts';
import { isStateError } from '../../src/util/errors.ts';
import { documentOf, forgeFile, jsonValuesFile, resealAll, resealHeader, type ForgedBlob } from './forge.ts';
import { sampleSnapshot } from './sample-snapshot.ts';
import { snapshotErrorOf as snapshotError } from './snapshot-error-of.ts';

/** A version 3 file: its document holds the values, whose checks these tests are about (v4: value-section-hostile.test.ts). */
const GOOD = jsonValuesFile(sampleSnapshot());

function copy(): Uint8Array {
  return GOOD.slice();
}

function setU32(file: Uint8Array, at: number, value: number): Uint8Array {
  new DataView(file.buffer, file.byteOffset).setUint32(at, value, true);
  return file;
}

function setU64(file: Uint8Array, at: number, value: bigint): Uint8Array {
  new DataView(file.buffer, file.byteOffset).setBigUint64(at, value, true);
  return file;
}

function stateError(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    if (isStateError(e)) return e.message;
    throw e;
  }
  throw new Error('expected a StateError, decoding succeeded');
}

/** The good file's blobs, to forge files around a different document. */
const GOOD_BLOBS: ForgedBlob[] = verifyContainer(GOOD).blobs.map((b) => ({
  stored: GOOD.slice(b.offset, b.offset + b.storedLength),
  length: b.length,
  encoding: b.encoding,
}));
const GOOD_DOC = documentOf(GOOD);

/** A correctly checksummed file whose document is the good one with `from` replaced by `to`. */
function withDoc(from: string | RegExp, to: string, blobs = GOOD_BLOBS): Uint8Array {
  const doc = GOOD_DOC.replace(from, to);
  expect(doc, `pattern ${String(from)} must match`).not.toBe(GOOD_DOC);
  return forgeFile(doc, blobs);
}

/** A forged file whose document is the good one passed through `edit`. */
function editDoc(edit: (doc: Record<string, any>) => void, blobs = GOOD_BLOBS): Uint8Array {
  const doc = JSON.parse(GOOD_DOC);
  edit(doc);
  return forgeFile(JSON.stringify(doc), blobs);
}

describe('header', () => {
  it('reports truncation inside the magic, the version and the header', () => {
    expect(snapshotError(() => decodeSnapshot(new Uint8Array(0)))).toMatchObject({ code: 'truncated', where: 'byte 0' });
    expect(snapshotError(() => decodeSnapshot(GOOD.subarray(0, 10)))).toMatchObject({ code: 'truncated', where: 'byte 8 (header.formatVersion)' });
    expect(snapshotError(() => decodeSnapshot(GOOD.subarray(0, 50)))).toMatchObject({ code: 'truncated', where: 'byte 50' });
  });

  it('rejects a bad magic before anything else', () => {
    const file = copy();
    file[3] = 0x58;
    expect(snapshotError(() => decodeSnapshot(file))).toMatchObject({ code: 'bad-magic', where: 'byte 3 (header.magic)' });
    expect(snapshotError(() => decodeSnapshot(new TextEncoder().encode('{"config":{}}')))).toMatchObject({ code: 'bad-magic' });
  });

  it('reports a newer format version as such, whatever follows it', () => {
    const file = setU32(copy(), H_VERSION, 6);
    const e = snapshotError(() => decodeSnapshot(file));
    expect(e.code).toBe('newer-version');
    expect(e.message).toBe('byte 8 (header.formatVersion): snapshot format version 6 is newer than this build supports (5)');
    // Even with nothing after the version (a newer header may be any length).
    expect(snapshotError(() => decodeSnapshot(file.subarray(0, 12))).code).toBe('newer-version');
    expect(snapshotError(() => decodeSnapshot(setU32(copy(), H_VERSION, 0xffffffff))).message).toContain('version 4294967295 is newer');
    expect(snapshotError(() => decodeSnapshot(setU32(copy(), H_VERSION, 0))).code).toBe('bad-header');
  });

  it('rejects a header whose checksum does not match, and unknown incompatible flags', () => {
    const file = setU32(copy(), H_FLAGS, 1);
    expect(snapshotError(() => decodeSnapshot(file))).toMatchObject({ code: 'checksum', where: 'byte 88 (header.headerChecksum)' });
    resealHeader(file);
    expect(snapshotError(() => decodeSnapshot(file))).toMatchObject({ code: 'unsupported-flags', where: 'byte 16 (header.flags)' });
    // Compatible flags (bits 16-31) are ignored.
    const compat = resealHeader(setU32(copy(), H_FLAGS, 0x10000));
    expect(decodeSnapshot(compat).objects.size).toBe(2);
  });

  it('rejects huge declared lengths before allocating anything', () => {
    const json = resealHeader(setU64(copy(), H_JSON_LENGTH, 1n << 60n));
    expect(snapshotError(() => decodeSnapshot(json))).toMatchObject({ code: 'limit', where: 'byte 40 (header.jsonLength)' });
    const blobs = resealHeader(setU64(copy(), H_BLOBS_LENGTH, 1n << 60n));
    expect(snapshotError(() => decodeSnapshot(blobs))).toMatchObject({ code: 'limit', where: 'byte 56 (header.blobsLength)' });
    const count = resealHeader(setU32(copy(), 20, 0xffffffff));
    expect(snapshotError(() => decodeSnapshot(count))).toMatchObject({ code: 'limit', where: 'byte 20 (header.blobCount)' });
  });

  it('rejects lengths that run past the end and bytes after it', () => {
    expect(snapshotError(() => decodeSnapshot(GOOD.subarray(0, GOOD.length - 4096)))).toMatchObject({ code: 'truncated' });
    expect(snapshotError(() => decodeSnapshot(GOOD.subarray(0, 200)))).toMatchObject({ code: 'truncated', where: 'byte 200' });
    const longer = new Uint8Array(GOOD.length + 1);
    longer.set(GOOD);
    expect(snapshotError(() => decodeSnapshot(longer))).toMatchObject({ code: 'bad-layout', where: `byte ${GOOD.length}` });
    // A document length that moves the blob section: the declared layout no longer adds up.
    const moved = resealHeader(setU64(copy(), H_JSON_LENGTH, 5000n));
    expect(snapshotError(() => decodeSnapshot(moved))).toMatchObject({ code: 'bad-layout', where: 'byte 48 (header.blobsOffset)' });
  });
});

describe('checksums', () => {
  it('catches a changed document byte, blob byte and blob table byte', () => {
    const doc = copy();
    doc[HEADER_BYTES + BLOB_ENTRY_BYTES + 5]! ^= 1;
    expect(snapshotError(() => decodeSnapshot(doc))).toMatchObject({ code: 'checksum', where: 'byte 72 (header.jsonChecksum)' });
    const blob = copy();
    blob[blob.length - 4096 * 2 + 100]! ^= 0x80;
    expect(snapshotError(() => decodeSnapshot(blob))).toMatchObject({ code: 'checksum', where: 'byte 128 (blob 0.checksum)' });
    const table = copy();
    table[HEADER_BYTES + B_LENGTH]! ^= 4;
    expect(snapshotError(() => decodeSnapshot(table))).toMatchObject({ code: 'checksum', where: 'byte 64 (header.blobTableChecksum)' });
  });

  it('catches a changed padding byte (padding is not covered by a checksum, so it must be zero)', () => {
    const file = copy();
    const docEnd = HEADER_BYTES + BLOB_ENTRY_BYTES + GOOD_DOC.length;
    file[docEnd + 1] = 1;
    expect(snapshotError(() => decodeSnapshot(file))).toMatchObject({ code: 'bad-layout', where: `byte ${docEnd}` });
  });
});

describe('blob table and blobs', () => {
  it('rejects a 1 TB RAM blob, and RAM larger than the caller allows', () => {
    // That nothing is allocated for them first is checked under a memory cap in memory-bounds.test.ts.
    const file = resealAll(setU64(copy(), HEADER_BYTES + B_LENGTH, 1n << 40n));
    expect(snapshotError(() => decodeSnapshot(file))).toMatchObject({ code: 'limit', where: 'byte 112 (blob 0.length)' });
    const small = withLimits({ maxBlobBytes: 32 * 1024 });
    expect(snapshotError(() => decodeSnapshot(GOOD, { limits: small }))).toMatchObject({ code: 'limit' });
  });

  it('rejects blobs that overlap, leave gaps or run past the section', () => {
    const two = forgeFile(GOOD_DOC, [...GOOD_BLOBS, { stored: new Uint8Array(4096).fill(1) }]);
    const second = HEADER_BYTES + BLOB_ENTRY_BYTES + B_OFFSET;
    const firstOffset = new DataView(two.buffer).getBigUint64(HEADER_BYTES + B_OFFSET, true);
    const overlap = resealAll(setU64(two.slice(), second, firstOffset));
    expect(snapshotError(() => decodeSnapshot(overlap))).toMatchObject({ code: 'bad-layout', where: `byte ${second} (blob 1.offset)` });
    expect(snapshotError(() => decodeSnapshot(overlap)).message).toContain('overlaps');
    const gap = resealAll(setU64(two.slice(), second, firstOffset + 8192n * 4n));
    expect(snapshotError(() => decodeSnapshot(gap)).message).toContain('gap');
    const past = resealAll(setU64(two.slice(), HEADER_BYTES + BLOB_ENTRY_BYTES + B_STORED_LENGTH, 1n << 50n));
    expect(snapshotError(() => decodeSnapshot(past))).toMatchObject({ code: 'bad-layout', where: `byte ${HEADER_BYTES + BLOB_ENTRY_BYTES + B_STORED_LENGTH} (blob 1.storedLength)` });
    // The forged second blob is not referenced by the document.
    const unused = snapshotError(() => decodeSnapshot(two));
    expect(unused).toMatchObject({ code: 'bad-blob', where: 'blob 1' });
  });

  it('rejects references out of range, repeated, of the wrong size or malformed', () => {
    expect(snapshotError(() => decodeSnapshot(withDoc('{"blob":0,', '{"blob":7,')))).toMatchObject({ code: 'bad-blob', where: '/machine/ram.data' });
    expect(snapshotError(() => decodeSnapshot(withDoc('{"blob":0,', '{"blob":-1,'))).message).toContain('out of range');
    expect(snapshotError(() => decodeSnapshot(withDoc('"bytes":65536}', '"bytes":4096}'))).message).toContain('the reference says 4096');
    expect(snapshotError(() => decodeSnapshot(withDoc('"bytes":65536}', '"bytes":65536,"x":1}'))).code).toBe('bad-blob');
    const twice = editDoc((doc) => {
      doc.schemas['ram@1'].fields.push({ name: 'copy', kind: 'bytes', length: 65536 });
      doc.objects['/machine/ram'].fields.copy = { blob: 0, bytes: 65536 };
    });
    expect(snapshotError(() => decodeSnapshot(twice))).toMatchObject({ code: 'bad-blob', where: '/machine/ram.copy' });
    expect(snapshotError(() => decodeSnapshot(twice)).message).toContain('referenced a second time');
  });

  it('rejects sparse blobs whose bitmap does not account for their pages', () => {
    const stored = GOOD_BLOBS[0]!.stored;
    const extraBit = stored.slice();
    extraBit[0]! |= 0x40;
    expect(snapshotError(() => decodeSnapshot(forgeFile(GOOD_DOC, [{ ...GOOD_BLOBS[0]!, stored: extraBit }]))).message).toContain('accounts for');
    // 13 pages: bits 5-7 of bitmap byte 1 are past the last page.
    const odd = encodeSnapshotBytes(sampleSnapshot(13 * 4096, [0]));
    const oddBlob = verifyContainer(odd).blobs[0]!;
    odd[oddBlob.offset + 1] = 0x20;
    expect(snapshotError(() => decodeSnapshot(resealAll(odd))).message).toContain('past the last page 12');
    const padByte = stored.slice();
    padByte[2] = 1; // 16 pages: byte 2 is bitmap padding
    expect(snapshotError(() => decodeSnapshot(forgeFile(GOOD_DOC, [{ ...GOOD_BLOBS[0]!, stored: padByte }]))).message).toContain('padding');
    const padding = stored.slice();
    padding[4000] = 9;
    expect(snapshotError(() => decodeSnapshot(forgeFile(GOOD_DOC, [{ ...GOOD_BLOBS[0]!, stored: padding }]))).message).toContain('padding');
    const short = forgeFile(GOOD_DOC, [{ stored: new Uint8Array(100), length: 65536, encoding: BLOB_SPARSE }]);
    expect(snapshotError(() => decodeSnapshot(short))).toMatchObject({ code: 'bad-blob', where: 'blob 0 at byte 4096' });
    const raw = resealAll(setU64(copy(), HEADER_BYTES + 24, 0n)); // encoding := raw, stored != length
    expect(snapshotError(() => decodeSnapshot(raw)).code).toBe('bad-blob');
    const unknown = resealAll(setU32(copy(), HEADER_BYTES + 24, 9));
    expect(snapshotError(() => decodeSnapshot(unknown))).toMatchObject({ code: 'bad-blob', where: 'byte 120 (blob 0.encoding)' });
  });
});

describe('document', () => {
  it('rejects invalid UTF-8 and invalid JSON', () => {
    const utf8 = new TextEncoder().encode(GOOD_DOC);
    utf8[20] = 0xff;
    expect(snapshotError(() => decodeSnapshot(forgeFile(utf8, GOOD_BLOBS)))).toMatchObject({ code: 'bad-json', where: 'byte 136 (document)' });
    expect(snapshotError(() => decodeSnapshot(withDoc(/}$/, '')))).toMatchObject({ code: 'bad-json' });
    expect(snapshotError(() => decodeSnapshot(forgeFile('')))).toMatchObject({ code: 'bad-json' });
  });

  it('stops 100000 levels of nesting at the depth limit, at its byte offset', () => {
    const deep = '['.repeat(100000) + ']'.repeat(100000);
    const e = snapshotError(() => decodeSnapshot(withDoc('"run":{"icountShift":0}', `"run":{"x":${deep}}`)));
    expect(e.code).toBe('limit');
    expect(e.message).toContain('nesting deeper than 64');
    expect(e.where).toMatch(/^byte \d+ \(document\)$/);
  });

  it('enforces limits on strings, arrays, keys, containers and objects', () => {
    const long = withDoc('"disk0"', `"${'x'.repeat(70000)}"`);
    expect(snapshotError(() => decodeSnapshot(long)).message).toContain('string of 70000 bytes');
    const array = withDoc('"icountShift":0', `"icountShift":[${'0,'.repeat(99)}0]`);
    expect(snapshotError(() => decodeSnapshot(array, { limits: withLimits({ maxArrayLength: 50 }) })).message).toContain('more than 50 elements');
    expect(snapshotError(() => decodeSnapshot(GOOD, { limits: withLimits({ maxFieldsPerNode: 5 }) })).message).toContain('more than 5 keys');
    expect(snapshotError(() => decodeSnapshot(GOOD, { limits: withLimits({ maxContainers: 10 }) })).message).toContain('more than 10 arrays');
    expect(snapshotError(() => decodeSnapshot(GOOD, { limits: withLimits({ maxObjects: 1 }) }))).toMatchObject({ code: 'limit', where: 'document.objects' });
    expect(snapshotError(() => decodeSnapshot(GOOD, { limits: withLimits({ maxDocumentBytes: 100 }) }))).toMatchObject({ code: 'limit', where: 'byte 40 (header.jsonLength)' });
  });

  it('requires exactly the document keys', () => {
    expect(snapshotError(() => decodeSnapshot(editDoc((d) => delete d.clock)))).toMatchObject({ code: 'bad-document', where: 'document.clock' });
    expect(snapshotError(() => decodeSnapshot(editDoc((d) => (d.extra = 1))))).toMatchObject({ where: 'document."extra"' });
    expect(snapshotError(() => decodeSnapshot(editDoc((d) => (d.config = [1]))))).toMatchObject({ where: 'document.config' });
    expect(snapshotError(() => decodeSnapshot(editDoc((d) => (d.clock.virtualTimeNs = 5))))).toMatchObject({ where: 'document.clock.virtualTimeNs' });
    expect(snapshotError(() => decodeSnapshot(editDoc((d) => (d.clock.virtualTimeNs = '18446744073709551616'))))).toMatchObject({ code: 'bad-document' });
    expect(snapshotError(() => decodeSnapshot(editDoc((d) => (d.clock.retiredInstructions = '-1'))))).toMatchObject({ code: 'bad-document' });
    expect(snapshotError(() => decodeSnapshot(editDoc((d) => (d.objects['/machine/ram'].extra = 1))))).toMatchObject({ where: '/machine/ram."extra"' });
  });

  it('refuses a key given twice in one object, at any depth and however it is escaped', () => {
    const dup = (from: string, to: string) => snapshotError(() => decodeSnapshot(withDoc(from, to)));
    expect(dup('"config":{', '"config":{"m":1,"m":2,')).toMatchObject({ code: 'bad-json', message: expect.stringContaining('duplicate key "m" in an object') });
    expect(dup('"clock":{', '"clock":{"run":{},')).toMatchObject({ code: 'bad-json' });
    expect(dup('"config":{', '"config":{"\\u006d":1,"m":2,').message).toContain('duplicate key "m"');
    expect(dup('"config":{', '"config":{"é":1,"\\u00e9":2,').message).toContain('duplicate key "é"');
    expect(dup('"objects":{', '"objects":{"/machine/pit":{},')).toMatchObject({ code: 'bad-json' });
    // The same key in different objects, and a key that is also a value, are fine.
    decodeSnapshot(withDoc('"config":{', '"config":{"a":{"b":1},"c":{"b":"b"},"b":["b","b"],'));
  });

  it('treats __proto__ and constructor keys as data, never as prototypes', () => {
    const before = Object.getOwnPropertyNames(Object.prototype).length;
    const file = withDoc('"config":{', '"config":{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}},');
    const s = decodeSnapshot(file);
    expect(Object.getPrototypeOf(s.config)).toBe(null);
    expect(Object.hasOwn(s.config, '__proto__')).toBe(true);
    expect((s.config['__proto__'] as Record<string, unknown>)['polluted']).toBe(1);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).length).toBe(before);
    // As an unknown field, a path, a schema key, a clock key.
    expect(stateError(() => decodeSnapshot(withDoc('"fields":{"data"', '"fields":{"__proto__":1,"data"')))).toBe('/machine/ram.__proto__: unknown field');
    expect(snapshotError(() => decodeSnapshot(withDoc('"objects":{', '"objects":{"__proto__":{},')))).toMatchObject({ code: 'bad-document', where: 'document.objects["__proto__"]' });
    expect(snapshotError(() => decodeSnapshot(withDoc('"schemas":{', '"schemas":{"__proto__":{"fields":[]},')))).toMatchObject({ where: 'document.schemas["__proto__"]' });
    expect(snapshotError(() => decodeSnapshot(withDoc('"run":{', '"constructor":1,"run":{')))).toMatchObject({ where: 'document.clock."constructor"' });
    // As a field name declared in the schema, it is an ordinary field (the sample PIT has both).
    expect(s.objects.get('/machine/pit')!.fields['__proto__']).toBe(7);
  });
});

describe('object state against the schema', () => {
  const cases: Array<[string, string, string]> = [
    ['"mode":3', '"mode":"3"', '/machine/pit.mode: expected u8, got string "3"'],
    ['"mode":3', '"mode":256', '/machine/pit.mode: expected u8, got 256'],
    ['"mode":3', '"mode":1.5', '/machine/pit.mode: expected u8, got 1.5'],
    ['"mode":3', '"mode":-1', '/machine/pit.mode: expected u8, got -1'],
    ['"mode":3', '"mode":null', '/machine/pit.mode: expected u8, got null'],
    ['"gate":true', '"gate":1', '/machine/pit.gate: expected bool, got 1'],
    ['"deadline":"18446744073709551615"', '"deadline":18446744073709551615', '/machine/pit.deadline: expected u64 as a decimal string, got 18446744073709552000'],
    ['"deadline":"18446744073709551615"', '"deadline":"18446744073709551616"', '/machine/pit.deadline: expected u64, got 18446744073709551616n'],
    ['"deadline":"18446744073709551615"', '"deadline":"0x10"', '/machine/pit.deadline: expected u64 as a decimal string, got string "0x10"'],
    ['"deadline":"18446744073709551615"', '"deadline":"007"', '/machine/pit.deadline: expected u64 as a decimal string, got string "007"'],
    ['"offset":"-9223372036854775808"', '"offset":"-9223372036854775809"', '/machine/pit.offset: expected i64, got -9223372036854775809n'],
    ['"latch":[0,4294967295,12345]', '"latch":[0,4294967296,12345]', '/machine/pit.latch[1]: expected u32, got 4294967296'],
    ['"latch":[0,4294967295,12345]', '"latch":[0,1]', '/machine/pit.latch: expected u32[3], got array[2]'],
    ['"latch":[0,4294967295,12345]', '"latch":{"0":1}', '/machine/pit.latch: expected u32[3], got struct'],
    ['"latch":[0,4294967295,12345]', '"latch":[0,"1",2]', '/machine/pit.latch[1]: expected u32, got string "1"'],
    ['"tscs":["0","18446744073709551615"]', '"tscs":["0",1]', '/machine/pit.tscs[1]: expected u64 as a decimal string, got 1'],
    ['"page":"00112233445566778899aabbccddeeff"', '"page":"00112233445566778899AABBCCDDEEFF"', '/machine/pit.page: expected 16 bytes as 32 lowercase hex digits, got string "00112233445566778899AABBCCDDEEFF"'],
    ['"page":"00112233445566778899aabbccddeeff"', '"page":"0011"', '/machine/pit.page: expected 16 bytes as 32 lowercase hex digits, got string "0011"'],
    ['"page":"00112233445566778899aabbccddeeff"', '"page":[0]', '/machine/pit.page: expected 16 bytes as hex or a blob reference, got array[1]'],
    ['"value":-32768', '"value":-32769', '/machine/pit.channels[0].value: expected i16, got -32769'],
    ['"channels":[', '"channels":[{"out":true,"value":0},', '/machine/pit.channels: expected struct[2], got array[3]'],
    ['"timer":{"period":1000}', '"timer":[1000]', '/machine/pit.timer: expected struct, got array[1]'],
    ['"timer":{"period":1000}', '"timer":{}', '/machine/pit.timer.period: missing'],
    ['"timer":{"period":1000}', '"timer":{"period":1000},"sipi":{"vector":300}', '/machine/pit.sipi.vector: expected u8, got 300'],
    ['"gate":true,', '', '/machine/pit.gate: missing'],
    ['"type":"i8254"', '"type":"i8259"', '/machine/pit: no schema for i8259@2 in the snapshot'],
    ['"type":"i8254"', '"type":"I8254"', '/machine/pit: bad type name string "I8254"'],
    ['"version":2', '"version":-2', '/machine/pit: bad version -2'],
    ['"version":2', '"version":"2"', '/machine/pit: bad version string "2"'],
    ['{"name":"mode","kind":"u8"}', '{"name":"mode","kind":"f32"}', 'schemas[i8254@2].fields[0]: schema: unknown kind'],
    ['{"name":"mode","kind":"u8"}', '{"name":"mode","kind":"u8[]","length":-1}', 'schemas[i8254@2].fields[0]: schema: bad array length'],
    ['{"name":"count","kind":"u16"}', '{"name":"mode","kind":"u16"}', 'schemas[i8254@2].fields[1]: schema: duplicate field "mode"'],
  ];
  for (const [from, to, message] of cases) {
    it(`${to.slice(0, 60)} -> ${message}`, () => {
      expect(stateError(() => decodeSnapshot(withDoc(from, to)))).toBe(message);
    });
  }

  it('rejects deeply nested schemas and a bad path', () => {
    let fields = '[{"name":"x","kind":"u8"}]';
    for (let i = 0; i < 40; i++) fields = `[{"name":"g","kind":"struct","fields":${fields}}]`;
    const deep = withDoc('"ram@1":{', `"deep@1":{"fields":${fields}},"ram@1":{`);
    expect(stateError(() => decodeSnapshot(deep, { limits: withLimits({ maxDepth: 200 }) }))).toContain('schema: nested too deeply');
    expect(snapshotError(() => decodeSnapshot(withDoc('"/machine/pit"', '"/machine/../pit"')))).toMatchObject({ code: 'bad-document', where: 'document.objects["/machine/../pit"]' });
  });
});
