import { describe, expect, it } from 'vitest';
import {
  describeState,
  parseSchema,
  schemasEqual,
  validateAgainstSchema,
  type SchemaField,
  type SchemaNode,
} from '../../src/visit/describe-visitor.ts';
import { loadState } from '../../src/visit/input-visitor.ts';
import { saveState } from '../../src/visit/output-visitor.ts';
import { cloneTree, diffTrees, type StateNode, type StateValue } from '../../src/visit/state-tree.ts';
import type { Visitable } from '../../src/visit/visitor.ts';
import { filledSample, SampleDevice } from './sample-device.ts';

const PATH = '/machine/pit';

describe('DescribeVisitor', () => {
  it('records names, kinds, lengths, nesting and optional groups', () => {
    const schema = describeState(new SampleDevice());
    expect(schema).toEqual({
      fields: [
        { name: 'tpr', kind: 'u8' },
        { name: 'id', kind: 'u16' },
        { name: 'flags', kind: 'u32' },
        { name: 'small', kind: 'i8' },
        { name: 'delta', kind: 'i16' },
        { name: 'offset', kind: 'i32' },
        { name: 'tsc', kind: 'u64' },
        { name: 'adjust', kind: 'i64' },
        { name: 'enabled', kind: 'bool' },
        { name: 'irr', kind: 'u8[]', length: 4 },
        { name: 'words', kind: 'u16[]', length: 3 },
        { name: 'isr', kind: 'u32[]', length: 8 },
        { name: 'signed', kind: 'i32[]', length: 2 },
        { name: 'deadlines', kind: 'u64[]', length: 2 },
        { name: 'ram', kind: 'bytes', length: 64 },
        {
          name: 'timer',
          kind: 'struct',
          fields: [
            { name: 'divide', kind: 'u8' },
            { name: 'initial', kind: 'u32' },
          ],
        },
        {
          name: 'channels',
          kind: 'struct[]',
          length: 3,
          fields: [
            { name: 'mode', kind: 'u8' },
            { name: 'count', kind: 'u16' },
            { name: 'gate', kind: 'bool' },
          ],
        },
        { name: 'sipi', kind: 'optional', fields: [{ name: 'vector', kind: 'u8' }] },
      ],
    });
    // plain JSON-able data
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });

  it('leaves the device untouched and returns `needed` for optional groups', () => {
    const d = filledSample();
    const before = saveState(d);
    describeState(d);
    expect(saveState(d)).toEqual(before);
    expect(d.sipiPresent).toBe(true);
    d.waitForSipi = false;
    describeState(d);
    expect(d.sipiPresent).toBe(false);
  });

  it('rejects duplicate names and struct arrays whose elements differ', () => {
    const dup: Visitable = {
      visit: (v) => {
        v.u8('a', 0);
        v.u16('a', 0);
      },
    };
    expect(() => describeState(dup, '/m')).toThrow('/m.a: duplicate field');
    const uneven: Visitable = {
      visit: (v) => v.structArray('q', 2, (i) => void (i === 0 ? v.u8('x', 0) : v.u16('x', 0))),
    };
    expect(() => describeState(uneven, '/m')).toThrow('/m.q[1]: fields differ from element 0');
  });
});

describe('validateAgainstSchema', () => {
  const schema = describeState(new SampleDevice());

  /** The message the input visitor gives for a damaged tree, and the one schema validation gives. */
  function bothErrors(edit: (tree: StateNode) => void): [string, string] {
    const tree = saveState(filledSample());
    edit(tree);
    const messages: string[] = [];
    try {
      loadState(new SampleDevice(), cloneTree(tree), PATH);
      messages.push('ok');
    } catch (e) {
      messages.push((e as Error).message);
    }
    try {
      validateAgainstSchema(tree, schema, PATH);
      messages.push('ok');
    } catch (e) {
      messages.push((e as Error).message);
    }
    return messages as [string, string];
  }

  it('accepts what the device saves, with or without optional groups', () => {
    validateAgainstSchema(saveState(filledSample()), schema, PATH);
    validateAgainstSchema(saveState(new SampleDevice()), schema, PATH);
  });

  it('is exactly as strict as the input visitor', () => {
    const edits: Array<(t: StateNode) => void> = [
      (t) => (t.tpr = 256),
      (t) => (t.tsc = -1n),
      (t) => (t.adjust = 1n << 63n),
      (t) => (t.tsc = 1),
      (t) => (t.enabled = 0),
      (t) => ((t.isr as StateValue[])[3] = -1),
      (t) => (t.isr as StateValue[]).pop(),
      (t) => ((t.deadlines as StateValue[])[1] = 2),
      (t) => (t.ram = new Uint8Array(1)),
      (t) => ((t.channels as StateNode[])[1]!.mode = 999),
      (t) => delete (t.channels as StateNode[])[1]!.mode,
      (t) => ((t.channels as StateNode[])[0]!.extra = 1),
      (t) => ((t.channels as StateValue[])[0] = 1),
      (t) => (t.channels as StateValue[]).pop(),
      (t) => delete t.timer,
      (t) => ((t.timer as StateNode).bogus = 1),
      (t) => ((t.sipi as StateNode).vector = -1),
      (t) => (t.sipi = []),
      (t) => (t['__proto__'] = 1),
      (t) => (t.bogus = 1),
    ];
    for (const edit of edits) {
      const [load, validate] = bothErrors(edit);
      expect(load).not.toBe('ok');
      expect(validate).toBe(load);
    }
    expect(bothErrors((t) => ((t.channels as StateNode[])[1]!.mode = 999))[1]).toBe(
      `${PATH}.channels[1].mode: expected u8, got 999`,
    );
  });

  it('rejects a root that is not a node', () => {
    expect(() => validateAgainstSchema([], schema, PATH)).toThrow(`${PATH}: expected struct, got array[0]`);
  });
});

describe('parseSchema', () => {
  const schema = describeState(new SampleDevice());

  it('accepts a schema that went through JSON and returns a clean copy', () => {
    const parsed = parseSchema(JSON.parse(JSON.stringify(schema)), 'schema');
    expect(schemasEqual(parsed, schema)).toBe(true);
    const extra = JSON.parse('{"fields": [{"name": "__proto__", "kind": "u8", "junk": 1}]}') as unknown;
    expect(parseSchema(extra, 's')).toEqual({ fields: [{ name: '__proto__', kind: 'u8' }] });
  });

  it('rejects malformed schemas with a path', () => {
    const bad = (fields: unknown): string => {
      try {
        parseSchema({ fields }, 's');
      } catch (e) {
        return (e as Error).message;
      }
      return 'ok';
    };
    expect(bad(5)).toBe('s.fields: schema: expected a field list');
    expect(bad([{ name: 'a', kind: 'u128' }])).toBe('s.fields[0]: schema: unknown kind');
    expect(bad([{ name: '', kind: 'u8' }])).toBe('s.fields[0]: schema: bad field name');
    expect(bad([{ name: 'a', kind: 'u8' }, { name: 'a', kind: 'u8' }])).toBe('s.fields[1]: schema: duplicate field "a"');
    expect(bad([{ name: 'a', kind: 'u8[]', length: -1 }])).toBe('s.fields[0]: schema: bad array length');
    expect(bad([{ name: 'a', kind: 'struct[]', length: 1.5, fields: [] }])).toBe('s.fields[0]: schema: bad array length');
    expect(bad([{ name: 'a', kind: 'struct', fields: {} }])).toBe('s.fields[0].fields: schema: expected a field list');
    let deep: unknown = [];
    for (let i = 0; i < 40; i++) deep = [{ name: 'a', kind: 'struct', fields: deep }];
    expect(bad(deep)).toContain('schema: nested too deeply');
    expect(() => parseSchema(null, 's')).toThrow('s: schema: expected an object');
    const inherited = Object.create({ fields: [] }) as SchemaNode;
    expect(() => parseSchema(inherited, 's')).toThrow('schema: expected an object');
    // Only own keys count, even with a polluted Object.prototype.
    Object.defineProperty(Object.prototype, 'fields', { value: [], configurable: true });
    try {
      expect(() => parseSchema({}, 's')).toThrow('s.fields: schema: expected a field list');
    } finally {
      delete (Object.prototype as Record<string, unknown>)['fields'];
    }
  });

  it('tells a snapshot reader which fields are 64-bit', () => {
    const u64Fields = schema.fields.filter((f) => f.kind === 'u64' || f.kind === 'i64' || f.kind === 'u64[]');
    expect(u64Fields.map((f) => f.name)).toEqual(['tsc', 'adjust', 'deadlines']);
  });
});

describe('a schema is enough to decode a JSON snapshot', () => {
  /** JSON cannot hold bigints or bytes: write them as decimal strings and byte arrays. */
  function encode(tree: StateNode): string {
    return JSON.stringify(tree, (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Array.from(v) : v,
    );
  }

  /** Decodes using only the schema: strings of 64-bit fields become bigints, `bytes` a Uint8Array. */
  function decode(value: unknown, fields: readonly SchemaField[]): StateNode {
    const node = value as Record<string, unknown>;
    const out = Object.create(null) as StateNode;
    for (const key of Object.keys(node)) out[key] = node[key] as StateValue;
    for (const f of fields) {
      if (!Object.hasOwn(node, f.name)) continue;
      const v = node[f.name];
      if (f.kind === 'u64' || f.kind === 'i64') out[f.name] = BigInt(v as string);
      else if (f.kind === 'u64[]') out[f.name] = (v as string[]).map((s) => BigInt(s));
      else if (f.kind === 'bytes') out[f.name] = Uint8Array.from(v as number[]);
      else if (f.kind === 'struct' || f.kind === 'optional') out[f.name] = decode(v, f.fields);
      else if (f.kind === 'struct[]') out[f.name] = (v as unknown[]).map((e) => decode(e, f.fields));
    }
    return out;
  }

  it('round-trips the sample device through JSON', () => {
    const d = filledSample();
    const schema = parseSchema(JSON.parse(JSON.stringify(describeState(d))), 'schema');
    const tree = saveState(d);
    const decoded = decode(JSON.parse(encode(tree)), schema.fields);
    validateAgainstSchema(decoded, schema, PATH);
    expect(diffTrees(decoded, tree)).toEqual([]);
    const fresh = new SampleDevice();
    loadState(fresh, decoded, PATH);
    expect(fresh.tsc).toBe((1n << 64n) - 1n);
  });
});
