/**
 * Disks through the CLI (runCli with real files and the real Machine): -drive with either shape,
 * --save in one shape and -incoming in the other, snapshot=on never writing the image,
 * `snapshot inspect` naming the drive and its overlay, and `snapshot commit` writing image + overlay.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliDeps } from '../../machine/cli-run.ts';
import { spawnSync } from 'node:child_process';
import { runCli } from '../../machine/cli-run.ts';
import type { ByteOutput } from '../../machine/host/byte-output.ts';
import { openFileOutput } from '../../machine/host/node-io.ts';
import { openDriveFile } from '../../machine/host/drives.ts';
import { Machine } from '../../machine/machine.ts';
import { readSnapshotFile, writeFileAtomic } from '../../machine/snapshot-file.ts';
import { expectedOutput } from '../guests/run-guest.ts';
import { DISK_SERIAL, virtioblkDisk } from '../guests/virtioblk-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'godwit-disk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function godwit(...argv: string[]): { status: number; stdout: string; stderr: string } {
  const out: Uint8Array[] = [];
  const stdout: ByteOutput = { write: (b) => void out.push(b.slice()), close() {} };
  const stderr: string[] = [];
  const deps: CliDeps = {
    io: {
      readFile: (path) => new Uint8Array(readFileSync(path)),
      openOutput: openFileOutput,
      stdout,
      stdoutIsTty: false,
      stderr: (text) => void stderr.push(text),
      env: {},
      openDrive: openDriveFile,
    },
    createMachine: (config, host) => new Machine(config, host),
    demoGuest: { kernel: { path: 'x', name: 'x' }, initrd: null, append: '' },
    version: 'test',
    snapshotFiles: { read: readSnapshotFile, write: (path, chunks) => writeFileAtomic(path, chunks) },
  };
  const status = runCli(argv, deps);
  return { status, stdout: Buffer.concat(out).toString('latin1'), stderr: stderr.join('') };
}

const KERNEL = ['-kernel', 'test/guests/bin/virtioblk.elf', '-append', 'mode=modern irq=msix indirect=1 event_idx=1', '-serial', 'stdio'];
const combined = (drive: string) => ['-drive', drive, '-device', `virtio-blk-pci,drive=d0,id=disk0,disable-legacy=on,serial=${DISK_SERIAL}`];
const split = (drive: string) => ['-drive', drive, '-device', 'virtio-pci,id=disk0,disable-legacy=on', '-device', `virtio-blk,drive=d0,bus=disk0,serial=${DISK_SERIAL}`];

describe('disks on the command line', () => {
  const fresh = virtioblkDisk();
  const image = join(dir, 'disk.img');

  it('godwit itself (bin/godwit.js, through the run session) opens -drive images in either shape', () => {
    writeFileSync(image, fresh);
    for (const shape of [combined, split]) {
      const r = spawnSync(process.execPath, ['bin/godwit.js', ...KERNEL, ...shape(`file=${image},format=raw,if=none,id=d0`)], { encoding: 'latin1' });
      expect(r.stdout, r.stderr).toBe(expectedOutput('virtioblk-modern-msix'));
      expect(r.status).toBe(1);
    }
    expect(Buffer.compare(readFileSync(image), fresh), 'the guest puts back what it wrote').toBe(0);
  });

  it('saves in the combined shape and continues in the split shape on the same image', () => {
    writeFileSync(image, fresh);
    const snap = join(dir, 'a.snap');
    const a = godwit(...KERNEL, ...combined(`file=${image},format=raw,if=none,id=d0`), '--stop-at', '900000', '--save', snap);
    expect(a.status, a.stderr).toBe(0);
    const b = godwit('-incoming', `file:${snap}`, ...split(`file=${image},format=raw,if=none,id=d0`));
    expect(b.stderr).toContain('virtio-blk-pci->virtio-pci+virtio-blk');
    expect(a.stdout + b.stdout).toBe(expectedOutput('virtioblk-modern-msix'));
    expect(b.status).toBe(1);
    const inspect = godwit('snapshot', 'inspect', snap);
    expect(inspect.stdout).toContain(`drive d0: '${image}', 1048576 bytes, fingerprint `);
    expect(inspect.stdout).toContain('written in place (no snapshot=on)');
  });

  it('snapshot=on: the overlay is in the snapshot, the image never written; commit writes image + overlay', () => {
    writeFileSync(image, fresh);
    const snap = join(dir, 'o.snap');
    const a = godwit(...KERNEL, ...combined(`file=${image},format=raw,if=none,id=d0,snapshot=on`), '--stop-at', '1300000', '--save', snap);
    expect(a.status, a.stderr).toBe(0);
    expect(Buffer.compare(readFileSync(image), fresh)).toBe(0);
    expect(godwit('snapshot', 'inspect', snap).stdout).toMatch(/snapshot=on: overlay of [1-9][0-9]* block\(s\), [0-9]+ bytes, in this snapshot/);
    for (let round = 0; round < 2; round++) {
      const b = godwit('-incoming', `file:${snap}`, ...split(`file=${image},format=raw,if=none,id=d0,snapshot=on`));
      expect(a.stdout + b.stdout).toBe(expectedOutput('virtioblk-modern-msix'));
      expect(Buffer.compare(readFileSync(image), fresh)).toBe(0);
    }
    // convert to the split shape: the drive keeps the identity the snapshot recorded, and the result
    // restores in that shape with no filter left to run.
    const converted = join(dir, 'split.snap');
    const to = ['-drive', `file=${image},format=raw,if=none,id=d0,snapshot=on`, '-device', 'virtio-pci,id=disk0,disable-legacy=on', '-device', `virtio-blk,drive=d0,bus=disk0,serial=${DISK_SERIAL}`];
    const conv = godwit('snapshot', 'convert', snap, '--to', to.join(' '), '-o', converted);
    expect(conv.status, conv.stderr).toBe(0);
    expect(conv.stdout).toContain('virtio-blk-pci->virtio-pci+virtio-blk');
    const fingerprint = /fingerprint [0-9a-f]{16}/.exec(godwit('snapshot', 'inspect', snap).stdout)![0];
    expect(godwit('snapshot', 'inspect', converted).stdout).toContain(fingerprint);
    const e = godwit('-incoming', `file:${converted}`, ...to);
    expect(e.stderr).not.toContain('converted with');
    expect(a.stdout + e.stdout).toBe(expectedOutput('virtioblk-modern-msix'));

    const committed = join(dir, 'committed.img');
    const c = godwit('snapshot', 'commit', snap, '--drive', 'd0', '-o', committed);
    expect(c.status, c.stderr).toBe(0);
    const disk = readFileSync(committed);
    expect(disk.length).toBe(fresh.length);
    // The guest had written sectors 200-203 (each sector's first bytes no longer its number).
    expect(Buffer.compare(disk.subarray(0, 200 * 512), fresh.subarray(0, 200 * 512))).toBe(0);
    expect(Buffer.compare(disk.subarray(200 * 512, 204 * 512), fresh.subarray(200 * 512, 204 * 512))).not.toBe(0);
    // The committed image is another disk: restoring onto it is refused unless forced.
    const d = godwit('-incoming', `file:${snap}`, ...combined(`file=${committed},format=raw,if=none,id=d0,snapshot=on`));
    expect(d.status).toBe(1);
    expect(d.stderr).toContain(`-drive d0: the snapshot's disk (1048576 bytes, fingerprint`);
    expect(godwit('snapshot', 'commit', snap, '--drive', 'd0', '-o', image).stderr).toContain('-o must not be the base image');
    expect(godwit('snapshot', 'commit', join(dir, 'a.snap'), '--drive', 'd0', '-o', committed).stderr).toContain('was written in place');
  });
});
