/**
 * The suite's disk section alone (bench/sections/disk.ts): virtio-blk throughput in both shapes
 * beside QEMU TCG and the latency model's virtual time, and save/load with a disk overlay.
 *
 *   npm run bench -- disk [--quick] [--runs N] [--markdown]
 *
 * --markdown  also print the table as Markdown (the README's form)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatMarkdown, formatTable } from './lib/figures.ts';
import { Progress } from './lib/progress.ts';
import { ensureQemu } from './lib/tools.ts';
import { diskFigures, diskSteps, overlayFigures } from './sections/disk.ts';
import type { Suite } from './sections/context.ts';

const USAGE = 'usage: disk [--quick] [--runs N] [--markdown]';

async function main(argv: readonly string[]): Promise<void> {
  let quick = false;
  let markdown = false;
  let runs: number | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') quick = true;
    else if (arg === '--markdown') markdown = true;
    else if (arg === '--runs') {
      runs = Number(argv[++i]);
      if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: not a count\n${USAGE}`);
    } else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
  const t0 = performance.now();
  const qemu = ensureQemu(log);
  const dir = mkdtempSync(join(tmpdir(), 'godwit-bench-'));
  const options = { quick, runs: runs ?? (quick ? 1 : 3), sizes: [] };
  const s: Suite = {
    options,
    dir,
    qemu,
    v86: { ok: false, why: 'not used by the disk section' },
    drive: true,
    figures: [],
    progress: new Progress('disk', diskSteps(quick, options.runs)),
    log,
  };
  try {
    await diskFigures(s);
    await overlayFigures(s);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  s.progress.done(`${s.figures.length} figures`);
  const header = `${quick ? 'Quick' : 'Full'} disk section run of ${((performance.now() - t0) / 1000).toFixed(0)} s on ${new Date().toISOString().slice(0, 10)} (node ${process.version}; ${qemu.ok ? qemu.value : `QEMU: ${qemu.why}`}); medians of ${s.options.runs} runs; ratios are godwit / reference.`;
  process.stdout.write(`${formatTable(s.figures)}\n${header}\n`);
  if (markdown) process.stdout.write(`\n${formatMarkdown(s.figures)}`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(`bench: ${e instanceof Error ? (process.env['GODWIT_DEBUG'] ? e.stack : e.message) : String(e)}`);
  process.exitCode = 1;
});
