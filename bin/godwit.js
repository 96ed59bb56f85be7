#!/usr/bin/env -S GLIBC_TUNABLES=glibc.malloc.hugetlb=1 node
// The `godwit` command. It runs the bundled CLI, dist/godwit.cjs, through a V8 code cache
// (load-bundle.js). If the bundle is missing, or older than a TypeScript source in a checkout, it
// runs the build first (its messages go to stderr), so that `npx godwit` and `npm start` work right
// after `npm install` and after an edit.
//
// The first line runs Node with glibc's malloc asking for transparent huge pages on the memory it
// maps (madvise MADV_HUGEPAGE, where the kernel's THP mode is `madvise`, as QEMU asks for guest
// RAM): guest RAM is one allocation, and the host then faults it in 2 MiB at a time instead of
// 4 KiB. On the development host (a VM, about 12 us per 4 KiB fault) first touching 128 MiB takes
// 8-240 ms instead of 400, and loading a fully written 128 MiB snapshot about 110 ms instead of
// 440 (docs/architecture.md section 7). Elsewhere the variable is ignored (musl, macOS, THP off).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadBundle } from './load-bundle.js';

const root = new URL('../', import.meta.url);
const bundle = new URL('dist/godwit.cjs', root);
const buildScript = new URL('scripts/build.mjs', root);
const SOURCE_DIRS = ['src', 'devices', 'machine', 'migration'];

/** Newest modification time of the .ts files under dir (0 if there are none). */
function newestSource(dir) {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function needsBuild() {
  if (!existsSync(bundle)) return true;
  if (!existsSync(buildScript)) return false;
  const built = statSync(bundle).mtimeMs;
  return SOURCE_DIRS.some((d) => newestSource(fileURLToPath(new URL(d, root))) > built);
}

if (needsBuild()) {
  const result = spawnSync(process.execPath, [fileURLToPath(buildScript)], { stdio: ['ignore', 2, 2] });
  if (result.status !== 0) {
    process.stderr.write('godwit: internal error: the build failed (see above); run npm run build\n');
    process.exit(3);
  }
}

if (process.env.GODWIT_DEBUG === '1') process.setSourceMapsEnabled(true);
const { main } = loadBundle(fileURLToPath(bundle));
process.exitCode = await main(process.argv.slice(2));
