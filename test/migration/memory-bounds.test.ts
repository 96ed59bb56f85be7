/**
 * Memory bounds, measured where a spike cannot hide: in a child process that does only the work
 * (memory-child.ts, bundled here with esbuild).
 *
 * - A hostile declared size is refused before anything is allocated for it: the child decodes under
 *   an address-space cap (`ulimit -v`) of its own starting size plus 512 MiB, which an allocation of
 *   the declared size, even a lazily zero-filled one freed at once, would break. The child first
 *   shows that the cap binds, and that a good snapshot decodes under it.
 * - Inspecting and diffing cost what the files hold: a child that summarises, exports and diffs files
 *   declaring 2 GiB of omitted pages each ends with a peak resident size (getrusage's maxrss, which
 *   any transient allocation that was touched would have raised) far below what reading them costs.
 *
 * Linux only: the cap and /proc/self/status are Linux's.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSnapshotBytes } from '../../migration/encode.ts';
import { BLOB_ENTRY_BYTES, B_LENGTH, HEADER_BYTES } from '../../migration/header.ts';
import type { SnapshotLimits } from '../../migration/limits.ts';
import { blobDocument, forgeFile, resealAll, sparseBlob } from './forge.ts';
import { sampleSnapshot } from './sample-snapshot.ts';

const GIB = 2 ** 30;
const MIB = 2 ** 20;
/** Room above the child's starting address space: less than any hostile size below. */
const HEADROOM = 512 * MIB;

let dir: string;
let child: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'godwit-memory-'));
  child = join(dir, 'memory-child.mjs');
  buildSync({
    entryPoints: [fileURLToPath(new URL('./memory-child.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: child,
    logLevel: 'silent',
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the child (under `ulimit -v capKiB` when given) and returns its JSON line. */
function run(args: string[], capKiB?: number): Record<string, unknown> {
  const r =
    capKiB === undefined
      ? spawnSync(process.execPath, [child, ...args], { encoding: 'utf8', timeout: 60_000 })
      : spawnSync('/bin/sh', ['-c', `ulimit -v ${capKiB} && exec "$0" "$@"`, process.execPath, child, ...args], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status, `child ${args[0]}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** A 64 KiB sparse blob per length, then each blob table entry patched to declare `declared[i]`. */
function declaring(...declared: number[]): Uint8Array {
  const out = forgeFile(blobDocument(declared.map(() => 64 * 1024)), declared.map(() => sparseBlob(64 * 1024)));
  const view = new DataView(out.buffer);
  declared.forEach((length, i) => view.setBigUint64(HEADER_BYTES + i * BLOB_ENTRY_BYTES + B_LENGTH, BigInt(length), true));
  return resealAll(out);
}

/** A document whose schema declares a `bytes` field of `length` bytes, with `value` for it. */
function bytesFieldDocument(length: number, value: unknown): string {
  return JSON.stringify({
    config: {},
    clock: { virtualTimeNs: '0', retiredInstructions: '0', run: {} },
    objects: { '/machine/x': { type: 'x', version: 1, fields: { data: value } } },
    schemas: { 'x@1': { fields: [{ name: 'data', kind: 'bytes', length }] } },
  });
}

describe.skipIf(process.platform !== 'linux')('memory bounds, in a child process', () => {
  it('hostile declared sizes are refused before allocation, under an address-space cap that an allocation would break', () => {
    const start = run(['vmsize'])['vmSizeBytes'] as number;
    expect(start).toBeGreaterThan(0);
    const cap = Math.ceil((start + HEADROOM) / 1024);
    // The cap binds: a 1 GiB allocation fails under it (and succeeds without it).
    expect(run(['allocate', String(GIB)], cap)['outcome']).toMatch(/^RangeError: /);
    expect(run(['allocate', String(GIB)])['outcome']).toBe('allocated');

    const cases: [string, Uint8Array, Partial<SnapshotLimits>, string][] = [
      ['a good snapshot (the control)', encodeSnapshotBytes(sampleSnapshot()), {}, 'ok'],
      ['a 3 GiB blob over a 64 MiB limit', declaring(3 * GIB), { maxBlobBytes: 64 * MIB }, 'SnapshotError:limit'],
      ['a 1 TiB blob under the default limits', declaring(2 ** 40), {}, 'SnapshotError:limit'],
      ['two 1 GiB blobs over a 1.5 GiB total', declaring(GIB, GIB), { maxBlobBytes: GIB, maxTotalBlobBytes: 1.5 * GIB }, 'SnapshotError:limit'],
      ['a 3 GiB bytes field given 1 byte of hex', forgeFile(bytesFieldDocument(3 * GIB, '00')), {}, 'StateError'],
      [
        'a 3 GiB bytes field referring to a 64 KiB blob',
        forgeFile(bytesFieldDocument(3 * GIB, { blob: 0, bytes: 64 * 1024 }), [sparseBlob(64 * 1024)]),
        {},
        'SnapshotError:bad-blob',
      ],
    ];
    for (const [name, bytes, limits, expected] of cases) {
      const path = file(`${name.replace(/\W+/g, '-')}.gw`, bytes);
      expect(run(['decode', path, JSON.stringify(limits)], cap)['outcome'], name).toBe(expected);
    }
  });

  it('inspecting and diffing files that declare 2 GiB each keep the peak resident size small', () => {
    const declared = GIB;
    const a = file('a.gw', forgeFile(blobDocument([declared, declared]), [sparseBlob(declared), sparseBlob(declared, new Map([[70_000, 1]]))]));
    const b = file('b.gw', forgeFile(blobDocument([declared, declared]), [sparseBlob(declared), sparseBlob(declared, new Map([[70_000, 2]]))]));
    const r = run(['inspect', a, b]);
    expect(r['bytes']).toBe(2 * declared);
    expect(r['diffEqual']).toBe(false);
    // Node itself is about 50 MiB; touching the omitted pages would be 2 GiB per file.
    expect(r['peakRssBytes'] as number).toBeLessThan(256 * MIB);
  });
});
