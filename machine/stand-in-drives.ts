/**
 * Drives for machines that only check or convert a snapshot's state (`godwit snapshot verify`,
 * `convert`): no image file is opened; each drive is a read-only disk of zeros of the size the
 * snapshot recorded for it (under an overlay with snapshot=on), with the identity check off (its
 * content is not what is being checked).
 */
import type { BlockBackend } from '../src/block/block-backend.ts';
import { BlockIoError, checkRange } from '../src/block/block-backend.ts';
import { OverlayBackend } from '../src/block/overlay-backend.ts';
import type { JsonObject } from '../migration/snapshot.ts';
import { jsonAt } from './snapshot-config.ts';
import { parseDriveSpec, type DriveSpec } from './drive.ts';
import type { DriveOpener } from './read-config.ts';

function zeroDisk(size: number): BlockBackend {
  const refuse = () => {
    throw new BlockIoError('a stand-in disk is read-only');
  };
  return {
    size,
    readOnly: true,
    read(offset, dest) {
      checkRange(size, offset, dest.length);
      dest.fill(0);
    },
    write: refuse,
    flush() {},
    discard: refuse,
    writeZeroes: refuse,
  };
}

/** The recorded drives of a snapshot's configuration (malformed records are configValueProblems'). */
export function recordedDrives(config: JsonObject): { spec: DriveSpec; bytes: number }[] {
  const list = jsonAt(config, 'drives');
  if (!Array.isArray(list)) return [];
  const out: { spec: DriveSpec; bytes: number }[] = [];
  for (const r of list) {
    const drive = jsonAt(r as JsonObject, 'drive');
    const bytes = jsonAt(r as JsonObject, 'bytes');
    if (typeof drive !== 'string' || typeof bytes !== 'number') continue;
    out.push({ spec: { ...parseDriveSpec('config.drives', drive, 0).drive, checkIdentity: false }, bytes });
  }
  return out;
}

/** Opens every drive as a disk of zeros of the size `config` recorded for its id (0 if none). */
export function standInDrives(config: JsonObject): DriveOpener {
  const sizes = new Map(recordedDrives(config).map((d) => [d.spec.id, d.bytes]));
  // A snapshot=on drive keeps its overlay (the object its state loads into).
  return (drive) => {
    const disk = zeroDisk(sizes.get(drive.id) ?? 0);
    return drive.snapshot ? new OverlayBackend(disk) : disk;
  };
}
