/**
 * Decoding a chain of diff snapshots (docs/architecture.md section 7): a diff (format version 3)
 * names its base by path and identity; the base may be a diff itself. Every file of the chain is
 * opened, its container, document and chunk index checked, and its identity compared with the one
 * its diff recorded, before anything is returned: a missing or wrong base, a cycle or too long a
 * chain is one SnapshotError ('bad-base') naming the files. The result is the newest file's
 * snapshot, self-contained (no `base`): each diff byte string is one byte string that the files'
 * pages fill chunk by chunk, oldest first, so every page comes from the newest file holding it;
 * deferred (lazy restore) or loaded at once, as decodeSnapshotSource does.
 */
import { isStateError } from '../src/util/errors.ts';
import { decodeSnapshotSource, type DeferredBlob, type SnapshotSource, type SourceDecodeOptions } from './decode-source.ts';
import { SnapshotError, isSnapshotError } from './snapshot-error.ts';
import type { Snapshot, SnapshotBase } from './snapshot.ts';

/** How many bases a chain may follow (a diff of a diff of ... a full snapshot). */
export const MAX_CHAIN_DEPTH = 64;

/** A file of a chain: a name for messages (its path) and its bytes. */
export interface ChainFile {
  readonly name: string;
  readonly source: SnapshotSource;
}

export interface ChainOptions extends Omit<SourceDecodeOptions, 'target' | 'name'> {
  /**
   * Opens the base `base` that the diff `from` names (resolving a relative path against the diff's
   * directory). Throws on a file that cannot be opened; the error's first line is reported.
   */
  openBase(base: SnapshotBase, from: ChainFile): ChainFile;
  /** Bases a chain may follow; default MAX_CHAIN_DEPTH. */
  maxDepth?: number;
}

/** One file of a decoded chain, newest first. */
export interface ChainLink {
  name: string;
  id: string;
  /** The base this file names; null for the full snapshot that ends the chain. */
  base: SnapshotBase | null;
}

export interface ChainDecoded {
  /** The newest file's snapshot with every byte string whole (no `base`). */
  snapshot: Snapshot;
  /** The deferred byte strings, keyed by the byte string the snapshot holds. */
  deferred: Map<Uint8Array, DeferredBlob>;
  /** The files, newest first. */
  chain: ChainLink[];
}

function firstLineOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
}

export function decodeSnapshotChain(head: ChainFile, options: ChainOptions): ChainDecoded {
  const { openBase, maxDepth = MAX_CHAIN_DEPTH, ...decode } = options;
  const first = decodeSnapshotSource(head.source, decode);
  const chain: ChainLink[] = [{ name: head.name, id: first.id, base: first.snapshot.base ?? null }];
  // For each diff byte string of the newest file: the byte string and its layers, newest first.
  const stacks = new Map<string, { bytes: Uint8Array; layers: DeferredBlob[] }>();
  for (const path of first.diffPaths) {
    const layer = first.layers.get(path)!;
    stacks.set(path, { bytes: layer.bytes, layers: [layer] });
  }
  let pending = new Set(first.diffPaths);
  let current = head;
  let base = first.snapshot.base;
  while (pending.size > 0 && base !== undefined) {
    if (chain.length > maxDepth) {
      throw new SnapshotError('bad-base', `base of '${current.name}'`, `the chain from '${head.name}' follows more than ${maxDepth} bases`);
    }
    let file: ChainFile;
    try {
      file = openBase(base, current);
    } catch (e) {
      throw new SnapshotError('bad-base', `base of '${current.name}'`, `cannot open '${base.path}': ${firstLineOf(e)}`);
    }
    const seen = chain.findIndex((l) => l.name === file.name);
    if (seen >= 0) {
      const names = [...chain.map((l) => `'${l.name}'`), `'${file.name}'`].join(' -> ');
      throw new SnapshotError('bad-base', `base of '${current.name}'`, `the chain is a cycle: ${names}`);
    }
    const wanted = pending;
    let decoded;
    try {
      decoded = decodeSnapshotSource(file.source, {
        ...decode,
        defer: () => true,
        target: (path) => (wanted.has(path) ? stacks.get(path)!.bytes : null),
        name: `base '${file.name}'`,
      });
    } catch (e) {
      if (isSnapshotError(e) || isStateError(e)) throw new SnapshotError('bad-base', `base '${file.name}' of '${current.name}'`, firstLineOf(e));
      throw e;
    }
    if (decoded.id !== base.id) {
      throw new SnapshotError(
        'bad-base',
        `base of '${current.name}'`,
        `'${file.name}' is not the snapshot '${current.name}' is a diff against (its id is ${decoded.id}, '${current.name}' records ${base.id})`,
      );
    }
    chain.push({ name: file.name, id: decoded.id, base: decoded.snapshot.base ?? null });
    const next = new Set<string>();
    for (const path of wanted) {
      // A chunked byte string is a layer; a raw or sparse one (a version 1 base) was copied in.
      const layer = decoded.layers.get(path);
      if (layer !== undefined) stacks.get(path)!.layers.push(layer);
      else if (byteStringAt(decoded.snapshot, path) !== stacks.get(path)!.bytes) {
        throw new SnapshotError('bad-base', `base '${file.name}' of '${current.name}'`, `holds no byte string ${path}`);
      }
      if (decoded.diffPaths.includes(path)) next.add(path);
    }
    pending = next;
    current = file;
    base = decoded.snapshot.base;
  }
  if (pending.size > 0) {
    throw new SnapshotError('bad-base', `'${current.name}'`, `holds diff byte strings (${[...pending].join(', ')}) but names no base`);
  }

  const deferred = first.deferred;
  for (const [path, stack] of stacks) {
    const whole = stacked(stack.bytes, stack.layers.reverse());
    if (decode.defer?.(path, whole.bytes.length) === true) deferred.set(whole.bytes, whole);
    else for (let c = 0; c < whole.chunks; c++) if (whole.hasData(c)) whole.load(c);
  }
  const { base: _ignored, ...whole } = first.snapshot;
  return { snapshot: whole, deferred, chain };
}

/** The byte string at the field path `path` (`/machine/ram.data`: an object's own field), if any. */
function byteStringAt(snapshot: Snapshot, path: string): Uint8Array | null {
  const dot = path.lastIndexOf('.');
  const node = snapshot.objects.get(path.slice(0, dot));
  const value = node === undefined || !Object.hasOwn(node.fields, path.slice(dot + 1)) ? undefined : node.fields[path.slice(dot + 1)];
  return value instanceof Uint8Array ? value : null;
}

/**
 * One byte string from layers that share it (`bytes`), oldest first: loading a chunk loads it from
 * each layer in turn, so the newest layer holding a page wins.
 */
function stacked(bytes: Uint8Array, layers: readonly DeferredBlob[]): DeferredBlob {
  const loaded = new Uint8Array(layers[0]!.chunks);
  return {
    bytes,
    chunkPages: layers[0]!.chunkPages,
    chunks: layers[0]!.chunks,
    hasData: (c) => layers.some((l) => l.hasData(c)),
    load: (c) => {
      if (loaded[c] !== 0) return;
      for (const l of layers) if (l.hasData(c)) l.load(c);
      loaded[c] = 1;
    },
  };
}
