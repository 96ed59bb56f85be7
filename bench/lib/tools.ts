/**
 * The references' tools, installed when missing: Debian's qemu-system-i386 and SeaBIOS (apt-get,
 * as scripts/qemu-guests.sh does), and the v86 npm package (a dev dependency; when it is not in
 * node_modules, `npm install` of the pinned version into ~/.cache/godwit/bench, or $GODWIT_CACHE).
 * Each returns null with the reason when it cannot, so that the table says why a column is empty.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const SEABIOS = '/usr/share/seabios/bios-256k.bin';
export const QEMU = 'qemu-system-i386';

export type Found<T> = { ok: true; value: T } | { ok: false; why: string };

function have(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function aptInstall(packages: string[], log: (line: string) => void): string | null {
  log(`installing ${packages.join(' ')} (apt-get)`);
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (update.status !== 0) return `apt-get update failed: ${(update.stderr ?? update.error?.message ?? '').trim().split('\n')[0]}`;
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) return `apt-get install ${packages.join(' ')} failed: ${(r.stderr ?? r.error?.message ?? '').trim().split('\n')[0]}`;
  return null;
}

/** qemu-system-i386 and SeaBIOS (QEMU's own firmware; v86 boots Debian's bios-256k.bin). */
export function ensureQemu(log: (line: string) => void): Found<string> {
  const need: string[] = [];
  if (!have(QEMU)) need.push('qemu-system-x86');
  if (!existsSync(SEABIOS)) need.push('seabios');
  if (need.length > 0) {
    const failed = aptInstall(need, log);
    if (failed !== null) return { ok: false, why: failed };
  }
  if (!have(QEMU)) return { ok: false, why: `${QEMU} not found after installing qemu-system-x86` };
  const v = spawnSync(QEMU, ['--version'], { encoding: 'utf8' });
  return { ok: true, value: (v.stdout ?? '').split('\n')[0] ?? QEMU };
}

export function ensureSeabios(log: (line: string) => void): Found<string> {
  if (existsSync(SEABIOS)) return { ok: true, value: SEABIOS };
  const failed = aptInstall(['seabios'], log);
  if (failed !== null) return { ok: false, why: failed };
  return existsSync(SEABIOS) ? { ok: true, value: SEABIOS } : { ok: false, why: `${SEABIOS} missing after installing seabios` };
}

export function cacheDir(): string {
  return join(process.env['GODWIT_CACHE'] ?? join(homedir(), '.cache', 'godwit'), 'bench');
}

/** The v86 version package.json pins (devDependencies). */
function pinnedV86(root: string): string {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
  return pkg.devDependencies?.['v86'] ?? 'latest';
}

function v86Version(dir: string): string {
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The v86 package directory (with build/libv86.mjs and build/v86.wasm). */
export function ensureV86(root: string, log: (line: string) => void): Found<{ dir: string; version: string }> {
  const local = join(root, 'node_modules', 'v86');
  if (existsSync(join(local, 'build', 'libv86.mjs'))) return { ok: true, value: { dir: local, version: v86Version(local) } };
  const cache = cacheDir();
  const cached = join(cache, 'node_modules', 'v86');
  if (!existsSync(join(cached, 'build', 'libv86.mjs'))) {
    const spec = `v86@${pinnedV86(root)}`;
    log(`installing ${spec} into ${cache} (npm)`);
    mkdirSync(cache, { recursive: true });
    const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', cache, spec], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (r.status !== 0) return { ok: false, why: `npm install ${spec} failed: ${(r.stderr ?? r.error?.message ?? '').trim().split('\n').pop()}` };
  }
  return { ok: true, value: { dir: cached, version: v86Version(cached) } };
}
