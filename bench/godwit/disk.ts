/**
 * godwit running the disk benchmark guest (test/guests/bin/diskbench.elf) in-process on a raw image
 * file opened as `-drive file=IMAGE,format=raw,if=none,id=d0[,snapshot=on]` opens it
 * (machine/host/drives.ts), with the virtio-blk device in either shape (modern interface, MSI-X):
 *
 *   combined: -device virtio-blk-pci,drive=d0,id=disk0,disable-legacy=on
 *   split:    -device virtio-pci,id=disk0,disable-legacy=on -device virtio-blk,drive=d0,bus=disk0
 *
 * Each phase's host time is taken between its begin and end lines by the machine's serial output
 * callback (bench/godwit/disk-phases.ts).
 */
import { closeSync, ftruncateSync, openSync, readFileSync, rmSync } from 'node:fs';
import { Machine } from '../../machine/machine.ts';
import { defaultMachineConfig, type MachineConfig } from '../../machine/machine-config.ts';
import { defaultDeviceSpecs, type DeviceSpec } from '../../machine/device-spec.ts';
import type { Drive, DriveSpec } from '../../machine/drive.ts';
import { openDriveFile } from '../../machine/host/drives.ts';
import type { RunResult } from '../../machine/machine-api.ts';
import { LineClock, phasesOf, type DiskPhase } from './disk-phases.ts';

export const DISKBENCH = 'test/guests/bin/diskbench.elf';
export type DiskShape = 'combined' | 'split';
export const SHAPES: readonly DiskShape[] = ['combined', 'split'];
/** Instructions per run() call while waiting for a line: short enough to stop near it. */
const SLICE_INSNS = 2_000_000;

/** A sparse raw image of `mib` MiB (all zero). */
export function sparseImage(path: string, mib: number): string {
  rmSync(path, { force: true });
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, mib * 2 ** 20);
  } finally {
    closeSync(fd);
  }
  return path;
}

export function diskDevices(shape: DiskShape): DeviceSpec[] {
  const modern: [string, string] = ['disable-legacy', 'on'];
  if (shape === 'combined') return [{ driver: 'virtio-blk-pci', id: 'disk0', props: new Map([['drive', 'd0'], modern]) }];
  return [
    { driver: 'virtio-pci', id: 'disk0', props: new Map([modern]) },
    { driver: 'virtio-blk', id: null, props: new Map([['drive', 'd0'], ['bus', 'disk0']]) },
  ];
}

/** The drive d0 on `image`, opened as the CLI opens it. */
export function openDrive(image: string, snapshot: boolean): Drive {
  const spec: DriveSpec = { id: 'd0', file: image, readOnly: false, snapshot, checkIdentity: true };
  return { ...spec, backend: openDriveFile(spec) };
}

export function diskMachineConfig(image: string, shape: DiskShape, append: string, ramMiB: number, snapshot = false): MachineConfig {
  return defaultMachineConfig({
    kernel: { name: 'diskbench.elf', data: new Uint8Array(readFileSync(DISKBENCH)) },
    append,
    ramBytes: ramMiB * 2 ** 20,
    devices: [...defaultDeviceSpecs(), ...diskDevices(shape)],
    drives: [openDrive(image, snapshot)],
  });
}

export interface DiskRun {
  machine: Machine;
  phases: DiskPhase[];
  serial: string;
}

/** Closes the file behind the machine's drive (FileBackend, directly or under an overlay). */
export function closeDrives(config: MachineConfig): void {
  for (const d of config.drives) {
    const b = d.backend as { close?: () => void; base?: { close?: () => void } };
    b.close?.();
    b.base?.close?.();
  }
}

function failed(what: string, r: RunResult, serial: string): Error {
  const tail = serial.trimEnd().split('\n').slice(-3).join(' | ');
  return new Error(`diskbench ${what}: ${r.reason} (${r.message}); last output: ${tail}`);
}

/**
 * Runs the guest to its end (isa-debug-exit 0); or, with `stopAtDone`, until its `diskbench done`
 * line (the guest must have `idle=1` then), leaving the machine to be saved.
 */
export function runDiskbench(config: MachineConfig, stopAtDone = false): DiskRun {
  const clock = new LineClock();
  const m = new Machine(config, { serialOut: (b) => clock.byte(b), log() {} });
  const done = (): boolean => clock.lines.some((l) => l.text.startsWith('diskbench done:'));
  if (stopAtDone) {
    while (!done()) {
      const r = m.run({ maxInsns: m.retired + SLICE_INSNS });
      if (r.reason !== 'max-insns') throw failed('stopped early', r, clock.text());
    }
  } else {
    const r = m.run();
    if (r.reason !== 'debug-exit' || r.exitStatus !== 1) throw failed('failed', r, clock.text());
  }
  const serial = clock.text();
  if (!serial.includes('diskbench done: 0 failure(s)')) throw new Error(`diskbench reported failures: ${serial.trimEnd().split('\n').slice(-3).join(' | ')}`);
  return { machine: m, phases: phasesOf(clock.lines), serial };
}
