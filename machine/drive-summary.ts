/**
 * `godwit snapshot inspect`'s lines about disks: per recorded drive, its image, size and fingerprint,
 * and whether the snapshot is self-contained for it: with snapshot=on the overlay it carries (blocks
 * and bytes); without, a warning that the image file was written in place and is part of the state.
 */
import type { Snapshot } from '../migration/snapshot.ts';
import { OVERLAY_BLOCK_SIZE } from '../src/block/overlay-backend.ts';
import { BLOCK_PATH } from './pc-board.ts';
import { recordedDrives } from './stand-in-drives.ts';

export function driveLines(snapshot: Snapshot): string[] {
  const records = Array.isArray(snapshot.config.drives) ? (snapshot.config.drives as { id?: unknown; fingerprint?: unknown }[]) : [];
  return recordedDrives(snapshot.config).map(({ spec, bytes }) => {
    const fingerprint = records.find((r) => r.id === spec.id)?.fingerprint;
    const head = `drive ${spec.id}: '${spec.file}', ${bytes} bytes, fingerprint ${String(fingerprint)}`;
    if (!spec.snapshot) return `${head}; written in place (no snapshot=on): not in this snapshot, which needs the image as it was at the save`;
    const data = snapshot.objects.get(`${BLOCK_PATH}/${spec.id}`)?.fields.data;
    const size = data instanceof Uint8Array ? data.length : 0;
    return `${head}; snapshot=on: overlay of ${size / OVERLAY_BLOCK_SIZE} block(s), ${size} bytes, in this snapshot`;
  });
}
