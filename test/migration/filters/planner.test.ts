/** The planner: shortest chains over signatures, groups for merges and splits, and clear errors. */
import { describe, expect, it } from 'vitest';
import { FilterRegistry } from '../../../migration/registry.ts';
import { builtinFilters } from '../../../migration/filters/builtin.ts';
import type { Filter, FilterNode } from '../../../migration/filters/filter.ts';
import { FilterError, isFilterError } from '../../../migration/filters/filter-error.ts';
import {
  applyPlan,
  convertSnapshot,
  describePlan,
  planMigration,
  sourceSignatures,
  type ObjectSignature,
} from '../../../migration/planner.ts';
import type { Snapshot } from '../../../migration/snapshot.ts';
import type { SchemaNode } from '../../../src/visit/schema.ts';
import { isWiringError } from '../../../src/util/errors.ts';
import { cloneTree, treesEqual } from '../../../src/visit/state-tree.ts';
import { genI8259, genIoapic, genKvmPit, node, Rng } from './gen.ts';

const builtin = () => new FilterRegistry().registerAll(builtinFilters());

function sigs(entries: Array<[string, string, number]>): Map<string, ObjectSignature> {
  return new Map(entries.map(([p, type, version]) => [p, { type, version }]));
}

const COMMON: Array<[string, string, number]> = [
  ['/machine/cpu[0]', 'cpu', 1],
  ['/machine/cpu[1]', 'cpu', 1],
  ['/machine/ram', 'ram', 1],
  ['/machine/rtc', 'mc146818', 1],
  ['/machine/serial[0]', 'serial', 1],
];

/** The objects of a two-CPU PC under each kernel-irqchip setting. */
function machine(irqchip: 'on' | 'split' | 'off'): Map<string, ObjectSignature> {
  const lapic: [string, number] = irqchip === 'off' ? ['apic', 3] : ['kvm-apic', 1];
  const chips: Array<[string, string, number]> =
    irqchip === 'on'
      ? [
          ['/machine/ioapic', 'kvm-ioapic', 1],
          ['/machine/pic/master', 'kvm-i8259', 1],
          ['/machine/pic/slave', 'kvm-i8259', 1],
          ['/machine/pit', 'kvm-pit', 1],
        ]
      : [
          ['/machine/ioapic', 'ioapic', 3],
          ['/machine/pic/master', 'i8259', 1],
          ['/machine/pic/slave', 'i8259', 1],
          ['/machine/pit', 'i8254', 3],
          ['/machine/pcspk', 'pcspk', 1],
        ];
  return sigs([
    ...COMMON,
    ['/machine/cpu[0]/lapic', ...lapic],
    ['/machine/cpu[1]/lapic', ...lapic],
    ...chips,
  ]);
}

function thrown(f: () => unknown): FilterError {
  try {
    f();
  } catch (e) {
    if (isFilterError(e)) return e;
    throw e;
  }
  throw new Error('expected a FilterError');
}

describe('planMigration over the irqchip configurations', () => {
  it('needs no filter when the machines agree', () => {
    for (const c of ['on', 'split', 'off'] as const) {
      const plan = planMigration(builtin(), machine(c), machine(c));
      expect(plan.steps).toEqual([]);
      expect(plan.chain).toEqual([]);
    }
  });

  it('off -> on: one filter per chip, the PIT merging pcspk', () => {
    const plan = planMigration(builtin(), machine('off'), machine('on'));
    expect(describePlan(plan)).toEqual([
      '/machine/cpu[0]/lapic: apic->kvm-apic',
      '/machine/cpu[1]/lapic: apic->kvm-apic',
      '/machine/ioapic: ioapic->kvm-ioapic',
      '/machine/pic/master: i8259->kvm-i8259',
      '/machine/pic/slave: i8259->kvm-i8259',
      '/machine/pit: i8254+pcspk->kvm-pit',
    ]);
    const pit = plan.groups.find((g) => g.paths.includes('/machine/pit'))!;
    expect(pit.paths).toEqual(['/machine/pcspk', '/machine/pit']);
  });

  it('on -> off: the PIT splits into i8254 and pcspk', () => {
    const plan = planMigration(builtin(), machine('on'), machine('off'));
    expect(plan.chain).toEqual([
      'kvm-apic->apic',
      'kvm-apic->apic',
      'kvm-ioapic->ioapic',
      'kvm-i8259->i8259',
      'kvm-i8259->i8259',
      'kvm-pit->i8254+pcspk',
    ]);
  });

  it('split <-> on and split <-> off touch only what differs', () => {
    expect(planMigration(builtin(), machine('split'), machine('on')).chain).toEqual([
      'ioapic->kvm-ioapic',
      'i8259->kvm-i8259',
      'i8259->kvm-i8259',
      'i8254+pcspk->kvm-pit',
    ]);
    expect(describePlan(planMigration(builtin(), machine('off'), machine('split')))).toEqual([
      '/machine/cpu[0]/lapic: apic->kvm-apic',
      '/machine/cpu[1]/lapic: apic->kvm-apic',
    ]);
  });

  it('chains through version steps', () => {
    const v4 = machine('off');
    v4.set('/machine/cpu[0]/lapic', { type: 'apic', version: 4 });
    v4.set('/machine/cpu[1]/lapic', { type: 'apic', version: 4 });
    const up = planMigration(builtin(), machine('on'), v4);
    expect(up.groups.find((g) => g.start === '/machine/cpu[0]/lapic')!.steps.map((s) => s.filter)).toEqual([
      'kvm-apic->apic',
      'apic:v3->v4',
    ]);
    const down = planMigration(builtin(), v4, machine('on'));
    expect(down.groups[0]!.steps.map((s) => s.filter)).toEqual(['apic:v4->v3', 'apic->kvm-apic']);
    expect(planMigration(builtin(), v4, machine('off')).chain).toEqual(['apic:v4->v3', 'apic:v4->v3']);
  });
});

/** A synthetic 1 -> 1 filter that renames/re-versions a node without looking at it. */
function rename(name: string, from: [string, number], to: [string, number]): Filter {
  return {
    name,
    description: name,
    consumes: [{ type: from[0], version: from[1], at: '.' }],
    produces: [{ type: to[0], version: to[1], at: '.' }],
    apply: (inputs) => [{ type: to[0], version: to[1], fields: cloneTree(inputs[0]!.fields) }],
  };
}

describe('planner search', () => {
  it('takes the shortest chain, whatever the registration order', () => {
    const reg = new FilterRegistry().registerAll([
      rename('a-b', ['a', 1], ['b', 1]),
      rename('b-c', ['b', 1], ['c', 1]),
      rename('c-d', ['c', 1], ['d', 1]),
      rename('b-d', ['b', 1], ['d', 1]),
      rename('x-a', ['x', 1], ['a', 1]),
    ]);
    const plan = planMigration(reg, sigs([['/o', 'a', 1]]), sigs([['/o', 'd', 1]]));
    expect(plan.chain).toEqual(['a-b', 'b-d']);
  });

  it('breaks ties by filter name, deterministically', () => {
    const reg = new FilterRegistry().registerAll([
      rename('z-route', ['a', 1], ['z', 1]),
      rename('z-back', ['z', 1], ['b', 1]),
      rename('m-route', ['a', 1], ['m', 1]),
      rename('m-back', ['m', 1], ['b', 1]),
    ]);
    expect(planMigration(reg, sigs([['/o', 'a', 1]]), sigs([['/o', 'b', 1]])).chain).toEqual(['m-route', 'm-back']);
  });

  it('gives up past maxSteps', () => {
    const chain: Filter[] = [];
    for (let i = 0; i < 10; i++) chain.push(rename(`s${i}`, ['t', i], ['t', i + 1]));
    const reg = new FilterRegistry().registerAll(chain);
    expect(planMigration(reg, sigs([['/o', 't', 0]]), sigs([['/o', 't', 10]]), { maxSteps: 10 }).chain).toHaveLength(10);
    const e = thrown(() => planMigration(reg, sigs([['/o', 't', 0]]), sigs([['/o', 't', 10]]), { maxSteps: 9 }));
    expect(e.problems).toEqual(['/o: no chain of filters turns t v0 into t v10']);
  });

  it('keeps a plan per registry and inputs: the same inputs give the same plan, any change plans again', () => {
    const reg = new FilterRegistry().registerAll([rename('a-b', ['a', 1], ['b', 1]), rename('b-c', ['b', 1], ['c', 1])]);
    const first = planMigration(reg, sigs([['/o', 'a', 1]]), sigs([['/o', 'c', 1]]));
    expect(planMigration(reg, sigs([['/o', 'a', 1]]), sigs([['/o', 'c', 1]]))).toBe(first);
    expect(first.chain).toEqual(['a-b', 'b-c']);
    // A new filter may shorten the chain; other options, other inputs: planned again.
    reg.register(rename('a-c', ['a', 1], ['c', 1]));
    expect(planMigration(reg, sigs([['/o', 'a', 1]]), sigs([['/o', 'c', 1]])).chain).toEqual(['a-c']);
    expect(() => planMigration(reg, sigs([['/o', 'a', 1]]), sigs([['/o', 'c', 1]]), { maxSteps: 0 })).toThrow(FilterError);
    expect(planMigration(reg, sigs([['/o', 'a', 1]]), sigs([['/o', 'b', 1]])).chain).toEqual(['a-b']);
    // Another registry with the same number of filters has its own plans.
    const other = new FilterRegistry().registerAll([rename('a-x', ['a', 1], ['b', 1]), rename('b-y', ['b', 1], ['c', 1]), rename('c-z', ['c', 1], ['d', 1])]);
    expect(planMigration(other, sigs([['/o', 'a', 1]]), sigs([['/o', 'c', 1]])).chain).toEqual(['a-x', 'b-y']);
    // The schemas are part of the inputs: a RAM of another size is found even after a plan that fitted.
    const ram = (bytes: number): SchemaNode => ({ fields: [{ name: 'data', kind: 'bytes', length: bytes }] });
    const src = sigs([['/machine/ram', 'ram', 1]]);
    const dst = sigs([['/machine/ram', 'ram', 1]]);
    src.set('/machine/ram', { type: 'ram', version: 1, schema: ram(64) });
    dst.set('/machine/ram', { type: 'ram', version: 1, schema: ram(64) });
    expect(planMigration(reg, src, dst).steps).toEqual([]);
    dst.set('/machine/ram', { type: 'ram', version: 1, schema: ram(128) });
    expect(thrown(() => planMigration(reg, src, dst)).problems).toEqual(['/machine/ram.data: 64 bytes in the snapshot, 128 bytes on the destination machine']);
  });

  it('plans again when only a path, a type, a version or the number of objects changed since the last plan', () => {
    const reg = new FilterRegistry().registerAll([rename('a-b', ['a', 1], ['b', 1]), rename('a2-b', ['a', 2], ['b', 1])]);
    const at = (path: string) => planMigration(reg, sigs([['/k', 'b', 1], [path, 'a', 1]]), sigs([['/k', 'b', 1], [path, 'b', 1]]));
    expect(at('/o').steps).toEqual([{ filter: 'a-b', path: '/o' }]);
    expect(at('/p').steps).toEqual([{ filter: 'a-b', path: '/p' }]);
    expect(planMigration(reg, sigs([['/k', 'b', 1]]), sigs([['/k', 'b', 1]])).chain).toEqual([]);
    expect(at('/p').steps).toEqual([{ filter: 'a-b', path: '/p' }]);
    expect(planMigration(reg, sigs([['/k', 'b', 1], ['/p', 'a', 2]]), sigs([['/k', 'b', 1], ['/p', 'b', 1]])).chain).toEqual(['a2-b']);
    expect(planMigration(reg, sigs([['/k', 'b', 1], ['/p', 'b', 1]]), sigs([['/k', 'b', 1], ['/p', 'b', 1]])).chain).toEqual([]);
    expect(planMigration(reg, sigs([['/p', 'a', 1]]), sigs([['/p', 'b', 1]])).chain).toEqual(['a-b']);
    expect(() => planMigration(reg, sigs([['/k', 'b', 1], ['/p', 'a', 1]]), sigs([['/p', 'b', 1]]))).toThrow(FilterError);
    // Alternating between inputs gives each its own plan, the same object each time.
    const o = at('/o');
    const p = at('/p');
    for (let i = 0; i < 3; i++) {
      expect(at('/o')).toBe(o);
      expect(at('/p')).toBe(p);
    }
    expect(p.steps).toEqual([{ filter: 'a-b', path: '/p' }]);
  });

  it('a split places the child; a merge consumes it', () => {
    const split: Filter = {
      name: 'combo->pair',
      description: '',
      consumes: [{ type: 'combo', version: 1, at: '.' }],
      produces: [
        { type: 'front', version: 1, at: '.' },
        { type: 'back', version: 1, at: './virtio-backend' },
      ],
      inverse: 'pair->combo',
      apply: () => [
        { type: 'front', version: 1, fields: node({}) },
        { type: 'back', version: 1, fields: node({}) },
      ],
    };
    const merge: Filter = {
      name: 'pair->combo',
      description: '',
      consumes: [
        { type: 'front', version: 1, at: '.' },
        { type: 'back', version: 1, at: './virtio-backend' },
      ],
      produces: [{ type: 'combo', version: 1, at: '.' }],
      inverse: 'combo->pair',
      apply: () => [{ type: 'combo', version: 1, fields: node({}) }],
    };
    const reg = new FilterRegistry().registerAll([split, merge]);
    expect(reg.inverseProblems()).toEqual([]);
    const one = sigs([['/machine/peripheral/disk0', 'combo', 1]]);
    const two = sigs([
      ['/machine/peripheral/disk0', 'front', 1],
      ['/machine/peripheral/disk0/virtio-backend', 'back', 1],
    ]);
    const p = planMigration(reg, one, two);
    expect(p.groups).toEqual([
      {
        start: '/machine/peripheral/disk0',
        paths: ['/machine/peripheral/disk0', '/machine/peripheral/disk0/virtio-backend'],
        steps: [{ filter: 'combo->pair', path: '/machine/peripheral/disk0' }],
      },
    ]);
    expect(planMigration(reg, two, one).chain).toEqual(['pair->combo']);
  });
});

describe('planner errors list everything that does not match', () => {
  it('missing paths, extra paths, unknown types, newer versions and no chain, in one FilterError', () => {
    const src = machine('off');
    src.delete('/machine/serial[0]');
    src.set('/machine/gizmo', { type: 'gizmo', version: 1 });
    src.set('/machine/cpu[1]/lapic', { type: 'apic', version: 9 });
    src.set('/machine/rtc', { type: 'mc146818', version: 2 });
    const dst = machine('on');
    dst.set('/machine/peripheral/disk0', { type: 'virtio-blk-pci', version: 1 });
    const e = thrown(() => planMigration(builtin(), src, dst));
    expect(e.name).toBe('FilterError');
    expect(e.problems).toEqual([
      '/machine/cpu[1]/lapic: apic v9 is newer than any version of apic this build knows (newest v4)',
      '/machine/gizmo: unknown type "gizmo" in the snapshot (no filter knows it; the destination machine has no object at this path)',
      '/machine/peripheral/disk0: the destination machine has virtio-blk-pci v1 here, the snapshot has no object at this path',
      '/machine/rtc: mc146818 v2 is newer than any version of mc146818 this build knows (newest v1)',
      '/machine/serial[0]: the destination machine has serial v1 here, the snapshot has no object at this path',
    ]);
    expect(e.path).toBe('/machine/cpu[1]/lapic');
    // The rest of the machine planned fine, but nothing is returned: the error is the whole answer.
    expect(e.message).toMatch(/^5 problems:/);
  });

  it('thousands of unknown objects: every one listed in problems, the message kept short, quickly', () => {
    const src = machine('off');
    for (let i = 0; i < 5000; i++) src.set(`/machine/junk[${i}]`, { type: `junk-${i % 7}`, version: i });
    const e = thrown(() => planMigration(builtin(), src, machine('on')));
    expect(e.problems).toHaveLength(5000);
    expect(e.message.split('\n')).toHaveLength(22);
    expect(e.message).toContain('(and 4980 more)');
  });

  it('an object the destination lacks and no filter removes', () => {
    const src = machine('off');
    const dst = machine('off');
    dst.delete('/machine/pcspk');
    const e = thrown(() => planMigration(builtin(), src, dst));
    expect(e.problems).toEqual([
      '/machine/pcspk: the snapshot has pcspk v1 here, the destination machine has no object at this path and no filter removes it',
    ]);
  });

  it('a different RAM size (same type, different schema)', () => {
    const ram = (bytes: number): SchemaNode => ({ fields: [{ name: 'data', kind: 'bytes', length: bytes }] });
    const src = machine('off');
    const dst = machine('on');
    src.set('/machine/ram', { type: 'ram', version: 1, schema: ram(64 << 20) });
    dst.set('/machine/ram', { type: 'ram', version: 1, schema: ram(128 << 20) });
    const e = thrown(() => planMigration(builtin(), src, dst));
    expect(e.problems).toEqual([
      '/machine/ram.data: 64 MiB (67108864 bytes) in the snapshot, 128 MiB (134217728 bytes) on the destination machine',
    ]);
    expect(e.path).toBe('/machine/ram');
  });

  it('a type the destination has, with no filter between', () => {
    const src = machine('off');
    const dst = machine('off');
    dst.set('/machine/ioapic', { type: 'i8259', version: 1 });
    dst.set('/machine/rtc', { type: 'serial', version: 1 });
    expect(thrown(() => planMigration(builtin(), src, dst)).problems).toEqual([
      '/machine/ioapic: no chain of filters turns ioapic v3 into i8259 v1',
      '/machine/rtc: unknown type "mc146818" in the snapshot (no filter knows it; the destination machine has serial v1)',
    ]);
  });
});

describe('applyPlan and convertSnapshot', () => {
  const r = new Rng(77);
  const objects = () =>
    new Map<string, FilterNode>([
      ['/machine/ioapic', { type: 'ioapic', version: 3, fields: genIoapic(r) }],
      ['/machine/pic/master', { type: 'i8259', version: 1, fields: genI8259(r) }],
      ['/machine/pic/slave', { type: 'i8259', version: 1, fields: genI8259(r) }],
      ['/machine/rtc', { type: 'mc146818', version: 1, fields: node({ x: 1 }) }],
    ]);

  it('replaces each group\'s nodes, shares the rest, and leaves the input alone', () => {
    const reg = builtin();
    const input = objects();
    const copy = new Map([...input].map(([p, o]) => [p, cloneTree(o.fields)]));
    const src = new Map([...input].map(([p, o]) => [p, { type: o.type, version: o.version }]));
    const dst = sigs([
      ['/machine/ioapic', 'kvm-ioapic', 1],
      ['/machine/pic/master', 'kvm-i8259', 1],
      ['/machine/pic/slave', 'kvm-i8259', 1],
      ['/machine/rtc', 'mc146818', 1],
    ]);
    const plan = planMigration(reg, src, dst);
    const out = applyPlan(reg, plan, input, 5n);
    expect([...out.keys()]).toEqual(['/machine/ioapic', '/machine/pic/master', '/machine/pic/slave', '/machine/rtc']);
    expect([...out.values()].map((o) => `${o.type}@${o.version}`)).toEqual(['kvm-ioapic@1', 'kvm-i8259@1', 'kvm-i8259@1', 'mc146818@1']);
    expect(out.get('/machine/rtc')).toBe(input.get('/machine/rtc'));
    for (const [p, o] of input) expect(treesEqual(o.fields, copy.get(p)!)).toBe(true);
    expect(input.get('/machine/ioapic')!.type).toBe('ioapic');
  });

  it('gives a new map in path order, whatever the input order, with or without steps', () => {
    const reg = builtin();
    const input = objects();
    const none = planMigration(reg, sigs([]), sigs([]));
    const sorted = applyPlan(reg, none, input, 0n);
    expect(sorted).not.toBe(input);
    expect([...sorted]).toEqual([...input]);
    const reversed = new Map([...input].reverse());
    expect([...applyPlan(reg, none, reversed, 0n).keys()]).toEqual([...input.keys()]);
    expect([...reversed.keys()]).toEqual([...input.keys()].reverse());
    const swapped = new Map([...input].map(([p, o]) => [p.replace('master', 'zz').replace('slave', 'master').replace('zz', 'slave'), o]));
    expect([...applyPlan(reg, none, swapped, 0n).keys()]).toEqual([...input.keys()]);
  });

  it('refuses a stale plan and a filter that breaks its declaration', () => {
    const reg = builtin();
    const plan = planMigration(reg, sigs([['/machine/ioapic', 'ioapic', 3]]), sigs([['/machine/ioapic', 'kvm-ioapic', 1]]));
    const wrong = new Map<string, FilterNode>([['/machine/ioapic', { type: 'i8259', version: 1, fields: node({}) }]]);
    expect(() => applyPlan(reg, plan, wrong, 0n)).toThrow(/expects ioapic v3, found i8259 v1/);

    const liar: Filter = { ...rename('liar', ['a', 1], ['b', 1]), apply: () => [{ type: 'c', version: 1, fields: node({}) }] };
    const reg2 = new FilterRegistry().registerAll([liar]);
    const p2 = planMigration(reg2, sigs([['/o', 'a', 1]]), sigs([['/o', 'b', 1]]));
    expect(() => applyPlan(reg2, p2, new Map([['/o', { type: 'a', version: 1, fields: node({}) }]]), 0n)).toThrow(
      /produced c v1, declared b v1/,
    );
  });

  it('convertSnapshot: the PIT split end to end, with schemas from the destination', () => {
    const reg = builtin();
    const pitSchema: SchemaNode = { fields: [{ name: 'irq_disabled', kind: 'u32' }] };
    const snap: Snapshot = {
      config: { irqchip: 'on' },
      clock: { virtualTimeNs: 10_000n, retiredInstructions: 10_000n, run: {} },
      objects: new Map([['/machine/pit', { type: 'kvm-pit', version: 1, fields: genKvmPit(r) }]]),
      schemas: new Map(),
    };
    const dst = new Map<string, ObjectSignature>([
      ['/machine/pit', { type: 'i8254', version: 3, schema: pitSchema }],
      ['/machine/pcspk', { type: 'pcspk', version: 1 }],
    ]);
    const { snapshot, plan } = convertSnapshot(reg, snap, dst);
    expect(plan.chain).toEqual(['kvm-pit->i8254+pcspk']);
    expect([...snapshot.objects.keys()]).toEqual(['/machine/pcspk', '/machine/pit']);
    expect([...snapshot.schemas.keys()]).toEqual(['i8254@3']);
    expect(snapshot.clock).toBe(snap.clock);
    expect(snap.objects.get('/machine/pit')!.type).toBe('kvm-pit');
    expect(sourceSignatures(snapshot).get('/machine/pit')).toEqual({ type: 'i8254', version: 3, schema: pitSchema });
  });
});

describe('FilterRegistry', () => {
  it('refuses malformed filters and duplicates', () => {
    const reg = new FilterRegistry();
    reg.register(rename('a-b', ['a', 1], ['b', 1]));
    const cases: Filter[] = [
      rename('a-b', ['a', 1], ['b', 1]),
      rename('Bad Name', ['a', 1], ['b', 1]),
      { ...rename('anchor', ['a', 1], ['b', 1]), consumes: [{ type: 'a', version: 1, at: '../x' }] },
      { ...rename('nothing', ['a', 1], ['b', 1]), produces: [] },
      { ...rename('badpath', ['a', 1], ['b', 1]), produces: [{ type: 'b', version: 1, at: 'x/y' }] },
      { ...rename('twice', ['a', 1], ['b', 1]), produces: [{ type: 'b', version: 1, at: '.' }, { type: 'c', version: 1, at: '.' }] },
    ];
    for (const f of cases) {
      let err: unknown;
      try {
        reg.register(f);
      } catch (e) {
        err = e;
      }
      expect(isWiringError(err), f.name).toBe(true);
    }
    expect(reg.all().map((f) => f.name)).toEqual(['a-b']);
  });

  it('reports inverses that do not mirror', () => {
    const reg = new FilterRegistry().registerAll([
      { ...rename('a-b', ['a', 1], ['b', 1]), inverse: 'b-a' },
      { ...rename('b-a', ['b', 1], ['c', 1]), inverse: 'a-b' },
      { ...rename('lonely', ['x', 1], ['y', 1]), inverse: 'nobody' },
    ]);
    expect(reg.inverseProblems()).toEqual([
      'a-b: inverse b-a does not consume what it produces',
      'b-a: inverse a-b does not consume what it produces',
      'lonely: inverse nobody is not registered',
    ]);
  });
});
