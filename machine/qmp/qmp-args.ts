/**
 * Checking a QMP command's `arguments` as QEMU's input visitor does, with QEMU's messages: declared
 * members first, in order (`Parameter 'uri' is missing`, `Invalid parameter type for
 * 'capabilities[0].state', expected: boolean`, `Parameter 'capability' does not accept value 'x'`),
 * then anything left over (`Parameter 'x' is unexpected`).
 */
import { QmpError } from './qmp-error.ts';
import { isObject, qmpTypeName } from './qmp-json.ts';

export type ArgType = 'string' | 'boolean' | 'integer' | 'array' | 'object';

export interface ArgSpec {
  type: ArgType;
  optional?: boolean;
  /** Allowed values of a string (a QAPI enum). */
  values?: readonly string[];
  /** The members of each element of an array of objects, or of an object. */
  members?: Readonly<Record<string, ArgSpec>>;
}

export type ArgsSpec = Readonly<Record<string, ArgSpec>>;

function typeMatches(type: ArgType, v: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'integer':
      return typeof v === 'number' && Number.isSafeInteger(v);
    case 'array':
      return Array.isArray(v);
    case 'object':
      return isObject(v);
  }
}

function checkValue(spec: ArgSpec, v: unknown, name: string, leaf: string): void {
  if (!typeMatches(spec.type, v)) throw new QmpError('GenericError', `Invalid parameter type for '${name}', expected: ${spec.type}`);
  if (spec.values !== undefined && !spec.values.includes(v as string)) {
    throw new QmpError('GenericError', `Parameter '${leaf}' does not accept value '${String(v)}'`);
  }
  if (spec.members === undefined) return;
  if (spec.type === 'array') {
    (v as unknown[]).forEach((item, i) => {
      const itemName = `${name}[${i}]`;
      if (!isObject(item)) throw new QmpError('GenericError', `Invalid parameter type for '${itemName}', expected: object`);
      checkMembers(spec.members!, item, `${itemName}.`);
    });
  } else {
    checkMembers(spec.members, v as Record<string, unknown>, `${name}.`);
  }
}

function checkMembers(members: ArgsSpec, obj: Record<string, unknown>, prefix: string): void {
  for (const [key, spec] of Object.entries(members)) {
    if (!Object.hasOwn(obj, key)) {
      if (spec.optional === true) continue;
      throw new QmpError('GenericError', `Parameter '${prefix}${key}' is missing`);
    }
    checkValue(spec, obj[key], `${prefix}${key}`, key);
  }
  for (const key of Object.keys(obj)) {
    if (!Object.hasOwn(members, key)) throw new QmpError('GenericError', `Parameter '${prefix}${key}' is unexpected`);
  }
}

/** Checks `args` against `spec`; throws a QmpError (GenericError) as QEMU words it. */
export function checkArgs(spec: ArgsSpec, args: Record<string, unknown>): void {
  checkMembers(spec, args, '');
}

export { qmpTypeName };
