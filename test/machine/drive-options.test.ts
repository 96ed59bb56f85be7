/** -drive and the virtio-blk -device types as the command line gives them (machine/drive.ts, virtio-device-types.ts). */
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../machine/config.ts';
import { formatDriveSpec } from '../../machine/drive.ts';
import { isConfigError } from '../../src/util/errors.ts';

const K = ['-kernel', 'k.elf'];

function fails(argv: string[]): string {
  try {
    parseCommandLine([...K, ...argv]);
  } catch (e) {
    expect(isConfigError(e), String(e)).toBe(true);
    const message = (e as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error(`no error for ${argv.join(' ')}`);
}

const devices = (argv: string[]) => parseCommandLine([...K, ...argv]).devices.filter((d) => d.driver.startsWith('virtio'));

describe('-drive', () => {
  it('if=none with an id, used by -device virtio-blk-pci (combined shape)', () => {
    const o = parseCommandLine([...K, '-drive', 'file=a,,b.img,format=raw,if=none,id=d0,readonly=on', '-device', 'virtio-blk-pci,drive=d0,id=disk0,serial=S1']);
    expect(o.drives).toEqual([{ id: 'd0', file: 'a,b.img', readOnly: true, snapshot: false, checkIdentity: true }]);
    expect(formatDriveSpec(o.drives[0]!)).toBe('file=a,,b.img,format=raw,if=none,id=d0,readonly=on');
    // QEMU's spelling without id=: the device is named by its drive.
    expect(devices(['-drive', 'file=x,if=none,id=d0', '-device', 'virtio-blk-pci,drive=d0'])).toEqual([
      { driver: 'virtio-blk-pci', id: null, props: new Map([['drive', 'd0']]) },
    ]);
    expect(devices(['-drive', 'file=x,if=none,id=d0,snapshot=on', '-device', 'virtio-blk-pci,drive=d0,id=disk0'])).toEqual([
      { driver: 'virtio-blk-pci', id: 'disk0', props: new Map([['drive', 'd0']]) },
    ]);
  });

  it('the split shape: virtio-pci with a virtio-blk on its bus, in either order', () => {
    for (const order of [0, 1]) {
      const t = ['-device', 'virtio-pci,id=vp,disable-legacy=on'];
      const b = ['-device', 'virtio-blk,drive=d0,bus=vp'];
      const o = parseCommandLine([...K, '-drive', 'file=x,if=none,id=d0', ...(order === 0 ? [...t, ...b] : [...b, ...t])]);
      expect(o.devices.filter((d) => d.driver.startsWith('virtio')).map((d) => d.driver).sort()).toEqual(['virtio-blk', 'virtio-pci']);
    }
  });

  it('if=virtio is a drive and its virtio-blk-pci, named virtio<N> by index= or by place among if=virtio drives', () => {
    const o = parseCommandLine([...K, '-drive', 'file=a,if=virtio', '-device', 'isa-debug-exit', '-drive', 'file=b,if=virtio', '-drive', 'file=c,if=virtio,index=7', '-drive', 'file=d,if=virtio,id=mine']);
    expect(o.drives.map((d) => d.id)).toEqual(['virtio0', 'virtio1', 'virtio7', 'mine']);
    expect(o.devices.filter((d) => d.driver === 'virtio-blk-pci').map((d) => [d.id, d.props.get('drive')])).toEqual([
      ['virtio0', 'virtio0'],
      ['virtio1', 'virtio1'],
      ['virtio7', 'virtio7'],
      ['mine', 'mine'],
    ]);
    expect(fails(['-drive', 'file=a,if=virtio', '-drive', 'file=b,if=virtio,index=0'])).toBe("-drive: duplicate drive id 'virtio0'");
  });

  it('refuses what godwit does not have, with one line naming the option', () => {
    expect(fails(['-drive', 'file=x,format=qcow2,if=none,id=d'])).toBe('-drive: format=qcow2 is not supported (only raw images)');
    expect(fails(['-drive', 'file=x'])).toBe('-drive: give if=none (with -device ...,drive=ID) or if=virtio; godwit has no IDE');
    expect(fails(['-drive', 'file=x,if=none'])).toBe('-drive: if=none needs id=ID (the name -device ...,drive=ID uses)');
    expect(fails(['-drive', 'if=virtio'])).toBe('-drive: file=PATH is missing');
    expect(fails(['-drive', 'file=x,if=virtio,readonly=maybe'])).toBe("-drive: readonly must be on or off (got 'maybe')");
    expect(fails(['-drive', 'file=x,if=virtio,cache=none'])).toBe("-drive: unknown parameter 'cache'");
    expect(fails(['-drive', 'file=x,if=none,id=d'])).toBe('-drive d: no device uses it (add -device virtio-blk-pci,drive=d,id=NAME)');
    expect(fails(['-device', 'virtio-blk-pci,drive=d,id=v'])).toBe("-device virtio-blk-pci: no drive 'd' (give -drive file=PATH,if=none,id=d)");
    expect(fails(['-drive', 'file=x,if=none,id=d', '-device', 'virtio-blk-pci,drive=d,id=v', '-device', 'virtio-blk-pci,drive=d,id=w'])).toBe(
      "-device virtio-blk-pci: drive 'd' is already used by another device",
    );
    expect(fails(['-drive', 'file=x,if=none,id=d', '-device', 'virtio-blk-pci,drive=d', '-device', 'virtio-pci,id=d'])).toBe(
      "-device: two devices named 'd' (a virtio-blk-pci without id= is named by its drive)",
    );
    expect(fails(['-drive', 'file=x,if=none,id=d', '-device', 'virtio-blk-pci,id=v,drive=d,vectors=65'])).toBe('-device virtio-blk-pci vectors: 65 is out of range (0..64)');
    expect(fails(['-drive', 'file=x,if=none,id=d', '-device', 'virtio-blk-pci,id=v,drive=d,addr=0'])).toBe('-device virtio-blk-pci addr: 0 is out of range (1..31)');
    expect(fails(['-drive', 'file=x,if=none,id=d', '-device', 'virtio-blk-pci,id=v,drive=d,queue-size=8'])).toBe(
      "-device: virtio-blk-pci: unknown property 'queue-size' (known: disable-legacy, vectors, addr, drive, serial)",
    );
    expect(fails(['-drive', 'file=x,if=none,id=d', '-device', 'virtio-blk,drive=d'])).toBe('-device: virtio-blk needs bus=NAME (a -device virtio-pci,id=NAME)');
    expect(fails(['-drive', 'file=x,if=none,id=d', '-device', 'virtio-blk,drive=d,bus=q'])).toBe("-device virtio-blk: bus 'q' is not a -device virtio-pci,id=q");
    expect(fails(['-device', 'virtio-pci,id=vp,serial=x'])).toBe("-device: virtio-pci: unknown property 'serial' (known: disable-legacy, vectors, addr)");
  });
});
