/**
 * The in-memory snapshot (docs/architecture.md section 7): plain data, no device code. The container
 * (encode.ts / decode.ts) turns it into bytes and back; filters rewrite it; the machine loads it.
 */
import type { StateNode } from '../src/visit/state-tree.ts';
import type { SchemaNode } from '../src/visit/schema.ts';

/** A JSON value as the snapshot document holds it (config, clock.run). */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** Machine-level run state at the stop. */
export interface SnapshotClock {
  /** Virtual time at the stop, ns. */
  virtualTimeNs: bigint;
  /** Instructions retired by all vCPUs together at the stop. */
  retiredInstructions: bigint;
  /** Any other machine-level run state, as plain JSON (icount shift, stop reason...). */
  run: JsonObject;
}

/** One object's state, as ObjectTree.saveAll() produces it. */
export interface SnapshotObject {
  type: string;
  version: number;
  fields: StateNode;
}

/**
 * What a diff snapshot (format version 3) is a diff against: the base file's path as recorded
 * (relative paths are relative to the diff file's directory) and its identity (Header.id).
 */
export interface SnapshotBase {
  path: string;
  id: string;
}

export interface Snapshot {
  /** A diff snapshot's base; absent in a full snapshot (the only kind a machine restores). */
  base?: SnapshotBase;
  /** The source machine's configuration, as plain JSON. */
  config: JsonObject;
  clock: SnapshotClock;
  /** One entry per object path (`/machine/cpu[0]/lapic`). */
  objects: Map<string, SnapshotObject>;
  /** Schema of each (type, version) present, keyed by schemaKey(type, version): `apic@1`. */
  schemas: Map<string, SchemaNode>;
}

/** The key of a schema in Snapshot.schemas: `type@version`. */
export function schemaKey(type: string, version: number): string {
  return `${type}@${version}`;
}

/** Splits a schema key; null when it is not `<type>@<non-negative integer>`. */
export function parseSchemaKey(key: string): { type: string; version: number } | null {
  const match = /^([^@]+)@(0|[1-9][0-9]{0,8})$/.exec(key);
  if (match === null) return null;
  return { type: match[1]!, version: Number(match[2]) };
}
