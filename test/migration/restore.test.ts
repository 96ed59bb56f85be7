/**
 * migration/restore.ts: the one function every restore goes through, against destinations given as
 * plain data (no machine): configuration and object problems together, filters, the destination's
 * schemas and its own checks.
 */
import { describe, expect, it } from 'vitest';
import type { DescribedObject } from '../../src/qom/object-tree.ts';
import type { SchemaNode } from '../../src/visit/schema.ts';
import { StateError, isStateError } from '../../src/util/errors.ts';
import { cloneTree, newNode, treesEqual } from '../../src/visit/state-tree.ts';
import type { Filter } from '../../migration/filters/filter.ts';
import { FilterRegistry } from '../../migration/registry.ts';
import { isSnapshotMismatchError, type SnapshotMismatchError } from '../../migration/mismatch-error.ts';
import { prepareRestore, type PreparedRestore, type RestoreDestination } from '../../migration/restore.ts';
import type { Snapshot } from '../../migration/snapshot.ts';
import { PIT_SCHEMA, sampleSnapshot } from './sample-snapshot.ts';

const RAM_SCHEMA: SchemaNode = { fields: [{ name: 'data', kind: 'bytes', length: 65536 }] };
const COUNTER_SCHEMA: SchemaNode = { fields: [{ name: 'count', kind: 'u8' }] };

/** The destination that sampleSnapshot() fits as it is. */
function sameObjects(): Map<string, DescribedObject> {
  return new Map([
    ['/machine/pit', { type: 'i8254', version: 2, schema: PIT_SCHEMA }],
    ['/machine/ram', { type: 'ram', version: 1, schema: RAM_SCHEMA }],
  ]);
}

/** A filter that turns `counter@1` {count} into `counter@2` {count + add}. */
function counterUp(add: number): Filter {
  return {
    name: 'counter:v1->v2',
    description: 'test',
    consumes: [{ at: '.', type: 'counter', version: 1 }],
    produces: [{ at: '.', type: 'counter', version: 2 }],
    apply([input]) {
      const fields = newNode();
      fields['count'] = (input!.fields['count'] as number) + add;
      return [{ type: 'counter', version: 2, fields }];
    },
  };
}

/** sampleSnapshot() plus `/machine/counter` as counter@1 {count: 200}. */
function withCounter(): Snapshot {
  const s = sampleSnapshot();
  const fields = newNode();
  fields['count'] = 200;
  s.objects.set('/machine/counter', { type: 'counter', version: 1, fields });
  s.schemas.set('counter@1', COUNTER_SCHEMA);
  return s;
}

function counterDestination(extra: Partial<RestoreDestination> = {}): RestoreDestination {
  const objects = sameObjects();
  objects.set('/machine/counter', { type: 'counter', version: 2, schema: COUNTER_SCHEMA });
  return { objects, ...extra };
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('prepareRestore', () => {
  it('a snapshot that fits as it is: no steps, the same objects, the destination schemas', () => {
    const s = sampleSnapshot();
    const prepared = prepareRestore(s, { objects: sameObjects() }, new FilterRegistry());
    expect(prepared.plan.steps).toEqual([]);
    expect([...prepared.objects.keys()]).toEqual(['/machine/pit', '/machine/ram']);
    for (const [path, obj] of s.objects) expect(treesEqual(prepared.objects.get(path)!.fields, obj.fields), path).toBe(true);
    expect(prepared.schemas.get('/machine/pit')!.schema).toBe(PIT_SCHEMA);
    expect(prepared.clock).toBe(s.clock);
  });

  it('configuration problems and object problems come together in one SnapshotMismatchError', () => {
    const s = sampleSnapshot();
    const objects = sameObjects();
    objects.delete('/machine/pit');
    objects.set('/machine/rtc', { type: 'mc146818', version: 1, schema: { fields: [] } });
    let seen: unknown = null;
    const e = thrown(() =>
      prepareRestore(
        s,
        {
          objects,
          configProblems: (config) => {
            seen = config;
            return ['-m: the RAM size differs'];
          },
        },
        new FilterRegistry(),
      ),
    );
    expect(seen).toBe(s.config);
    expect(isSnapshotMismatchError(e)).toBe(true);
    expect((e as SnapshotMismatchError).problems).toEqual([
      '-m: the RAM size differs',
      '/machine/pit: unknown type "i8254" in the snapshot (no filter knows it; the destination machine has no object at this path)',
      '/machine/rtc: the destination machine has mc146818 v1 here, the snapshot has no object at this path',
    ]);
  });

  it('a configuration problem alone is a mismatch too, even when every object fits', () => {
    const e = thrown(() => prepareRestore(sampleSnapshot(), { objects: sameObjects(), configProblems: () => ['-smp: differs'] }, new FilterRegistry()));
    expect((e as SnapshotMismatchError).problems).toEqual(['-smp: differs']);
  });

  it('runs the filters and gives the destination what it loads; the snapshot is left as it was', () => {
    const s = withCounter();
    const before = cloneTree(s.objects.get('/machine/counter')!.fields);
    const prepared = prepareRestore(s, counterDestination(), new FilterRegistry().registerAll([counterUp(1)]));
    expect(prepared.plan.chain).toEqual(['counter:v1->v2']);
    expect(prepared.objects.get('/machine/counter')).toMatchObject({ type: 'counter', version: 2, fields: { count: 201 } });
    expect(treesEqual(s.objects.get('/machine/counter')!.fields, before)).toBe(true);
    expect(s.objects.get('/machine/counter')!.version).toBe(1);
  });

  it('a filtered object that does not fit the destination schema is a StateError naming the field', () => {
    // 200 + 100 = 300 does not fit counter@2's u8: caught here, not when a device loads it.
    const e = thrown(() => prepareRestore(withCounter(), counterDestination(), new FilterRegistry().registerAll([counterUp(100)])));
    expect(isStateError(e)).toBe(true);
    expect((e as StateError).message).toBe('/machine/counter.count: expected u8, got 300');
  });

  it("the destination's own check sees the filtered objects and the clock, and its error stands", () => {
    const s = withCounter();
    let seen: PreparedRestore | null = null;
    const check = (p: PreparedRestore) => {
      seen = p;
      throw new StateError('run.scheduler_cpu', 'not a CPU of this machine');
    };
    const e = thrown(() => prepareRestore(s, counterDestination({ check }), new FilterRegistry().registerAll([counterUp(1)])));
    expect((e as Error).message).toBe('run.scheduler_cpu: not a CPU of this machine');
    expect(seen!.objects.get('/machine/counter')!.fields['count']).toBe(201);
    expect(seen!.clock).toBe(s.clock);
  });

  it('the check does not run when planning failed', () => {
    let ran = false;
    const objects = sameObjects();
    objects.delete('/machine/ram');
    const e = thrown(() => prepareRestore(sampleSnapshot(), { objects, check: () => void (ran = true) }, new FilterRegistry()));
    expect(isSnapshotMismatchError(e)).toBe(true);
    expect(ran).toBe(false);
  });
});
