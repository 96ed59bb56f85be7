/**
 * The value section (format version 4): every kind of the schema language written in binary and read
 * back to exactly what the version 3 document (values as JSON) gives, key order and node prototypes
 * included; the writer checks values as strictly as validateAgainstSchema.
 */
import { describe, expect, it } from 'vitest';
import { decodeSnapshot, decodeSnapshotFile } from '../../migration/decode.ts';
import { concatChunks, encodeSnapshot, encodeSnapshotBytes } from '../../migration/encode.ts';
import { WRITE_FORMAT_VERSION } from '../../migration/header.ts';
import type { Snapshot } from '../../migration/snapshot.ts';
import { describeState } from '../../src/visit/describe-visitor.ts';
import { saveState } from '../../src/visit/output-visitor.ts';
import type { SchemaNode } from '../../src/visit/schema.ts';
import { newNode, type StateValue } from '../../src/visit/state-tree.ts';
import { filledSample, SampleDevice } from '../visit/sample-device.ts';
import { documentOf, jsonValuesFile } from './forge.ts';
import { Rng, sampleSnapshot } from './sample-snapshot.ts';

/** A value as text that tells every kind apart and keeps key order and node prototypes. */
function show(value: StateValue | undefined): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean') return Object.is(value, -0) ? '-0' : String(value);
  if (value instanceof Uint8Array) return `bytes(${Array.from(value, (b) => b.toString(16).padStart(2, '0')).join('')})`;
  if (Array.isArray(value)) return `[${value.map(show).join(',')}]`;
  if (value === undefined) return 'undefined';
  const proto = Object.getPrototypeOf(value) === null ? 'null' : 'object';
  return `${proto}{${Object.keys(value)
    .map((k) => `${JSON.stringify(k)}:${show(value[k])}`)
    .join(',')}}`;
}

function showSnapshot(s: Snapshot): string {
  return [...s.objects]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, o]) => `${path} ${o.type}@${o.version} ${show(o.fields)}`)
    .join('\n');
}

const SAMPLE_SCHEMA = describeState(new SampleDevice());

/** Byte strings of every size class: inline, and blobs in a struct array and in a varbytes field. */
const BYTES_SCHEMA: SchemaNode = {
  fields: [
    { name: 'short', kind: 'varbytes', maxLength: 100000 },
    { name: 'long', kind: 'varbytes', maxLength: 100000 },
    { name: 'none', kind: 'varbytes', maxLength: 0 },
    { name: 'pages', kind: 'struct[]', length: 2, fields: [{ name: 'page', kind: 'bytes', length: 4096 }, { name: 'tag', kind: 'u8' }] },
    { name: 'empty', kind: 'bytes', length: 0 },
    { name: 'nothing', kind: 'struct', fields: [] },
  ],
};

function bytesFields(rng: Rng): Record<string, StateValue> {
  const fill = (n: number) => new Uint8Array(n).map(() => rng.below(256));
  const page = (tag: number) => {
    const n = newNode();
    n['page'] = fill(4096);
    n['tag'] = tag;
    return n;
  };
  const n = newNode();
  n['short'] = fill(4095);
  n['long'] = fill(5000);
  n['none'] = new Uint8Array(0);
  n['pages'] = [page(1), page(2)];
  n['empty'] = new Uint8Array(0);
  n['nothing'] = newNode();
  return n;
}

function snapshotWith(entries: Array<[string, string, number, Record<string, StateValue>, SchemaNode]>): Snapshot {
  const s = sampleSnapshot(8192, [1]);
  for (const [path, type, version, fields, schema] of entries) {
    s.objects.set(path, { type, version, fields: fields as never });
    s.schemas.set(`${type}@${version}`, schema);
  }
  return s;
}

describe('value section', () => {
  it('reads back what the version 3 document gives, for every kind, with and without optional groups', () => {
    const without = filledSample();
    without.waitForSipi = false;
    const absent = saveState(without);
    const present = filledSample();
    present.sipiVector = 0xfe;
    const s = snapshotWith([
      ['/machine/a', 'sample', 2, absent, SAMPLE_SCHEMA],
      ['/machine/b', 'sample', 2, saveState(present), SAMPLE_SCHEMA],
      ['/machine/c', 'sample', 2, saveState(new SampleDevice()), SAMPLE_SCHEMA],
      ['/machine/d', 'bytes', 1, bytesFields(new Rng(5)), BYTES_SCHEMA],
    ]);
    const v4 = encodeSnapshotBytes(s);
    expect(new DataView(v4.buffer).getUint32(8, true)).toBe(WRITE_FORMAT_VERSION);
    expect(JSON.parse(documentOf(v4)).objects['/machine/a']).toEqual({ type: 'sample', version: 2 });
    const fromV4 = decodeSnapshot(v4);
    const fromV3 = decodeSnapshot(jsonValuesFile(s));
    expect(showSnapshot(fromV4)).toBe(showSnapshot(fromV3));
    expect(showSnapshot(fromV4)).toBe(showSnapshot(s));
    expect(Object.hasOwn(fromV4.objects.get('/machine/a')!.fields, 'sipi')).toBe(false);
    expect(show(fromV4.objects.get('/machine/b')!.fields['sipi'])).toBe('null{"vector":254}');
    // The byte strings of 4 KiB and more are blobs, at their field paths.
    expect(encodeSnapshot(s).blobs.map((b) => b.path)).toEqual(['/machine/d.long', '/machine/d.pages[0].page', '/machine/d.pages[1].page', '/machine/ram.data']);
    // Decoded byte strings are copies, not views of the file.
    const short = fromV4.objects.get('/machine/d')!.fields['short'] as Uint8Array;
    expect(short.buffer).not.toBe(v4.buffer);
  });

  it('carries the extremes of every integer kind, and random values, exactly', () => {
    const schema: SchemaNode = {
      fields: ['u8', 'u16', 'u32', 'i8', 'i16', 'i32', 'u64', 'i64', 'bool'].map((kind) => ({ name: kind, kind: kind as 'u8' })),
    };
    const extremes: Record<string, StateValue[]> = {
      u8: [0, 255],
      u16: [0, 0xffff],
      u32: [0, 0xffffffff],
      i8: [-128, 127],
      i16: [-0x8000, 0x7fff],
      i32: [-0x80000000, 0x7fffffff],
      u64: [0n, (1n << 64n) - 1n],
      i64: [-(1n << 63n), (1n << 63n) - 1n],
      bool: [false, true],
    };
    const rng = new Rng(9);
    const entries: Array<[string, string, number, Record<string, StateValue>, SchemaNode]> = [];
    for (let i = 0; i < 40; i++) {
      const n = newNode();
      for (const [kind, [lo, hi]] of Object.entries(extremes)) n[kind] = i < 2 ? (i === 0 ? lo! : hi!) : pick(kind, rng);
      entries.push([`/machine/n${String(i).padStart(2, '0')}`, 'ints', 1, n, schema]);
    }
    const s = snapshotWith(entries);
    expect(showSnapshot(decodeSnapshot(encodeSnapshotBytes(s)))).toBe(showSnapshot(s));
  });

  it('refuses to write a value its schema refuses, naming the field as validateAgainstSchema does', () => {
    const cases: Array<[(f: Record<string, StateValue>) => void, string]> = [
      [(f) => (f['tpr'] = 256), '/machine/a.tpr: expected u8, got 256'],
      [(f) => (f['small'] = 1.5), '/machine/a.small: expected i8, got 1.5'],
      [(f) => (f['tsc'] = -1n), '/machine/a.tsc: expected u64, got -1n'],
      [(f) => (f['enabled'] = 1), '/machine/a.enabled: expected bool, got 1'],
      [(f) => ((f['channels'] as Record<string, StateValue>[])[2]!['count'] = 0x10000), '/machine/a.channels[2].count: expected u16, got 65536'],
      [(f) => (f['ram'] = new Uint8Array(63)), '/machine/a.ram'],
      [(f) => (f['extra'] = 1), '/machine/a.extra: unknown field'],
      [(f) => delete f['flags'], '/machine/a.flags: missing'],
      [(f) => ((f['deadlines'] as bigint[])[1] = 1 as never), '/machine/a.deadlines[1]: expected u64'],
    ];
    for (const [edit, message] of cases) {
      const fields = saveState(filledSample()) as Record<string, StateValue>;
      edit(fields);
      expect(() => encodeSnapshot(snapshotWith([['/machine/a', 'sample', 2, fields, SAMPLE_SCHEMA]])), message).toThrow(message);
    }
  });

  it('gives the same bytes for the same snapshot, and keeps a diff snapshot version 4', () => {
    const s = sampleSnapshot();
    expect(encodeSnapshotBytes(s)).toEqual(encodeSnapshotBytes(sampleSnapshot()));
    const big = sampleSnapshot(1 << 20, [0, 9]);
    const diff = concatChunks(encodeSnapshot({ ...big, base: { path: 'base.gw', id: '0123456789abcdef' } }, { diff: new Map([['/machine/ram.data', new Uint8Array(256).fill(1)]]) }).chunks);
    const d = decodeSnapshotFile(diff);
    expect(d.container.header.version).toBe(WRITE_FORMAT_VERSION);
    expect(d.diffPaths).toEqual(['/machine/ram.data']);
    expect(show(d.snapshot.objects.get('/machine/pit')!.fields)).toBe(show(big.objects.get('/machine/pit')!.fields));
  });
});

function pick(kind: string, rng: Rng): StateValue {
  const u32 = () => rng.next();
  switch (kind) {
    case 'u8':
      return u32() & 0xff;
    case 'u16':
      return u32() & 0xffff;
    case 'u32':
      return u32();
    case 'i8':
      return (u32() << 24) >> 24;
    case 'i16':
      return (u32() << 16) >> 16;
    case 'i32':
      return u32() | 0;
    case 'u64':
      return (BigInt(u32()) << 32n) | BigInt(u32());
    case 'i64':
      return BigInt.asIntN(64, (BigInt(u32()) << 32n) | BigInt(u32()));
    default:
      return (u32() & 1) === 1;
  }
}
