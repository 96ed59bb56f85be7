/**
 * Every inverse pair of built-in filters: A -> B -> A returns exactly the original tree, for many
 * generated states. (The APIC pair and the userspace-side PIT round trip need states as real
 * devices produce them: test/migration/filters/devices.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { FilterRegistry } from '../../../migration/registry.ts';
import { builtinFilters } from '../../../migration/filters/builtin.ts';
import type { Filter, FilterNode } from '../../../migration/filters/filter.ts';
import { isFilterError } from '../../../migration/filters/filter-error.ts';
import { cloneTree, diffTrees, treesEqual, type StateNode } from '../../../src/visit/state-tree.ts';
import { genI8259, genIoapic, genKvmI8259, genKvmIoapic, genKvmPit, genVirtioBlkPci, node, obj, Rng } from './gen.ts';

const registry = new FilterRegistry().registerAll(builtinFilters());
const T = 123_456_789n;

function run(name: string, inputs: FilterNode[], path: string, time = T): FilterNode[] {
  const f: Filter = registry.get(name)!;
  expect(f).toBeDefined();
  const before = inputs.map((i) => cloneTree(i.fields));
  const out = f.apply(inputs, { path, virtualTimeNs: time });
  // Pure: the inputs are untouched.
  inputs.forEach((input, i) => expect(treesEqual(input.fields, before[i]!)).toBe(true));
  out.forEach((o, i) => {
    expect(o.type).toBe(f.produces[i]!.type);
    expect(o.version).toBe(f.produces[i]!.version);
  });
  return out;
}

function expectSame(a: StateNode, b: StateNode): void {
  expect(diffTrees(a, b)).toEqual([]);
  expect(treesEqual(a, b)).toBe(true);
}

describe('builtin registry', () => {
  it('declares every inverse, mirrored', () => {
    expect(registry.inverseProblems()).toEqual([]);
    expect(registry.inversePairs().map(([a, b]) => `${a.name} / ${b.name}`)).toEqual([
      'apic->kvm-apic / kvm-apic->apic',
      'apic:v3->v4 / apic:v4->v3',
      'i8254+pcspk->kvm-pit / kvm-pit->i8254+pcspk',
      'i8259->kvm-i8259 / kvm-i8259->i8259',
      'ioapic->kvm-ioapic / kvm-ioapic->ioapic',
      'virtio-blk-pci->virtio-pci+virtio-blk / virtio-pci+virtio-blk->virtio-blk-pci',
    ]);
  });
});

describe('ioapic <-> kvm-ioapic', () => {
  it('ioapic -> kvm-ioapic -> ioapic is exact', () => {
    const r = new Rng(1);
    for (let i = 0; i < 300; i++) {
      const a = obj('ioapic', 3, genIoapic(r));
      const [b] = run('ioapic->kvm-ioapic', [a], '/machine/ioapic');
      const [c] = run('kvm-ioapic->ioapic', [b!], '/machine/ioapic');
      expectSame(c!.fields, a.fields);
    }
  });

  it('kvm-ioapic -> ioapic -> kvm-ioapic is exact', () => {
    const r = new Rng(2);
    for (let i = 0; i < 300; i++) {
      const a = obj('kvm-ioapic', 1, genKvmIoapic(r));
      const [b] = run('kvm-ioapic->ioapic', [a], '/machine/ioapic');
      const [c] = run('ioapic->kvm-ioapic', [b!], '/machine/ioapic');
      expectSame(c!.fields, a.fields);
    }
  });

  it('refuses what the userspace ioapic cannot hold, naming path and value', () => {
    const r = new Rng(3);
    const bad = (patch: Record<string, number | bigint>, field: string) => {
      const f = genKvmIoapic(r);
      Object.assign(f, patch);
      let err: unknown;
      try {
        run('kvm-ioapic->ioapic', [obj('kvm-ioapic', 1, f)], '/machine/ioapic');
      } catch (e) {
        err = e;
      }
      expect(isFilterError(err)).toBe(true);
      expect((err as Error).message).toContain(`/machine/ioapic.${field}`);
    };
    bad({ base_address: 0xfed00000n }, 'base_address');
    bad({ ioregsel: 0x100 }, 'ioregsel');
    bad({ id: 0x1234 }, 'id');
  });
});

describe('i8259 <-> kvm-i8259', () => {
  for (const chip of ['master', 'slave'] as const) {
    const path = `/machine/pic/${chip}`;
    it(`${chip}: i8259 -> kvm-i8259 -> i8259 is exact`, () => {
      const r = new Rng(chip === 'master' ? 4 : 5);
      for (let i = 0; i < 300; i++) {
        const a = obj('i8259', 1, genI8259(r));
        const [b] = run('i8259->kvm-i8259', [a], path);
        expect(b!.fields.elcr_mask).toBe(chip === 'master' ? 0xf8 : 0xde);
        const [c] = run('kvm-i8259->i8259', [b!], path);
        expectSame(c!.fields, a.fields);
      }
    });
    it(`${chip}: kvm-i8259 -> i8259 -> kvm-i8259 is exact`, () => {
      const r = new Rng(chip === 'master' ? 6 : 7);
      for (let i = 0; i < 300; i++) {
        const a = obj('kvm-i8259', 1, genKvmI8259(r, chip === 'master'));
        const [b] = run('kvm-i8259->i8259', [a], path);
        const [c] = run('i8259->kvm-i8259', [b!], path);
        expectSame(c!.fields, a.fields);
      }
    });
  }

  it('refuses an elcr_mask that is not the chip\'s, and a path that names no chip', () => {
    const f = genKvmI8259(new Rng(8), true);
    expect(() => run('kvm-i8259->i8259', [obj('kvm-i8259', 1, f)], '/machine/pic/slave')).toThrow(
      /\/machine\/pic\/slave\.elcr_mask: 0xf8/,
    );
    expect(() => run('kvm-i8259->i8259', [obj('kvm-i8259', 1, f)], '/machine/pic/third')).toThrow(/master or the slave/);
  });
});

describe('kvm-pit <-> i8254 + pcspk', () => {
  it('kvm-pit -> i8254 + pcspk -> kvm-pit is exact', () => {
    const r = new Rng(9);
    for (let i = 0; i < 300; i++) {
      const a = obj('kvm-pit', 1, genKvmPit(r));
      const time = BigInt(r.below(2e12));
      const [pit, spk] = run('kvm-pit->i8254+pcspk', [a], '/machine/pit', time);
      const [c] = run('i8254+pcspk->kvm-pit', [pit!, spk!], '/machine/pit', time);
      expectSame(c!.fields, a.fields);
    }
  });

  it('splits the speaker bits out of flags and back', () => {
    const f = genKvmPit(new Rng(10));
    f.flags = 0x2 | 0x8 | 0x1;
    const [pit, spk] = run('kvm-pit->i8254+pcspk', [obj('kvm-pit', 1, f)], '/machine/pit');
    expect(spk!.fields.data_on).toBe(1);
    expect(spk!.fields.check_bits).toBe(0x8);
    expect(pit!.fields.irq_disabled).toBe(1);
    const channels = pit!.fields.channels as StateNode[];
    // Channel 0's IRQ is disabled: no transition tracked; channels 1 and 2 never track one.
    expect(channels.map((c) => c.next_transition_time)).toEqual([-1n, -1n, -1n]);
  });

  it('carries a negative count (a gated channel past terminal count) as u32 two\'s complement', () => {
    const pit = node({
      channels: [0, 1, 2].map((i) =>
        node({
          count: i === 2 ? -5 : 0x10000, latched_count: 0, count_latched: 0, status_latched: 0, status: 0,
          read_state: 3, write_state: 3, write_latch: 0, rw_mode: 3, mode: i === 2 ? 0 : 3, bcd: 0,
          gate: i === 2 ? 0 : 1, count_load_time: 1000n, next_transition_time: -1n,
        }),
      ),
      irq_disabled: 0,
    });
    const spk = node({ data_on: 0, check_bits: 0 });
    const [k] = run('i8254+pcspk->kvm-pit', [obj('i8254', 3, pit), obj('pcspk', 1, spk)], '/machine/pit');
    expect(((k!.fields.channels as StateNode[])[2]!).count).toBe(0xfffffffb);
    const [back] = run('kvm-pit->i8254+pcspk', [k!], '/machine/pit');
    expect(((back!.fields.channels as StateNode[])[2]!).count).toBe(-5);
  });

  it('refuses flags and speaker bits it has no place for', () => {
    const f = genKvmPit(new Rng(11));
    f.flags = 0x10;
    expect(() => run('kvm-pit->i8254+pcspk', [obj('kvm-pit', 1, f)], '/machine/pit')).toThrow(/\/machine\/pit\.flags: 0x10/);
    const [pit, spk] = run('kvm-pit->i8254+pcspk', [obj('kvm-pit', 1, genKvmPit(new Rng(12)))], '/machine/pit');
    const badSpk = node({ data_on: 0, check_bits: 0x3 });
    expect(() => run('i8254+pcspk->kvm-pit', [pit!, obj('pcspk', 1, badSpk)], '/machine/pit')).toThrow(
      /\/machine\/pcspk\.check_bits: 0x3/,
    );
    void spk;
  });
});

describe('every filter refuses fields it does not understand', () => {
  it('an extra field is a FilterError naming it', () => {
    const a = genIoapic(new Rng(13));
    a.surprise = 1;
    expect(() => run('ioapic->kvm-ioapic', [obj('ioapic', 3, a)], '/machine/ioapic')).toThrow(
      /\/machine\/ioapic\.surprise: field not understood/,
    );
  });
  it('a wrong kind is a FilterError naming the field', () => {
    const a = genIoapic(new Rng(14));
    a.irr = 5n;
    expect(() => run('ioapic->kvm-ioapic', [obj('ioapic', 3, a)], '/machine/ioapic')).toThrow(
      /\/machine\/ioapic\.irr: expected u32, got 5n/,
    );
    const b = genKvmPit(new Rng(15));
    (b.channels as StateNode[])[1]!.mode = 300;
    expect(() => run('kvm-pit->i8254+pcspk', [obj('kvm-pit', 1, b)], '/machine/pit')).toThrow(
      /\/machine\/pit\.channels\[1\]\.mode: expected u8, got 300/,
    );
  });
});

describe('virtio-blk-pci <-> virtio-pci + virtio-blk', () => {
  const path = '/machine/peripheral/disk0';
  it('combined -> split -> combined and split -> combined -> split are exact', () => {
    const r = new Rng(11);
    for (let i = 0; i < 200; i++) {
      const a = obj('virtio-blk-pci', 1, genVirtioBlkPci(r));
      const split = run('virtio-blk-pci->virtio-pci+virtio-blk', [a], path);
      const [back] = run('virtio-pci+virtio-blk->virtio-blk-pci', split, path);
      expectSame(back!.fields, a.fields);
      const again = run('virtio-blk-pci->virtio-pci+virtio-blk', [back!], path);
      again.forEach((n, k) => expectSame(n.fields, split[k]!.fields));
    }
  });
});
