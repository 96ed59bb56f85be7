/** A snapshot records each drive's size and fingerprint; a restore onto another disk is refused unless forced. */
import { describe, expect, it } from 'vitest';
import { Machine } from '../../machine/machine.ts';
import { defaultMachineConfig } from '../../machine/machine-config.ts';
import { restoreSnapshot, saveSnapshot } from '../../machine/snapshot.ts';
import { decodeSnapshot } from '../../migration/decode.ts';
import { encodeSnapshotBytes } from '../../migration/encode.ts';
import { isSnapshotMismatchError } from '../../migration/mismatch-error.ts';
import { diskFingerprint, fingerprintBlocks, FINGERPRINT_BLOCK } from '../../src/block/fingerprint.ts';
import { MemoryBackend } from '../../src/block/memory-backend.ts';
import { OverlayBackend } from '../../src/block/overlay-backend.ts';
import { guestImage } from '../guests/run-guest.ts';
import { virtioblkDisk, virtioblkMachine } from '../guests/virtioblk-config.ts';

function machine(disk: Uint8Array, checkIdentity = true): Machine {
  const { overrides } = virtioblkMachine('modern-msix', 'combined', disk);
  const drives = overrides.drives!.map((d) => ({ ...d, checkIdentity }));
  return new Machine(defaultMachineConfig({ kernel: { name: 'virtioblk.elf', data: guestImage('virtioblk') }, ramBytes: 8 << 20, ...overrides, drives }), {
    serialOut: () => {},
    log: () => {},
  });
}

function restoreError(bytes: Uint8Array, onto: Machine): string | null {
  try {
    restoreSnapshot(onto, decodeSnapshot(bytes));
    return null;
  } catch (e) {
    expect(isSnapshotMismatchError(e), String(e)).toBe(true);
    return (e as Error).message;
  }
}

describe('disk identity in a snapshot', () => {
  const source = machine(virtioblkDisk());
  source.run({ maxInsns: 500_000 });
  const bytes = encodeSnapshotBytes(saveSnapshot(source));
  const recorded = diskFingerprint(new MemoryBackend(virtioblkDisk()));

  it('records size and fingerprint and restores onto the same disk', () => {
    const drives = decodeSnapshot(bytes).config.drives as { id: string; bytes: number; fingerprint: string }[];
    expect(drives.map((d) => [d.id, d.bytes, d.fingerprint])).toEqual([['d0', 1 << 20, recorded]]);
    expect(restoreError(bytes, machine(virtioblkDisk()))).toBeNull();
  });

  it('refuses another disk, naming both, unless check-identity=off', () => {
    const other = virtioblkDisk();
    other[fingerprintBlocks(other.length)[3]! * FINGERPRINT_BLOCK + 100]! ^= 1;
    const message = restoreError(bytes, machine(other));
    expect(message).toContain(`-drive d0: the snapshot's disk (1048576 bytes, fingerprint ${recorded}) is not 'virtioblk-disk.img' (1048576 bytes, fingerprint ${diskFingerprint(new MemoryBackend(other))})`);
    expect(restoreError(bytes, machine(new Uint8Array(2 << 20)))).toContain('(2097152 bytes, fingerprint');
    expect(restoreError(bytes, machine(other, false))).toBeNull();
  });

  it('fingerprints the image under a snapshot=on overlay, not the overlay', () => {
    const base = new MemoryBackend(virtioblkDisk());
    const overlay = new OverlayBackend(base);
    overlay.write(0, new Uint8Array(4096).fill(7));
    expect(diskFingerprint(overlay)).not.toBe(recorded);
    const m = machine(virtioblkDisk());
    const config = { ...m.config, drives: [{ ...m.config.drives[0]!, snapshot: true, backend: overlay }] };
    const withOverlay = new Machine(config, { serialOut: () => {}, log: () => {} });
    const drives = saveSnapshot(withOverlay).config.drives as { fingerprint: string }[];
    expect(drives[0]!.fingerprint).toBe(recorded);
  });
});
