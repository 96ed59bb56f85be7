/** `varbytes` fields through the container, the JSON export and the planner. */
import { describe, expect, it } from 'vitest';
import { decodeSnapshot } from '../../migration/decode.ts';
import { encodeSnapshot, encodeSnapshotBytes } from '../../migration/encode.ts';
import { exportSnapshotJson, importSnapshotJson } from '../../migration/json-export.ts';
import { withLimits } from '../../migration/limits.ts';
import { planMigration, sourceSignatures } from '../../migration/planner.ts';
import { FilterRegistry } from '../../migration/registry.ts';
import type { Snapshot } from '../../migration/snapshot.ts';
import { newNode } from '../../src/visit/state-tree.ts';
import type { SchemaNode } from '../../src/visit/schema.ts';
import { forgeFile } from './forge.ts';

const SCHEMA: SchemaNode = { fields: [{ name: 'image', kind: 'varbytes', maxLength: 10000 }] };

function holder(image: Uint8Array): Snapshot {
  return {
    config: {},
    clock: { virtualTimeNs: 0n, retiredInstructions: 0n, run: {} },
    objects: new Map([['/machine/fw_cfg', { type: 'holder', version: 1, fields: Object.assign(newNode(), { image }) }]]),
    schemas: new Map([['holder@1', SCHEMA]]),
  };
}

function image(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 13 + 1) & 0xff);
}

function imageOf(s: Snapshot): Uint8Array {
  return s.objects.get('/machine/fw_cfg')!.fields['image'] as Uint8Array;
}

describe('varbytes in a snapshot', () => {
  it('round-trips short strings as hex and long ones as blobs, each with its own length', () => {
    for (const n of [0, 1, 4095, 4096, 9999, 10000]) {
      const back = decodeSnapshot(encodeSnapshotBytes(holder(image(n))));
      expect(imageOf(back), String(n)).toEqual(image(n));
    }
    expect(encodeSnapshot(holder(image(5000))).blobs).toHaveLength(1);
    expect(encodeSnapshot(holder(image(100))).blobs).toHaveLength(0);
  });

  it('refuses a blob or hex string longer than the maximum, and odd hex', () => {
    const doc = (fields: unknown) =>
      JSON.stringify({
        config: {},
        clock: { virtualTimeNs: '0', retiredInstructions: '0', run: {} },
        objects: { '/machine/fw_cfg': { type: 'holder', version: 1, fields } },
        schemas: { 'holder@1': SCHEMA },
      });
    const big = image(10001);
    expect(() => decodeSnapshot(forgeFile(doc({ image: { blob: 0, bytes: 10001 } }), [{ stored: big }]))).toThrow(
      'blob 0 holds 10001 bytes, the reference says 10001, the schema at most 10000',
    );
    expect(() => decodeSnapshot(forgeFile(doc({ image: 'abc' })))).toThrow(/expected at most 10000 bytes as lowercase hex digits/);
    expect(() => decodeSnapshot(forgeFile(doc({ image: '00'.repeat(10001) }), []))).toThrow(/expected at most 10000 bytes/);
    const ok = decodeSnapshot(forgeFile(doc({ image: { blob: 0, bytes: 10000 } }), [{ stored: image(10000) }]));
    expect(imageOf(ok)).toEqual(image(10000));
  });

  it('goes through the JSON export with inline blobs and back', () => {
    const s = holder(image(6000));
    const text = exportSnapshotJson(s, { inlineBlobs: true });
    const back = importSnapshotJson(text, { limits: withLimits({ maxStringBytes: 1 << 20 }) });
    expect(imageOf(back)).toEqual(image(6000));
    const tooLong = text.replace('"bytes": 6000', '"bytes": 20000');
    expect(() => importSnapshotJson(tooLong, { limits: withLimits({ maxStringBytes: 1 << 20 }) })).toThrow('expected {"bytes": at most 10000, "base64": ...}');
  });

  it('the planner sees one schema whatever the lengths, and reports a different maximum', () => {
    const s = holder(image(10));
    const registry = new FilterRegistry();
    const dest = new Map([['/machine/fw_cfg', { type: 'holder', version: 1, schema: SCHEMA }]]);
    expect(planMigration(registry, sourceSignatures(s), dest).steps).toEqual([]);
    const other = new Map([['/machine/fw_cfg', { type: 'holder', version: 1, schema: { fields: [{ name: 'image', kind: 'varbytes', maxLength: 5 }] } as SchemaNode }]]);
    expect(() => planMigration(registry, sourceSignatures(s), other)).toThrow('/machine/fw_cfg.image: at most 10000 bytes in the snapshot, at most 5 bytes on the destination machine');
  });
});
