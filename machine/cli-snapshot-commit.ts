/**
 * `godwit snapshot commit SNAPSHOT --drive ID -o IMAGE [--base PATH]`: the disk of a snapshot=on
 * drive as a raw image, the pristine image (the drive's recorded file, or --base) with the overlay the
 * snapshot carries (/machine/block/ID) on top. IMAGE is written atomically (temporary file, fsync,
 * rename), never in place over the base. The base must be the disk the snapshot recorded (size and
 * fingerprint, machine/disk-identity.ts). A drive without snapshot=on has no overlay in the
 * snapshot: its image file is the disk, written in place while the guest ran.
 */
import { OverlayBackend } from '../src/block/overlay-backend.ts';
import { OverlayState } from '../src/block/overlay-state.ts';
import type { BlockBackend } from '../src/block/block-backend.ts';
import { diskFingerprint } from '../src/block/fingerprint.ts';
import { isStateError } from '../src/util/errors.ts';
import { loadState } from '../src/visit/input-visitor.ts';
import type { Snapshot } from '../migration/snapshot.ts';
import { CliFailure, ConfigError, firstLine, ioReason } from './cli-errors.ts';
import type { CliDeps } from './cli-run.ts';
import { snapshotFilesOf } from './cli-snapshot-io.ts';
import { BLOCK_PATH } from './pc-board.ts';
import { recordedDrives } from './stand-in-drives.ts';

const CHUNK = 1 << 20;

/** The disk's bytes, CHUNK at a time. */
function* chunks(disk: BlockBackend): Generator<Uint8Array> {
  for (let at = 0; at < disk.size; at += CHUNK) {
    const out = new Uint8Array(Math.min(CHUNK, disk.size - at));
    disk.read(at, out);
    yield out;
  }
}

export interface CommitRequest {
  file: string;
  snapshot: Snapshot;
  drive: string;
  out: string;
  base: string | null;
}

/** Writes the image; returns the line to print. */
export function commitDrive(deps: CliDeps, r: CommitRequest): string {
  const record = recordedDrives(r.snapshot.config).find((d) => d.spec.id === r.drive);
  if (record === undefined) {
    const ids = recordedDrives(r.snapshot.config).map((d) => d.spec.id);
    throw new CliFailure(`${r.file}: no drive '${r.drive}' (${ids.length === 0 ? 'it records no drives' : `its drives: ${ids.join(', ')}`})`);
  }
  const node = r.snapshot.objects.get(`${BLOCK_PATH}/${r.drive}`);
  if (!record.spec.snapshot || node === undefined) {
    throw new CliFailure(`${r.file}: drive '${r.drive}' was written in place (no snapshot=on): the snapshot holds no overlay, its image '${record.spec.file}' is the disk`);
  }
  if (node.type !== 'block-overlay' || node.version !== 1) throw new CliFailure(`${r.file}: ${BLOCK_PATH}/${r.drive} is ${node.type} v${node.version}, not block-overlay v1`);
  const basePath = r.base ?? record.spec.file;
  if (deps.io.openDrive === undefined) throw new CliFailure('this front end cannot open disk images');
  let base: BlockBackend;
  try {
    base = deps.io.openDrive({ ...record.spec, file: basePath, readOnly: true, snapshot: false });
  } catch (e) {
    throw new CliFailure(firstLine(e));
  }
  const recorded = (r.snapshot.config.drives as { id: string; fingerprint: string }[]).find((d) => d.id === r.drive)!;
  const fingerprint = diskFingerprint(base);
  if (base.size !== record.bytes || fingerprint !== recorded.fingerprint) {
    throw new CliFailure(
      `${r.file}: drive '${r.drive}' was taken on a disk of ${record.bytes} bytes with fingerprint ${recorded.fingerprint}; '${basePath}' is ${base.size} bytes with fingerprint ${fingerprint} (give the image with --base PATH)`,
    );
  }
  const overlay = new OverlayBackend(base);
  const state = new OverlayState(overlay);
  try {
    loadState(state, node.fields, `${BLOCK_PATH}/${r.drive}`);
    state.postLoad();
  } catch (e) {
    if (isStateError(e)) throw new CliFailure(`${r.file}: ${firstLine(e)}`);
    throw e;
  }
  if (r.out === basePath) throw new ConfigError(`commit: -o must not be the base image '${basePath}' (the snapshot needs it as it is)`);
  try {
    snapshotFilesOf(deps).write(r.out, chunks(overlay));
  } catch (e) {
    throw new CliFailure(`cannot write '${r.out}': ${ioReason(e)}`);
  }
  return `committed drive ${r.drive} of ${r.file}: '${basePath}' (${base.size} bytes) with ${overlay.writtenBlockCount} overlay block(s) -> ${r.out}\n`;
}
