import { describe, expect, it } from 'vitest';
import { describeSnapshot, diffSnapshots, formatSnapshotDiff, formatSnapshotSummary } from '../../migration/inspect.ts';
import { sampleSnapshot } from './sample-snapshot.ts';

describe('describeSnapshot', () => {
  it('lists paths, types, versions and sizes', () => {
    const summary = describeSnapshot(sampleSnapshot());
    expect(summary.objects.map((o) => [o.path, o.type, o.version])).toEqual([
      ['/machine/pit', 'i8254', 2],
      ['/machine/ram', 'ram', 1],
    ]);
    expect(summary.objects[1]!.byteStrings).toEqual([{ field: '/machine/ram.data', bytes: 65536, nonZeroPages: 3 }]);
    expect(summary.objects[0]!.stateBytes).toBeGreaterThan(100);
    expect(summary.schemas).toEqual(['i8254@2', 'ram@1']);
    expect(summary.nonZeroPages).toBe(3);
    const text = formatSnapshotSummary(summary);
    expect(text).toContain('/machine/pit  i8254@2');
    expect(text).toContain('  /machine/ram.data: 65536 bytes, 3 non-zero pages');
    expect(text).toContain('virtual time 123456789012345 ns');
  });
});

describe('diffSnapshots', () => {
  it('finds nothing between equal snapshots', () => {
    const d = diffSnapshots(sampleSnapshot(), sampleSnapshot());
    expect(d.equal).toBe(true);
    expect(formatSnapshotDiff(d)).toBe('snapshots are identical\n');
  });

  it('lists differing config, clock, schemas, objects and fields', () => {
    const a = sampleSnapshot();
    const b = sampleSnapshot();
    (b.config['machine'] as Record<string, unknown>)['kernel-irqchip'] = 'off';
    b.clock.virtualTimeNs += 1n;
    b.objects.get('/machine/pit')!.fields['mode'] = 2;
    (b.objects.get('/machine/ram')!.fields['data'] as Uint8Array)[5000]! ^= 1;
    b.objects.set('/machine/rtc', { type: 'mc146818', version: 1, fields: Object.create(null) });
    b.schemas.set('mc146818@1', { fields: [] });
    const d = diffSnapshots(a, b);
    expect(d.equal).toBe(false);
    expect(d.config).toEqual(['config.machine.kernel-irqchip']);
    expect(d.clock).toEqual(['clock.virtualTimeNs']);
    expect(d.schemas).toEqual(['mc146818@1']);
    expect(d.objects).toEqual([
      { path: '/machine/pit', a: { type: 'i8254', version: 2 }, b: { type: 'i8254', version: 2 }, fields: ['/machine/pit.mode'] },
      { path: '/machine/ram', a: { type: 'ram', version: 1 }, b: { type: 'ram', version: 1 }, fields: ['/machine/ram.data[5000]'] },
      { path: '/machine/rtc', a: null, b: { type: 'mc146818', version: 1 }, fields: [] },
    ]);
    const text = formatSnapshotDiff(d);
    expect(text).toContain('/machine/rtc: absent -> mc146818@1');
    expect(text).toContain('  /machine/pit.mode');
  });
});
