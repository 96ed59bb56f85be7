import { describe, expect, it } from 'vitest';
import { describeState, parseSchema } from '../../src/visit/describe-visitor.ts';
import { parseJsonSchema, walkAgainstSchema } from '../../src/visit/schema.ts';
import { fitsSchema, internSchema } from '../../src/visit/schema-cache.ts';
import { saveState } from '../../src/visit/output-visitor.ts';
import { cloneTree, newNode, type StateNode } from '../../src/visit/state-tree.ts';
import { filledSample, SampleDevice } from './sample-device.ts';

const schema = describeState(new SampleDevice());

function referenceAccepts(node: unknown): boolean {
  try {
    walkAgainstSchema(node, schema, '/x');
    return true;
  } catch {
    return false;
  }
}

/** Values of every JavaScript kind around every range boundary. */
const CANDIDATES: unknown[] = [
  0, -0, 1, -1, 0.5, NaN, Infinity, -Infinity, 127, 128, -128, -129, 255, 256, 0x7fff, 0x8000, -0x8000, -0x8001, 0xffff, 0x10000,
  0x7fffffff, 0x80000000, -0x80000000, -0x80000001, 0xffffffff, 0x100000000, 2 ** 53, -(2 ** 53), 1e300,
  0n, 1n, -1n, (1n << 63n) - 1n, 1n << 63n, -(1n << 63n), -(1n << 63n) - 1n, (1n << 64n) - 1n, 1n << 64n,
  true, false, '1', null, undefined, [], {}, new Uint8Array(1),
];

/** Where each kind sits in the sample's tree: a setter. */
const PLACES: Array<[string, (node: StateNode, value: unknown) => void]> = [
  ['u8', (n, v) => (n['tpr'] = v as number)],
  ['u16', (n, v) => (n['id'] = v as number)],
  ['u32', (n, v) => (n['flags'] = v as number)],
  ['i8', (n, v) => (n['small'] = v as number)],
  ['i16', (n, v) => (n['delta'] = v as number)],
  ['i32', (n, v) => (n['offset'] = v as number)],
  ['u64', (n, v) => (n['tsc'] = v as number)],
  ['i64', (n, v) => (n['adjust'] = v as number)],
  ['bool', (n, v) => (n['enabled'] = v as number)],
  ['u8[] element', (n, v) => ((n['irr'] as unknown[])[2] = v)],
  ['u16[] element', (n, v) => ((n['words'] as unknown[])[0] = v)],
  ['u32[] element', (n, v) => ((n['isr'] as unknown[])[7] = v)],
  ['i32[] element', (n, v) => ((n['signed'] as unknown[])[1] = v)],
  ['u64[] element', (n, v) => ((n['deadlines'] as unknown[])[0] = v)],
  ['struct field', (n, v) => ((n['timer'] as StateNode)['divide'] = v as number)],
  ['struct[] field', (n, v) => ((n['channels'] as StateNode[])[2]!['count'] = v as number)],
  ['optional field', (n, v) => ((n['sipi'] as StateNode)['vector'] = v as number)],
];

describe('compiled schema checks', () => {
  const saved = saveState(filledSample());

  it('accept the saved tree, as the reference does', () => {
    expect(referenceAccepts(saved)).toBe(true);
    expect(fitsSchema(saved, schema)).toBe(true);
  });

  it('agree with the reference for every kind and every candidate value', () => {
    let rejected = 0;
    for (const [where, set] of PLACES) {
      for (const value of CANDIDATES) {
        const node = cloneTree(saved);
        set(node, value);
        const expected = referenceAccepts(node);
        if (!expected) rejected++;
        expect([where, value, fitsSchema(node, schema)]).toEqual([where, value, expected]);
      }
    }
    expect(rejected).toBeGreaterThan(PLACES.length * 20);
  });

  it('refuse shapes the reference refuses: missing, unknown, lengths, nodes that are not plain', () => {
    const cases: Array<(n: StateNode) => unknown> = [
      (n) => {
        delete n['tpr'];
        return n;
      },
      (n) => {
        n['extra'] = 1;
        return n;
      },
      (n) => {
        (n['irr'] as number[]).push(0);
        return n;
      },
      (n) => {
        n['ram'] = new Uint8Array(63);
        return n;
      },
      (n) => {
        n['ram'] = Array.from(n['ram'] as Uint8Array);
        return n;
      },
      (n) => {
        (n['channels'] as unknown[])[1] = [];
        return n;
      },
      (n) => {
        n['timer'] = new Map() as unknown as StateNode;
        return n;
      },
      (n) => {
        (n['sipi'] as StateNode)['more'] = 1;
        return n;
      },
      (n) => {
        const copy = Object.assign(Object.create({ inherited: 1 }) as StateNode, n);
        return copy;
      },
      () => null,
      () => [],
    ];
    for (const mutate of cases) {
      const node = mutate(cloneTree(saved));
      expect(referenceAccepts(node)).toBe(false);
      expect(fitsSchema(node, schema)).toBe(false);
    }
    // An optional group may be absent; a plain-prototype node is as good as a bare one.
    const without = cloneTree(saved);
    delete without['sipi'];
    expect(fitsSchema(without, schema)).toBe(true);
    expect(fitsSchema({ ...saved }, schema)).toBe(true);
    // A field called __proto__ is data.
    const odd = { fields: [{ name: '__proto__', kind: 'u8' as const }] };
    const node = newNode();
    node['__proto__'] = 3;
    expect(fitsSchema(node, odd)).toBe(true);
    node['__proto__'] = 300;
    expect(fitsSchema(node, odd)).toBe(false);
    // A hand-built schema with a kind parseSchema refuses: the reference judges.
    const weird = { fields: [{ name: 'a', kind: 'u128', length: 1 }] } as unknown as typeof schema;
    const value = newNode();
    value['a'] = [1];
    expect(fitsSchema(value, weird)).toBe(false);
  });

  it('never take what a plain object inherits for a field (__proto__, constructor), present or absent', () => {
    const kinds = [
      { name: '__proto__', kind: 'struct' as const, fields: [] },
      { name: '__proto__', kind: 'optional' as const, fields: [] },
      { name: 'constructor', kind: 'optional' as const, fields: [] },
      { name: 'toString', kind: 'u8' as const },
    ];
    for (const field of kinds) {
      const odd = { fields: [field] };
      const judge = (node: unknown) => {
        try {
          walkAgainstSchema(node, odd, '/x');
          return true;
        } catch {
          return false;
        }
      };
      // A node from JSON.parse lacking the field, one having it, and the same without prototype.
      const value = field.kind === 'u8' ? '3' : '{}';
      for (const text of ['{}', `{"${field.name}": ${value}}`]) {
        for (const node of [JSON.parse(text) as unknown, Object.assign(newNode(), JSON.parse(text))]) {
          expect([field, text, fitsSchema(node, odd)]).toEqual([field, text, judge(node)]);
        }
      }
    }
  });

  it('intern equal schemas into one object, parsed or described', () => {
    const parsed = parseSchema(JSON.parse(JSON.stringify(schema)), 'schemas[sample@2]');
    expect(internSchema(describeState(new SampleDevice()))).toBe(parsed);
    expect(parseSchema(JSON.parse(JSON.stringify(schema)), 'again')).toBe(parsed);
    const other = parseSchema({ fields: [{ name: 'a', kind: 'u8' }] }, 'other');
    expect(other).not.toBe(parsed);
  });

  it('parse a schema text once; a bad text is refused every time', () => {
    const text = JSON.stringify(schema);
    const first = parseJsonSchema(JSON.parse(text), 'a');
    expect(parseJsonSchema(JSON.parse(text), 'b')).toBe(first);
    const bad = '{"fields":[{"name":"a","kind":"u8"},{"name":"a","kind":"u8"}]}';
    for (let i = 0; i < 2; i++) expect(() => parseJsonSchema(JSON.parse(bad), 'schemas[x@1]')).toThrow('schemas[x@1].fields[1]: schema: duplicate field "a"');
    // A schema described (never parsed) with a name parseSchema refuses: the text is still checked.
    const long = { fields: [{ name: 'n'.repeat(200), kind: 'u8' as const }] };
    internSchema(long);
    expect(() => parseJsonSchema(JSON.parse(JSON.stringify(long)), 's')).toThrow('s.fields[0]: schema: bad field name');
  });
});
