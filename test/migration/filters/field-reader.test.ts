import { describe, expect, it } from 'vitest';
import { FieldReader } from '../../../migration/filters/fields.ts';
import { newNode, type StateValue } from '../../../src/visit/state-tree.ts';

/** Values of every kind around every range boundary. */
const CANDIDATES: unknown[] = [
  0, -0, 1, -1, 0.5, NaN, Infinity, -Infinity, 127, 128, 255, 256, 0xffff, 0x10000, 0x7fffffff, 0x80000000, -0x80000000,
  -0x80000001, 0xffffffff, 0x100000000, 2 ** 53, 1e300, 0n, true, '1', null, [], newNode(), new Uint8Array(1),
];

/** What FieldReader says of `value` as field `name` of kind `kind`: 'ok' or its message. */
function verdict(read: (r: FieldReader) => unknown, node: Record<string, unknown>): string {
  try {
    read(new FieldReader(Object.assign(newNode(), node) as never, '/machine/x'));
    return 'ok';
  } catch (e) {
    return (e as Error).message;
  }
}

describe('FieldReader number arrays', () => {
  it('refuse exactly the elements the scalar readers refuse, naming the element', () => {
    const kinds = ['u8', 'u16', 'u32'] as const;
    for (const kind of kinds) {
      for (const value of CANDIDATES) {
        const scalar = verdict((r) => r[kind]('a[1]'), { 'a[1]': value });
        const array = verdict((r) => r[`${kind}Array` as 'u8Array']('a', 3), { a: [0, value, 0] as StateValue[] });
        expect([kind, value, array]).toEqual([kind, value, scalar]);
      }
    }
  });

  it('return a copy of the array', () => {
    const values = [1, 2, 3];
    const got = new FieldReader(Object.assign(newNode(), { a: values }), '/machine/x').u8Array('a', 3);
    expect(got).toEqual(values);
    expect(got).not.toBe(values);
  });
});
