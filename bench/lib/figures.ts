/**
 * Benchmark figures and their presentation: one figure is godwit's value for a measurement with the
 * references measured in the same run beside it (v86, QEMU, the physical limit, JSON), and godwit's
 * ratio to each. Pure functions: the terminal table, the Markdown table for the README and the JSON
 * document all come from the same list.
 */

export type Better = 'lower' | 'higher';

/** A goal from the issue: met or not, in words. */
export interface Goal {
  text: string;
  /** null when a figure it needs is missing. */
  met: boolean | null;
}

export interface Figure {
  /** The section of the table and chart ("save and load", "CPU"...). */
  group: string;
  name: string;
  unit: string;
  better: Better;
  /** godwit's value; null when it could not be measured (missing.godwit says why). */
  value: number | null;
  /** Reference values by name; null when the reference could not run the case (missing says why). */
  references: Record<string, number | null>;
  /** Why a cell is empty: 'godwit' or a reference name -> one line. */
  missing?: Record<string, string>;
  /** The goals this figure answers. */
  goals?: Goal[];
  /** How the figure was measured or what it is made of (one line, printed under it). */
  note?: string;
}

/** The JSON document: a list of figures (the shape, plus group, missing and goal). */
export function toJson(figures: readonly Figure[]): string {
  return `${JSON.stringify(figures, null, 2)}\n`;
}

/** godwit's value divided by the reference's, or null when either is missing or the reference is 0. */
export function ratio(value: number | null, reference: number | null): number | null {
  if (value === null || reference === null || reference === 0 || !Number.isFinite(value) || !Number.isFinite(reference)) return null;
  return value / reference;
}

/** Whether godwit does better than the reference by this ratio (godwit / reference). */
export function isBetter(r: number, better: Better): boolean {
  return better === 'lower' ? r < 1 : r > 1;
}

/** A number for people: 3 significant digits, thousands apart, no exponent. */
export function formatValue(v: number | null): string {
  if (v === null) return '-';
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 999.5) return Math.round(v).toLocaleString('en-US');
  if (a === 0) return '0';
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : Math.min(6, 2 - Math.floor(Math.log10(a)));
  return v.toFixed(digits);
}

/** A ratio for people: `0.42x`, `12x`. */
export function formatRatio(r: number | null): string {
  if (r === null) return '-';
  return `${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r.toFixed(2)}x`;
}

/** One reference cell: `v86 1,234 (0.52x)` or `v86 - (why)`. */
export function referenceCell(f: Figure, name: string): string {
  const ref = f.references[name] ?? null;
  if (ref === null) return `${name}: - (${f.missing?.[name] ?? 'not measured'})`;
  return `${name} ${formatValue(ref)} (${formatRatio(ratio(f.value, ref))})`;
}

function verdict(g: Goal): string {
  return g.met === null ? 'NOT MEASURED' : g.met ? 'met' : 'NOT MET';
}

function godwitCell(f: Figure): string {
  if (f.value === null) return `- (${f.missing?.['godwit'] ?? 'not measured'})`;
  return formatValue(f.value);
}

/**
 * The terminal table: per group a heading, then one line per figure (name, unit, which way is
 * better, godwit's value, each reference with godwit's ratio to it), and the goal under its figure.
 */
export function formatTable(figures: readonly Figure[]): string {
  const nameW = Math.max(6, ...figures.map((f) => f.name.length));
  const unitW = Math.max(4, ...figures.map((f) => f.unit.length));
  const valueW = Math.max(6, ...figures.map((f) => (f.value === null ? 1 : godwitCell(f).length)));
  const lines: string[] = [];
  lines.push(`${'figure'.padEnd(nameW)}  ${'unit'.padEnd(unitW)}  better  ${'godwit'.padStart(valueW)}  references: value (godwit / reference)`);
  let group = '';
  for (const f of figures) {
    if (f.group !== group) {
      group = f.group;
      lines.push(`-- ${group}`);
    }
    const value = f.value === null ? '-' : godwitCell(f);
    const refs = Object.keys(f.references).map((n) => referenceCell(f, n));
    lines.push(`${f.name.padEnd(nameW)}  ${f.unit.padEnd(unitW)}  ${f.better.padEnd(6)}  ${value.padStart(valueW)}  ${refs.join('; ')}`.trimEnd());
    if (f.value === null) lines.push(`${''.padEnd(nameW)}  godwit: ${f.missing?.['godwit'] ?? 'not measured'}`);
    if (f.note !== undefined) lines.push(`${''.padEnd(nameW)}  (${f.note})`);
    for (const g of f.goals ?? []) lines.push(`${''.padEnd(nameW)}  goal: ${g.text}: ${verdict(g)}`);
  }
  return `${lines.join('\n')}\n`;
}

function mdEscape(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/** The same as a Markdown table (for the README): figure, godwit, references with ratios, goal. */
export function formatMarkdown(figures: readonly Figure[]): string {
  const lines = ['| Figure | godwit | References (godwit / reference) | Goal |', '|---|---|---|---|'];
  let group = '';
  for (const f of figures) {
    if (f.group !== group) {
      group = f.group;
      lines.push(`| **${mdEscape(group)}** | | | |`);
    }
    const name = `${f.name} (${f.unit}, ${f.better} is better)`;
    const refs = Object.keys(f.references).map((n) => referenceCell(f, n));
    const goal = (f.goals ?? []).map((g) => `${g.text}: ${g.met === null ? 'not measured' : g.met ? 'met' : '**not met**'}`).join('; ');
    lines.push(`| ${mdEscape(name)} | ${mdEscape(godwitCell(f))} | ${mdEscape(refs.join('; '))} | ${mdEscape(goal)} |`);
  }
  return `${lines.join('\n')}\n`;
}
