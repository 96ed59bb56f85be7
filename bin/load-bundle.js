// Loads the CLI bundle, dist/godwit.cjs, through a V8 code cache, as Node 22's
// module.enableCompileCache does for modules: the bytecode V8 compiled in an earlier run is read back
// instead of parsing and compiling the bundle again (about half of loading it, and the functions a
// run compiles on first call). The cache is one file per bundle text, Node version and V8 options,
// under $GODWIT_CODE_CACHE, else $XDG_CACHE_HOME/godwit/code-cache, else ~/.cache/godwit/code-cache;
// GODWIT_CODE_CACHE=0 turns it off. V8 checks a cache against its version and options and refuses
// one that does not fit (then this run writes a new one); the file name carries a hash of the
// bundle's text because V8's own check of the source is only its length. A cache is written when
// the process exits, holding what that run compiled, to a temporary file renamed into place; a
// directory that cannot be written only means no cache. At most KEEP files are kept. A file starts
// with the SHA-256 of the rest, checked before V8 sees it: V8 checks a cache's header, not its body.
// Only a regular file of a bounded size is read.
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

const SUFFIX = '.v8cache';
const KEEP = 4;
const SUM_BYTES = 32;

const sha256 = (bytes) => createHash('sha256').update(bytes).digest();
/** A cache is about the size of the bundle's text; one far larger is not a cache. */
const maxCacheBytes = (source) => SUM_BYTES + 8 * source.length + (1 << 20);
/** Temporary files older than this are left by a process that died while writing: removed. */
const STALE_TMP_MS = 3600_000;

function cacheDir() {
  const env = process.env.GODWIT_CODE_CACHE;
  if (env === '0') return null;
  if (env !== undefined && env !== '') return env;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'godwit', 'code-cache');
}

function debug(message) {
  if (process.env.GODWIT_DEBUG === '1') process.stderr.write(`godwit: code cache: ${message}\n`);
}

/** Writes the cache of `script` to `file` (atomically), then prunes the directory. */
function writeCache(dir, file, script) {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    const data = script.createCachedData();
    writeFileSync(tmp, Buffer.concat([sha256(data), data]));
    renameSync(tmp, file);
    debug(`wrote ${file}`);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // Nothing was created where nothing can be.
    }
    debug(`not written: ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  prune(dir);
}

/** The mtime of `path`, or null when another process removed it meanwhile. */
function mtimeOf(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null;
  }
}

/** Drops all but the newest KEEP caches, and temporary files left by a writer that died. */
function prune(dir) {
  try {
    const files = readdirSync(dir)
      .map((n) => ({ name: n, path: join(dir, n), mtime: mtimeOf(join(dir, n)) }))
      .filter((f) => f.mtime !== null);
    const caches = files.filter((f) => f.name.endsWith(SUFFIX)).sort((a, b) => b.mtime - a.mtime);
    for (const old of caches.slice(KEEP)) rmSync(old.path, { force: true });
    const now = Date.now();
    for (const f of files) if (f.name.endsWith('.tmp') && now - f.mtime > STALE_TMP_MS) rmSync(f.path, { force: true });
  } catch (e) {
    debug(`not pruned: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * The bytes of `path` if it is a regular file of at most `limit` bytes. Opened without blocking and
 * checked on the open descriptor, so that a FIFO or a file swapped in after a check is never read.
 */
function readBounded(path, limit) {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > limit) throw new Error(`not a regular file of at most ${limit} bytes`);
    const bytes = Buffer.alloc(st.size);
    let at = 0;
    while (at < bytes.length) {
      const n = readSync(fd, bytes, at, bytes.length - at, at);
      if (n === 0) break;
      at += n;
    }
    return bytes.subarray(0, at);
  } finally {
    closeSync(fd);
  }
}

/** Runs the CommonJS bundle `file` as Node's loader would and returns its exports. */
export function loadBundle(file) {
  const source = readFileSync(file, 'utf8');
  const dir = cacheDir();
  let cacheFile = null;
  /** The cache's bytes; undefined when there is none, null when its checksum failed. */
  let cached;
  if (dir !== null) {
    const key = createHash('sha256')
      .update(`${process.version} ${process.arch} ${JSON.stringify(process.execArgv)} ${process.env.NODE_OPTIONS ?? ''}\n`)
      .update(source)
      .digest('hex')
      .slice(0, 32);
    cacheFile = join(dir, `godwit-${key}${SUFFIX}`);
    try {
      // Only a regular file of a sane size is read: a FIFO would block, a huge file eat memory.
      const bytes = readBounded(cacheFile, maxCacheBytes(source));
      cached = bytes.subarray(SUM_BYTES);
      if (bytes.length < SUM_BYTES || !sha256(cached).equals(bytes.subarray(0, SUM_BYTES))) {
        debug(`refused ${cacheFile} (its checksum does not match)`);
        cached = null;
      }
    } catch (e) {
      if (e?.code !== 'ENOENT') debug(`refused ${cacheFile} (${e instanceof Error ? e.message : String(e)})`);
      cached = undefined;
    }
  }
  // The wrapper is Node's own for CommonJS, on the bundle's first line so that line numbers hold.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData: cached ?? undefined,
  });
  if (cacheFile !== null) {
    if (script.cachedDataRejected === false) debug(`used ${cacheFile}`);
    else {
      if (cached) debug(`refused ${cacheFile}`);
      process.once('exit', () => writeCache(dir, cacheFile, script));
    }
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  return module.exports;
}
