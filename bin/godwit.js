#!/usr/bin/env node
// The `godwit` command. It runs the bundled CLI, dist/godwit.cjs, through a V8 code cache
// (load-bundle.js). If the bundle is missing, or older than a TypeScript source in a checkout, it
// runs the build first (its messages go to stderr), so that `npx godwit` and `npm start` work right
// after `npm install` and after an edit.
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
