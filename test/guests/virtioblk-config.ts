/**
 * The virtioblk guest's configurations (test/guests/README-virtio.md): its command line, the disk it
 * runs on (the image make-disk.mjs writes, in memory) and the virtio-blk device in either shape, as
 * godwit's -drive/-device would build them.
 */
import type { MachineConfig } from '../../machine/machine-config.ts';
import { defaultDeviceSpecs, type DeviceSpec } from '../../machine/device-spec.ts';
import { MemoryBackend } from '../../src/block/memory-backend.ts';

export const VIRTIOBLK_CONFIGS = {
  'modern-msix': { append: 'mode=modern irq=msix indirect=1 event_idx=1', legacy: false, readOnly: false },
  'modern-intx': { append: 'mode=modern irq=intx indirect=0 event_idx=0', legacy: true, readOnly: false },
  'legacy-msix': { append: 'mode=legacy irq=msix indirect=0 event_idx=1', legacy: true, readOnly: false },
  'legacy-intx': { append: 'mode=legacy irq=intx indirect=1 event_idx=0', legacy: true, readOnly: false },
  'modern-msix-ro': { append: 'mode=modern irq=msix indirect=1 event_idx=1', legacy: false, readOnly: true },
} as const;
export type VirtioblkConfig = keyof typeof VIRTIOBLK_CONFIGS;
export type DiskShape = 'combined' | 'split';

export const DISK_SECTORS = 2048;
export const DISK_SERIAL = 'GODWITDISK0123456789';

/** The test disk: bytes 0-3 of each sector its number, byte i >= 4 a function of both (make-disk.mjs). */
export function virtioblkDisk(): Uint8Array {
  const disk = new Uint8Array(DISK_SECTORS * 512);
  for (let s = 0; s < DISK_SECTORS; s++) {
    for (let i = 0; i < 512; i++) disk[s * 512 + i] = i < 4 ? (s >>> (8 * i)) & 0xff : (s * 7 + (s >>> 8) * 3 + i * 13) & 0xff;
  }
  return disk;
}

/** The -device specs of the disk `d0` in one shape, with the device named `disk0`. */
export function diskDevices(shape: DiskShape, legacy: boolean): DeviceSpec[] {
  const legacyProp: [string, string] = ['disable-legacy', legacy ? 'off' : 'on'];
  const blk: [string, string][] = [['drive', 'd0'], ['serial', DISK_SERIAL]];
  if (shape === 'combined') return [{ driver: 'virtio-blk-pci', id: 'disk0', props: new Map([...blk, legacyProp]) }];
  return [
    { driver: 'virtio-pci', id: 'disk0', props: new Map([legacyProp]) },
    { driver: 'virtio-blk', id: null, props: new Map([...blk, ['bus', 'disk0']]) },
  ];
}

/** Machine configuration overrides for the guest in `config` on `disk` (a fresh image by default). */
export function virtioblkMachine(config: VirtioblkConfig, shape: DiskShape, disk = virtioblkDisk()): { overrides: Partial<MachineConfig>; disk: Uint8Array } {
  const c = VIRTIOBLK_CONFIGS[config];
  const backend = new MemoryBackend(disk, { readOnly: c.readOnly });
  return {
    disk,
    overrides: {
      append: c.append,
      devices: [...defaultDeviceSpecs(), ...diskDevices(shape, c.legacy)],
      drives: [{ id: 'd0', file: 'virtioblk-disk.img', readOnly: c.readOnly, snapshot: false, checkIdentity: true, backend }],
    },
  };
}
