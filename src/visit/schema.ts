/**
 * State schemas: names and kinds of a state tree's fields, as the describe visitor records them and
 * as every snapshot carries them (docs/architecture.md section 4), so that a reader without device code can
 * decode a snapshot (which strings are u64s, which arrays are byte strings) and verify it.
 *
 * A schema is plain JSON-able data. Fields are an ordered list rather than object keys, so that a
 * field called `__proto__` is as ordinary as any other.
 */
import type { ArrayKind, ScalarKind } from './visitor.ts';
import { isStateNode, type StateNode, type StateValue } from './state-tree.ts';
import { StateError } from '../util/errors.ts';
import {
  arrayShapeError,
  ELEMENT_KIND,
  firstBadElement,
  isArrayKind,
  isScalarKind,
  MAX_VARBYTES_LENGTH,
  scalarError,
  structArrayError,
  structError,
  varBytesError,
} from './field-checks.ts';

export interface ScalarField {
  readonly name: string;
  readonly kind: ScalarKind;
}
export interface ArrayField {
  readonly name: string;
  readonly kind: ArrayKind;
  readonly length: number;
}
/** A byte string of any length up to maxLength (the length is in the state, not in the schema). */
export interface VarBytesField {
  readonly name: string;
  readonly kind: 'varbytes';
  readonly maxLength: number;
}
/** A nested group (`struct`) or an optional group (`optional`, absent when not needed). */
export interface GroupField {
  readonly name: string;
  readonly kind: 'struct' | 'optional';
  readonly fields: readonly SchemaField[];
}
/** A fixed-length array of groups, all of the same shape. */
export interface GroupArrayField {
  readonly name: string;
  readonly kind: 'struct[]';
  readonly length: number;
  readonly fields: readonly SchemaField[];
}
export type SchemaField = ScalarField | ArrayField | VarBytesField | GroupField | GroupArrayField;

/** The schema of one object's state: its top-level fields in visit order. */
export interface SchemaNode {
  readonly fields: readonly SchemaField[];
}

/** Exact equality of two schemas (same fields, same order). */
export function schemasEqual(a: SchemaNode, b: SchemaNode): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Checks a state tree against a schema, as strictly as the input visitor would: kinds, ranges, array
 * lengths, missing fields and unknown fields, at any depth. Throws a StateError naming the path.
 */
export function validateAgainstSchema(node: unknown, schema: SchemaNode, path: string): void {
  const problem = structError(node);
  if (problem !== null) throw new StateError(path, problem);
  validateFields(node as StateNode, schema.fields, path);
}

function validateFields(node: StateNode, fields: readonly SchemaField[], path: string): void {
  let present = 0;
  for (const field of fields) {
    const at = `${path}.${field.name}`;
    if (!Object.hasOwn(node, field.name)) {
      if (field.kind === 'optional') continue;
      throw new StateError(at, 'missing');
    }
    present++;
    validateField(node[field.name]!, field, at);
  }
  if (Object.keys(node).length === present) return;
  const known = new Set(fields.map((f) => f.name));
  for (const key of Object.keys(node)) {
    if (!known.has(key)) throw new StateError(`${path}.${key}`, 'unknown field');
  }
}

function validateField(value: StateValue, field: SchemaField, at: string): void {
  if (isScalarKind(field.kind)) {
    const problem = scalarError(field.kind, value);
    if (problem !== null) throw new StateError(at, problem);
    return;
  }
  switch (field.kind) {
    case 'varbytes': {
      const problem = varBytesError(field.maxLength, value);
      if (problem !== null) throw new StateError(at, problem);
      return;
    }
    case 'struct':
    case 'optional': {
      const problem = structError(value);
      if (problem !== null) throw new StateError(at, problem);
      validateFields(value as StateNode, field.fields, at);
      return;
    }
    case 'struct[]': {
      const problem = structArrayError(field.length, value);
      if (problem !== null) throw new StateError(at, problem);
      const elements = value as StateValue[];
      for (let i = 0; i < elements.length; i++) {
        const element = elements[i];
        const elementProblem = structError(element);
        if (elementProblem !== null) throw new StateError(`${at}[${i}]`, elementProblem);
        validateFields(element as StateNode, field.fields, `${at}[${i}]`);
      }
      return;
    }
    default: {
      const array = field as ArrayField;
      const problem = arrayShapeError(array.kind, array.length, value);
      if (problem !== null) throw new StateError(at, problem);
      if (array.kind === 'bytes') return;
      const element = ELEMENT_KIND[array.kind];
      const values = value as StateValue[];
      const bad = firstBadElement(element, values);
      if (bad >= 0) throw new StateError(`${at}[${bad}]`, scalarError(element, values[bad])!);
    }
  }
}

/** Deepest nesting of groups accepted in an untrusted schema. */
export const MAX_SCHEMA_DEPTH = 32;
/** Most fields (counted over all groups) accepted in one untrusted schema. */
export const MAX_SCHEMA_FIELDS = 65536;
/** Longest field name accepted in an untrusted schema. */
export const MAX_FIELD_NAME = 128;

/**
 * Checks an untrusted schema (decoded from a snapshot) and returns a clean copy holding only the
 * known properties. Rejects unknown kinds, bad lengths, duplicate names, excessive depth or size.
 */
export function parseSchema(value: unknown, path: string): SchemaNode {
  const budget = { fields: 0 };
  if (!isStateNode(value)) throw new StateError(path, 'schema: expected an object');
  const fields = parseFields(Object.hasOwn(value, 'fields') ? (value as Record<string, unknown>)['fields'] : undefined, `${path}.fields`, 0, budget);
  return { fields };
}

function parseFields(value: unknown, path: string, depth: number, budget: { fields: number }): SchemaField[] {
  if (depth > MAX_SCHEMA_DEPTH) throw new StateError(path, 'schema: nested too deeply');
  if (!Array.isArray(value)) throw new StateError(path, 'schema: expected a field list');
  const out: SchemaField[] = [];
  const names = new Set<string>();
  for (let i = 0; i < value.length; i++) {
    if (++budget.fields > MAX_SCHEMA_FIELDS) throw new StateError(path, 'schema: too many fields');
    const at = `${path}[${i}]`;
    const raw: unknown = value[i];
    if (!isStateNode(raw)) throw new StateError(at, 'schema: expected a field');
    const entry = raw as Record<string, unknown>;
    const name = Object.hasOwn(entry, 'name') ? entry['name'] : undefined;
    const kind = Object.hasOwn(entry, 'kind') ? entry['kind'] : undefined;
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_FIELD_NAME) {
      throw new StateError(at, 'schema: bad field name');
    }
    if (names.has(name)) throw new StateError(at, `schema: duplicate field ${JSON.stringify(name)}`);
    names.add(name);
    const length = Object.hasOwn(entry, 'length') ? entry['length'] : undefined;
    const goodLength = typeof length === 'number' && Number.isSafeInteger(length) && length >= 0 && length <= 0xffffffff;
    const fields = Object.hasOwn(entry, 'fields') ? entry['fields'] : undefined;
    if (isScalarKind(kind)) {
      out.push({ name, kind });
    } else if (isArrayKind(kind)) {
      if (!goodLength) throw new StateError(at, 'schema: bad array length');
      out.push({ name, kind, length: length as number });
    } else if (kind === 'varbytes') {
      const max = Object.hasOwn(entry, 'maxLength') ? entry['maxLength'] : undefined;
      if (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 0 || max > MAX_VARBYTES_LENGTH) {
        throw new StateError(at, 'schema: bad maxLength');
      }
      out.push({ name, kind, maxLength: max });
    } else if (kind === 'struct' || kind === 'optional') {
      out.push({ name, kind, fields: parseFields(fields, `${at}.fields`, depth + 1, budget) });
    } else if (kind === 'struct[]') {
      if (!goodLength) throw new StateError(at, 'schema: bad array length');
      out.push({ name, kind, length: length as number, fields: parseFields(fields, `${at}.fields`, depth + 1, budget) });
    } else {
      throw new StateError(at, 'schema: unknown kind');
    }
  }
  return out;
}
