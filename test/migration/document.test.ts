/** migration/document.ts: the document's text is JSON.stringify's, schema texts made once. */
import { describe, expect, it } from 'vitest';
import { buildDocument, buildDocumentHead, documentBytes, stringifyDocument } from '../../migration/document.ts';
import type { JsonObject } from '../../migration/snapshot.ts';
import { sampleSnapshot } from './sample-snapshot.ts';

const blobRef = () => ({ blob: 0, bytes: 0 });

describe('stringifyDocument', () => {
  it('writes exactly what JSON.stringify writes, the first time and again', () => {
    const s = sampleSnapshot();
    s.config['list'] = [1, 'two', null, { x: true }];
    for (let i = 0; i < 2; i++) {
      const doc = buildDocument(s, blobRef);
      expect(stringifyDocument(doc)).toBe(JSON.stringify(doc));
      expect(stringifyDocument(doc, 2)).toBe(JSON.stringify(doc, null, 2));
    }
    // Another schema object under the same key is written as it is, not as the first one was.
    const first = buildDocument(s, blobRef);
    const key = Object.keys(first['schemas'] as JsonObject)[0]!;
    const other = { fields: [{ name: 'other', kind: 'u8' }] };
    const doc = { ...first, schemas: { ...(first['schemas'] as JsonObject), [key]: other } };
    expect(stringifyDocument(doc)).toBe(JSON.stringify(doc));
    expect(stringifyDocument({})).toBe('{}');
  });

  it('writes the same bytes as bytes, the schemas section kept only while the schemas are the same', () => {
    const utf8 = (doc: JsonObject) => new TextEncoder().encode(JSON.stringify(doc));
    const s = sampleSnapshot();
    s.config['name'] = 'snapshot \u00e9t\u00e9';
    for (let i = 0; i < 2; i++) {
      const { doc } = buildDocumentHead(s);
      expect(documentBytes(doc)).toEqual(utf8(doc));
    }
    // Another schema object under the same key, a schema more, one less, and a base in front.
    const { doc } = buildDocumentHead(s);
    const key = Object.keys(doc['schemas'] as JsonObject)[0]!;
    const other = { ...doc, schemas: { ...(doc['schemas'] as JsonObject), [key]: { fields: [{ name: 'other', kind: 'u8' }] } } };
    const more = { ...doc, schemas: { ...(doc['schemas'] as JsonObject), 'zzz@1': { fields: [] } } };
    const fewer = { ...doc, schemas: { [key]: (doc['schemas'] as JsonObject)[key]! } };
    const withBase = buildDocumentHead({ ...s, base: { path: 'b.gw', id: '0123456789abcdef' } }).doc;
    for (const d of [other, doc, more, fewer, doc, withBase]) expect(new TextDecoder().decode(documentBytes(d))).toBe(JSON.stringify(d));
  });

  it('refuses what is not JSON with one StateError', () => {
    const doc = buildDocument(sampleSnapshot(), blobRef);
    const bad = { ...doc, config: { n: 1n } as unknown as JsonObject };
    expect(() => stringifyDocument(bad)).toThrow(/^document: cannot be written as JSON: /);
  });
});
