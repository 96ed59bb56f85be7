import { describe, expect, it } from 'vitest';
import { scalarError } from '../../src/visit/field-checks.ts';
import { saveState, OutputVisitor } from '../../src/visit/output-visitor.ts';
import type { Visitable, Visitor } from '../../src/visit/visitor.ts';
import type { StateNode } from '../../src/visit/state-tree.ts';
import { filledSample, SampleDevice } from './sample-device.ts';

function visitable(visit: (v: Visitor) => void): Visitable {
  return { visit };
}

describe('OutputVisitor', () => {
  it('records every kind as plain data', () => {
    const d = filledSample();
    const tree = saveState(d);
    expect(Object.getPrototypeOf(tree)).toBe(null);
    expect(tree.tpr).toBe(0xff);
    expect(tree.small).toBe(-128);
    expect(tree.tsc).toBe((1n << 64n) - 1n);
    expect(tree.adjust).toBe(-(1n << 63n));
    expect(tree.enabled).toBe(true);
    expect(tree.irr).toEqual([1, 2, 3, 255]);
    expect(Array.isArray(tree.isr)).toBe(true);
    expect(tree.isr).toEqual([0, 1, 2, 0x80000000, 4, 5, 6, 0xffffffff]);
    expect(tree.signed).toEqual([-1, 0x7fffffff]);
    expect(tree.deadlines).toEqual([(1n << 63n) - 1n, 1n << 63n]);
    expect(tree.timer).toEqual(Object.assign(Object.create(null), { divide: 11, initial: 0x12345678 }));
    expect((tree.channels as StateNode[]).map((c) => c.mode)).toEqual([0, 3, 0]);
    expect((tree.sipi as StateNode).vector).toBe(0x9a);
    expect(Object.keys(tree)).toEqual([
      'tpr', 'id', 'flags', 'small', 'delta', 'offset', 'tsc', 'adjust', 'enabled',
      'irr', 'words', 'isr', 'signed', 'deadlines', 'ram', 'timer', 'channels', 'sipi',
    ]);
  });

  it('copies small arrays but keeps a reference to bytes', () => {
    const d = filledSample();
    const tree = saveState(d);
    expect(tree.ram).toBe(d.ram);
    d.isr[0] = 99;
    expect((tree.isr as number[])[0]).toBe(0);
  });

  it('returns values unchanged', () => {
    const d = filledSample();
    const before = saveState(d);
    saveState(d);
    expect(d.tsc).toBe((1n << 64n) - 1n);
    expect(saveState(d)).toEqual(before);
  });

  it('omits an optional group that is not needed', () => {
    const d = new SampleDevice();
    const v = new OutputVisitor();
    d.visit(v);
    expect('sipi' in v.root).toBe(false);
    expect(d.sipiPresent).toBe(false);
  });

  it('throws on a duplicate field name, naming the path', () => {
    const dup = visitable((v) => {
      v.struct('timer', () => {
        v.u8('a', 1);
        v.u8('a', 2);
      });
    });
    expect(() => saveState(dup, '/machine/x')).toThrow('/machine/x.timer.a: duplicate field');
  });

  it('names the path of a fault in nested groups, struct arrays and after leaving them', () => {
    const at = (bad: string) =>
      visitable((v) => {
        v.u8('a', 1);
        v.structArray('ch', 3, (i) => {
          v.u8('m', bad === `ch${i}` ? 300 : 1);
          v.struct('t', () => v.u8('d', bad === `ch${i}.t` ? 300 : 1));
          v.optional('o', true, () => v.u8('x', bad === `ch${i}.o` ? 300 : 1));
        });
        v.struct('s', () => v.u8('b', bad === 's' ? 300 : 1));
        v.u8('z', bad === 'z' ? 300 : 1);
      });
    const message = (bad: string) => {
      try {
        saveState(at(bad), '/machine/x');
      } catch (e) {
        return (e as Error).message.split(':')[0];
      }
      return 'saved';
    };
    expect(message('none')).toBe('saved');
    expect(message('ch0')).toBe('/machine/x.ch[0].m');
    expect(message('ch2')).toBe('/machine/x.ch[2].m');
    expect(message('ch1.t')).toBe('/machine/x.ch[1].t.d');
    expect(message('ch2.o')).toBe('/machine/x.ch[2].o.x');
    expect(message('s')).toBe('/machine/x.s.b');
    expect(message('z')).toBe('/machine/x.z');
  });

  it('throws on a value the loader would reject', () => {
    expect(() => saveState(visitable((v) => v.u8('tpr', 256)), '/machine/x')).toThrow(
      '/machine/x.tpr: cannot save: expected u8, got 256',
    );
    expect(() => saveState(visitable((v) => v.u32('f', -1)))).toThrow('expected u32, got -1');
    expect(() => saveState(visitable((v) => v.i32('f', 0x80000000)))).toThrow('expected i32');
    expect(() => saveState(visitable((v) => v.u64('f', -1n)))).toThrow('expected u64, got -1n');
    expect(() => saveState(visitable((v) => v.u16('f', 1.5)))).toThrow('expected u16, got 1.5');
  });

  it('saves exactly the values the loader accepts, at every edge of every number kind', () => {
    const kinds = ['u8', 'u16', 'u32', 'i8', 'i16', 'i32'] as const;
    const values = [0, -0, 1, -1, 0.5, NaN, Infinity, 127, 128, -128, -129, 255, 256, 0x7fff, 0x8000, -0x8000, -0x8001, 0xffff, 0x10000,
      0x7fffffff, 0x80000000, -0x80000000, -0x80000001, 0xffffffff, 0x100000000, 2 ** 53];
    for (const kind of kinds) {
      for (const value of values) {
        const expected = scalarError(kind, value);
        let got: string | null = null;
        try {
          saveState(visitable((v) => v[kind]('f', value)), '/x');
        } catch (e) {
          got = (e as Error).message;
        }
        expect([kind, value, got]).toEqual([kind, value, expected === null ? null : `/x.f: cannot save: ${expected} (device bug)`]);
      }
    }
  });

  it('saves exactly the 64-bit values and flags the loader accepts', () => {
    const kinds = ['u64', 'i64', 'bool'] as const;
    const values: unknown[] = [0n, 1n, -1n, (1n << 63n) - 1n, 1n << 63n, -(1n << 63n), -(1n << 63n) - 1n, (1n << 64n) - 1n, 1n << 64n, 0, 1, true, false, null];
    for (const kind of kinds) {
      for (const value of values) {
        const expected = scalarError(kind, value);
        let got: string | null = null;
        try {
          saveState(visitable((v) => (v[kind] as (name: string, value: unknown) => unknown)('f', value)), '/x');
        } catch (e) {
          got = (e as Error).message;
        }
        expect([kind, value, got]).toEqual([kind, value, expected === null ? null : `/x.f: cannot save: ${expected} (device bug)`]);
      }
    }
  });

  it('saves __proto__ and constructor as ordinary fields', () => {
    const tree = saveState(
      visitable((v) => {
        v.u8('__proto__', 1);
        v.struct('constructor', () => v.u8('x', 2));
      }),
    );
    expect(Object.keys(tree)).toEqual(['__proto__', 'constructor']);
    expect(tree['__proto__']).toBe(1);
    expect((tree['constructor'] as StateNode).x).toBe(2);
  });
});
