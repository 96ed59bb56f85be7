import { describe, expect, it } from 'vitest';
import { exportSnapshotJson, importSnapshotJson } from '../../migration/json-export.ts';
import { fromBase64, toBase64 } from '../../migration/base64.ts';
import { withLimits } from '../../migration/limits.ts';
import { isSnapshotError } from '../../migration/snapshot-error.ts';
import { hash64 } from '../../src/util/hash.ts';
import { treesEqual } from '../../src/visit/state-tree.ts';
import { Rng, sampleSnapshot } from './sample-snapshot.ts';

describe('base64', () => {
  it('round-trips every length and rejects non-canonical text', () => {
    const rng = new Rng(5);
    for (let n = 0; n < 40; n++) {
      const bytes = new Uint8Array(n).map(() => rng.next() & 0xff);
      const text = toBase64(bytes);
      expect(text).toBe(btoa(String.fromCharCode(...bytes)));
      expect(fromBase64(text, n)).toEqual(bytes);
    }
    expect(fromBase64('AAA=', 3)).toBeNull();
    expect(fromBase64('AB==', 1)).toBeNull(); // low bits set
    expect(fromBase64('A===', 1)).toBeNull();
    expect(fromBase64('AA==', 2)).toBeNull();
    expect(fromBase64('AA$=', 2)).toBeNull();
    expect(fromBase64('AAAA', 3)).toEqual(new Uint8Array(3));
  });
});

describe('JSON export', () => {
  it('summarizes RAM by default, with the --stats RAM hash', () => {
    const s = sampleSnapshot();
    const text = exportSnapshotJson(s);
    const doc = JSON.parse(text);
    expect(doc.format).toBe('godwit-snapshot-json');
    expect(doc.formatVersion).toBe(1);
    const ram = s.objects.get('/machine/ram')!.fields['data'] as Uint8Array;
    expect(doc.objects['/machine/ram'].fields.data).toEqual({ bytes: 65536, nonZeroPages: 3, hash64: hash64(ram) });
    expect(doc.objects['/machine/pit'].fields.deadline).toBe('18446744073709551615');
    expect(text).toContain('\n  "config": {');
    expect(() => importSnapshotJson(text)).toThrow('/machine/ram.data: byte string exported as a summary; export with inline blobs to import');
  });

  it('round-trips with inline blobs', () => {
    const s = sampleSnapshot(16 * 4096, [0, 15]);
    const text = exportSnapshotJson(s, { inlineBlobs: true, indent: 0 });
    const back = importSnapshotJson(text, { limits: withLimits({ maxStringBytes: 1 << 20 }) });
    for (const [path, obj] of s.objects) expect(treesEqual(back.objects.get(path)!.fields, obj.fields), path).toBe(true);
    expect(back.clock).toEqual(s.clock);
    // The default string limit stops the 87 KiB base64 string.
    expect(() => importSnapshotJson(text)).toThrow(/string of 87384 bytes, limit 65536/);
  });

  it('rejects other formats and newer versions', () => {
    const doc = JSON.parse(exportSnapshotJson(sampleSnapshot(4096, []), { inlineBlobs: true }));
    const tryImport = (d: unknown): string => {
      try {
        importSnapshotJson(JSON.stringify(d));
      } catch (e) {
        if (isSnapshotError(e)) return `${e.code} ${e.message}`;
        throw e;
      }
      return 'ok';
    };
    expect(tryImport(doc)).toBe('ok');
    expect(tryImport({ ...doc, formatVersion: 2 })).toBe('newer-version document.formatVersion: snapshot JSON format version 2 is newer than this build supports (1)');
    expect(tryImport({ ...doc, format: 'qemu' })).toMatch(/^bad-document document.format/);
    expect(tryImport([1])).toMatch(/^bad-document document: expected an object/);
    expect(() => importSnapshotJson('x'.repeat(9 * 1024 * 1024))).toThrow(/limit/);
  });
});
