/**
 * The diff-snapshot parts of `godwit snapshot`: what `inspect` says about a diff's base, and `merge
 * DIFF -o FLAT`, which writes a diff and the chain of bases under it as one full snapshot
 * (atomically): byte for byte what a full --save at the same instruction writes.
 */
import { isStateError } from '../src/util/errors.ts';
import { encodeSnapshot } from '../migration/encode.ts';
import { DEFAULT_LIMITS } from '../migration/limits.ts';
import { isSnapshotError } from '../migration/snapshot-error.ts';
import type { SnapshotBase } from '../migration/snapshot.ts';
import { CliFailure, firstLine, ioReason } from './cli-errors.ts';
import type { CliDeps } from './cli-run.ts';
import { snapshotFilesOf } from './cli-snapshot-io.ts';
import { basePathFrom, joinPath, readSnapshotChain, snapshotIdAt } from './snapshot-chain.ts';

/** `snapshot inspect` of a diff: its base, whether that is found and is the one, the pages it holds. */
export function diffBaseLines(deps: CliDeps, file: string, base: SnapshotBase, diffPages: number): string[] {
  const where = basePathFrom(file, base.path);
  let found: string;
  try {
    const id = snapshotIdAt(where, snapshotFilesOf(deps), DEFAULT_LIMITS);
    found = id === base.id ? 'found' : `found, but another snapshot (id ${id})`;
  } catch (e) {
    found = `not found (${isSnapshotError(e) ? firstLine(e) : ioReason(e)})`;
  }
  return [`base: '${base.path}' (id ${base.id}) at '${where}': ${found}`, `diff: ${diffPages} RAM page(s) written since the base; the others come from it`];
}

/** Writes the snapshot in `file` (with its bases, if a diff) to `out` as one full snapshot; returns the line to print. */
export function mergeChain(deps: CliDeps, file: string, out: string): string {
  let chain: ReturnType<typeof readSnapshotChain>;
  try {
    chain = readSnapshotChain(file, snapshotFilesOf(deps), DEFAULT_LIMITS);
  } catch (e) {
    if (isSnapshotError(e) || isStateError(e)) throw new CliFailure(`${file}: ${firstLine(e)}`);
    throw new CliFailure(`cannot read '${file}': ${ioReason(e)}`);
  }
  // Writing over a base would break the diffs on top of it (this one included, until it is done).
  const member = chain.chain.find((l) => joinPath('', l.name) === joinPath('', out));
  if (member !== undefined && chain.chain.length > 1) throw new CliFailure(`cannot write '${out}': it is a file of the chain being merged`);
  // The snapshot a full save at the same instruction writes: the newest document, RAM whole.
  const encoded = encodeSnapshot(chain.snapshot);
  try {
    snapshotFilesOf(deps).write(out, encoded.chunks);
  } catch (e) {
    throw new CliFailure(`cannot write '${out}': ${ioReason(e)}`);
  }
  const files = chain.chain.map((l) => `'${l.name}'`).join(' -> ');
  return `merged ${files} (${chain.chain.length} file${chain.chain.length === 1 ? '' : 's'}) -> ${out}, ${encoded.totalLength} bytes\n`;
}
