/**
 * The restore pipeline up to the load (docs/architecture.md section 8, steps 3 and 4 and every check that needs
 * no device): compare a decoded snapshot with the destination, plan a chain of filters, run it, and
 * check the result, so that what the destination loads has been verified as far as plain data can
 * be. Every restore goes through prepareRestore: `-incoming`, `godwit snapshot verify` and
 * `convert`, the demo, the benchmarks and the tests.
 *
 *   const destination = { objects: tree.describeAll(), configProblems, check };
 *   const { plan, objects } = prepareRestore(snapshot, destination, registry);
 *
 * The destination is plain data: each object's (path, type, version, schema), which the describe
 * visitor gives without saving any state, plus the destination's own rules about the snapshot's
 * recorded configuration and run state, passed as functions (migration/ knows no machine).
 */
import type { DescribedObject } from '../src/qom/object-tree.ts';
import { validateAgainstSchema } from '../src/visit/schema.ts';
import { StateError } from '../src/util/errors.ts';
import { isFilterError } from './filters/filter-error.ts';
import type { FilterRegistry } from './registry.ts';
import type { MigrationPlan } from './planner.ts';
import { applyPlan, planMigration, sourceSignatures } from './planner.ts';
import { SnapshotMismatchError } from './mismatch-error.ts';
import type { JsonObject, Snapshot, SnapshotClock, SnapshotObject } from './snapshot.ts';

/** What a snapshot is restored into, as data. */
export interface RestoreDestination {
  /** Every object of the destination by path, with its schema (ObjectTree.describeAll()). */
  readonly objects: ReadonlyMap<string, DescribedObject>;
  /**
   * What the destination finds wrong in the snapshot's recorded configuration (a value it would
   * refuse, a RAM size or CPU model that differs), one line per problem starting with the option or
   * `config.` path; listed with the objects' problems in one SnapshotMismatchError.
   */
  readonly configProblems?: (config: JsonObject) => readonly string[];
  /**
   * Checks of the filtered state that need the destination's rules (a scheduler turn on a CPU it
   * lacks, boot images it could not boot): throws a StateError naming what is wrong.
   */
  readonly check?: (prepared: PreparedRestore) => void;
}

/** The snapshot as the destination loads it. */
export interface PreparedRestore {
  readonly plan: MigrationPlan;
  /** Every object's state after the filters, by path in sorted order, each fitting its schema. */
  readonly objects: Map<string, SnapshotObject>;
  /** The destination's schemas of those objects, by path. */
  readonly schemas: ReadonlyMap<string, DescribedObject>;
  readonly config: JsonObject;
  readonly clock: SnapshotClock;
}

/**
 * Verifies, plans and filters: the snapshot's recorded configuration against the destination's rules
 * and its (path, type, version, schema) set against the destination's, together (one
 * SnapshotMismatchError listing every problem); then the filters (a FilterError for a value a
 * filter cannot carry); then every resulting object against the destination's schema for its path,
 * as strictly as the input visitors will load it, and the destination's own checks (StateError).
 * The snapshot is not modified.
 */
export function prepareRestore(snapshot: Snapshot, destination: RestoreDestination, registry: FilterRegistry): PreparedRestore {
  const problems = [...(destination.configProblems?.(snapshot.config) ?? [])];
  let plan: MigrationPlan | null = null;
  try {
    plan = planMigration(registry, sourceSignatures(snapshot), destination.objects);
  } catch (e) {
    if (!isFilterError(e)) throw e;
    problems.push(...e.problems);
  }
  if (plan === null || problems.length > 0) throw new SnapshotMismatchError(problems);

  const objects = applyPlan(registry, plan, snapshot.objects, snapshot.clock.virtualTimeNs) as Map<string, SnapshotObject>;
  // The plan ends on the destination's signatures; the fields must fit the destination's schemas.
  for (const [path, obj] of objects) {
    const described = destination.objects.get(path);
    if (described === undefined) throw new StateError(path, 'the destination machine has no object at this path');
    validateAgainstSchema(obj.fields, described.schema, path);
  }
  const prepared: PreparedRestore = { plan, objects, schemas: destination.objects, config: snapshot.config, clock: snapshot.clock };
  destination.check?.(prepared);
  return prepared;
}
