// bin/load-bundle.js: the CLI bundle runs through a V8 code cache. Each run spawns bin/godwit.js as
// a user would, with the cache in a temporary directory (GODWIT_CODE_CACHE) and GODWIT_DEBUG=1,
// under which the loader says what it did with the cache on stderr.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const haveMachine = existsSync(`${root}machine/machine.ts`);
const HELLO = ['-kernel', 'test/guests/bin/hello.elf', '-serial', 'stdio', '--max-insns', '100000000'];

let dir = '';

function godwit(env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['bin/godwit.js', ...HELLO], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, GODWIT_DEBUG: '1', ...env },
  });
  expect(r.stdout).toContain('Hello from godwit guest!');
  expect(r.status).toBe(1);
  return r;
}

const caches = (d: string) => (existsSync(d) ? readdirSync(d) : []);

describe.skipIf(!haveMachine)('the CLI code cache (bin/load-bundle.js)', () => {
  beforeAll(() => {
    const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
  });

  afterEach(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('the first run writes one cache file and no temporary; the next run uses it and prints the same', () => {
    dir = mkdtempSync(join(tmpdir(), 'godwit-cc-'));
    const cache = join(dir, 'cc');
    const first = godwit({ GODWIT_CODE_CACHE: cache });
    expect(first.stderr).toMatch(/code cache: wrote .*\.v8cache/);
    const files = caches(cache);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^godwit-[0-9a-f]{32}\.v8cache$/);
    const second = godwit({ GODWIT_CODE_CACHE: cache });
    expect(second.stderr).toContain(`code cache: used ${join(cache, files[0]!)}`);
    expect(second.stderr).not.toContain('wrote');
    expect(second.stdout).toBe(first.stdout);
    expect(caches(cache)).toEqual(files);
  });

  it('a corrupt cache is refused, the run is unchanged, and a good cache replaces it', () => {
    dir = mkdtempSync(join(tmpdir(), 'godwit-cc-'));
    const cache = join(dir, 'cc');
    const clean = godwit({ GODWIT_CODE_CACHE: cache });
    const file = join(cache, caches(cache)[0]!);
    const good = readFileSync(file);
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest();
    expect(sha(good.subarray(32)).equals(good.subarray(0, 32))).toBe(true);
    // The body's last byte: V8 would not notice, the file's checksum does.
    const tail = Buffer.from(good);
    tail[tail.length - 1] = tail[tail.length - 1]! ^ 1;
    // V8's own header spoilt under a matching checksum: V8 refuses it.
    const body = Buffer.from(good.subarray(32));
    for (let i = 0; i < 16; i++) body[i] = body[i]! ^ 0x5a;
    const header = Buffer.concat([sha(body), body]);
    for (const [bad, why] of [
      [tail, 'its checksum does not match'],
      [header, ''],
      [good.subarray(0, 20), 'its checksum does not match'],
    ] as const) {
      writeFileSync(file, bad);
      const r = godwit({ GODWIT_CODE_CACHE: cache });
      expect(r.stderr).toContain(`code cache: refused ${file}${why === '' ? '\n' : ` (${why})`}`);
      expect(r.stderr).toContain('code cache: wrote');
      expect(r.stdout).toBe(clean.stdout);
      expect(readFileSync(file).equals(bad)).toBe(false);
      expect(godwit({ GODWIT_CODE_CACHE: cache }).stderr).toContain('code cache: used');
    }
  });

  it('GODWIT_CODE_CACHE=0 reads and writes nothing; without it the cache goes under XDG_CACHE_HOME', () => {
    dir = mkdtempSync(join(tmpdir(), 'godwit-cc-'));
    const off = godwit({ GODWIT_CODE_CACHE: '0', XDG_CACHE_HOME: dir });
    expect(off.stderr).not.toContain('code cache');
    expect(readdirSync(dir)).toEqual([]);
    const env = { ...process.env };
    delete env['GODWIT_CODE_CACHE'];
    const r = spawnSync(process.execPath, ['bin/godwit.js', ...HELLO], { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...env, GODWIT_DEBUG: '1', XDG_CACHE_HOME: dir } });
    expect(r.status).toBe(1);
    expect(caches(join(dir, 'godwit', 'code-cache'))).toHaveLength(1);
  });

  it('a cache directory that cannot be made costs nothing but the cache', () => {
    dir = mkdtempSync(join(tmpdir(), 'godwit-cc-'));
    writeFileSync(join(dir, 'file'), 'not a directory');
    const r = godwit({ GODWIT_CODE_CACHE: join(dir, 'file', 'cc') });
    expect(r.stderr).toContain('code cache: not written');
    expect(readdirSync(dir)).toEqual(['file']);
  });

  it('reads only a regular file of a bounded size: a FIFO or a huge file at the cache path is refused at once', () => {
    dir = mkdtempSync(join(tmpdir(), 'godwit-cc-'));
    const cache = join(dir, 'cc');
    godwit({ GODWIT_CODE_CACHE: cache });
    const file = join(cache, caches(cache)[0]!);
    rmSync(file);
    const fifo = spawnSync('mkfifo', [file]);
    if (fifo.status === 0) {
      const r = godwit({ GODWIT_CODE_CACHE: cache });
      expect(r.stderr).toContain(`code cache: refused ${file} (not a regular file`);
      rmSync(file);
    }
    writeFileSync(file, '');
    truncateSync(file, 1 << 30);
    const r = godwit({ GODWIT_CODE_CACHE: cache });
    expect(r.stderr).toContain(`code cache: refused ${file} (not a regular file of at most`);
    expect(r.stderr).toContain('code cache: wrote');
    expect(godwit({ GODWIT_CODE_CACHE: cache }).stderr).toContain('code cache: used');
  });

  it('keeps the newest four caches and removes temporary files older than an hour', () => {
    dir = mkdtempSync(join(tmpdir(), 'godwit-cc-'));
    const cache = join(dir, 'cc');
    mkdirSync(cache);
    const old = Date.now() / 1000 - 3600;
    for (let i = 0; i < 5; i++) {
      const f = join(cache, `godwit-old${i}.v8cache`);
      writeFileSync(f, 'x');
      utimesSync(f, old + i, old + i);
    }
    const stale = join(cache, 'godwit-x.v8cache.1.tmp');
    const fresh = join(cache, 'godwit-x.v8cache.2.tmp');
    writeFileSync(stale, 'x');
    utimesSync(stale, old, old);
    writeFileSync(fresh, 'x');
    godwit({ GODWIT_CODE_CACHE: cache });
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    rmSync(fresh);
    const left = caches(cache).sort();
    expect(left).toHaveLength(4);
    expect(left.filter((n) => n.startsWith('godwit-old'))).toEqual(['godwit-old2.v8cache', 'godwit-old3.v8cache', 'godwit-old4.v8cache']);
  });
});
