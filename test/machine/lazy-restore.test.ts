/**
 * Lazy restore (`-incoming file:` on Node): the restored machine takes the snapshot's RAM image as
 * its RAM and loads each 1 MiB chunk from the file on its first access (CPU TLB fill, device DMA,
 * loaders) or in the background between slices. The guest must not be able to tell: a run restored
 * lazily matches the uninterrupted run and the eagerly restored one in everything observable, and a
 * chunk whose checksum fails stops the run with a SnapshotError naming it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Machine } from '../../machine/machine.ts';
import type { KernelIrqchip } from '../../machine/machine-config.ts';
import { RAM_FIELD, RAM_PATH } from '../../machine/machine-state.ts';
import { restoreSnapshot, saveSnapshot } from '../../machine/snapshot.ts';
import { openSnapshotFile } from '../../machine/snapshot-file.ts';
import { CHUNK_BYTES } from '../../migration/chunked-blob.ts';
import { decodeSnapshotSource } from '../../migration/decode-source.ts';
import { encodeSnapshot, concatChunks } from '../../migration/encode.ts';
import { isSnapshotError } from '../../migration/snapshot-error.ts';
import { offerRam } from '../../src/memory/ram-pager.ts';
import { configOf, firstDifference, observe, type GuestSpec, type Observed } from '../determinism/harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'godwit-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RAM_MIB = 8;
const MAX = 300_000_000;

/** Fills the top 2 MiB of RAM (which these guests never use) with a pattern: chunks with data. */
function fillTop(m: Machine): void {
  // Through the loader path, which marks each page written (a save reads only marked pages).
  const mem = m.board.mem;
  for (let a = mem.ramSize - (2 << 20); a < mem.ramSize; a += 4096) if ((a >>> 12) % 3 !== 0) mem.load(a, new Uint8Array(4096).fill((a >>> 12) & 0xff));
}

interface Source {
  file: string;
  straight: Observed;
}

/** Runs `g` to `at`, fills the top of RAM, saves to a file, then runs on to the end: the straight run. */
function source(g: GuestSpec, at: number, name: string): Source {
  const out: number[] = [];
  const m = new Machine(configOf(g, 'on'), { serialOut: (b) => out.push(b), log: () => {} });
  m.run({ maxInsns: at });
  fillTop(m);
  const file = join(dir, `${name}.gw`);
  writeFileSync(file, concatChunks(encodeSnapshot(saveSnapshot(m)).chunks));
  const result = m.run({ maxInsns: MAX });
  return { file, straight: observe(g, m, out, result) };
}

/** Restores `file` as -incoming does (lazily or not) under `mode`, with the serial output so far. */
function restore(file: string, g: GuestSpec, mode: KernelIrqchip, lazy: boolean, out: number[]): Machine {
  const opened = openSnapshotFile(file);
  const ramField = `${RAM_PATH}.${RAM_FIELD}`;
  const { snapshot, deferred } = decodeSnapshotSource(opened.source, { defer: (at) => lazy && at === ramField });
  const ram = snapshot.objects.get(RAM_PATH)!.fields[RAM_FIELD] as Uint8Array;
  offerRam(ram, deferred.get(ram) ?? null);
  const m = new Machine({ ...configOf(g, mode), kernel: null, initrds: [], append: '' }, { serialOut: (b) => out.push(b), log: () => {} });
  restoreSnapshot(m, snapshot);
  // The board took the image itself: no copy.
  expect(m.board.mem.u8).toBe(ram);
  return m;
}

function restoredRun(src: Source, g: GuestSpec, mode: KernelIrqchip, lazy: boolean, prefix: number[]): { observed: Observed; lazyAtStart: number } {
  const out = [...prefix];
  const m = restore(src.file, g, mode, lazy, out);
  const lazyAtStart = m.board.mem.lazyChunksLeft;
  const result = m.run({ maxInsns: MAX });
  return { observed: observe(g, m, out, result), lazyAtStart };
}

/** The serial output up to `at` (the restored run's output starts there). */
function prefixOf(g: GuestSpec, at: number): number[] {
  const out: number[] = [];
  new Machine(configOf(g, 'on'), { serialOut: (b) => out.push(b), log: () => {} }).run({ maxInsns: at });
  return out;
}

const GUESTS: Array<GuestSpec & { at: number }> = [
  { name: 'interrupts', smp: 1, ramMiB: RAM_MIB, at: 400_000 },
  { name: 'chipfuzz', smp: 2, append: 'seed=12 rounds=1000 wild=1 verbose=1', ramMiB: RAM_MIB, at: 700_000 },
  { name: 'pitstorm', smp: 1, append: 'ioapic=1 verbose=1', ramMiB: RAM_MIB, at: 300_000 },
];

describe('lazy restore', () => {
  for (const g of GUESTS) {
    it(`${g.name} (smp ${g.smp}): lazy and eager restores under on and off match the straight run`, () => {
      const src = source(g, g.at, `${g.name}-${g.smp}`);
      const prefix = prefixOf(g, g.at);
      for (const mode of ['on', 'off'] as const) {
        const lazy = restoredRun(src, g, mode, true, prefix);
        expect(lazy.lazyAtStart, 'chunks left to load when the guest starts').toBeGreaterThan(1);
        expect(firstDifference(src.straight, lazy.observed), `lazy under ${mode}`).toBeNull();
        const eager = restoredRun(src, g, mode, false, prefix);
        expect(eager.lazyAtStart).toBe(0);
        expect(firstDifference(src.straight, eager.observed), `eager under ${mode}`).toBeNull();
      }
    });
  }

  it('a corrupt chunk fails where it is first loaded, naming the chunk; an eager restore fails at once', () => {
    const g = GUESTS[0]!;
    const src = source(g, g.at, 'corrupt');
    const bytes = new Uint8Array(readFileSync(src.file));
    // The last stored page of the file belongs to the last chunk (the filled top of RAM).
    bytes[bytes.length - 4096 - 17]! ^= 0x40;
    const bad = join(dir, 'corrupt-bad.gw');
    writeFileSync(bad, bytes);
    const chunk = RAM_MIB * (1 << 20) / CHUNK_BYTES - 1;
    const m = restore(bad, g, 'on', true, []);
    let error: unknown = null;
    try {
      m.run({ maxInsns: MAX });
    } catch (e) {
      error = e;
    }
    expect(isSnapshotError(error), String(error)).toBe(true);
    expect((error as Error).message).toContain(`chunk ${chunk} (bytes 0x${(chunk * CHUNK_BYTES).toString(16)}-`);
    expect((error as Error).message).toContain('checksum mismatch');
    expect(() => restore(bad, g, 'on', false, [])).toThrow(/chunk 7 .*checksum mismatch/);
    // Through the CLI: one line naming the file and the chunk, exit status 1 (a bad snapshot).
    const cli = spawnSync(process.execPath, ['bin/godwit.js', '-m', `${RAM_MIB}M`, '-machine', 'kernel-irqchip=on', '-incoming', `file:${bad}`, '-serial', 'none', '--stats', join(dir, 'corrupt.json')], { encoding: 'latin1' });
    // (bin/godwit.js may rebuild a stale bundle first, saying so on stderr: only godwit's lines count.)
    const lines = cli.stderr.split('\n').filter((l) => l.startsWith('godwit:'));
    expect(lines.join('\n')).toMatch(/^godwit: -incoming '.*corrupt-bad\.gw': blob \d+ at byte \d+: chunk 7 \(bytes 0x700000-0x7fffff\) checksum mismatch \(found while loading RAM lazily\)$/);
    expect(cli.status).toBe(1);
    // Eagerly: the same line, before the run, status 1.
    const eager = spawnSync(process.execPath, ['bin/godwit.js', '-m', `${RAM_MIB}M`, '-machine', 'kernel-irqchip=on', '-incoming', `file:${bad}`, '-serial', 'none'], { encoding: 'latin1', env: { ...process.env, GODWIT_LAZY_RESTORE: '0' } });
    expect(eager.stderr.split('\n').filter((l) => l.startsWith('godwit:')).join('\n')).toMatch(/^godwit: -incoming '.*corrupt-bad\.gw': blob \d+ at byte \d+: chunk 7 \(bytes 0x700000-0x7fffff\) checksum mismatch$/);
    expect(eager.status).toBe(1);
  });
});
