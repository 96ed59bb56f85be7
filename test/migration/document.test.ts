/** migration/document.ts: the document's text is JSON.stringify's, schema texts made once. */
import { describe, expect, it } from 'vitest';
import { buildDocument, stringifyDocument } from '../../migration/document.ts';
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

  it('refuses what is not JSON with one StateError', () => {
    const doc = buildDocument(sampleSnapshot(), blobRef);
    const bad = { ...doc, config: { n: 1n } as unknown as JsonObject };
    expect(() => stringifyDocument(bad)).toThrow(/^document: cannot be written as JSON: /);
  });
});
