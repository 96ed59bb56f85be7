/**
 * The benchmark chart: an SVG of horizontal bars, one block per figure (save and load times, guest
 * MIPS, boot time), godwit's bar first and each measured reference under it, every block scaled to
 * its own largest value and labelled with the value and godwit's ratio. Written by hand: a chart
 * library would bring more code than this file for a chart this plain.
 */
import { formatRatio, formatValue, ratio, type Figure } from './figures.ts';

const WIDTH = 860;
const LABEL_W = 190;
const BAR_W = 500;
const BAR_H = 16;
const GAP = 4;
const TITLE_H = 22;
const BLOCK_GAP = 12;
const GODWIT_COLOUR = '#2b7bb9';
const REF_COLOUR = '#b0b0b0';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The figures worth a picture: save/load times, device state, MIPS with references, boot time. */
export function chartFigures(figures: readonly Figure[]): Figure[] {
  return figures.filter(
    (f) =>
      f.value !== null &&
      Object.values(f.references).some((v) => v !== null) &&
      ((f.unit === 'ms' && !f.name.includes('-incoming')) || (f.name.startsWith('device state') && f.name.endsWith(': save + load')) || (f.unit === 'MIPS' && !f.name.includes('kernel-irqchip=on') && !f.name.includes('kernel-irqchip=off'))),
  );
}

/** `text` in lines of at most `width` characters, broken at spaces. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

export function renderChart(figures: readonly Figure[], caption: string): string {
  const blocks = chartFigures(figures);
  const parts: string[] = [];
  const captionLines = wrap(caption, 150);
  let y = 26 + captionLines.length * 13;
  for (const f of blocks) {
    const bars: Array<{ name: string; value: number; godwit: boolean }> = [{ name: 'godwit', value: f.value!, godwit: true }];
    for (const [name, v] of Object.entries(f.references)) if (v !== null) bars.push({ name, value: v, godwit: false });
    const max = Math.max(...bars.map((b) => b.value));
    parts.push(`<text x="10" y="${y + 15}" class="t">${esc(`${f.name} (${f.unit}, ${f.better} is better)`)}</text>`);
    y += TITLE_H;
    for (const b of bars) {
      const w = max > 0 ? Math.max(1, (b.value / max) * BAR_W) : 1;
      const r = b.godwit ? '' : ` (${formatRatio(ratio(f.value, b.value))})`;
      parts.push(
        `<text x="${LABEL_W - 8}" y="${y + BAR_H - 4}" text-anchor="end">${esc(b.name)}</text>`,
        `<rect x="${LABEL_W}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${b.godwit ? GODWIT_COLOUR : REF_COLOUR}"/>`,
        `<text x="${(LABEL_W + w + 6).toFixed(1)}" y="${y + BAR_H - 4}">${esc(formatValue(b.value) + r)}</text>`,
      );
      y += BAR_H + GAP;
    }
    y += BLOCK_GAP;
  }
  const height = y + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    '<style>.t{font-weight:bold}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="20" class="t" font-size="14">godwit against the references, one run; ratios are godwit / reference</text>`,
    ...captionLines.map((l, i) => `<text x="10" y="${34 + i * 13}" font-size="10">${esc(l)}</text>`),
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
