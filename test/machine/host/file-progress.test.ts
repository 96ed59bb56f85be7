/** machine/host/file-progress.ts: the CLI's progress bar for large snapshot files. */
import { describe, expect, it } from 'vitest';
import { fileProgress, PROGRESS_MIN_BYTES } from '../../../machine/host/file-progress.ts';

function terminal(isTTY: boolean): { isTTY: boolean; columns: number; text: string; write(t: string): void } {
  return {
    isTTY,
    columns: 120,
    text: '',
    write(t: string) {
      this.text += t;
    },
  };
}

describe('fileProgress', () => {
  it('prints nothing when stderr is not a terminal', () => {
    expect(fileProgress('writing', 'a.gw', terminal(false))).toBeUndefined();
  });

  it('draws a bar for a large file on a terminal, once per percent, and clears it at the end', () => {
    const t = terminal(true);
    const p = fileProgress('writing', 'a.gw', t)!;
    const total = PROGRESS_MIN_BYTES * 2;
    p(total / 4, total);
    p(total / 4 + 1, total);
    expect(t.text).toBe(`\rgodwit: writing a.gw [${'#'.repeat(8)}${' '.repeat(22)}] 25% 32/128 MiB\x1b[K`);
    p(total, total);
    expect(t.text.endsWith('\r\x1b[K')).toBe(true);
  });

  it('stays silent for a small file', () => {
    const t = terminal(true);
    fileProgress('reading', 'a.gw', t)!(10, PROGRESS_MIN_BYTES - 1);
    expect(t.text).toBe('');
  });
});
