/**
 * Opening a -drive's image file (Node only): a raw image as a FileBackend, read-only with
 * readonly=on; with snapshot=on the file is opened read-only and an OverlayBackend takes every write
 * (QEMU's snapshot=on: the image is never written; the overlay travels in snapshots). Every failure
 * is a ConfigError of one line naming the drive and the file.
 */
import type { BlockBackend } from '../../src/block/block-backend.ts';
import { OverlayBackend } from '../../src/block/overlay-backend.ts';
import { ConfigError } from '../../src/util/errors.ts';
import type { DriveSpec } from '../drive.ts';
import { FileBackend } from './file-backend.ts';

export function openDriveFile(drive: DriveSpec): BlockBackend {
  let file: FileBackend;
  try {
    file = FileBackend.open(drive.file, { readOnly: drive.readOnly || drive.snapshot });
  } catch (e) {
    const { code, reason } = e as { code?: unknown; reason?: unknown };
    const why = typeof reason === 'string' ? reason : typeof code === 'string' ? code : e instanceof Error ? e.message : String(e);
    throw new ConfigError(`-drive ${drive.id}: cannot open '${drive.file}': ${why}`);
  }
  if (file.size === 0 || file.size % 512 !== 0) {
    throw new ConfigError(`-drive ${drive.id}: '${drive.file}' is ${file.size} bytes, not a whole number of 512-byte sectors`);
  }
  return drive.snapshot ? new OverlayBackend(file, { readOnly: drive.readOnly }) : file;
}
