/**
 * Diff snapshots through the CLI in-process (runCli with real files and the real Machine): a chain
 * of three diffs saved from a guest that fills RAM over time (memfill), each run under another
 * kernel-irqchip setting, restores (lazily and eagerly, under yet another setting) to exactly the
 * uninterrupted run: serial output, RAM hash, and the final state of every object; `snapshot merge`
 * writes the very file a full save at that instruction writes; a wrong, missing or cyclic base, a
 * truncated diff and a --base that is not the restored snapshot are one line and status 1.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliDeps } from '../../machine/cli-run.ts';
import { runCli } from '../../machine/cli-run.ts';
import type { ByteOutput } from '../../machine/host/byte-output.ts';
import { openFileOutput } from '../../machine/host/node-io.ts';
import { Machine } from '../../machine/machine.ts';
import { RAM_FIELD, RAM_PATH } from '../../machine/machine-state.ts';
import { restoreSnapshot } from '../../machine/snapshot.ts';
import { readSnapshotChain } from '../../machine/snapshot-chain.ts';
import { openSnapshotFile, readSnapshotFile, writeFileAtomic } from '../../machine/snapshot-file.ts';
import { DEFAULT_LIMITS } from '../../migration/limits.ts';
import { offerRam } from '../../src/memory/ram-pager.ts';
import { configOf, observe, type GuestSpec } from '../determinism/harness.ts';

const KERNEL = 'test/guests/bin/memfill.elf';
const GUEST: GuestSpec = { name: 'memfill', smp: 1, append: 'fill=100', ramMiB: 16 };
const MACHINE = ['-m', '16', '-serial', 'none'];
/** A booted run's: with the guest's command line. */
const BOOT = ['-kernel', KERNEL, '-append', 'fill=100'];
/** The guest fills 16 MiB in about 3.7 million instructions: a diff every 700000. */
const POINTS = [700_000, 1_400_000, 2_100_000, 2_800_000];
/** The setting each file of the chain is saved under: s0, d1, d2, d3. */
const MODES = ['on', 'off', 'split', 'on'] as const;

class MemoryOutput implements ByteOutput {
  chunks: Uint8Array[] = [];
  write(bytes: Uint8Array): void {
    this.chunks.push(bytes.slice());
  }
  close(): void {}
  text(): string {
    return Buffer.concat(this.chunks).toString('latin1');
  }
}

function godwit(argv: string[], env: Record<string, string> = {}): { status: number; stdout: string; stderr: string } {
  const stdout = new MemoryOutput();
  const stderr: string[] = [];
  const deps: CliDeps = {
    io: {
      readFile: (path) => new Uint8Array(readFileSync(path)),
      openOutput: openFileOutput,
      stdout,
      stdoutIsTty: false,
      stderr: (text) => void stderr.push(text),
      env,
    },
    createMachine: (config, host) => new Machine(config, host),
    demoGuest: { kernel: { path: KERNEL, name: KERNEL }, initrd: null, append: '' },
    version: 'test',
    snapshotFiles: { read: readSnapshotFile, write: (path, chunks) => writeFileAtomic(path, chunks), open: openSnapshotFile },
    now: () => 0,
  };
  const status = runCli(argv, deps);
  return { status, stdout: stdout.text(), stderr: stderr.join('') };
}

/** A run that must fail with status 1 and exactly one line on stderr; returns the line. */
function failure(argv: string[]): string {
  const r = godwit(argv);
  expect(r.status).toBe(1);
  expect(r.stderr.endsWith('\n') && r.stderr.indexOf('\n') === r.stderr.length - 1, r.stderr).toBe(true);
  return r.stderr.trimEnd();
}

/** Where the files go, relative to the working directory: the diffs record their bases relative to their own directory. */
let dir: string;
const at = (name: string) => join(dir, name);
const statsOf = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
const same = (s: Record<string, unknown>) => ({ retired: s.retiredInstructions, ram: s.ramHash, serial: s.serialHash, status: s.exitStatus, reason: s.reason });

beforeAll(() => {
  dir = relative(process.cwd(), mkdtempSync(join(tmpdir(), 'godwit-diff-')));
  expect(godwit([...BOOT, ...MACHINE, '--stats', at('full.json')]).status).toBe(1);
  const names = ['s0', 'd1', 'd2', 'd3'];
  names.forEach((name, i) => {
    const from = i === 0 ? BOOT : ['-incoming', `file:${at(`${names[i - 1]}.gw`)}`, '--base', at(`${names[i - 1]}.gw`)];
    const r = godwit([...from, ...MACHINE, '-machine', `kernel-irqchip=${MODES[i]}`, '--stop-at', String(POINTS[i]), '--save', at(`${name}.gw`)]);
    expect(r.status, r.stderr).toBe(0);
  });
  // The full save the merge must equal: the same instruction, the same setting as d3.
  expect(godwit([...BOOT, ...MACHINE, '-machine', 'kernel-irqchip=on', '--stop-at', String(POINTS[3]), '--save', at('f3.gw')]).status).toBe(0);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('diff snapshots', () => {
  it('hold only the pages written since their base', () => {
    const size = (n: string) => statSync(at(n)).size;
    // 16 MiB of RAM, a quarter of it filled between two points: far less than the full file.
    for (const d of ['d1.gw', 'd2.gw', 'd3.gw']) expect(size(d)).toBeLessThan(size('f3.gw') / 2);
    const r = godwit(['snapshot', 'inspect', at('d2.gw')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`format version 5`);
    expect(r.stdout).toMatch(/^base: 'd1\.gw' \(id [0-9a-f]{16}\) at '.*godwit-diff-\w+\/d1\.gw': found$/m);
    expect(r.stdout).toMatch(/^diff: \d+ RAM page\(s\) written since the base/m);
  });

  it('restore through the chain to the uninterrupted run, lazily and eagerly, under another setting', () => {
    const full = same(statsOf(at('full.json')));
    for (const lazy of ['1', '0']) {
      const r = godwit(['-incoming', `file:${at('d3.gw')}`, ...MACHINE, '-machine', 'kernel-irqchip=split', '--stats', at(`r${lazy}.json`)], { GODWIT_LAZY_RESTORE: lazy });
      expect(r.status, r.stderr).toBe(1);
      expect(same(statsOf(at(`r${lazy}.json`)))).toEqual(full);
    }
  });

  it('give every object the state of the uninterrupted run at the end', () => {
    // The CLI's guest: the kernel named by its path (the multiboot command line holds it).
    const config = { ...configOf(GUEST, 'off'), kernel: { name: KERNEL, data: new Uint8Array(readFileSync(KERNEL)) } };
    const serial: number[] = [];
    const source = new Machine(config, { serialOut: (b) => serial.push(b), log: () => {} });
    const straight = observe(GUEST, source, serial, source.run({ maxInsns: 300_000_000 }));
    const chain = readSnapshotChain(at('d3.gw'), { read: readSnapshotFile, write: () => {}, open: openSnapshotFile }, DEFAULT_LIMITS, (p) => p === `${RAM_PATH}.${RAM_FIELD}`);
    expect(chain.chain.map((l) => l.name)).toEqual([at('d3.gw'), at('d2.gw'), at('d1.gw'), at('s0.gw')]);
    const ram = chain.snapshot.objects.get(RAM_PATH)!.fields[RAM_FIELD] as Uint8Array;
    offerRam(ram, chain.deferred.get(ram) ?? null);
    const out: number[] = [];
    const m = new Machine({ ...configOf(GUEST, 'off'), kernel: null, initrds: [], append: '' }, { serialOut: (b) => out.push(b), log: () => {} });
    restoreSnapshot(m, chain.snapshot);
    const result = m.run({ maxInsns: 300_000_000 });
    const restored = observe(GUEST, m, out, result);
    chain.close();
    expect({ ...restored, serial: '' }).toEqual({ ...straight, serial: '' });
  });

  it('merge into the file a full save at the same instruction writes', () => {
    const r = godwit(['snapshot', 'merge', at('d3.gw'), '-o', at('m3.gw')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/merged '.*d3.gw' -> '.*d2.gw' -> '.*d1.gw' -> '.*s0.gw' \(4 files\)/);
    expect(Buffer.compare(readFileSync(at('m3.gw')), readFileSync(at('f3.gw')))).toBe(0);
    // Never over a file of the chain: the diffs on top of it need it.
    expect(failure(['snapshot', 'merge', at('d3.gw'), '-o', at('d1.gw')])).toMatch(/^godwit snapshot merge: cannot write '.*d1\.gw': it is a file of the chain being merged$/);
    const d = godwit(['snapshot', 'diff', at('m3.gw'), at('f3.gw')]);
    expect(d.status).toBe(0);
    expect(d.stdout).toContain('snapshots are identical');
  });

  it('refuse a wrong, missing or cyclic base and a truncated diff in one line, before running', () => {
    const sub = (name: string, files: Record<string, string>) => {
      const d = join(dir, name);
      mkdirSync(d);
      for (const [to, from] of Object.entries(files)) copyFileSync(at(from), join(d, to));
      return d;
    };
    const run = (file: string) => ['-incoming', `file:${file}`, ...MACHINE];
    // d3's base d2.gw is d1 there: another snapshot.
    const wrong = sub('wrong', { 'd3.gw': 'd3.gw', 'd2.gw': 'd1.gw' });
    expect(failure(run(join(wrong, 'd3.gw')))).toMatch(/^godwit: -incoming '.*wrong\/d3\.gw': base of '.*wrong\/d3\.gw': '.*wrong\/d2\.gw' is not the snapshot '.*d3\.gw' is a diff against \(its id is [0-9a-f]{16}, '.*d3\.gw' records [0-9a-f]{16}\)$/);
    const missing = sub('missing', { 'd3.gw': 'd3.gw', 'd2.gw': 'd2.gw' });
    expect(failure(run(join(missing, 'd3.gw')))).toMatch(/^godwit: -incoming '.*missing\/d3\.gw': base of '.*missing\/d2\.gw': cannot open 'd1\.gw': .*no such file/i);
    // d1 under its base's name: it is its own base.
    const cycle = sub('cycle', { 's0.gw': 'd1.gw' });
    expect(failure(run(join(cycle, 's0.gw')))).toMatch(/the chain is a cycle: '.*cycle\/s0\.gw' -> '.*cycle\/s0\.gw'$/);
    const cut = sub('cut', { 'd3.gw': 'd3.gw', 'd2.gw': 'd2.gw', 'd1.gw': 'd1.gw', 's0.gw': 's0.gw' });
    truncateSync(join(cut, 'd2.gw'), statSync(join(cut, 'd2.gw')).size - 4096);
    expect(failure(run(join(cut, 'd3.gw')))).toMatch(/base '.*cut\/d2\.gw' of '.*cut\/d3\.gw': .*(truncated|ends)/);
    truncateSync(join(cut, 'd3.gw'), 8192);
    expect(failure(run(join(cut, 'd3.gw')))).toMatch(/^godwit: -incoming '.*cut\/d3\.gw': .*the header declares/);
    expect(failure([...run(at('d2.gw')), '--stop-at', '2900000', '--save', at('d2.gw'), '--base', at('./d2.gw')])).toMatch(/^godwit: --save '.*d2\.gw' is its own --base/);
    // --base must be the snapshot the run was restored from.
    expect(failure([...run(at('d2.gw')), '--stop-at', '2900000', '--save', at('x.gw'), '--base', at('d1.gw')])).toMatch(
      /^godwit: --base '.*d1\.gw' is not the snapshot this run was restored from/,
    );
  });
});
