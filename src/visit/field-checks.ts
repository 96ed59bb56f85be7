/**
 * Kind and range checks shared by the input visitor, the output visitor and schema validation, so
 * that all of them accept exactly the same trees. Each check returns null when the value is
 * acceptable, or the message of the error (`expected u32, got -1`); callers add the path.
 */
import type { ArrayKind, ScalarKind } from './visitor.ts';
import { isStateNode } from './state-tree.ts';

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** Element kind of each array kind. */
export const ELEMENT_KIND: Readonly<Record<ArrayKind, ScalarKind>> = {
  'u8[]': 'u8',
  'u16[]': 'u16',
  'u32[]': 'u32',
  'i32[]': 'i32',
  'u64[]': 'u64',
  bytes: 'u8',
};

const SCALAR_KINDS: ReadonlySet<string> = new Set(['u8', 'u16', 'u32', 'i8', 'i16', 'i32', 'u64', 'i64', 'bool']);
const ARRAY_KINDS: ReadonlySet<string> = new Set(['u8[]', 'u16[]', 'u32[]', 'i32[]', 'u64[]', 'bytes']);

export function isScalarKind(kind: unknown): kind is ScalarKind {
  return typeof kind === 'string' && SCALAR_KINDS.has(kind);
}

export function isArrayKind(kind: unknown): kind is ArrayKind {
  return typeof kind === 'string' && ARRAY_KINDS.has(kind);
}

/** A short, bounded rendering of a (possibly hostile) value for error messages. */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'number':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'boolean':
      return String(value);
    case 'string':
      return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
    case 'undefined':
      return 'undefined';
    case 'object':
      if (value === null) return 'null';
      if (value instanceof Uint8Array) return `bytes[${value.length}]`;
      if (Array.isArray(value)) return `array[${value.length}]`;
      if (isStateNode(value)) return 'struct';
      return 'object';
    default:
      return typeof value;
  }
}

/** Checks one scalar value (number kinds: an integer in range; 64-bit kinds: a bigint in range). */
export function scalarError(kind: ScalarKind, value: unknown): string | null {
  return scalarOk(kind, value) ? null : `expected ${kind}, got ${describeValue(value)}`;
}

function scalarOk(kind: ScalarKind, value: unknown): boolean {
  if (typeof value === 'number') {
    // Integers compare exactly; NaN and fractions fail the integer test.
    if (!Number.isInteger(value)) return false;
    switch (kind) {
      case 'u8':
        return value >= 0 && value <= 0xff;
      case 'u16':
        return value >= 0 && value <= 0xffff;
      case 'u32':
        return value >= 0 && value <= 0xffffffff;
      case 'i8':
        return value >= -0x80 && value <= 0x7f;
      case 'i16':
        return value >= -0x8000 && value <= 0x7fff;
      case 'i32':
        return value >= -0x80000000 && value <= 0x7fffffff;
      default:
        return false;
    }
  }
  if (typeof value === 'bigint') {
    if (kind === 'u64') return value >= 0n && value <= U64_MAX;
    if (kind === 'i64') return value >= I64_MIN && value <= I64_MAX;
    return false;
  }
  return kind === 'bool' && typeof value === 'boolean';
}

/**
 * Checks the shape of an array field: a plain array (a Uint8Array for `bytes`) of exactly `length`
 * elements. Elements are checked separately with scalarError (not for `bytes`, whose type guarantees
 * them).
 */
export function arrayShapeError(kind: ArrayKind, length: number, value: unknown): string | null {
  const ok =
    kind === 'bytes'
      ? value instanceof Uint8Array && value.length === length
      : Array.isArray(value) && value.length === length;
  return ok ? null : `expected ${kind === 'bytes' ? 'bytes' : kind.slice(0, -2)}[${length}], got ${describeValue(value)}`;
}

/** Largest maxLength a schema may give a `varbytes` field (lengths are u32 in the hardware ABIs). */
export const MAX_VARBYTES_LENGTH = 0xffffffff;

/** Checks a `varbytes` value: a Uint8Array of at most `maxLength` bytes. */
export function varBytesError(maxLength: number, value: unknown): string | null {
  if (value instanceof Uint8Array && value.length <= maxLength) return null;
  return `expected at most ${maxLength} bytes, got ${describeValue(value)}`;
}

/** Index of the first bad element of a number/bigint array whose shape passed, or -1. */
export function firstBadElement(kind: ScalarKind, values: readonly unknown[]): number {
  // The array kinds' elements in a loop each (the same tests as scalarOk, on int32 arithmetic).
  switch (kind) {
    case 'u8':
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (typeof v !== 'number' || (v & 0xff) !== v) return i;
      }
      return -1;
    case 'u16':
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (typeof v !== 'number' || (v & 0xffff) !== v) return i;
      }
      return -1;
    case 'u32':
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (typeof v !== 'number' || v >>> 0 !== v) return i;
      }
      return -1;
    case 'i32':
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (typeof v !== 'number' || (v | 0) !== v) return i;
      }
      return -1;
    default:
      for (let i = 0; i < values.length; i++) if (!scalarOk(kind, values[i])) return i;
      return -1;
  }
}

export function structError(value: unknown): string | null {
  return isStateNode(value) ? null : `expected struct, got ${describeValue(value)}`;
}

export function structArrayError(length: number, value: unknown): string | null {
  return Array.isArray(value) && value.length === length
    ? null
    : `expected struct[${length}], got ${describeValue(value)}`;
}
