/**
 * Snapshot files as chains (docs/architecture.md section 7): a diff snapshot names its base by a
 * path relative to the diff's own directory (or an absolute one) and by identity. This opens a
 * file and every base under it through SnapshotFiles (random access where the host has it, whole
 * reads otherwise), and decodes them with migration/decode-chain.ts; it also works out the path a
 * new diff records for its base. Plain string paths ('/' separated), no Node API: the CLI runs on
 * any CliIo.
 */
import { decodeSnapshotChain, type ChainFile, type ChainLink } from '../migration/decode-chain.ts';
import type { DeferredBlob } from '../migration/decode-source.ts';
import { HEADER_BYTES, readHeader } from '../migration/header.ts';
import type { SnapshotLimits } from '../migration/limits.ts';
import type { Snapshot } from '../migration/snapshot.ts';
import type { SnapshotFiles } from './cli-snapshot-io.ts';
import type { OpenSnapshotFile } from './snapshot-file.ts';
import { bytesSource } from './restore-source.ts';

/** The directory part of a '/'-separated path ('' for a bare name). */
function dirOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : slash === 0 ? '/' : path.slice(0, slash);
}

/** Joins and normalises '/'-separated paths ('.' and 'x/..' removed; leading '..' kept). */
export function joinPath(dir: string, path: string): string {
  if (path.startsWith('/') || dir === '') return normalize(path);
  return normalize(`${dir}/${path}`);
}

function normalize(path: string): string {
  const absolute = path.startsWith('/');
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (part !== '..' || !absolute) out.push(part);
  }
  const joined = out.join('/');
  return absolute ? `/${joined}` : joined === '' ? '.' : joined;
}

/** Where the base `recorded` (as a diff at `diff` records it) is. */
export function basePathFrom(diff: string, recorded: string): string {
  return joinPath(dirOf(diff), recorded);
}

/**
 * The path a diff written to `diff` records for its base at `base` (both as given on the command
 * line): absolute stays absolute; relative becomes relative to the diff's directory. Null when that
 * cannot be worked out without knowing the working directory (the diff's directory climbs out of it
 * further than the base's does): give an absolute --base then.
 */
export function recordedBasePath(diff: string, base: string): string | null {
  if (base.startsWith('/')) return normalize(base);
  const from = normalize(dirOf(diff) === '' ? '.' : dirOf(diff));
  if (from.startsWith('/')) return null;
  const a = from === '.' ? [] : from.split('/');
  const b = normalize(base).split('/');
  let common = 0;
  while (common < a.length && common < b.length - 1 && a[common] === b[common]) common++;
  if (a.slice(common).includes('..')) return null;
  return [...a.slice(common).map(() => '..'), ...b.slice(common)].join('/');
}

/** A snapshot read through its chain, and what stays open while RAM loads lazily. */
export interface ReadChain {
  snapshot: Snapshot;
  deferred: Map<Uint8Array, DeferredBlob>;
  /** The files, newest first (a full snapshot: one). */
  chain: ChainLink[];
  /** Closes the files (when nothing is deferred, they are closed already). */
  close(): void;
}

/**
 * Opens `path` and, for a diff, its bases, and decodes the chain (every file checked before this
 * returns). `defer(path, length)`: which byte strings load lazily. Errors: the decoders' (the first
 * file's own open errors as they are, with `code`), and a base's as a SnapshotError 'bad-base'.
 */
export function readSnapshotChain(path: string, files: SnapshotFiles, limits: SnapshotLimits, defer?: (path: string, length: number) => boolean): ReadChain {
  const opened: OpenSnapshotFile[] = [];
  const open = (name: string): ChainFile => {
    if (files.open !== undefined) {
      const file = files.open(name);
      opened.push(file);
      return { name, source: file.source };
    }
    return { name, source: bytesSource(files.read(name, { limits })) };
  };
  const closeAll = () => {
    for (const f of opened) f.close();
  };
  try {
    const head = open(path);
    const decoded = decodeSnapshotChain(head, {
      limits,
      ...(defer === undefined ? {} : { defer }),
      openBase: (base, from) => open(basePathFrom(from.name, base.path)),
    });
    if (decoded.deferred.size === 0) closeAll();
    return { ...decoded, close: closeAll };
  } catch (e) {
    closeAll();
    throw e;
  }
}

/** The identity (header checksum) of the snapshot at `path`, its header checked. */
export function snapshotIdAt(path: string, files: SnapshotFiles, limits: SnapshotLimits): string {
  if (files.open !== undefined) {
    const file = files.open(path);
    try {
      const head = new Uint8Array(Math.min(HEADER_BYTES, file.source.length));
      file.source.readInto(head, 0);
      return readHeader(head, limits).id;
    } finally {
      file.close();
    }
  }
  return readHeader(files.read(path, { limits }), limits).id;
}

/** The identity of the file each snapshot read by readSnapshotChain came from (for --base). */
const sourceIds = new WeakMap<Snapshot, string>();

export function rememberSourceId(snapshot: Snapshot, id: string): void {
  sourceIds.set(snapshot, id);
}

export function sourceIdOf(snapshot: Snapshot): string | null {
  return sourceIds.get(snapshot) ?? null;
}
