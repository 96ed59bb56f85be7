/**
 * The benchmark suite (`npm run bench`): every figure with the references measured in the same run
 * beside it, printed as one table.
 *
 *   npm run bench [-- --quick] [--json PATH] [--runs N] [--sizes 128,1024] [--readme]
 *
 * --quick      a reduced set (128 MiB only, fewer runs and rounds) in under two minutes
 * --json PATH  also write the figures as JSON to PATH and the chart as SVG next to it (PATH.svg)
 * --readme     also write the figures to docs/bench.json, the chart to docs/bench.svg and the table
 *              into README.md (between the `bench:table` markers)
 *
 * The references are installed when missing (Debian's qemu-system-i386 and seabios by apt-get, the
 * v86 npm package into a cache); when one cannot be, its cells say why. Runs are noisy on a shared
 * machine: compare ratios within one run, never absolute times across runs.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatMarkdown, formatTable, toJson } from './lib/figures.ts';
import { renderChart } from './lib/chart.ts';
import { Progress } from './lib/progress.ts';
import { ensureQemu, ensureSeabios, ensureV86, type Found } from './lib/tools.ts';
import { godwitHelp, hasDriveOption } from './godwit/cli.ts';
import { v86ChildScript, type V86Env } from './refs/v86.ts';
import { checksumFigure, deviceStateFigures, filterFigures, incomingGoal, MOSTLY_ZERO_FILL, ramFigures } from './sections/snapshot.ts';
import { integerFigures, irqFigures, linuxFigures } from './sections/cpu.ts';
import { diskFigures, diskSteps, overlayFigures } from './sections/disk.ts';
import type { Suite, SuiteOptions } from './sections/context.ts';

const USAGE = 'usage: npm run bench [-- --quick] [--json PATH] [--runs N] [--sizes 128,1024] [--readme]';

interface Args extends SuiteOptions {
  json: string | null;
  readme: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { quick: false, runs: 3, sizes: [128, 1024], json: null, readme: false };
  let runs: number | null = null;
  let sizes: number[] | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') a.quick = true;
    else if (arg === '--readme') a.readme = true;
    else if (arg === '--json' || arg === '--runs' || arg === '--sizes') {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      if (arg === '--json') a.json = value;
      else if (arg === '--runs') {
        runs = Number(value);
        if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: not a count: ${value}`);
      } else {
        sizes = value.split(',').map(Number);
        if (sizes.some((n) => !Number.isInteger(n) || n < 16 || n > 3584)) throw new Error(`--sizes: MiB from 16 to 3584, comma-separated: ${value}`);
      }
    } else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  if (a.quick) a.runs = 1;
  if (a.quick) a.sizes = [128];
  if (runs !== null) a.runs = runs;
  if (sizes !== null) a.sizes = sizes;
  return a;
}

function v86Env(found: { ok: true; value: { dir: string } }): Found<V86Env> {
  return { ok: true, value: { dir: found.value.dir, child: v86ChildScript() } };
}

const README_START = '<!-- bench:table start -->';
const README_END = '<!-- bench:table end -->';

function updateReadme(markdown: string, header: string): void {
  const text = readFileSync('README.md', 'utf8');
  const start = text.indexOf(README_START);
  const end = text.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${README_START} ... ${README_END} section`);
  const body = `${README_START}\n${header}\n\n![save, load and MIPS against the references](docs/bench.svg)\n\n${markdown}${README_END}`;
  writeFileSync('README.md', text.slice(0, start) + body + text.slice(end + README_END.length));
}

async function main(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv);
  const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
  const t0 = performance.now();
  const help = godwitHelp();
  const qemu = ensureQemu(log);
  const seabios = ensureSeabios(log);
  const v86Found = seabios.ok ? ensureV86(process.cwd(), log) : seabios;
  const v86 = v86Found.ok ? v86Env(v86Found) : v86Found;
  const steps = 3 + args.sizes.length * 2 * 5 + 1 + 4 + 1 + 3 + diskSteps(args.quick, args.runs);
  const dir = mkdtempSync(join(tmpdir(), 'godwit-bench-'));
  const s: Suite = { options: args, dir, qemu, v86, drive: hasDriveOption(help), figures: [], progress: new Progress('bench', steps), log };
  try {
    deviceStateFigures(s);
    checksumFigure(s);
    for (const size of args.sizes) {
      for (const fill of args.quick ? [100] : [MOSTLY_ZERO_FILL, 100]) await ramFigures(s, size, fill);
    }
    incomingGoal(s);
    filterFigures(s);
    await integerFigures(s);
    irqFigures(s);
    await linuxFigures(s);
    await diskFigures(s);
    await overlayFigures(s);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const seconds = (performance.now() - t0) / 1000;
  s.progress.done(`${s.figures.length} figures`);
  const versions = [`node ${process.version}`, qemu.ok ? qemu.value : `QEMU: ${qemu.why}`, v86Found.ok ? `v86 ${v86Found.value.version}` : `v86: ${v86Found.why}`];
  const header = `${args.quick ? 'Quick' : 'Full'} run of ${seconds.toFixed(0)} s on ${new Date().toISOString().slice(0, 10)} (${versions.join('; ')}); medians of ${args.runs} runs after a warm-up (1 GiB and more: one run, no warm-up, but -incoming's runs as at every size); ratios are godwit / reference.`;
  process.stdout.write(`${formatTable(s.figures)}\n${header}\n`);
  const svg = renderChart(s.figures, header);
  if (args.json !== null) {
    writeFileSync(args.json, toJson(s.figures));
    writeFileSync(`${args.json.replace(/\.json$/, '')}.svg`, svg);
  }
  if (args.readme) {
    writeFileSync('docs/bench.json', toJson(s.figures));
    writeFileSync('docs/bench.svg', svg);
    updateReadme(formatMarkdown(s.figures), header);
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(`bench: ${e instanceof Error ? (process.env['GODWIT_DEBUG'] ? e.stack : e.message) : String(e)}`);
  process.exitCode = 1;
});
