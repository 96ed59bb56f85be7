import { describe, expect, it } from 'vitest';
import { IO_16, IO_8, IoBus } from '../../../src/bus/io-bus.ts';
import { FwCfg, fwCfgU16, fwCfgU64, NO_BOOT_IMAGES } from '../../../devices/fw-cfg/fw-cfg.ts';
import type { FwCfgBootImages } from '../../../devices/fw-cfg/fw-cfg.ts';
import { describeState } from '../../../src/visit/describe-visitor.ts';
import { roundTrip } from '../helpers.ts';

function setup(boot: FwCfgBootImages = NO_BOOT_IMAGES) {
  const items = new Map<number, Uint8Array>([
    [0x0003, fwCfgU64(128 * 1024 * 1024)],
    [0x0005, fwCfgU16(2)],
    [0x000f, fwCfgU16(4)],
  ]);
  const dev = new FwCfg(items, boot);
  const bus = new IoBus();
  bus.register(0x510, 2, dev, IO_8 | IO_16);
  const readItem = (key: number, n: number) => {
    bus.write(0x510, 2, key);
    return Array.from({ length: n }, () => bus.read(0x511, 1));
  };
  return { dev, bus, readItem };
}

describe('fw_cfg', () => {
  it('answers the signature, id, RAM size and CPU counts', () => {
    const { readItem } = setup();
    expect(String.fromCharCode(...readItem(0x0000, 4))).toBe('QEMU');
    expect(readItem(0x0001, 4)).toEqual([1, 0, 0, 0]);
    expect(readItem(0x0003, 8)).toEqual([0, 0, 0, 8, 0, 0, 0, 0]);
    expect(readItem(0x0005, 2)).toEqual([2, 0]);
    expect(readItem(0x000f, 2)).toEqual([4, 0]);
  });

  it('reads past the end and unknown keys return 0; data writes are ignored', () => {
    const { bus, readItem } = setup();
    expect(readItem(0x0005, 4)).toEqual([2, 0, 0, 0]);
    expect(readItem(0x1234, 3)).toEqual([0, 0, 0]);
    bus.write(0x510, 2, 0x0000);
    bus.write(0x511, 1, 0x99);
    expect(bus.read(0x511, 1)).toBe(0x51);
  });

  it('round-trips selector and offset', () => {
    const a = setup();
    a.bus.write(0x510, 2, 0x0000);
    a.bus.read(0x511, 1);
    a.bus.read(0x511, 1);
    const b = setup();
    const tree = roundTrip(a.dev, b.dev, '/machine/fw_cfg');
    expect(tree['cur_entry']).toBe(0);
    expect(tree['cur_offset']).toBe(2);
    expect(b.bus.read(0x511, 1)).toBe(0x4d);
  });

  const enc = (t: string) => new TextEncoder().encode(t);
  const boot: FwCfgBootImages = {
    kernel: Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 1),
    kernelName: enc('k.elf'),
    cmdline: enc('how=1'),
    initrd: Uint8Array.of(9, 8, 7),
    initrdFiles: Uint8Array.of(3, 0, 0, 0, 1, 0, 0, 0, 0x6d),
  };

  it('serves the boot images as QEMU keys: kernel, initrd and command line (with its NUL)', () => {
    const { readItem } = setup(boot);
    expect(readItem(0x0008, 4)).toEqual([5, 0, 0, 0]);
    expect(readItem(0x0011, 6)).toEqual([0x7f, 0x45, 0x4c, 0x46, 1, 0]);
    expect(readItem(0x000b, 4)).toEqual([3, 0, 0, 0]);
    expect(readItem(0x0012, 3)).toEqual([9, 8, 7]);
    expect(readItem(0x0014, 4)).toEqual([6, 0, 0, 0]);
    expect(String.fromCharCode(...readItem(0x0015, 6))).toBe('how=1\0');
    // Without a kernel the keys are absent (read as zeros).
    expect(setup().readItem(0x0008, 4)).toEqual([0, 0, 0, 0]);
  });

  it('carries the boot images in its state, with one schema whatever their sizes, and keeps them across reset', () => {
    const a = setup(boot);
    const b = setup();
    const tree = roundTrip(a.dev, b.dev, '/machine/fw_cfg');
    expect(tree['kernel']).toEqual(boot.kernel);
    expect(b.dev.bootImages().cmdline).toEqual(boot.cmdline);
    expect(b.readItem(0x0012, 3)).toEqual([9, 8, 7]);
    b.dev.reset();
    expect(b.readItem(0x0008, 1)).toEqual([5]);
    expect(describeState(a.dev)).toEqual(describeState(setup().dev));
  });
});
