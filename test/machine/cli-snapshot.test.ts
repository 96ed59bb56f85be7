/**
 * The CLI's snapshot features in-process (runCli with real files and the real Machine): --stop-at /
 * --save, -incoming, `godwit snapshot inspect|diff|verify|convert`, and `godwit demo`.
 */
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliDeps } from '../../machine/cli-run.ts';
import { runCli } from '../../machine/cli-run.ts';
import type { ByteOutput } from '../../machine/host/byte-output.ts';
import { openFileOutput } from '../../machine/host/node-io.ts';
import { Machine } from '../../machine/machine.ts';
import { readSnapshotFile, writeFileAtomic } from '../../machine/snapshot-file.ts';
import { decodeSnapshot } from '../../migration/decode.ts';
import { encodeSnapshot } from '../../migration/encode.ts';
import type { Snapshot } from '../../migration/snapshot.ts';
import { hash64 } from '../../src/util/hash.ts';

const GUEST = 'test/guests/bin/interrupts.elf';

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

interface Run {
  status: number;
  stdout: string;
  stderr: string[];
  machines: number;
}

function godwit(...argv: string[]): Run {
  const stdout = new MemoryOutput();
  const stderr: string[] = [];
  let machines = 0;
  const deps: CliDeps = {
    io: {
      readFile: (path) => new Uint8Array(readFileSync(path)),
      openOutput: openFileOutput,
      stdout,
      stdoutIsTty: false,
      stderr: (text) => void stderr.push(text),
      env: {},
    },
    createMachine: (config, host) => {
      machines++;
      return new Machine(config, host);
    },
    demoGuest: { kernel: { path: GUEST, name: GUEST }, initrd: null, append: '' },
    version: 'test',
    snapshotFiles: { read: readSnapshotFile, write: (path, chunks) => writeFileAtomic(path, chunks) },
    now: () => 0,
  };
  const status = runCli(argv, deps);
  return { status, stdout: stdout.text(), stderr, machines };
}

let dir: string;
const at = (name: string) => join(dir, name);
let full: Run;
let fullStats: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'godwit-cli-snap-'));
  full = godwit('-kernel', GUEST, '-m', '16', '--stats', at('full.json'));
  fullStats = readFileSync(at('full.json'), 'utf8');
  expect(full.status).toBe(1);
  const save = godwit('-kernel', GUEST, '-m', '16', '--stop-at', '400000', '--save', at('s.gw'));
  expect(save.status).toBe(0);
  const other = godwit('-kernel', GUEST, '-m', '16', '--stop-at', '600000', '--save', at('t.gw'));
  expect(other.status).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--stop-at N --save PATH, then -incoming file:PATH', () => {
  it('saves with a one-line report and exit 0; the restored run gives the same serial output and --stats', () => {
    const save = godwit('-kernel', GUEST, '-m', '16', '--stop-at', '400000', '--save', at('s2.gw'));
    expect(save.status).toBe(0);
    expect(save.stderr).toEqual([`godwit: saved ${at('s2.gw')} (${readFileSync(at('s2.gw')).length} bytes) at instruction 400000\n`]);
    const rest = godwit('-incoming', `file:${at('s2.gw')}`, '-m', '16', '--stats', at('rest.json'));
    expect(rest.status).toBe(full.status);
    expect(rest.stderr).toEqual([]);
    expect(save.stdout + rest.stdout).toBe(full.stdout);
    expect(readFileSync(at('rest.json'), 'utf8')).toBe(fullStats);
  });

  it('restores under another kernel-irqchip (filters), ignores -kernel, -initrd and -append, and --stats still match', () => {
    const rest = godwit('-incoming', `file:${at('s.gw')}`, '-m', '16', '-machine', 'kernel-irqchip=off', '-kernel', 'no-such-file.elf', '-initrd', 'no-such-initrd', '-append', 'x', '--stats', at('off.json'));
    expect(rest.status).toBe(full.status);
    expect(rest.stderr).toHaveLength(1);
    expect(rest.stderr[0]).toMatch(/^godwit: -incoming '.*s\.gw': converted with \S+ at \/machine\//);
    expect(readFileSync(at('off.json'), 'utf8')).toBe(fullStats);
  });

  it('--max-insns and --stop-at count from power-on across a restore', () => {
    const a = godwit('-incoming', `file:${at('s.gw')}`, '-m', '16', '--max-insns', '500000', '--stats', at('m.json'));
    expect(a.status).toBe(0);
    expect(JSON.parse(readFileSync(at('m.json'), 'utf8')).retiredInstructions).toBe(500000);
    const b = godwit('-incoming', `file:${at('s.gw')}`, '-m', '16', '--stop-at', '600000', '--save', at('chain.gw'));
    expect(b.status).toBe(0);
    const c = godwit('snapshot', 'diff', at('chain.gw'), at('t.gw'));
    expect(c.stdout).toBe('snapshots are identical\n');
    expect(c.status).toBe(0);
    const early = godwit('-incoming', `file:${at('s.gw')}`, '-m', '16', '--stop-at', '100', '--save', at('x.gw'));
    expect(early.status).toBe(2);
    expect(early.stderr).toEqual(['godwit: --stop-at 100: the snapshot was taken later, at instruction 400000\n']);
  });

  it('a run that ends before --stop-at writes nothing and exits 1', () => {
    const r = godwit('-kernel', GUEST, '-m', '16', '--stop-at', '999999999', '--save', at('never.gw'), '-serial', 'none');
    expect(r.status).toBe(1);
    expect(r.stderr.at(-1)).toMatch(/^godwit: the run ended after \d+ instructions, before --stop-at 999999999: no snapshot written\n$/);
    expect(readdirSync(dir)).not.toContain('never.gw');
  });

  it('--save and convert -o write only regular files: a FIFO is refused (exit 1) and stays a FIFO', () => {
    const fifo = at('save.fifo');
    execFileSync('mkfifo', [fifo]);
    const save = godwit('-kernel', GUEST, '-m', '16', '--stop-at', '1000', '--save', fifo, '-serial', 'none');
    expect(save.status).toBe(1);
    expect(save.stderr).toEqual([`godwit: cannot write snapshot '${fifo}': not a regular file (a FIFO)\n`]);
    const convert = godwit('snapshot', 'convert', at('s.gw'), '--to', '-machine kernel-irqchip=off', '-o', fifo);
    expect(convert.status).toBe(1);
    expect(convert.stderr).toEqual([`godwit snapshot convert: cannot write '${fifo}': not a regular file (a FIFO)\n`]);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('a failed save is one line and exit 1', () => {
    const r = godwit('-kernel', GUEST, '-m', '16', '--stop-at', '1000', '--save', at('no/dir/s.gw'), '-serial', 'none');
    expect(r.status).toBe(1);
    expect(r.stderr).toEqual([`godwit: cannot write snapshot '${at('no/dir/s.gw')}': ENOENT\n`]);
  });
});

describe('-incoming with a bad snapshot', () => {
  const mangled = (name: string, f: (b: Buffer) => Buffer): string => {
    writeFileSync(at(name), f(readFileSync(at('s.gw'))));
    return at(name);
  };

  it.each([
    ['truncated', (b: Buffer) => b.subarray(0, b.length - 4096), /^godwit: -incoming '.*': byte \d+: the file ends at byte \d+, its header declares \d+ bytes\n$/],
    ['flipped byte in the document', (b: Buffer) => Buffer.from(b).fill(0x55, 200, 201), /^godwit: -incoming '.*': byte 72 \(header\.jsonChecksum\): document checksum mismatch\n$/],
    // The last blob is RAM's (blob 0 is the kernel fw_cfg holds).
    ['flipped byte in RAM', (b: Buffer) => Buffer.from(b).fill(0x55, b.length - 10, b.length - 9), /^godwit: -incoming '.*': blob 1 at byte \d+: chunk \d+ \(bytes 0x[0-9a-f]+-0x[0-9a-f]+\) checksum mismatch\n$/],
    ['not a snapshot', () => Buffer.from('#!/bin/sh\necho hello\n'.repeat(10)), /^godwit: -incoming '.*': .*magic/],
  ])('%s: one line, exit 1, no machine built', (name, f, line) => {
    const r = godwit('-incoming', `file:${mangled(`${name.replace(/ /g, '-')}.gw`, f)}`, '-m', '16');
    expect(r.status).toBe(1);
    expect(r.stderr).toHaveLength(1);
    expect(r.stderr[0]).toMatch(line);
    expect(r.machines).toBe(0);
    expect(r.stdout).toBe('');
  });

  it('a type no filter knows and a version newer than this build: listed, exit 1', () => {
    const snap = decodeSnapshot(readSnapshotFile(at('s.gw')));
    const pit = snap.objects.get('/machine/pit')!;
    const rtc = snap.objects.get('/machine/rtc')!;
    snap.objects.set('/machine/pit', { ...pit, version: 99 });
    snap.schemas.set(`${pit.type}@99`, snap.schemas.get(`${pit.type}@${pit.version}`)!);
    snap.objects.set('/machine/rtc', { ...rtc, type: 'acme-rtc' });
    snap.schemas.set(`acme-rtc@${rtc.version}`, snap.schemas.get(`${rtc.type}@${rtc.version}`)!);
    writeFileAtomic(at('hostile.gw'), encodeSnapshot(snap).chunks);
    const r = godwit('-incoming', `file:${at('hostile.gw')}`, '-m', '16');
    expect(r.status).toBe(1);
    const text = r.stderr.join('');
    expect(text).toMatch(/^godwit: cannot restore '.*hostile\.gw': this machine does not match the snapshot:\n/);
    expect(text).toContain(`\n  /machine/pit: ${pit.type} v99 is newer than any version of ${pit.type} this build knows`);
    expect(text).toContain('\n  /machine/rtc: unknown type "acme-rtc" in the snapshot');
    expect(r.stdout).toBe('');
  });

  it('a missing file is a snapshot that cannot be read: exit 1, as the README says', () => {
    const r = godwit('-incoming', `file:${at('missing.gw')}`);
    expect(r.status).toBe(1);
    expect(r.stderr).toEqual([`godwit: cannot read snapshot '${at('missing.gw')}': ENOENT\n`]);
  });

  it('a RAM-size (and CPU count) mismatch lists what does not match; the guest never runs', () => {
    const r = godwit('-incoming', `file:${at('s.gw')}`, '-m', '32', '-smp', '2');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const text = r.stderr.join('');
    expect(text.split('\n')[0]).toBe(`godwit: cannot restore '${at('s.gw')}': this machine does not match the snapshot:`);
    expect(text).toContain('\n  -m: the RAM size is 16 MiB in the snapshot, 32 MiB on this machine\n');
    expect(text).toContain('\n  -smp: the number of CPUs is 1 in the snapshot, 2 on this machine\n');
    expect(text).toContain('\n  /machine/ram.data: 16 MiB (16777216 bytes) in the snapshot, 32 MiB (33554432 bytes) on the destination machine\n');
  });
});

describe('godwit snapshot', () => {
  it('inspect: objects with types and versions, blobs, config, clock', () => {
    const r = godwit('snapshot', 'inspect', at('s.gw'));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^.*s\.gw: \d+ bytes, format version 5, flags 0x0\nsections: document \d+ bytes at \d+, values \d+ bytes at \d+, 2 blob\(s\)/);
    expect(r.stdout).toContain('virtual time ');
    expect(r.stdout).toContain(', 400000 instructions retired\n');
    expect(r.stdout).toMatch(/\n\/machine\/pit +i8254@\d+ +\d+\n/);
    expect(r.stdout).toMatch(/\n\/machine\/ram +ram@1 +\d+\n  \/machine\/ram\.data: 16777216 bytes, \d+ non-zero pages\n/);
    expect(r.stdout).toMatch(/\n {2}blob 1: chunked, 16777216 bytes, \d+ stored at \d+\n/);
    expect(r.stdout).toMatch(/\n\/machine\/fw_cfg +fw_cfg_io@2 +\d+\n  \/machine\/fw_cfg\.kernel: \d+ bytes/);
    expect(r.stdout).toContain('"kernel-irqchip":"split"');
  });

  it('inspect --json: the pure-JSON export', () => {
    const r = godwit('snapshot', 'inspect', '--json', at('s.gw'));
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.format).toBe('godwit-snapshot-json');
    expect(doc.clock.retiredInstructions).toBe('400000');
    expect(doc.objects['/machine/ram'].fields.data).toMatchObject({ bytes: 16777216 });
    expect(Object.keys(doc.schemas).length).toBeGreaterThan(5);
  });

  it('verify: exit 0 with a summary, exit 1 with one line for a bad file', () => {
    const ok = godwit('snapshot', 'verify', at('s.gw'));
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(
      /^.*s\.gw: ok \(\d+ objects, \d+ schemas, 2 blob\(s\); header, blob table, document, value section and blob checksums match; every object fits its schema; the configuration, objects, run state and boot images fit the machine the snapshot describes\)\n$/,
    );
    writeFileSync(at('bad.gw'), Buffer.from(readFileSync(at('s.gw'))).fill(1, 0, 1));
    const bad = godwit('snapshot', 'verify', at('bad.gw'));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toHaveLength(1);
    expect(bad.stderr[0]).toMatch(/^godwit snapshot verify: .*bad\.gw: byte 0 .*magic/);
  });

  it.each([
    ['a scheduler CPU beyond the CPU count', (s: Snapshot) => (s.clock.run['schedulerCpu'] = 5), 'run.scheduler_cpu: 5 is not a CPU of this machine (it has 1)'],
    ['a virtual time at the u64 maximum', (s: Snapshot) => (s.clock.virtualTimeNs = (1n << 64n) - 1n), 'run.virtual_time_ns: out of range: 18446744073709551615'],
    [
      'kernel-irqchip "bogus"',
      (s: Snapshot) => ((s.config['machine'] as Record<string, unknown>)['kernel-irqchip'] = 'bogus'),
      'config.machine.kernel-irqchip: string "bogus" is not on, split or off',
    ],
    ['9 CPUs', (s: Snapshot) => (s.config['smp'] = 9), 'config.smp: 9 is not an integer from 1 to 8'],
    [
      'a kernel that cannot boot again',
      (s: Snapshot) => {
        const fw = s.objects.get('/machine/fw_cfg')!;
        s.objects.set('/machine/fw_cfg', { ...fw, fields: { ...fw.fields, kernel: new TextEncoder().encode('garbage') } });
      },
      '/machine/fw_cfg.kernel: cannot boot: kernel format not recognised',
    ],
  ])('verify refuses what a restore refuses: %s (and -incoming does too), one line, exit 1', (name, mangle, message) => {
    const snap = decodeSnapshot(readSnapshotFile(at('s.gw')));
    mangle(snap);
    const file = at(`${name.replace(/\W+/g, '-')}.gw`);
    writeFileAtomic(file, encodeSnapshot(snap).chunks);
    const v = godwit('snapshot', 'verify', file);
    expect(v.stderr).toHaveLength(1);
    expect(v.stderr[0]).toContain(message);
    expect(v.status).toBe(1);
    const r = godwit('-incoming', `file:${file}`, '-m', '16');
    expect(r.status).toBe(1);
    expect(r.stderr.join('')).toContain(message);
  });

  it('diff: identical is exit 0; what differs between two points, with values, is exit 1', () => {
    const same = godwit('snapshot', 'diff', at('s.gw'), at('s.gw'));
    expect(same).toMatchObject({ status: 0, stdout: 'snapshots are identical\n', stderr: [] });
    expect(godwit('-kernel', GUEST, '-m', '16', '--stop-at', '1000', '--save', at('early.gw'), '-serial', 'none').status).toBe(0);
    const r = godwit('snapshot', 'diff', at('early.gw'), at('s.gw'));
    expect(r.status).toBe(1);
    expect(r.stderr).toEqual([]);
    const a = decodeSnapshot(readSnapshotFile(at('early.gw')));
    const b = decodeSnapshot(readSnapshotFile(at('s.gw')));
    const eip = (s: Snapshot) => `0x${(s.objects.get('/machine/cpu[0]')!.fields['eip'] as number).toString(16)}`;
    const ram = (s: Snapshot) => hash64(s.objects.get('/machine/ram')!.fields['data'] as Uint8Array);
    const lines = r.stdout.split('\n');
    expect(lines).toContain('clock.retiredInstructions: 1000 -> 400000');
    expect(lines).toContain(`clock.virtualTimeNs: ${a.clock.virtualTimeNs} -> ${b.clock.virtualTimeNs}`);
    expect(lines).toContain(`/machine/cpu[0].eip: ${eip(a)} -> ${eip(b)}`);
    expect(r.stdout).toMatch(
      new RegExp(`\n/machine/ram\\.data: 16777216 bytes, hash64 ${ram(a)} -> hash64 ${ram(b)}; \\d+ of 4096 pages differ \\(0x[0-9a-f]+(, 0x[0-9a-f]+)*(, \\.\\.\\.)?\\), first at byte 0x[0-9a-f]+\n`),
    );
    expect(lines.at(-2)).toMatch(/^snapshots differ: 0 configuration values, \d+ clock values, 0 schemas, \d+ objects \(\d+ fields\)$/);
    expect(lines.at(-1)).toBe('');
  });

  it('diff: an unreadable or corrupt file is one line and exit 1, as for the other commands', () => {
    writeFileSync(at('corrupt.gw'), Buffer.from(readFileSync(at('s.gw'))).fill(0x55, 200, 201));
    const bad = godwit('snapshot', 'diff', at('s.gw'), at('corrupt.gw'));
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toEqual([`godwit snapshot diff: ${at('corrupt.gw')}: byte 72 (header.jsonChecksum): document checksum mismatch\n`]);
    const missing = godwit('snapshot', 'diff', at('missing.gw'), at('s.gw'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toEqual([`godwit snapshot diff: cannot read '${at('missing.gw')}': ENOENT\n`]);
  });

  it('convert: prints the chain, writes a snapshot that restores under the new options', () => {
    const r = godwit('snapshot', 'convert', at('s.gw'), '--to', '-machine kernel-irqchip=off', '-o', at('off.gw'));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^converted .*s\.gw \(kernel-irqchip=split\) -> .*off\.gw \(kernel-irqchip=off\), \d+ bytes\nfilter chain \(\d+ steps?\):\n/);
    expect(r.stdout).toMatch(/\n {2}\/machine\/\S+ +\S+->\S+/);
    const inspect = godwit('snapshot', 'inspect', at('off.gw'));
    expect(inspect.stdout).toContain('"kernel-irqchip":"off"');
    const rest = godwit('-incoming', `file:${at('off.gw')}`, '-m', '16', '-machine', 'kernel-irqchip=off', '--stats', at('conv.json'));
    expect(rest.stderr).toEqual([]);
    expect(readFileSync(at('conv.json'), 'utf8')).toBe(fullStats);
    const same = godwit('snapshot', 'convert', at('s.gw'), '--to', '', '-o', at('same.gw'));
    expect(same.stdout).toContain('filter chain: none (the snapshot fits the destination as it is)\n');
  });

  it.each([
    [['convert', 's.gw', '--to', '-m 32', '-o', 'x.gw'], 1, /^godwit snapshot convert: .*s\.gw: does not fit the destination: -m: the RAM size is 16 MiB in the snapshot, 32 MiB on this machine; /],
    [['convert', 's.gw', '--to', '-machine kernel-irqchip=maybe', '-o', 'x.gw'], 2, /^godwit snapshot convert: --to: -machine: kernel-irqchip must be on, split or off \(got 'maybe'\)\n$/],
    [['convert', 's.gw', '-o', 'x.gw'], 2, /^godwit snapshot convert: --to "MACHINE OPTIONS" is required/],
    [['convert', 's.gw', '--to', '-kernel k', '-o', 'x.gw'], 2, /--to takes machine options only/],
    [['inspect'], 2, /^godwit snapshot inspect: expected FILE, got 0 argument\(s\)/],
    [['inspect', 's.gw', '--bogus'], 2, /^godwit snapshot inspect: unknown option '--bogus'\n$/],
    [['diff', 's.gw'], 2, /^godwit snapshot diff: expected A and B/],
    [['verify', 'missing.gw'], 1, /^godwit snapshot verify: cannot read '.*missing\.gw': ENOENT\n$/],
    [['inspect', 'missing.gw'], 1, /^godwit snapshot inspect: cannot read '.*missing\.gw': ENOENT\n$/],
    [['frob'], 2, /^godwit snapshot: unknown command 'frob'/],
    [[], 2, /^godwit snapshot: expected a command/],
  ])('%j: one line, exit %i', (args, status, line) => {
    const argv = args.map((a) => (a.endsWith('.gw') ? at(a) : a));
    const r = godwit('snapshot', ...argv);
    expect(r.status).toBe(status);
    expect(r.stderr).toHaveLength(1);
    expect(r.stderr[0]).toMatch(line);
    expect(r.stderr[0]!.split('\n')).toHaveLength(2);
  });

  it('--help prints the usage', () => {
    const r = godwit('snapshot', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: godwit snapshot inspect FILE/);
  });
});

describe('godwit demo', () => {
  it('restores across kernel-irqchip and disk shape and reports a match (test/machine/demo.test.ts: with Linux)', () => {
    const r = godwit('demo', '-m', '16', '-serial', 'none', '--save', at('demo.gw'));
    expect(r.stderr).toEqual([]);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`godwit demo: ${GUEST}, a 1 MiB virtio-blk disk under a snapshot=on overlay, 16 MiB, 2 CPU(s), source kernel-irqchip=on, combined virtio-blk-pci`);
    expect(r.stdout).not.toContain('--- guest console');
    expect(r.stdout).toMatch(/\nkernel-irqchip=on, combined virtio-blk-pci \(same\) +none +[\d.]+ +match\n/);
    expect(r.stdout).toMatch(/\nkernel-irqchip=split, combined virtio-blk-pci +\S.*match\n/);
    expect(r.stdout).toMatch(/\nkernel-irqchip=off, combined virtio-blk-pci +kvm-apic->apic.*match\n/);
    expect(r.stdout).toMatch(/\nkernel-irqchip=on, virtio-pci \+ virtio-blk +virtio-blk-pci->virtio-pci\+virtio-blk +[\d.]+ +match\n/);
    expect(r.stdout).toContain('all 5 restored runs match the uninterrupted one');
    expect(godwit('snapshot', 'verify', at('demo.gw')).status).toBe(0);
  });
});
