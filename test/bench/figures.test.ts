/**
 * The benchmark suite's presentation (bench/lib/figures.ts, bench/lib/chart.ts): the table, the
 * Markdown table and the JSON come from the same figures; a ratio is godwit / reference; a missing
 * cell says why; a goal not met says so. No timing is measured here.
 */
import { describe, expect, it } from 'vitest';
import { formatMarkdown, formatRatio, formatTable, formatValue, isBetter, ratio, toJson, type Figure } from '../../bench/lib/figures.ts';
import { chartFigures, renderChart, wrap } from '../../bench/lib/chart.ts';

const SAVE: Figure = {
  group: 'save and load',
  name: '128 MiB fully written: save',
  unit: 'ms',
  better: 'lower',
  value: 100,
  references: { v86: 400, QEMU: null },
  missing: { QEMU: 'qemu-system-i386 not found' },
  goals: [{ text: 'at least 2x as fast as v86', met: true }, { text: 'within 1.2x of the file-system limit', met: false }],
};
const MIPS: Figure = { group: 'CPU', name: 'integer workload', unit: 'MIPS', better: 'higher', value: 60, references: { 'v86 interpreter': 40 } };
const ABSENT: Figure = { group: 'CPU', name: 'disk chain', unit: 'us', better: 'lower', value: null, references: {}, missing: { godwit: 'needs virtio-blk' } };

describe('benchmark figures', () => {
  it('divides godwit by the reference and knows which way is better', () => {
    expect(ratio(100, 400)).toBe(0.25);
    expect(ratio(null, 400)).toBeNull();
    expect(ratio(100, null)).toBeNull();
    expect(ratio(100, 0)).toBeNull();
    expect(isBetter(0.25, 'lower')).toBe(true);
    expect(isBetter(0.25, 'higher')).toBe(false);
    expect(isBetter(1.5, 'higher')).toBe(true);
  });

  it('formats values with three significant digits and thousands apart', () => {
    expect(formatValue(1234.4)).toBe('1,234');
    expect(formatValue(999.7)).toBe('1,000');
    expect(formatValue(123.4)).toBe('123');
    expect(formatValue(12.34)).toBe('12.3');
    expect(formatValue(1.234)).toBe('1.23');
    expect(formatValue(0.01234)).toBe('0.0123');
    expect(formatValue(null)).toBe('-');
    expect(formatRatio(0.25)).toBe('0.25x');
    expect(formatRatio(12.4)).toBe('12x');
  });

  it('prints one table: godwit, each reference with its ratio, why a cell is empty, the goals', () => {
    const t = formatTable([SAVE, MIPS, ABSENT]);
    const lines = t.split('\n');
    expect(lines[0]).toMatch(/^figure +unit +better +godwit +references/);
    expect(t).toContain('-- save and load');
    expect(t).toContain('-- CPU');
    const save = lines.find((l) => l.startsWith('128 MiB fully written: save'))!;
    expect(save).toMatch(/ms +lower +100 +v86 400 \(0\.25x\); QEMU: - \(qemu-system-i386 not found\)$/);
    expect(t).toContain('goal: at least 2x as fast as v86: met');
    expect(t).toContain('goal: within 1.2x of the file-system limit: NOT MET');
    expect(lines.find((l) => l.startsWith('integer workload'))).toMatch(/MIPS +higher +60.0 +v86 interpreter 40.0 \(1\.5x\)$/);
    expect(t).toContain('godwit: needs virtio-blk');
  });

  it('writes the Markdown table and the JSON from the same figures', () => {
    const md = formatMarkdown([SAVE, ABSENT]);
    expect(md).toContain('| 128 MiB fully written: save (ms, lower is better) | 100 | v86 400 (0.25x); QEMU: - (qemu-system-i386 not found) |');
    expect(md).toContain('within 1.2x of the file-system limit: **not met**');
    expect(md).toContain('| disk chain (us, lower is better) | - (needs virtio-blk) |');
    const json = JSON.parse(toJson([SAVE, ABSENT])) as Figure[];
    expect(json.map((f) => [f.name, f.unit, f.better, f.value])).toEqual([
      ['128 MiB fully written: save', 'ms', 'lower', 100],
      ['disk chain', 'us', 'lower', null],
    ]);
    expect(json[0]!.references).toEqual({ v86: 400, QEMU: null });
  });

  it('charts the figures that have a value and a measured reference, one bar each', () => {
    expect(chartFigures([SAVE, MIPS, ABSENT]).map((f) => f.name)).toEqual(['128 MiB fully written: save', 'integer workload']);
    const svg = renderChart([SAVE, MIPS, ABSENT], 'caption <&>');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('caption &lt;&amp;&gt;');
    // godwit + v86 for the save, godwit + v86 interpreter for MIPS: QEMU has no value, no bar.
    expect(svg.match(/<rect x=/g)).toHaveLength(4);
    expect(svg).toContain('400 (0.25x)');
    expect(wrap('aa bb cc dd', 5)).toEqual(['aa bb', 'cc dd']);
  });
});
