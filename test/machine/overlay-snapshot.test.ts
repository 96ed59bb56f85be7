/**
 * snapshot=on: the guest's writes go to an overlay that travels in the snapshot
 * (/machine/block/<drive>), so one snapshot restores any number of times from the same pristine image,
 * which is never written.
 */
import { describe, expect, it } from 'vitest';
import { Machine } from '../../machine/machine.ts';
import { defaultMachineConfig, type MachineConfig } from '../../machine/machine-config.ts';
import { restoreSnapshot, saveSnapshot } from '../../machine/snapshot.ts';
import { decodeSnapshot } from '../../migration/decode.ts';
import { encodeSnapshotBytes } from '../../migration/encode.ts';
import { isSnapshotMismatchError } from '../../migration/mismatch-error.ts';
import { MemoryBackend } from '../../src/block/memory-backend.ts';
import { OverlayBackend } from '../../src/block/overlay-backend.ts';
import { hash64 } from '../../src/util/hash.ts';
import { expectedOutput, guestImage } from '../guests/run-guest.ts';
import { virtioblkDisk, virtioblkMachine } from '../guests/virtioblk-config.ts';

function config(base: Uint8Array, snapshot: boolean): { config: MachineConfig; overlay: OverlayBackend | null } {
  const { overrides } = virtioblkMachine('modern-msix', 'combined', base);
  const backend = overrides.drives![0]!.backend;
  const overlay = snapshot ? new OverlayBackend(backend) : null;
  const drives = [{ ...overrides.drives![0]!, snapshot, backend: overlay ?? backend }];
  return { config: defaultMachineConfig({ kernel: { name: 'virtioblk.elf', data: guestImage('virtioblk') }, ramBytes: 8 << 20, ...overrides, drives }), overlay };
}

function diskBytes(d: OverlayBackend): Uint8Array {
  const out = new Uint8Array(d.size);
  d.read(0, out);
  return out;
}

describe('snapshot=on: the overlay inside the snapshot', () => {
  it('saves the written blocks, restores them twice from the same pristine image, never writes the image', () => {
    const fresh = virtioblkDisk();
    const base = virtioblkDisk();
    const { config: c, overlay } = config(base, true);
    const out: number[] = [];
    const source = new Machine(c, { serialOut: (b) => out.push(b), log: () => {} });
    // Stop once the guest has written (its first write), a little later: the overlay holds blocks.
    let at = 0;
    while (overlay!.writtenBlockCount === 0 && at < 2_000_000) source.run({ maxInsns: (at += 10_000) });
    source.run({ maxInsns: at + 5_000 });
    expect(overlay!.writtenBlockCount).toBeGreaterThan(0);
    expect(hash64(diskBytes(overlay!))).not.toBe(hash64(fresh));
    const atSave = hash64(diskBytes(overlay!));
    const snap = saveSnapshot(source);
    expect(snap.objects.get('/machine/block/d0')?.type).toBe('block-overlay');
    const bytes = encodeSnapshotBytes(snap);
    const serialAtSave = out.length;
    source.run({ maxInsns: 2_000_000_000 });
    const straight = Buffer.from(out).toString('latin1');
    expect(straight).toBe(expectedOutput('virtioblk-modern-msix'));
    expect(Buffer.compare(base, fresh), 'the image is never written').toBe(0);

    // Rounds 0 and 1 decode the file's bytes; 2 and 3 restore one decoded snapshot, whose overlay
    // bytes both restored overlays adopt without copying: the guest's writes must not reach them.
    const shared = decodeSnapshot(bytes);
    const data = shared.objects.get('/machine/block/d0')!.fields['data'] as Uint8Array;
    const dataAtSave = hash64(data);
    for (let round = 0; round < 4; round++) {
      const { config: d, overlay: o } = config(base, true);
      const tail: number[] = [];
      const m = new Machine({ ...d, kernel: null, append: '' }, { serialOut: (b) => tail.push(b), log: () => {} });
      restoreSnapshot(m, round < 2 ? decodeSnapshot(bytes) : shared);
      expect(hash64(diskBytes(o!)), `round ${round}: the disk as it was at the save`).toBe(atSave);
      m.run({ maxInsns: 2_000_000_000 });
      expect(Buffer.from(out.slice(0, serialAtSave)).toString('latin1') + Buffer.from(tail).toString('latin1')).toBe(straight);
      expect(Buffer.compare(base, fresh)).toBe(0);
      expect(hash64(data), `round ${round}: the snapshot's overlay bytes`).toBe(dataAtSave);
    }
  });

  it('a snapshot with an overlay needs snapshot=on on the restoring machine', () => {
    const { config: c } = config(virtioblkDisk(), true);
    const source = new Machine(c, { serialOut: () => {}, log: () => {} });
    source.run({ maxInsns: 500_000 });
    const bytes = encodeSnapshotBytes(saveSnapshot(source));
    const { config: d } = config(virtioblkDisk(), false);
    let error: unknown = null;
    try {
      restoreSnapshot(new Machine(d, { serialOut: () => {}, log: () => {} }), decodeSnapshot(bytes));
    } catch (e) {
      error = e;
    }
    expect(isSnapshotMismatchError(error)).toBe(true);
    expect((error as Error).message).toContain('/machine/block/d0');
  });
});
