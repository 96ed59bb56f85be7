/** migration/snapshot-diff.ts: what differs between two snapshots, with paths and values. */
import { describe, expect, it } from 'vitest';
import { diffSnapshots, formatSnapshotDiff } from '../../migration/snapshot-diff.ts';
import { decodeSnapshotFile } from '../../migration/decode.ts';
import { encodeSnapshotBytes } from '../../migration/encode.ts';
import { newNode, type StateNode } from '../../src/visit/state-tree.ts';
import { hash64 } from '../../src/util/hash.ts';
import { sampleSnapshot } from './sample-snapshot.ts';

describe('diffSnapshots', () => {
  it('finds nothing between equal snapshots', () => {
    const d = diffSnapshots(sampleSnapshot(), sampleSnapshot());
    expect(d).toEqual({ config: [], clock: [], schemas: [], objects: [], equal: true });
    expect(formatSnapshotDiff(d)).toBe('snapshots are identical\n');
  });

  it('shows every difference with its path and both values, by the kind of each field', () => {
    const a = sampleSnapshot();
    const b = sampleSnapshot();
    (b.config['machine'] as Record<string, unknown>)['kernel-irqchip'] = 'off';
    b.config['smp'] = 2;
    b.clock.virtualTimeNs += 1n;
    b.clock.run['serial'] = { bytes: 5 };
    const pit = b.objects.get('/machine/pit')!.fields;
    pit['mode'] = 2; // u8: hex
    (pit['latch'] as number[])[1] = 0x10; // u32[] element: hex
    pit['offset'] = -5n; // i64: decimal
    pit['gate'] = false;
    ((pit['channels'] as StateNode[])[1]!)['value'] = -7; // i16 inside struct[]: decimal
    const sipi = newNode();
    sipi['vector'] = 0x9a;
    pit['sipi'] = sipi; // an optional group present on one side only
    (pit['page'] as Uint8Array)[3] = 0xff; // a small byte string
    const ram = b.objects.get('/machine/ram')!.fields['data'] as Uint8Array;
    ram[5000]! ^= 1;
    ram[0x9000 + 7]! ^= 1;
    b.objects.set('/machine/rtc', { type: 'mc146818', version: 1, fields: newNode() });
    b.schemas.set('mc146818@1', { fields: [] });
    const aRam = a.objects.get('/machine/ram')!.fields['data'] as Uint8Array;

    const d = diffSnapshots(a, b);
    expect(d.equal).toBe(false);
    expect(d.config).toEqual([
      { path: 'config.machine.kernel-irqchip', a: '"on"', b: '"off"' },
      { path: 'config.smp', a: 'absent', b: '2' },
    ]);
    expect(d.clock).toEqual([
      { path: 'clock.virtualTimeNs', a: '123456789012345', b: '123456789012346' },
      { path: 'clock.run.serial', a: 'absent', b: '{"bytes":5}' },
    ]);
    expect(d.schemas).toEqual([{ key: 'mc146818@1', change: 'only in B' }]);
    expect(d.objects.map((o) => o.path)).toEqual(['/machine/pit', '/machine/ram', '/machine/rtc']);
    expect(d.objects[0]!.fields).toEqual([
      { path: '/machine/pit.mode', a: '0x3', b: '0x2' },
      { path: '/machine/pit.offset', a: '-9223372036854775808', b: '-5' },
      { path: '/machine/pit.gate', a: 'true', b: 'false' },
      { path: '/machine/pit.latch[1]', a: '0xffffffff', b: '0x10' },
      {
        path: '/machine/pit.page',
        a: `16 bytes, hash64 ${hash64(a.objects.get('/machine/pit')!.fields['page'] as Uint8Array)}`,
        b: `hash64 ${hash64(pit['page'] as Uint8Array)}`,
        detail: 'first difference at byte 0x3',
      },
      { path: '/machine/pit.channels[1].value', a: '32767', b: '-7' },
      { path: '/machine/pit.sipi', a: 'absent', b: 'present' },
    ]);
    expect(d.objects[1]!.fields).toEqual([
      {
        path: '/machine/ram.data',
        a: `65536 bytes, hash64 ${hash64(aRam)}`,
        b: `hash64 ${hash64(ram)}`,
        detail: '2 of 16 pages differ (0x1000, 0x9000), first at byte 0x1388',
      },
    ]);
    expect(d.objects[2]).toEqual({ path: '/machine/rtc', a: null, b: { type: 'mc146818', version: 1 }, fields: [] });

    const text = formatSnapshotDiff(d);
    expect(text.split('\n')).toEqual([
      'config.machine.kernel-irqchip: "on" -> "off"',
      'config.smp: absent -> 2',
      'clock.virtualTimeNs: 123456789012345 -> 123456789012346',
      'clock.run.serial: absent -> {"bytes":5}',
      'schema mc146818@1: only in B',
      '/machine/pit.mode: 0x3 -> 0x2',
      '/machine/pit.offset: -9223372036854775808 -> -5',
      '/machine/pit.gate: true -> false',
      '/machine/pit.latch[1]: 0xffffffff -> 0x10',
      `/machine/pit.page: 16 bytes, hash64 ${hash64(a.objects.get('/machine/pit')!.fields['page'] as Uint8Array)} -> hash64 ${hash64(pit['page'] as Uint8Array)}; first difference at byte 0x3`,
      '/machine/pit.channels[1].value: 32767 -> -7',
      '/machine/pit.sipi: absent -> present',
      `/machine/ram.data: 65536 bytes, hash64 ${hash64(aRam)} -> hash64 ${hash64(ram)}; 2 of 16 pages differ (0x1000, 0x9000), first at byte 0x1388`,
      '/machine/rtc: absent -> mc146818@1',
      'snapshots differ: 2 configuration values, 2 clock values, 1 schema, 3 objects (8 fields)',
      '',
    ]);
  });

  it('byte strings of different sizes, types that differ, and many differing pages', () => {
    const a = sampleSnapshot(64 * 1024, []);
    const b = sampleSnapshot(64 * 1024, []);
    const ram = b.objects.get('/machine/ram')!.fields['data'] as Uint8Array;
    for (let p = 2; p < 9; p++) ram[p * 4096 + 1] = 1;
    b.objects.set('/machine/pit', { ...b.objects.get('/machine/pit')!, type: 'kvm-pit', version: 1 });
    const d = diffSnapshots(a, b);
    expect(d.objects[0]).toEqual({ path: '/machine/pit', a: { type: 'i8254', version: 2 }, b: { type: 'kvm-pit', version: 1 }, fields: [] });
    expect(d.objects[1]!.fields[0]!.detail).toBe('7 of 16 pages differ (0x2000, 0x3000, 0x4000, 0x5000, ...), first at byte 0x2001');
    const text = formatSnapshotDiff(d);
    expect(text.startsWith('/machine/pit: i8254@2 -> kvm-pit@1\n')).toBe(true);

    const short = sampleSnapshot(8192, []);
    const long = sampleSnapshot(12288, []);
    const s = diffSnapshots(short, long);
    expect(s.schemas).toEqual([{ key: 'ram@1', change: 'differs' }]);
    expect(s.objects.map((o) => o.path)).toEqual(['/machine/ram']);
    expect(s.objects[0]!.fields).toEqual([
      { path: '/machine/ram.data', a: `8192 bytes, hash64 ${hash64(new Uint8Array(8192))}`, b: `12288 bytes, hash64 ${hash64(new Uint8Array(12288))}` },
    ]);
  });

  it('lists at most `limit` fields of an object, then how many more', () => {
    const a = sampleSnapshot();
    const b = sampleSnapshot();
    const pit = b.objects.get('/machine/pit')!.fields;
    pit['mode'] = 1;
    pit['count'] = 1;
    pit['gate'] = false;
    const text = formatSnapshotDiff(diffSnapshots(a, b), 2);
    expect(text).toBe(
      '/machine/pit.mode: 0x3 -> 0x1\n/machine/pit.count: 0xffff -> 0x1\n/machine/pit: ... and 1 more field\n' +
        'snapshots differ: 0 configuration values, 0 clock values, 0 schemas, 1 object (3 fields)\n',
    );
  });

  it('from the stored form: the same result, reading only pages stored on either side', () => {
    const a = sampleSnapshot(256 * 1024, [0, 3]);
    const b = sampleSnapshot(256 * 1024, [0, 3]);
    (b.objects.get('/machine/ram')!.fields['data'] as Uint8Array)[40 * 4096 + 9] = 5;
    const x = decodeSnapshotFile(encodeSnapshotBytes(a));
    const y = decodeSnapshotFile(encodeSnapshotBytes(b));
    const plain = diffSnapshots(x.snapshot, y.snapshot);
    const stored = diffSnapshots(x.snapshot, y.snapshot, { sourcesA: x.sources, sourcesB: y.sources });
    expect(stored).toEqual(plain);
    expect(stored.objects[0]!.fields[0]!.detail).toBe('1 of 64 pages differ (0x28000), first at byte 0x28009');

    // A page stored on neither side is zero on both and never read: a difference planted there in
    // the expanded byte strings (which a file could not produce) is not seen through the sources.
    const ramA = x.snapshot.objects.get('/machine/ram')!.fields['data'] as Uint8Array;
    const ramB = y.snapshot.objects.get('/machine/ram')!.fields['data'] as Uint8Array;
    ramA[50 * 4096] = 1;
    expect(diffSnapshots(x.snapshot, y.snapshot, { sourcesA: x.sources, sourcesB: y.sources }).objects[0]!.fields[0]!.detail).toBe(
      '1 of 64 pages differ (0x28000), first at byte 0x28009',
    );
    expect(diffSnapshots(x.snapshot, y.snapshot).objects[0]!.fields[0]!.detail).toBe('2 of 64 pages differ (0x28000, 0x32000), first at byte 0x28009');
    expect(ramB[50 * 4096]).toBe(0);
  });
});
