/**
 * The schemas section read once per exact text (decode.ts readDocumentBytes, document.ts
 * knownSchemaSection): a document whose section was seen before decodes to what a cold decode
 * gives, a section changed in any character is parsed afresh, and every fault is still found.
 */
import { describe, expect, it } from 'vitest';
import { decodeSnapshot, parseDocumentBytes, verifyContainer } from '../../migration/decode.ts';
import { DEFAULT_LIMITS, withLimits } from '../../migration/limits.ts';
import { knownSchemaSection } from '../../migration/document.ts';
import { encodeSnapshotBytes } from '../../migration/encode.ts';
import type { Snapshot } from '../../migration/snapshot.ts';
import type { SchemaNode } from '../../src/visit/schema.ts';
import { documentOf, forgeFile, jsonValuesFile } from './forge.ts';
import { PIT_SCHEMA, sampleSnapshot } from './sample-snapshot.ts';

/** The sample with the PIT's `mode` field of another kind (its value 3 fits both). */
function withModeKind(kind: 'u8' | 'u16' | 'i16' | 'u32'): Snapshot {
  const s = sampleSnapshot(1024, []);
  const schema: SchemaNode = { fields: PIT_SCHEMA.fields.map((f) => (f.name === 'mode' ? { name: 'mode', kind } : f)) };
  s.schemas.set('i8254@2', schema);
  return s;
}

function modeKind(s: Snapshot): string {
  return s.schemas.get('i8254@2')!.fields.find((f) => f.name === 'mode')!.kind;
}

/** The text of a document's schemas section, as the encoder writes it (last key of the document). */
function sectionText(doc: string): string {
  return doc.slice(doc.indexOf(',"schemas":') + ',"schemas":'.length, -1);
}

function outcome(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    return `${(e as { code?: string }).code ?? (e as Error).name}: ${(e as Error).message}`;
  }
}

describe('schemas section by text', () => {
  it('decodes a document again to what its first decode gave, from the remembered section', () => {
    const bytes = encodeSnapshotBytes(withModeKind('u8'));
    const first = decodeSnapshot(bytes);
    expect(knownSchemaSection(sectionText(documentOf(bytes)))).toBeDefined();
    const again = decodeSnapshot(bytes);
    expect([...again.schemas]).toEqual([...first.schemas]);
    expect(again.objects.get('/machine/pit')!.fields).toEqual(first.objects.get('/machine/pit')!.fields);
    // The snapshot's map is its own: changing it leaves the remembered section alone.
    again.schemas.clear();
    expect(decodeSnapshot(bytes).schemas.size).toBe(2);
  });

  it('parses a section changed in one schema afresh, also one of the same length as the last', () => {
    const u16 = encodeSnapshotBytes(withModeKind('u16'));
    const i16 = encodeSnapshotBytes(withModeKind('i16'));
    expect(sectionText(documentOf(u16)).length).toBe(sectionText(documentOf(i16)).length);
    expect(sectionText(documentOf(u16))).not.toBe(sectionText(documentOf(i16)));
    for (let i = 0; i < 3; i++) {
      expect(modeKind(decodeSnapshot(u16))).toBe('u16');
      expect(modeKind(decodeSnapshot(i16))).toBe('i16');
    }
  });

  it('finds every fault of a document whose section is known, as a cold decode does', () => {
    // A section no other test decodes: the first round of decodes is cold. A version 3 file: its
    // document holds the values too, which the cases below edit.
    const bytes = jsonValuesFile(withModeKind('u32'));
    const doc = documentOf(bytes);
    expect(knownSchemaSection(sectionText(doc))).toBeUndefined();
    const cases = [
      // A duplicate key outside the section, and a second schemas key in front of the known one.
      doc.replace('"mode":3,', '"mode":3,"mode":3,'),
      doc.replace('{"config":', '{"schemas":{},"config":'),
      // A document cut inside the section; one with the section twice, the first one bad.
      doc.slice(0, -2),
      doc.replace(',"schemas":', ',"schemas":{"x":[}],"schemas":'),
      // An object its schema refuses (last: the cold decode of this one remembers the section).
      doc.replace('"mode":3,', '"mode":4294967296,'),
    ];
    const cold = cases.map((text) => outcome(() => decodeSnapshot(forgeFile(text, []))));
    expect(cold[0]).toMatch(/duplicate key "mode"/);
    expect(cold[1]).toMatch(/duplicate key "schemas"/);
    expect(cold[2]).toMatch(/^bad-json/);
    expect(cold[3]).toMatch(/^(bad-json|limit)/);
    expect(cold[4]).toMatch(/mode: expected u32, got 4294967296/);
    expect(outcome(() => decodeSnapshot(bytes))).toBe('ok');
    expect(knownSchemaSection(sectionText(doc))).toBeDefined();
    // The same files again, the section known: the same outcomes.
    expect(cases.map((text) => outcome(() => decodeSnapshot(forgeFile(text, []))))).toEqual(cold);
  });

  it('reads a document ending as the last one did only up to that end, with every check of a full read', () => {
    // Limits of their own: the remembered end is used only under the limits it was checked with.
    const bytes = encodeSnapshotBytes(withModeKind('u8'));
    const doc = documentOf(bytes);
    expect(doc.startsWith('{"clock":{')).toBe(true);
    const count = (v: unknown): number => (typeof v === 'object' && v !== null ? 1 + Object.values(v).reduce<number>((n, e) => n + count(e), 0) : 0);
    const containers = count(JSON.parse(doc));
    const limits = withLimits({ maxContainers: containers + 1 });
    const values = verifyContainer(bytes).values;
    const file = (text: string) => forgeFile(text, [], values);
    // The first read remembers the section, the second reads it as known and remembers the end.
    for (let i = 0; i < 3; i++) expect(outcome(() => decodeSnapshot(bytes, { limits }))).toBe('ok');
    const first = decodeSnapshot(bytes, { limits });
    // Another clock (in front of the end), another configuration (in the end: read in full).
    const clock = decodeSnapshot(file(doc.replace('"virtualTimeNs":"123456789012345"', '"virtualTimeNs":"7"')), { limits });
    expect(clock.clock.virtualTimeNs).toBe(7n);
    expect(clock.config).toEqual(first.config);
    expect([...clock.schemas]).toEqual([...first.schemas]);
    expect(decodeSnapshot(file(doc.replace('"m":1024', '"m":2048')), { limits }).config['m']).toBe(2048);
    expect(decodeSnapshot(bytes, { limits }).config['m']).toBe(1024);
    const cases: Array<[string, RegExp]> = [
      [doc.replace('"run":{', '"run":{"a":1,"a":2,'), /duplicate key "a"/],
      [doc.replace('{"clock":', '{"config":{},"clock":'), /duplicate key "config"/],
      [doc.replace('{"clock":', '{"objects":{},"clock":'), /duplicate key "objects"/],
      [doc.replace('{"clock":', '{"schemas":{},"clock":'), /duplicate key "schemas"/],
      [doc.replace('"run":{', '"run":{,'), /^bad-json/],
      // One container more is within the limit, two are not: the end's count in with the rest.
      [doc.replace('"run":{', '"run":{"x":[],'), /^ok$/],
      [doc.replace('"run":{', '"run":{"x":[[]],'), /^limit: .*more than \d+ arrays and objects/],
      [doc.replace('"run":{', `"run":{"${'k'.repeat(70000)}":1,`), /^limit: .*string of 70000 bytes/],
    ];
    for (const [text, expected] of cases) expect(outcome(() => decodeSnapshot(file(text), { limits })), text.slice(0, 80)).toMatch(expected);
  });

  it('parses the whole document for parseDocumentBytes, also one whose end is known', () => {
    const bytes = encodeSnapshotBytes(withModeKind('i16'));
    for (let i = 0; i < 3; i++) decodeSnapshot(bytes);
    const doc = verifyContainer(bytes).document;
    expect(parseDocumentBytes(doc, DEFAULT_LIMITS, 0)).toEqual(JSON.parse(new TextDecoder().decode(doc)));
  });
});
