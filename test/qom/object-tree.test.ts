import { describe, expect, it } from 'vitest';
import {
  isValidObjectName,
  isValidObjectPath,
  ObjectTree,
  TypeRegistry,
  type SavedObject,
} from '../../src/qom/object-tree.ts';
import type { StateObject } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';
import { cloneTree, diffTrees, newNode, type StateNode } from '../../src/visit/state-tree.ts';
import { isStateError, isWiringError } from '../../src/util/errors.ts';
import { filledSample, SampleDevice } from '../visit/sample-device.ts';

class Pic implements StateObject {
  readonly typeName = 'i8259';
  readonly stateVersion = 1;
  imr = 0xff;
  irr = 0;
  visit(v: Visitor): void {
    this.imr = v.u8('imr', this.imr);
    this.irr = v.u8('irr', this.irr);
  }
}

function buildTree(): ObjectTree {
  const tree = new ObjectTree();
  tree.add('/machine/pic/slave', new Pic());
  tree.add('/machine/cpu[0]/lapic', filledSample());
  tree.add('/machine/pic/master', new Pic());
  tree.add('/machine/cpu[10]/lapic', new SampleDevice());
  tree.add('/machine/peripheral/disk0', new Pic());
  return tree;
}

function expectError(f: () => void, message: string, guard: (e: unknown) => boolean): void {
  try {
    f();
  } catch (e) {
    expect(guard(e)).toBe(true);
    expect((e as Error).message).toBe(message);
    return;
  }
  throw new Error('no error');
}

function cloneSaved(saved: Map<string, SavedObject>): Map<string, SavedObject> {
  return new Map([...saved].map(([p, s]) => [p, { ...s, fields: cloneTree(s.fields) }]));
}

describe('object paths', () => {
  it('accepts explicit paths and rejects malformed ones', () => {
    for (const p of ['/machine', '/machine/cpu[0]', '/machine/cpu[12]/lapic', '/machine/peripheral/my_disk-1']) {
      expect(isValidObjectPath(p)).toBe(true);
    }
    for (const p of ['', '/', 'machine', '/machine/', '//machine', '/machine/cpu[01]', '/machine/cpu[]', '/machine/a.b',
      '/machine/../x', '/machine/1cpu', '/machine/cpu[0]x', '/machine/ spaces', `/${'a'.repeat(300)}`]) {
      expect(isValidObjectPath(p)).toBe(false);
    }
    expect(isValidObjectName('disk0')).toBe(true);
    expect(isValidObjectName('disk/0')).toBe(false);
  });
});

describe('ObjectTree', () => {
  it('rejects duplicates, malformed paths and bad types', () => {
    const tree = buildTree();
    expectError(() => tree.add('/machine/pic/master', new Pic()), '/machine/pic/master: an object is already there', isWiringError);
    expectError(() => tree.add('/machine/pic/', new Pic()), 'bad object path "/machine/pic/"', isWiringError);
    const badType = { typeName: 'Bad Type', stateVersion: 1, visit() {} };
    expectError(() => tree.add('/machine/x', badType), '/machine/x: bad type name "Bad Type"', isWiringError);
    const badVersion = { typeName: 'x', stateVersion: -1, visit() {} };
    expectError(() => tree.add('/machine/x', badVersion), '/machine/x: bad state version -1', isWiringError);
    expect(tree.size).toBe(5);
  });

  it('lists paths in sorted order, whatever the order of creation', () => {
    const tree = buildTree();
    const expected = [
      '/machine/cpu[0]/lapic',
      '/machine/cpu[10]/lapic',
      '/machine/peripheral/disk0',
      '/machine/pic/master',
      '/machine/pic/slave',
    ];
    expect(tree.paths()).toEqual(expected);
    expect(tree.entries().map(([p]) => p)).toEqual(expected);
    expect(tree.entries()[3]![1]).toBe(tree.get('/machine/pic/master'));
    expect(tree.get('/machine/nothing')).toBeUndefined();
    expect(tree.has('/machine/pic/slave')).toBe(true);
    tree.add('/machine/a', new Pic());
    expect(tree.paths()[0]).toBe('/machine/a');
  });

  it('saves every object with its type and version, in path order', () => {
    const saved = buildTree().saveAll();
    expect([...saved.keys()]).toEqual(buildTree().paths());
    const master = saved.get('/machine/pic/master')!;
    expect(master.type).toBe('i8259');
    expect(master.version).toBe(1);
    expect(master.fields).toEqual(Object.assign(newNode(), { imr: 0xff, irr: 0 }));
    const described = buildTree().describeAll();
    expect(described.get('/machine/cpu[0]/lapic')!.type).toBe('sample');
    expect(described.get('/machine/pic/master')!.schema.fields.map((f) => f.name)).toEqual(['imr', 'irr']);
  });

  it('describes each object once, shares equal schemas, and describes again after an add', () => {
    const tree = buildTree();
    let described = 0;
    const pic = tree.get('/machine/pic/master') as Pic;
    pic.visit = function (this: Pic, v: Visitor) {
      if (v.mode === 'describe') described++;
      Pic.prototype.visit.call(this, v);
    };
    const first = tree.describeAll();
    const second = tree.describeAll();
    expect(described).toBe(1);
    expect(second).not.toBe(first);
    expect([...second.entries()]).toEqual([...first.entries()]);
    // Two i8259s: one schema object.
    expect(first.get('/machine/pic/master')!.schema).toBe(first.get('/machine/pic/slave')!.schema);
    tree.add('/machine/pic/third', new Pic());
    const third = tree.describeAll();
    expect(described).toBe(2);
    expect(third.get('/machine/pic/third')!.schema).toBe(first.get('/machine/pic/master')!.schema);
    // describedObjects: the kept map itself, until the next add.
    const view = tree.describedObjects();
    expect(tree.describedObjects()).toBe(view);
    expect([...view.keys()]).toEqual([...third.keys()]);
    tree.add('/machine/pic/fourth', new Pic());
    expect(tree.describedObjects().has('/machine/pic/fourth')).toBe(true);
    expect(view.has('/machine/pic/fourth')).toBe(false);
    expect(described).toBe(3);
  });

  it('adopts the description of a tree of the same objects only, and describes again after an add', () => {
    class OtherPic extends Pic {}
    const pic2 = (): StateObject => {
      const p = new Pic();
      Object.defineProperty(p, 'stateVersion', { value: 2 });
      return p;
    };
    const described = buildTree();
    const kept = described.describedObjects();
    // The same objects: taken, no describe walk.
    const same = buildTree();
    expect(same.adoptDescription(described)).toBe(true);
    expect(same.describedObjects()).toBe(kept);
    // Not described yet, or described already: nothing taken.
    expect(buildTree().adoptDescription(buildTree())).toBe(false);
    expect(same.adoptDescription(described)).toBe(false);
    // A path more or less, another path, class or version: not taken.
    const variants: Array<(t: ObjectTree) => void> = [(t) => t.add('/machine/extra', new Pic())];
    const trees = [
      ['/machine/pic/slave', new Pic()],
      ['/machine/cpu[0]/lapic', filledSample()],
      ['/machine/pic/master', new Pic()],
      ['/machine/cpu[10]/lapic', new SampleDevice()],
    ] as const;
    const build = (last: [string, StateObject]) => {
      const t = new ObjectTree();
      for (const [p, o] of trees) t.add(p, o);
      t.add(last[0], last[1]);
      return t;
    };
    for (const t of [build(['/machine/peripheral/disk1', new Pic()]), build(['/machine/peripheral/disk0', new OtherPic()]), build(['/machine/peripheral/disk0', pic2()])]) {
      expect(t.adoptDescription(described)).toBe(false);
      expect(t.describedObjects()).not.toBe(kept);
    }
    for (const change of variants) {
      const t = buildTree();
      change(t);
      expect(t.adoptDescription(described)).toBe(false);
      expect(t.describedObjects().has('/machine/extra')).toBe(true);
    }
    const fewer = new ObjectTree();
    for (const [p, o] of trees) fewer.add(p, o);
    expect(fewer.adoptDescription(described)).toBe(false);
    // An add after adopting describes this tree again and leaves the other's as it was.
    same.add('/machine/late', new Pic());
    expect(same.describedObjects().has('/machine/late')).toBe(true);
    expect(described.describedObjects()).toBe(kept);
  });

  it('round-trips: save -> load into a fresh tree -> save', () => {
    const source = buildTree();
    (source.get('/machine/pic/master') as Pic).irr = 0x21;
    const first = source.saveAll();
    const dest = buildTree();
    dest.loadAll(cloneSaved(first));
    const second = dest.saveAll();
    for (const [path, s] of first) expect(diffTrees(s.fields, second.get(path)!.fields, path)).toEqual([]);
    expect((dest.get('/machine/pic/master') as Pic).irr).toBe(0x21);
  });

  it('names the path on a type or version mismatch', () => {
    const saved = cloneSaved(buildTree().saveAll());
    saved.set('/machine/pic/slave', { ...saved.get('/machine/pic/slave')!, type: 'kvm-i8259' });
    expectError(
      () => buildTree().loadAll(saved),
      '/machine/pic/slave: type mismatch: saved "kvm-i8259", this machine has "i8259"',
      isStateError,
    );
    const saved2 = cloneSaved(buildTree().saveAll());
    saved2.set('/machine/cpu[10]/lapic', { ...saved2.get('/machine/cpu[10]/lapic')!, version: 1 });
    expectError(
      () => buildTree().loadAll(saved2),
      '/machine/cpu[10]/lapic: version mismatch for type sample: saved 1, this machine has 2',
      isStateError,
    );
  });

  it('rejects missing and extra objects before loading anything', () => {
    const saved = cloneSaved(buildTree().saveAll());
    saved.delete('/machine/pic/master');
    expectError(() => buildTree().loadAll(saved), '/machine/pic/master: missing from the saved state', isStateError);
    const extra = cloneSaved(buildTree().saveAll());
    extra.set('/machine/hpet', { type: 'hpet', version: 1, fields: newNode() });
    const dest = buildTree();
    expectError(() => dest.loadAll(extra), '/machine/hpet: saved state for an object this machine does not have', isStateError);
    // a bad node later in path order stops the load before any object changed
    const late = cloneSaved(buildTree().saveAll());
    late.set('/machine/pic/slave', { type: 'i8259', version: 1, fields: 5 as unknown as StateNode });
    const dest2 = buildTree();
    expectError(() => dest2.loadAll(late), '/machine/pic/slave: saved entry has no fields', isStateError);
    expect((dest2.get('/machine/cpu[10]/lapic') as SampleDevice).tpr).toBe(0);
  });

  it('reports field errors with the object path', () => {
    const saved = cloneSaved(buildTree().saveAll());
    (saved.get('/machine/pic/master')!.fields as StateNode).bogus = 1;
    expectError(() => buildTree().loadAll(saved), '/machine/pic/master.bogus: unknown field', isStateError);
    const saved2 = cloneSaved(buildTree().saveAll());
    ((saved2.get('/machine/cpu[0]/lapic')!.fields.isr as number[])[3] = -1);
    expectError(() => buildTree().loadAll(saved2), '/machine/cpu[0]/lapic.isr[3]: expected u32, got -1', isStateError);
  });

  it('rejects hostile entries', () => {
    const saved = cloneSaved(buildTree().saveAll()) as Map<string, unknown>;
    saved.set('/machine/pic/master', null);
    expectError(() => buildTree().loadAll(saved as Map<string, SavedObject>), '/machine/pic/master: saved entry is not an object', isStateError);
    saved.set('/machine/pic/master', Object.create({ type: 'i8259', version: 1, fields: {} }));
    expectError(() => buildTree().loadAll(saved as Map<string, SavedObject>), '/machine/pic/master: saved entry has no type', isStateError);
    saved.set('/machine/pic/master', { type: 'i8259', version: '1', fields: {} });
    expectError(
      () => buildTree().loadAll(saved as Map<string, SavedObject>),
      '/machine/pic/master: version mismatch for type i8259: saved string, this machine has 1',
      isStateError,
    );
  });
});

describe('TypeRegistry', () => {
  it('registers types with versions and factories', () => {
    const registry = new TypeRegistry<() => StateObject>();
    registry.register('i8259', 1, () => new Pic());
    registry.register('kvm-i8259', 3);
    expect(registry.has('i8259')).toBe(true);
    expect(registry.version('kvm-i8259')).toBe(3);
    expect(registry.get('i8259')!.factory!().typeName).toBe('i8259');
    expect(registry.get('kvm-i8259')!.factory).toBeUndefined();
    expect(registry.get('nothing')).toBeUndefined();
    expect(registry.names()).toEqual(['i8259', 'kvm-i8259']);
  });

  it('rejects duplicates and malformed names or versions', () => {
    const registry = new TypeRegistry();
    registry.register('apic', 1);
    expectError(() => registry.register('apic', 2), 'type apic registered twice', isWiringError);
    expectError(() => registry.register('', 1), 'bad type name ""', isWiringError);
    expectError(() => registry.register('__proto__', 1), 'bad type name "__proto__"', isWiringError);
    expectError(() => registry.register('x', 1.5), 'type x: bad state version 1.5', isWiringError);
    expectError(() => registry.version('ioapic'), 'unknown type "ioapic"', isWiringError);
  });
});
