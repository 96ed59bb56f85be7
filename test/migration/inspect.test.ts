import { describe, expect, it } from 'vitest';
import { describeSnapshot, formatSnapshotSummary } from '../../migration/inspect.ts';
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
