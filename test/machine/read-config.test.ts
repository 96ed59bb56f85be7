import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../machine/config.ts';
import { defaultDeviceSpecs } from '../../machine/device-spec.ts';
import { defaultMachineConfig } from '../../machine/machine-config.ts';
import { readMachineConfig } from '../../machine/read-config.ts';
import { isConfigError } from '../../src/util/errors.ts';

const files: Record<string, Uint8Array> = { k: new Uint8Array([1]), a: new Uint8Array([2]), b: new Uint8Array([3, 4]) };
const reader = (path: string): Uint8Array => {
  const data = files[path];
  if (data === undefined) throw Object.assign(new Error('nope'), { code: 'EACCES' });
  return data;
};

describe('readMachineConfig', () => {
  it('turns default options into the default machine config', () => {
    const config = readMachineConfig(parseCommandLine(['-kernel', 'k']), reader);
    expect(config).toEqual(defaultMachineConfig({ kernel: { name: 'k', data: files['k']! } }));
  });

  it('carries every option over, with contents for paths', () => {
    const o = parseCommandLine([
      '-kernel', 'k', '-initrd', 'a x,b', '-append', 'hi', '-m', '64', '-smp', '2', '-machine', 'kernel-irqchip=off',
      '-icount', '2', '-no-reboot', '-rtc', 'base=2000-01-01', '-cpu', 'vendor=AuthenticAMD,-tsc,leaf15=on',
    ]);
    const c = readMachineConfig(o, reader);
    expect(c).toEqual({
      ramBytes: 64 << 20,
      smp: 2,
      kernelIrqchip: 'off',
      kernel: { name: 'k', data: files['k'] },
      initrds: [
        { name: 'a x', data: files['a'] },
        { name: 'b', data: files['b'] },
      ],
      append: 'hi',
      icountShift: 2,
      noReboot: true,
      devices: defaultDeviceSpecs(),
      drives: [],
      rtcBaseSeconds: 946684800,
      cpu: { vendor: 'AuthenticAMD', features: { tsc: false, pse: true, pge: true, msr: true, cx8: true, cmov: true, apic: true }, leaf15: true },
    });
    // The config does not share the options' CPU objects.
    o.cpu.features.tsc = true;
    expect(c.cpu.features.tsc).toBe(false);
  });

  it('names the file it cannot read, and why', () => {
    try {
      readMachineConfig(parseCommandLine(['-kernel', 'missing']), reader);
      expect.unreachable();
    } catch (e) {
      expect(isConfigError(e)).toBe(true);
      expect((e as Error).message).toBe("cannot read kernel 'missing': EACCES");
    }
  });

  it('refuses what is not a regular file and what is larger than RAM, before reading it', () => {
    const limits: number[] = [];
    const strict = (path: string, maxBytes: number): Uint8Array => {
      limits.push(maxBytes);
      if (path === '/dev/zero') throw Object.assign(new Error('x'), { code: 'ENOTREG', kind: 'a character device' });
      const size = path === 'huge' ? 5_000_000_000 : path === 'half' ? 3 << 19 : 10;
      if (size > maxBytes) throw Object.assign(new Error('x'), { code: 'EFBIG', size });
      return new Uint8Array(size);
    };
    const message = (argv: string[]) => {
      try {
        readMachineConfig(parseCommandLine(argv), strict);
      } catch (e) {
        expect(isConfigError(e)).toBe(true);
        return (e as Error).message;
      }
      return 'ok';
    };
    expect(message(['-m', '2', '-kernel', '/dev/zero'])).toBe("cannot read kernel '/dev/zero': not a regular file (a character device)");
    expect(message(['-m', '2', '-kernel', 'huge'])).toBe("kernel 'huge' is 5000000000 bytes, more than the 2 MiB of RAM");
    expect(message(['-m', '2', '-kernel', 'k', '-initrd', '/dev/zero'])).toBe("cannot read initrd '/dev/zero': not a regular file (a character device)");
    limits.length = 0;
    expect(message(['-m', '2', '-kernel', 'k', '-initrd', 'half,half'])).toBe(
      "initrd 'half' is 1572864 bytes, more than the 524288 bytes of the 2 MiB of RAM the initrds before it leave",
    );
    expect(limits).toEqual([2 << 20, 2 << 20, (2 << 20) - (3 << 19)]);
    // A reader that ignores the limit is held to it all the same.
    expect(() => readMachineConfig(parseCommandLine(['-m', '1', '-kernel', 'k']), () => new Uint8Array(2 << 20))).toThrow(
      "kernel 'k' is 2097152 bytes, more than the 1 MiB of RAM",
    );
  });
});
