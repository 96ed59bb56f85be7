/**
 * QMP's JSON as QEMU writes it: `{"return": {}}` with a space after each colon and comma, one
 * message per line ending in CR LF. Input values are checked with the helpers below; nothing here
 * ever treats a key such as `__proto__` as anything but data (JSON.parse makes it an own property).
 */
import type { JsonValue } from '../../migration/snapshot.ts';

export type { JsonObject, JsonValue } from '../../migration/snapshot.ts';

export function formatQmp(value: JsonValue): string {
  return `${stringify(value)}\r\n`;
}

function stringify(v: JsonValue): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stringify).join(', ')}]`;
  const parts: string[] = [];
  for (const [k, x] of Object.entries(v)) parts.push(`${JSON.stringify(k)}: ${stringify(x)}`);
  return `{${parts.join(', ')}}`;
}

/** A plain JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** QMP's name for a JSON value's type, as QEMU's messages use it. */
export function qmpTypeName(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return 'object';
}
