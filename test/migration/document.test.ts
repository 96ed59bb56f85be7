/** migration/document.ts: the document's text is JSON.stringify's, schema texts made once. */
import { describe, expect, it } from 'vitest';
import { buildDocument, buildDocumentHead, stringifyDocument } from '../../migration/document.ts';
import { writeDocumentHead } from '../../migration/document-writer.ts';
import type { Snapshot } from '../../migration/snapshot.ts';
import { newNode } from '../../src/visit/state-tree.ts';
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

  it('writes the version 4 document as bytes exactly as JSON.stringify would, whatever changed since the last one', () => {
    const text = (s: Snapshot) => new TextDecoder().decode(writeDocumentHead(s).json);
    const expected = (s: Snapshot) => JSON.stringify(buildDocumentHead(s).doc);
    const s = sampleSnapshot();
    s.config['name'] = 'snapshot \u00e9t\u00e9 "quoted"';
    const variants: Array<(t: Snapshot) => void> = [
      () => {},
      () => {},
      // Another schema object under the same key, a schema more, one less.
      (t) => t.schemas.set('i8254@2', { fields: [{ name: 'other', kind: 'u8' }] }),
      (t) => t.schemas.set('zzz@1', { fields: [] }),
      (t) => {
        t.schemas.delete('ram@1');
        t.objects.delete('/machine/ram');
      },
      // An object of another version, one more (sorted in front), one less, in another order.
      (t) => {
        t.objects.get('/machine/pit')!.version = 3;
        t.schemas.set('i8254@3', t.schemas.get('i8254@2')!);
      },
      (t) => {
        t.objects.set('/machine/a', { type: 'empty', version: 1, fields: newNode() });
        t.schemas.set('empty@1', { fields: [] });
      },
      (t) => t.objects.delete('/machine/pit'),
      // The same number of objects under other paths.
      (t) => {
        t.objects.set('/machine/zz', t.objects.get('/machine/pit')!);
        t.objects.delete('/machine/pit');
      },
      (t) => {
        t.objects = new Map([...t.objects].reverse());
      },
      (t) => {
        t.base = { path: 'b.gw', id: '0123456789abcdef' };
      },
      (t) => {
        t.clock = { ...t.clock, run: { x: [1, null, 'y'] }, virtualTimeNs: 5n };
      },
    ];
    for (const change of variants) {
      const t: Snapshot = { ...s, objects: new Map(s.objects), schemas: new Map(s.schemas) };
      t.objects.set('/machine/pit', { ...t.objects.get('/machine/pit')! });
      change(t);
      expect(text(t)).toBe(expected(t));
      expect(writeDocumentHead(t).values.map((v) => v.path)).toEqual([...t.objects.keys()].sort());
    }
  });

  it('refuses what is not JSON with one StateError', () => {
    const doc = buildDocument(sampleSnapshot(), blobRef);
    const bad = { ...doc, config: { n: 1n } as unknown as JsonObject };
    expect(() => stringifyDocument(bad)).toThrow(/^document: cannot be written as JSON: /);
  });
});
