/**
 * A Snapshot from a machine's object tree (the save side of docs/architecture.md section 8), and the check that
 * a decoded one can go back into a tree. Pure: the machine supplies the tree, its configuration and
 * its clock, and writes the bytes.
 */
import type { ObjectTree } from '../src/qom/object-tree.ts';
import type { SchemaNode } from '../src/visit/schema.ts';
import { schemasEqual } from '../src/visit/schema.ts';
import { StateError } from '../src/util/errors.ts';
import { schemaKey, type JsonObject, type Snapshot, type SnapshotClock, type SnapshotObject } from './snapshot.ts';

/**
 * Saves every object of `tree` with its schema. Byte strings (RAM) are references to live memory:
 * encode the snapshot before the machine runs again. Two objects of the same type and version whose
 * schemas differ (a byte string sized by configuration) cannot share a schema key: StateError.
 */
export function captureSnapshot(tree: ObjectTree, config: JsonObject, clock: SnapshotClock): Snapshot {
  const objects = new Map<string, SnapshotObject>();
  for (const [path, saved] of tree.saveAll()) objects.set(path, { type: saved.type, version: saved.version, fields: saved.fields });
  const schemas = new Map<string, SchemaNode>();
  const firstPath = new Map<string, string>();
  for (const [path, described] of tree.describeAll()) {
    const key = schemaKey(described.type, described.version);
    const known = schemas.get(key);
    if (known === undefined) {
      schemas.set(key, described.schema);
      firstPath.set(key, path);
    } else if (!schemasEqual(known, described.schema)) {
      throw new StateError(path, `schema differs from that of ${firstPath.get(key)} although both are ${key}`);
    }
  }
  return { config, clock, objects, schemas };
}
