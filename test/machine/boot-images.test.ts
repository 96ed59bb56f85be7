/** machine/boot-images.ts: the boot images fw_cfg holds, built from a configuration and checked when hostile. */
import { describe, expect, it } from 'vitest';
import { bootImagesOf, checkBootImages, decodeBootImages } from '../../machine/boot-images.ts';
import { Machine } from '../../machine/machine.ts';
import { defaultMachineConfig } from '../../machine/machine-config.ts';
import { restoreSnapshot, saveSnapshot } from '../../machine/snapshot.ts';
import type { FwCfgBootImages } from '../../devices/fw-cfg/fw-cfg.ts';
import { guestImage } from '../guests/run-guest.ts';
import { cloneTree, treesEqual } from '../../src/visit/state-tree.ts';

const enc = (t: string) => new TextEncoder().encode(t);

function config() {
  return defaultMachineConfig({
    ramBytes: 4 << 20,
    kernel: { name: 'guests/hello.elf', data: guestImage('hello') },
    initrds: [
      { name: 'mod-a.bin arg=1', data: Uint8Array.of(1, 2, 3) },
      { name: 'mod-ü.bin', data: Uint8Array.of(4) },
    ],
    append: 'console=ttyS0 é',
  });
}

function problem(images: FwCfgBootImages): string {
  try {
    decodeBootImages(images);
  } catch (e) {
    return (e as Error).message;
  }
  return 'ok';
}

describe('boot images', () => {
  it('hold the kernel with its name, each initrd with its module string, and the command line', () => {
    const images = bootImagesOf(config());
    expect(Array.from(images.initrd)).toEqual([1, 2, 3, 4]);
    const inputs = decodeBootImages(images)!;
    expect(inputs.kernel.name).toBe('guests/hello.elf');
    expect(inputs.kernel.data).toBe(images.kernel);
    expect(inputs.initrds.map((r) => [r.name, Array.from(r.data)])).toEqual([
      ['mod-a.bin arg=1', [1, 2, 3]],
      ['mod-ü.bin', [4]],
    ]);
    expect(inputs.append).toBe('console=ttyS0 é');
    expect(decodeBootImages(bootImagesOf(defaultMachineConfig()))).toBeNull();
  });

  it('hostile images are one line naming the fw_cfg field', () => {
    const good = bootImagesOf(config());
    const table = (...bytes: number[]) => ({ ...good, initrdFiles: Uint8Array.from(bytes) });
    expect(problem(table(3, 0, 0, 0, 0, 0, 0))).toBe('/machine/fw_cfg.initrd_files: entry 0 at byte 0 is cut short');
    expect(problem(table(3, 0, 0, 0, 9, 0, 0, 0, 0x61))).toBe('/machine/fw_cfg.initrd_files: module string of entry 0 runs past the end');
    expect(problem(table(5, 0, 0, 0, 0, 0, 0, 0))).toBe('/machine/fw_cfg.initrd_files: entry 0 (5 bytes at 0) runs past the 4-byte initrd');
    expect(problem(table(3, 0, 0, 0, 0, 0, 0, 0))).toBe('/machine/fw_cfg.initrd_files: the files account for 3 of the 4 initrd bytes');
    expect(problem(table(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0))).toMatch(/runs past the 4-byte initrd/);
    expect(problem(table(4, 0, 0, 0, 1, 0, 0, 0, 0xff))).toBe('/machine/fw_cfg.initrd_files: not UTF-8');
    expect(problem({ ...good, kernelName: Uint8Array.of(0xc3) })).toBe('/machine/fw_cfg.kernel_name: not UTF-8');
    expect(problem({ ...good, kernel: new Uint8Array(0) })).toBe('/machine/fw_cfg: boot images without a kernel');
  });

  it('a kernel that cannot boot in this RAM is refused before anything is loaded', () => {
    const good = bootImagesOf(config());
    checkBootImages(good, 4 << 20);
    expect(() => checkBootImages({ ...good, kernel: enc('not a kernel at all') }, 4 << 20)).toThrow(
      '/machine/fw_cfg.kernel: cannot boot: kernel format not recognised',
    );
    expect(() => checkBootImages(good, 1 << 20)).toThrow(/^\/machine\/fw_cfg\.kernel: /);
  });

  it('a restore after a good one still checks the images: one changed byte is found', () => {
    const m = new Machine(config(), { serialOut() {}, log() {} });
    m.run({ maxInsns: 10_000 });
    const snap = saveSnapshot(m);
    const dest = new Machine(config(), { serialOut() {}, log() {} });
    restoreSnapshot(dest, snap);
    restoreSnapshot(dest, snap);
    const fw = snap.objects.get('/machine/fw_cfg')!;
    const kernel = (fw.fields['kernel'] as Uint8Array).slice();
    kernel[1] = kernel[1]! ^ 0xff; // the ELF magic, same length
    const bad = { ...snap, objects: new Map(snap.objects) };
    bad.objects.set('/machine/fw_cfg', { ...fw, fields: { ...fw.fields, kernel } });
    expect(() => restoreSnapshot(dest, bad)).toThrow(/^\/machine\/fw_cfg\.kernel: cannot boot: /);
    // e_machine and e_phoff: bytes the comparison reads in other words than the magic's.
    for (const offset of [18, 29]) {
      restoreSnapshot(dest, snap);
      const changed = (fw.fields['kernel'] as Uint8Array).slice();
      changed[offset] = changed[offset]! ^ 0x40;
      const other = { ...snap, objects: new Map(snap.objects) };
      other.objects.set('/machine/fw_cfg', { ...fw, fields: { ...fw.fields, kernel: changed } });
      expect(() => restoreSnapshot(dest, other)).toThrow(/^\/machine\/fw_cfg\.kernel: cannot boot: /);
    }
  });

  it('a restore refuses a snapshot whose kernel could not boot again, and leaves the machine as it was', () => {
    const m = new Machine(config(), { serialOut() {}, log() {} });
    m.run({ maxInsns: 10_000 });
    const snap = saveSnapshot(m);
    const fw = snap.objects.get('/machine/fw_cfg')!;
    const bad = { ...snap, objects: new Map(snap.objects) };
    bad.objects.set('/machine/fw_cfg', { ...fw, fields: { ...fw.fields, kernel: enc('garbage') } });
    const dest = new Machine(config(), { serialOut() {}, log() {} });
    // A copy: RAM's saved bytes are a view of the live memory, which a bad restore might write.
    const before = new Map([...dest.captureState().objects].map(([path, obj]) => [path, cloneTree(obj.fields)]));
    expect(() => restoreSnapshot(dest, bad)).toThrow('/machine/fw_cfg.kernel: cannot boot: kernel format not recognised');
    const after = dest.captureState().objects;
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [path, obj] of after) expect(treesEqual(obj.fields, before.get(path)!), path).toBe(true);
    restoreSnapshot(dest, snap);
    expect(dest.retired).toBe(10_000);
  });
});
