/**
 * The disk benchmark guest (test/guests/src/diskbench.c, run by bench/sections/disk.ts) on the
 * virtioblk test disk (1 MiB, every sector starting with its number) in both shapes: modern with
 * MSI-X on the combined virtio-blk-pci, legacy with INTx on virtio-pci + virtio-blk. Every phase
 * prints its begin and end lines with the requests and bytes asked for, every read finds each
 * sector's number (no blank sector on this disk), the run ends with exit(0), and the writes leave
 * their stamp (sector number, 'GDWT') on the disk.
 */
import { describe, expect, it } from 'vitest';
import { runGuest } from './run-guest.ts';
import { virtioblkMachine, type DiskShape, type VirtioblkConfig } from './virtioblk-config.ts';
import { parsePhaseLines } from '../../bench/godwit/disk-phases.ts';

const MAX_INSNS = 50_000_000;
const CASES: [VirtioblkConfig, DiskShape, string][] = [
  ['modern-msix', 'combined', 'mode=modern irq=msix'],
  ['legacy-intx', 'split', 'mode=legacy irq=intx'],
];
const APPEND = 'ops=40 depth=8 seqmib=2 seed=5 phases=randread,randwrite,seqread,seqwrite,fill fill=1';

describe('diskbench guest', () => {
  for (const [config, shape, mode] of CASES) {
    it(`${mode} on the ${shape} shape: every phase reported, every read verified, exit(0)`, () => {
      const { overrides, disk } = virtioblkMachine(config, shape);
      const run = runGuest('diskbench', { ...overrides, append: `${mode} ${APPEND}` }, MAX_INSNS);
      expect(run.serial).toContain('diskbench done: 0 failure(s)\n');
      expect(run.result.reason).toBe('debug-exit');
      expect(run.result.exitStatus).toBe(1);
      const phases = parsePhaseLines(run.serial);
      expect(phases.map((p) => p.name)).toEqual(['randread', 'randwrite', 'seqread', 'seqwrite', 'fill']);
      for (const p of phases) {
        const seq = p.name !== 'randread' && p.name !== 'randwrite';
        expect(p.size, p.name).toBe(seq ? 1 << 20 : 4096);
        expect(p.ops, p.name).toBe(p.name === 'fill' ? 1 : seq ? 2 : 40);
        expect(p.bytes, p.name).toBe(p.ops * p.size);
        expect(p.blank, p.name).toBe(0);
        expect(p.virtualNs, p.name).toBeGreaterThan(0);
      }
      // The fill phase wrote the whole disk: every sector carries its number and the stamp.
      const view = new DataView(disk.buffer, disk.byteOffset, disk.byteLength);
      for (let s = 0; s < disk.length / 512; s++) {
        expect(view.getUint32(s * 512, true)).toBe(s);
        expect(view.getUint32(s * 512 + 4, true)).toBe(0x54574447);
      }
    });
  }

  it('a sector that does not hold its number is a failure: exit(1), the sector named', () => {
    const { overrides, disk } = virtioblkMachine('modern-msix', 'combined');
    // Sector 1000 claims to be sector 7: the sequential read of the whole disk must see it.
    new DataView(disk.buffer).setUint32(1000 * 512, 7, true);
    const run = runGuest('diskbench', { ...overrides, append: 'phases=seqread seqmib=1' }, MAX_INSNS);
    expect(run.serial).toContain('phase seqread: sector 0: status 0, data FAIL\n');
    expect(run.serial).toContain('diskbench done: 1 failure(s)\n');
    expect(run.result.exitStatus).toBe(3);
  });
});
