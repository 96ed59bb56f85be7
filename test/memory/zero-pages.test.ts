/**
 * RAM's written-pages map (src/memory/zero-pages.ts): the snapshot encoder does not read a page RAM
 * says was never written, so the map must mark every page a guest, a device or a loader wrote, and
 * every page a restore brought in. Each case saves a machine twice, with the map and with a copy of
 * RAM that has none (every page read), and the two files must be the same bytes. The map must also
 * pay: a small guest in a large RAM marks few pages.
 */
import { describe, expect, it } from 'vitest';
import type { Machine } from '../../machine/machine.ts';
import { saveSnapshot } from '../../machine/snapshot.ts';
import { encodeSnapshotBytes } from '../../migration/encode.ts';
import { pageHintOf } from '../../src/memory/zero-pages.ts';
import { makeMachine, restoreFrom, snapshotBytes, type GuestSpec } from '../determinism/harness.ts';
import { bytesSource, decodeRestoreSource } from '../../machine/restore-source.ts';
import { restoreSnapshot } from '../../machine/snapshot.ts';
import { Machine as MachineClass } from '../../machine/machine.ts';
import { configOf } from '../determinism/harness.ts';

const RAM = '/machine/ram';

/** The snapshot file of `m`, and the same with RAM copied (no page map: every page read). */
function bothWays(m: Machine): { hinted: Uint8Array; plain: Uint8Array } {
  const snap = saveSnapshot(m);
  const hinted = encodeSnapshotBytes(snap);
  const ram = snap.objects.get(RAM)!;
  const copy = (ram.fields['data'] as Uint8Array).slice();
  expect(pageHintOf(copy)).toBeNull();
  const objects = new Map(snap.objects);
  objects.set(RAM, { ...ram, fields: { ...ram.fields, data: copy } });
  return { hinted, plain: encodeSnapshotBytes({ ...snap, objects }) };
}

function marked(m: Machine): number {
  return pageHintOf(m.board.mem.u8)!.reduce((n, v) => n + (v === 0 ? 0 : 1), 0);
}

const GUESTS: [string, GuestSpec, number][] = [
  ['memfill (CPU writes, string instructions)', { name: 'memfill', smp: 1, ramMiB: 16 }, 3_000_000],
  ['insn (every instruction form)', { name: 'insn', smp: 1, ramMiB: 16 }, 50_000_000],
  ['paging (page tables, A and D bits)', { name: 'paging', smp: 1, ramMiB: 16 }, 50_000_000],
  ['smp (two CPUs)', { name: 'smp', smp: 2, ramMiB: 16 }, 50_000_000],
  ['virtioblk (device DMA into RAM)', { name: 'virtioblk', smp: 1, ramMiB: 16, disk: { config: 'modern-msix', shape: 'combined' } }, 50_000_000],
];

describe('written-pages map', () => {
  for (const [what, g, insns] of GUESTS) {
    it(`${what}: a save that skips unwritten pages is the save that reads them all`, () => {
      const m = makeMachine(g, 'on', []);
      m.run({ maxInsns: insns });
      const { hinted, plain } = bothWays(m);
      expect(Buffer.compare(hinted, plain), `${g.name}: files differ`).toBe(0);
    });
  }

  it('marks only what a small guest touched in a large RAM', () => {
    const m = makeMachine({ name: 'hello', smp: 1, ramMiB: 256 }, 'on', []);
    m.run({ maxInsns: 1_000_000 });
    const pages = marked(m);
    expect(pages).toBeGreaterThan(0);
    expect(pages).toBeLessThan((256 << 20) / 4096 / 100);
  });

  it('a restored machine: eagerly copied RAM is marked whole, a lazily adopted image by its chunks with data', () => {
    const g: GuestSpec = { name: 'memfill', smp: 1, ramMiB: 64 };
    const source = makeMachine(g, 'on', []);
    source.run({ maxInsns: 2_000_000 });
    const bytes = snapshotBytes(source);

    // Eager: decodeSnapshot's image is copied into RAM.
    const eager = restoreFrom(bytes, g, 'on', []).machine;
    expect(marked(eager)).toBe((64 << 20) / 4096);
    eager.run({ maxInsns: 3_000_000 });
    let both = bothWays(eager);
    expect(Buffer.compare(both.hinted, both.plain)).toBe(0);

    // Lazy: the image is adopted; chunks without data stay unmarked until written.
    const lazy = new MachineClass({ ...configOf(g, 'on'), kernel: null, initrds: [], append: '' }, { serialOut() {}, log() {} });
    restoreSnapshot(lazy, decodeRestoreSource(bytesSource(bytes), true));
    const lazyMarked = marked(lazy);
    expect(lazyMarked).toBeLessThan((64 << 20) / 4096);
    expect(lazyMarked).toBeGreaterThan(0);
    lazy.run({ maxInsns: 3_000_000 });
    both = bothWays(lazy);
    expect(Buffer.compare(both.hinted, both.plain)).toBe(0);
    // And both restored machines saved the same file.
    expect(Buffer.compare(bothWays(eager).hinted, both.hinted)).toBe(0);
  });
});
