/** machine/snapshot-config.ts: a snapshot's recorded configuration, checked as the command line checks it. */
import { describe, expect, it } from 'vitest';
import { configValueProblems } from '../../machine/snapshot-config.ts';
import { configProblems, configToJson, restoreDestination } from '../../machine/snapshot.ts';
import { defaultMachineConfig } from '../../machine/machine-config.ts';
import type { JsonObject } from '../../migration/snapshot.ts';
import { hash64 } from '../../src/util/hash.ts';

const good = (): JsonObject =>
  configToJson(defaultMachineConfig({ kernel: { name: 'k.elf', data: Uint8Array.of(1) }, initrds: [{ name: 'm', data: Uint8Array.of(2) }] }));

describe('configValueProblems', () => {
  it('accepts what godwit records, and an empty or older configuration', () => {
    expect(configValueProblems(good()).problems).toEqual([]);
    expect(configValueProblems({}).problems).toEqual([]);
    expect(configValueProblems({ future: { anything: [1] } }).problems).toEqual([]);
  });

  it('names each value of the wrong kind or out of range, by its path', () => {
    const edits: [(c: JsonObject) => void, string][] = [
      [(c) => ((c['machine'] as JsonObject)['kernel-irqchip'] = 'bogus'), 'config.machine.kernel-irqchip: string "bogus" is not on, split or off'],
      [(c) => (c['m'] = 5000), 'config.m: 5000 is not an integer from 1048576 to 3758096384, a multiple of 4096'],
      [(c) => (c['m'] = '128M'), 'config.m: string "128M" is not an integer from 1048576 to 3758096384, a multiple of 4096'],
      [(c) => (c['smp'] = 0), 'config.smp: 0 is not an integer from 1 to 8'],
      [(c) => ((c['cpu'] as JsonObject)['vendor'] = 'Intel'), 'config.cpu.vendor: string "Intel" is not 12 printable ASCII characters'],
      [(c) => (((c['cpu'] as JsonObject)['features'] as JsonObject)['apic'] = 1), 'config.cpu.features.apic: 1 is not true or false'],
      [(c) => ((c['icount'] as JsonObject)['shift'] = 11), 'config.icount.shift: 11 is not an integer from 0 to 10'],
      [(c) => (c['no-reboot'] = 'yes'), 'config.no-reboot: string "yes" is not true or false'],
      [(c) => ((c['kernel'] as JsonObject)['hash64'] = 'xyz'), 'config.kernel: hash64 string "xyz" is not 16 hex digits'],
      [(c) => (c['initrd'] = [{ name: 'a', bytes: -1, hash64: '0000000000000000' }]), 'config.initrd: bytes -1 is not a size'],
      [(c) => (c['machine'] = 'pc'), 'config.machine: string "pc" is not an object'],
      [(c) => (c['append'] = 7), 'config.append: 7 is not a string'],
    ];
    for (const [edit, line] of edits) {
      const c = good();
      edit(c);
      expect(configValueProblems(c).problems).toEqual([line]);
    }
  });

  it('a restore lists them before the differences, and does not compare what is malformed', () => {
    const c = good();
    c['smp'] = 'two';
    (c['machine'] as JsonObject)['kernel-irqchip'] = 'bogus';
    c['m'] = 64 << 20;
    expect(configProblems(c, defaultMachineConfig())).toEqual([
      'config.smp: string "two" is not an integer from 1 to 8',
      'config.machine.kernel-irqchip: string "bogus" is not on, split or off',
      '-m: the RAM size is 64 MiB in the snapshot, 128 MiB on this machine',
    ]);
  });
});

describe('configToJson', () => {
  it('records each file by name, size and hash64, every file its own hash however often it is written', () => {
    const a = Uint8Array.of(1, 2, 3);
    const b = Uint8Array.of(1, 2, 4);
    const one = defaultMachineConfig({ kernel: { name: 'k', data: a }, initrds: [{ name: 'm', data: b }] });
    const two = defaultMachineConfig({ kernel: { name: 'k', data: b }, initrds: [{ name: 'm', data: a }] });
    for (let i = 0; i < 2; i++) {
      expect(configToJson(one)['kernel']).toEqual({ name: 'k', bytes: 3, hash64: hash64(a) });
      expect(configToJson(one)['initrd']).toEqual([{ name: 'm', bytes: 3, hash64: hash64(b) }]);
      expect(configToJson(two)['kernel']).toEqual({ name: 'k', bytes: 3, hash64: hash64(b) });
    }
    expect(hash64(a)).not.toBe(hash64(b));
  });
});

describe('restoreDestination configProblems', () => {
  const dest = defaultMachineConfig({ ramBytes: 4 << 20 });
  const problems = (recorded: JsonObject) => restoreDestination({ config: dest, describeObjects: () => new Map() }).configProblems!(recorded);

  it('answers every recorded configuration for itself, however often it is asked', () => {
    const good = configToJson(dest);
    for (let i = 0; i < 2; i++) expect(problems(good)).toEqual([]);
    const more = { ...good, m: 8 << 20 };
    expect(problems(more)).toEqual(['-m: the RAM size is 8 MiB in the snapshot, 4 MiB on this machine']);
    expect(problems(good)).toEqual([]);
    // Values whose JSON text is another value's (NaN and null) are told apart.
    const nan = problems({ ...good, m: Number.NaN });
    expect(problems({ ...good, m: null })).not.toEqual([]);
    expect(nan).toEqual(configProblems({ ...good, m: Number.NaN }, dest));
    expect(problems({ ...good, m: null })).toEqual(configProblems({ ...good, m: null }, dest));
    // The answer is a copy: changing it changes nothing for the next caller.
    (problems(more) as string[]).push('x');
    expect(problems(more)).toHaveLength(1);
  });
});
