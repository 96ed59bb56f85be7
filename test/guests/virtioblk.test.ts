/**
 * The virtioblk guest (test/guests/README-virtio.md) in every configuration QEMU's outputs were taken
 * in, on a virtio-blk device in both shapes (virtio-blk-pci; virtio-pci + virtio-blk), under every
 * kernel-irqchip setting, with one and two CPUs: the output is QEMU's byte for byte, the exit status
 * is the guest's exit(0), the image is unchanged afterwards (the guest undoes its writes), and the
 * instruction count is the same in every shape, flavour and CPU count of a configuration.
 */
import { describe, expect, it } from 'vitest';
import { expectedOutput, runGuest } from './run-guest.ts';
import type { KernelIrqchip } from '../../machine/machine-config.ts';
import { VIRTIOBLK_CONFIGS, virtioblkDisk, virtioblkMachine, type DiskShape, type VirtioblkConfig } from './virtioblk-config.ts';

const MODES: KernelIrqchip[] = ['on', 'split', 'off'];
const SHAPES: DiskShape[] = ['combined', 'split'];
/** A run takes under 2 million instructions; an interrupt storm must not run for minutes. */
const MAX_INSNS = 50_000_000;

describe('virtioblk guest on the virtio-blk device', () => {
  for (const config of Object.keys(VIRTIOBLK_CONFIGS) as VirtioblkConfig[]) {
    it(`${config}: QEMU's output in both shapes, kernel-irqchip on/split/off, -smp 1 and 2`, () => {
      const counts = new Set<number>();
      const fresh = virtioblkDisk();
      for (const shape of SHAPES) {
        for (const kernelIrqchip of MODES) {
          for (const smp of [1, 2]) {
            const what = `${shape} ${kernelIrqchip} -smp ${smp}`;
            const { overrides, disk } = virtioblkMachine(config, shape);
            const run = runGuest('virtioblk', { ...overrides, kernelIrqchip, smp }, MAX_INSNS);
            expect(run.serial, what).toBe(expectedOutput(`virtioblk-${config}`));
            expect(run.result.exitStatus, what).toBe(1);
            expect(Buffer.compare(disk, fresh), `${what}: image unchanged`).toBe(0);
            counts.add(run.retired);
          }
        }
      }
      expect([...counts]).toHaveLength(1);
    });
  }
});
