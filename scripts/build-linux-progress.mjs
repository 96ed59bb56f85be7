#!/usr/bin/env node
// npm run guest:linux [-- --jobs N]: runs scripts/build-linux.sh with a progress bar on stderr when
// stderr is a terminal; otherwise the script runs as it is (its last line says what it built).
// The bar follows the script's phases from its `build-linux: ...` lines; while the kernel builds it
// counts the object files written since the phase began against the number the last full build
// wrote (remembered in the build directory; the first build shows the count alone). A wrapper
// rather than a change to the script: the script is part of the images' recipe hash.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// GODWIT_BUILD_LINUX replaces the script (to try the bar with a stand-in).
const script = process.env.GODWIT_BUILD_LINUX ?? join(root, 'scripts', 'build-linux.sh');
const out = join(process.env.GODWIT_CACHE ?? join(homedir(), '.cache', 'godwit'), 'linux-6.1-i386');
const countFile = join(out, '.godwit-object-count');
const PHASES = ['installing', 'unpacking', 'building the kernel', 'building /init', 'done'];

/** Object files under `dir` modified at or after `since` (ms), and all of them. */
function countObjects(dir, since) {
  let all = 0;
  let fresh = 0;
  const walk = (d) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.o')) {
        all++;
        try {
          if (statSync(p).mtimeMs >= since) fresh++;
        } catch {
          // removed meanwhile
        }
      }
    }
  };
  walk(dir);
  return { all, fresh };
}

function remembered() {
  try {
    return Number(readFileSync(countFile, 'utf8')) || null;
  } catch {
    return null;
  }
}

function main() {
  const args = process.argv.slice(2);
  if (!process.stderr.isTTY) {
    const child = spawn(script, args, { stdio: 'inherit' });
    child.on('exit', (code, signal) => (process.exitCode = code ?? (signal ? 1 : 0)));
    return;
  }
  const t0 = Date.now();
  const total = remembered();
  let phase = 'starting';
  let kernelSince = 0;
  let objects = null;
  const draw = () => {
    if (phase === 'building the kernel') objects = countObjects(out, kernelSince);
    const width = 30;
    const share = phase === 'building the kernel' && total !== null ? Math.min(1, objects.fresh / total) : null;
    const bar = share === null ? '' : `[${'#'.repeat(Math.round(share * width))}${' '.repeat(width - Math.round(share * width))}] `;
    const count = phase === 'building the kernel' ? `${objects.fresh}${total === null ? '' : `/${total}`} objects ` : '';
    const line = `build-linux: ${phase} ${bar}${count}${Math.round((Date.now() - t0) / 1000)}s`;
    process.stderr.write(`\r${line.slice(0, (process.stderr.columns || 100) - 1)}\x1b[K`);
  };
  const timer = setInterval(draw, 1000);
  const child = spawn(script, args, { stdio: ['inherit', 'inherit', 'pipe'] });
  let pending = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      const known = line.startsWith('build-linux: ') ? PHASES.find((p) => line.slice(13).startsWith(p)) : undefined;
      if (known !== undefined) {
        if (phase === 'building the kernel') objects = countObjects(out, kernelSince);
        if (phase === 'building the kernel' && objects.fresh > (total ?? 0) / 2) {
          // A build that compiled most of the tree was a full one: remember its size for the next.
          writeFileSync(countFile, String(objects.all));
        }
        phase = known === 'done' ? phase : known;
        if (known === 'building the kernel') kernelSince = Date.now() - 2000;
      }
      // Everything the script says stays visible, above the bar.
      process.stderr.write(`\r\x1b[K${line}\n`);
      draw();
    }
  });
  child.on('exit', (code, signal) => {
    clearInterval(timer);
    if (pending !== '') process.stderr.write(`\r\x1b[K${pending}\n`);
    else process.stderr.write('\r\x1b[K');
    process.exitCode = code ?? (signal ? 1 : 0);
  });
}

main();
