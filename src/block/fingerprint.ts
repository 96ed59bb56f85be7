/**
 * A disk's identity for snapshots: its size and a content fingerprint that is cheap enough to take at
 * every save and every restore of a multi-gigabyte image.
 *
 * The fingerprint is hash64 of up to FINGERPRINT_SAMPLES blocks of 4 KiB at fixed, evenly spaced
 * positions (the first and the last block always among them), so it reads at most 1 MiB whatever
 * the disk's size; a disk of at most 256 blocks (1 MiB) is hashed whole. What it promises, honestly:
 * two disks of the same size whose sampled blocks differ are different disks (another image, another
 * installation, a restored backup); two disks that differ only between the samples (a few sectors a
 * guest wrote in place) are not told apart. That is the check a restore needs (the user named the
 * wrong file, or the image moved on since the snapshot); it is not an integrity proof. No host
 * attribute (mtime, inode) enters it, so a copied or moved image keeps its identity.
 */
import { hash64 } from '../util/hash.ts';
import type { BlockBackend } from './block-backend.ts';

export const FINGERPRINT_SAMPLES = 256;
export const FINGERPRINT_BLOCK = 4096;

/** Which blocks the fingerprint reads (ascending, distinct). */
export function fingerprintBlocks(size: number): number[] {
  const blocks = Math.ceil(size / FINGERPRINT_BLOCK);
  if (blocks <= FINGERPRINT_SAMPLES) return Array.from({ length: blocks }, (_, i) => i);
  const out: number[] = [];
  for (let i = 0; i < FINGERPRINT_SAMPLES; i++) out.push(Math.floor((i * (blocks - 1)) / (FINGERPRINT_SAMPLES - 1)));
  return out;
}

/** 16 hex digits: hash64 of the sampled blocks (a partial last block read as far as the disk goes). */
export function diskFingerprint(disk: BlockBackend): string {
  const blocks = fingerprintBlocks(disk.size);
  const buffer = new Uint8Array(blocks.length * FINGERPRINT_BLOCK);
  blocks.forEach((b, i) => {
    const start = b * FINGERPRINT_BLOCK;
    const length = Math.min(FINGERPRINT_BLOCK, disk.size - start);
    disk.read(start, buffer.subarray(i * FINGERPRINT_BLOCK, i * FINGERPRINT_BLOCK + length));
  });
  return hash64(buffer);
}
