#!/usr/bin/env node
// Run benchmarks (npm run bench [-- NAME... [OPTIONS]]): bundle bench/NAME.ts with esbuild into a
// temporary directory and run each bundle with Node from the project root, passing OPTIONS through.
//   npm run bench [-- --quick]         the suite (bench/suite.ts): every figure beside its references
//   npm run bench -- mips --runs 3     one benchmark, bench/mips.ts, with its own options
// Leading arguments that do not start with '-' are benchmark names (default: suite); the rest go to
// each benchmark. bench/refs/v86-child.ts and bench/godwit/mips-child.ts are bundled next to them:
// the suite runs v86, and godwit's integer workload, in children.
// Node flags can be given with NODE_OPTIONS (e.g. NODE_OPTIONS=--cpu-prof).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The glibc setting of bin/godwit.js's first line (test/machine/huge-pages.test.ts checks they agree). */
const HUGE_PAGES = 'glibc.malloc.hugetlb=1';

function main(argv) {
  let split = argv.findIndex((a) => a.startsWith('-'));
  if (split < 0) split = argv.length;
  let names = argv.slice(0, split);
  const rest = argv.slice(split);
  const available = readdirSync(join(root, 'bench'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
  if (names.length === 0) names = ['suite'];
  for (const n of names) {
    if (!existsSync(join(root, 'bench', `${n}.ts`))) {
      console.error(`bench: no benchmark '${n}' (have: ${available.join(', ') || 'none'})`);
      return 2;
    }
  }
  const out = mkdtempSync(join(tmpdir(), 'godwit-bench-'));
  try {
    esbuild.buildSync({
      absWorkingDir: root,
      entryPoints: [
        ...names.map((n) => ({ in: `bench/${n}.ts`, out: n })),
        { in: 'bench/refs/v86-child.ts', out: 'v86-child' },
        { in: 'bench/godwit/mips-child.ts', out: 'godwit-mips-child' },
      ],
      outdir: out,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'warning',
    });
    let status = 0;
    for (const n of names) {
      if (names.length > 1) console.log(`== ${n}`);
      // With the malloc setting bin/godwit.js's first line gives the CLI (transparent huge pages);
      // everything the benchmark starts, godwit's CLI, v86 and QEMU, inherits it.
      const env = { ...process.env, GLIBC_TUNABLES: HUGE_PAGES };
      const r = spawnSync(process.execPath, [join(out, `${n}.mjs`), ...rest], { cwd: root, stdio: 'inherit', env });
      if (r.status !== 0) status = r.status ?? 1;
    }
    return status;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

process.exitCode = main(process.argv.slice(2));
