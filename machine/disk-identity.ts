/**
 * A disk's identity in a snapshot (docs/architecture.md section 6): every drive is recorded in the
 * configuration with its size and a content fingerprint (src/block/fingerprint.ts: hash64 of at most
 * 256 sampled 4 KiB blocks, so a save reads at most 1 MiB of a multi-gigabyte image). Restoring onto
 * a drive of the same id whose size or fingerprint differs is a configuration problem naming both
 * disks, unless that drive says check-identity=off.
 *
 * What is fingerprinted: with snapshot=on the pristine image under the overlay (the overlay is the
 * guest's writes, not the disk's identity); otherwise the image as it is at the save, so restoring
 * after the image has moved on (the guest kept writing, another run used it) is refused too: such a
 * snapshot is not self-contained and the image is part of it.
 */
import type { BlockBackend } from '../src/block/block-backend.ts';
import { diskFingerprint } from '../src/block/fingerprint.ts';
import { OverlayBackend } from '../src/block/overlay-backend.ts';
import type { JsonObject, JsonValue } from '../migration/snapshot.ts';
import { describeValue } from '../src/visit/field-checks.ts';
import type { Drive } from './drive.ts';
import { formatDriveSpec } from './drive.ts';

/** The disk a drive's identity is taken from: the base of an overlay, else the backend itself. */
export function identityDisk(backend: BlockBackend): BlockBackend {
  return backend instanceof OverlayBackend ? backend.base : backend;
}

/** The record of one drive in a snapshot's configuration. */
export function driveRecord(d: Drive): JsonObject {
  const disk = identityDisk(d.backend);
  return { id: d.id, drive: formatDriveSpec(d), bytes: disk.size, fingerprint: diskFingerprint(disk) };
}

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What is malformed in a recorded drive list (null: nothing). */
export function driveListProblem(v: JsonValue): string | null {
  if (!Array.isArray(v)) return `${describeValue(v)} is not a list of drive records`;
  for (const r of v) {
    if (!isObject(r)) return `${describeValue(r)} is not a drive record {id, drive, bytes, fingerprint}`;
    const { id, drive, bytes, fingerprint } = r;
    if (typeof id !== 'string' || !/^[A-Za-z][A-Za-z0-9._-]{0,63}$/.test(id)) return `drive id ${describeValue(id ?? null)} is not a drive id`;
    if (typeof drive !== 'string') return `drive ${id}: ${describeValue(drive ?? null)} is not a -drive string`;
    if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) return `drive ${id}: bytes ${describeValue(bytes ?? null)} is not a size`;
    if (typeof fingerprint !== 'string' || !/^[0-9a-f]{16}$/.test(fingerprint)) return `drive ${id}: fingerprint ${describeValue(fingerprint ?? null)} is not 16 hex digits`;
  }
  return null;
}

/**
 * One line per drive of `dest` whose recorded identity differs (recorded drives this machine lacks
 * show up as missing devices in the plan). `records` must have passed driveListProblem.
 */
export function driveIdentityProblems(records: readonly JsonObject[], dest: readonly Drive[]): string[] {
  const out: string[] = [];
  for (const d of dest) {
    const r = records.find((x) => x.id === d.id);
    if (r === undefined || !d.checkIdentity) continue;
    const disk = identityDisk(d.backend);
    const fingerprint = diskFingerprint(disk);
    if (r.bytes === disk.size && r.fingerprint === fingerprint) continue;
    out.push(
      `-drive ${d.id}: the snapshot's disk (${String(r.bytes)} bytes, fingerprint ${String(r.fingerprint)}) is not '${d.file}' ` +
        `(${disk.size} bytes, fingerprint ${fingerprint}); give the disk the snapshot was taken with, or check-identity=off to restore anyway`,
    );
  }
  return out;
}
