/**
 * godwit as it was when issue 14 asked for a faster CPU: main at BEFORE_CPU_WORK, the last commit
 * before the block cache and the CPU work that followed it. The Linux boot figure runs its CLI
 * beside today's, so that "1.5x today's godwit" is measured in the same run.
 *
 * The tree comes from this repository's own history (`git archive`), is unpacked into the bench
 * cache (~/.cache/godwit/bench, or $GODWIT_CACHE) with this checkout's node_modules linked in, and
 * built by its bin/godwit.js on first use. Without git or the commit (a shallow clone, a tarball),
 * the reference is left out and its cells say why.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cacheDir, type Found } from './tools.ts';

/** main just before the block cache was merged (2026-12-04). */
export const BEFORE_CPU_WORK = 'cb06529';

/** The built CLI (bin/godwit.js) of BEFORE_CPU_WORK. */
export function ensureGodwitBefore(root: string, log: (line: string) => void): Found<string> {
  const dir = join(cacheDir(), `godwit-${BEFORE_CPU_WORK}`);
  const bin = join(dir, 'bin', 'godwit.js');
  if (!existsSync(join(dir, 'dist', 'godwit.js'))) {
    const have = spawnSync('git', ['-C', root, 'cat-file', '-e', `${BEFORE_CPU_WORK}^{commit}`], { stdio: 'ignore' });
    if (have.status !== 0) return { ok: false, why: `commit ${BEFORE_CPU_WORK} is not in this checkout's history` };
    log(`building godwit ${BEFORE_CPU_WORK} into ${dir}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const unpack = spawnSync('sh', ['-c', `git -C "$1" archive "$2" | tar -x -C "$3"`, 'sh', root, BEFORE_CPU_WORK, dir], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (unpack.status !== 0) return { ok: false, why: `git archive ${BEFORE_CPU_WORK} failed: ${(unpack.stderr ?? '').trim().split('\n')[0]}` };
    symlinkSync(resolve(root, 'node_modules'), join(dir, 'node_modules'));
    // Its bin/godwit.js builds dist/ when it is missing.
    const build = spawnSync(process.execPath, [bin, '--help'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (!existsSync(join(dir, 'dist', 'godwit.js'))) return { ok: false, why: `building godwit ${BEFORE_CPU_WORK} failed: ${(build.stderr ?? '').trim().split('\n').pop()}` };
  }
  return { ok: true, value: bin };
}
