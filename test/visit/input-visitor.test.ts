import { describe, expect, it } from 'vitest';
import { loadState } from '../../src/visit/input-visitor.ts';
import { saveState } from '../../src/visit/output-visitor.ts';
import { cloneTree, diffTrees, newNode, treesEqual, type StateNode, type StateValue } from '../../src/visit/state-tree.ts';
import type { Visitable, Visitor } from '../../src/visit/visitor.ts';
import { isStateError } from '../../src/util/errors.ts';
import { scalarError } from '../../src/visit/field-checks.ts';
import { filledSample, SampleDevice } from './sample-device.ts';

const PATH = '/machine/cpu[0]/lapic';

/** Saves a filled sample, lets `edit` damage the tree, and returns the load error message. */
function loadError(edit: (tree: StateNode) => void): string {
  const tree = saveState(filledSample());
  edit(tree);
  try {
    loadState(new SampleDevice(), tree, PATH);
  } catch (e) {
    expect(isStateError(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('load succeeded');
}

function child(tree: StateNode, name: string): StateNode {
  return tree[name] as StateNode;
}

describe('InputVisitor round trips', () => {
  it('save -> load -> save gives an equal tree', () => {
    const first = saveState(filledSample());
    const fresh = new SampleDevice();
    loadState(fresh, cloneTree(first), PATH);
    const second = saveState(fresh);
    expect(diffTrees(first, second)).toEqual([]);
    expect(treesEqual(first, second)).toBe(true);
    expect(fresh.sipiPresent).toBe(true);
    expect(fresh.waitForSipi).toBe(true);
  });

  it('keeps 64-bit values exact', () => {
    const d = new SampleDevice();
    for (const [tsc, adjust] of [
      [(1n << 63n) - 1n, (1n << 63n) - 1n],
      [(1n << 64n) - 1n, -(1n << 63n)],
      [(1n << 53n) + 1n, -(1n << 53n) - 1n],
    ] as const) {
      d.tsc = tsc;
      d.adjust = adjust;
      const fresh = new SampleDevice();
      loadState(fresh, saveState(d), PATH);
      expect(fresh.tsc).toBe(tsc);
      expect(fresh.adjust).toBe(adjust);
    }
  });

  it('fills arrays in place and copies bytes', () => {
    const source = filledSample();
    const fresh = new SampleDevice();
    const isr = fresh.isr;
    const ram = fresh.ram;
    loadState(fresh, saveState(source), PATH);
    expect(fresh.isr).toBe(isr);
    expect(fresh.ram).toBe(ram);
    expect(Array.from(fresh.isr)).toEqual(Array.from(source.isr));
    expect(fresh.ram).toEqual(source.ram);
    source.ram[0] = 200;
    expect(fresh.ram[0]).toBe(0);
    expect(fresh.deadlines[1]).toBe(1n << 63n);
  });

  it('reports an absent optional group and lets the device default', () => {
    const d = filledSample();
    d.waitForSipi = false;
    const tree = saveState(d);
    expect(Object.hasOwn(tree, 'sipi')).toBe(false);
    const fresh = new SampleDevice();
    fresh.sipiVector = 5;
    loadState(fresh, tree, PATH);
    expect(fresh.sipiPresent).toBe(false);
    expect(fresh.sipiVector).toBe(0);
  });

  it('runs the optional body only when the group is present', () => {
    let ran = 0;
    const dev: Visitable = {
      visit(v: Visitor) {
        const present = v.optional('extra', false, () => {
          ran++;
          v.u8('x', 0);
        });
        expect(present).toBe(ran === 1);
      },
    };
    loadState(dev, newNode(), PATH);
    expect(ran).toBe(0);
    const tree = newNode();
    const extra = newNode();
    extra.x = 3;
    tree.extra = extra;
    loadState(dev, tree, PATH);
    expect(ran).toBe(1);
  });
});

describe('InputVisitor errors name the full path', () => {
  it('out-of-range and wrong-kind scalars', () => {
    expect(loadError((t) => (t.tpr = 256))).toBe(`${PATH}.tpr: expected u8, got 256`);
    expect(loadError((t) => (t.tpr = -1))).toBe(`${PATH}.tpr: expected u8, got -1`);
    expect(loadError((t) => (t.id = 0x10000))).toBe(`${PATH}.id: expected u16, got 65536`);
    expect(loadError((t) => (t.flags = 2 ** 32))).toBe(`${PATH}.flags: expected u32, got 4294967296`);
    expect(loadError((t) => (t.small = 128))).toBe(`${PATH}.small: expected i8, got 128`);
    expect(loadError((t) => (t.delta = -32769))).toBe(`${PATH}.delta: expected i16, got -32769`);
    expect(loadError((t) => (t.offset = 2 ** 31))).toBe(`${PATH}.offset: expected i32, got 2147483648`);
    expect(loadError((t) => (t.offset = 0.5))).toBe(`${PATH}.offset: expected i32, got 0.5`);
    expect(loadError((t) => (t.offset = NaN))).toBe(`${PATH}.offset: expected i32, got NaN`);
    expect(loadError((t) => (t.tpr = 5n))).toBe(`${PATH}.tpr: expected u8, got 5n`);
    expect(loadError((t) => (t.tpr = true))).toBe(`${PATH}.tpr: expected u8, got true`);
    expect(loadError((t) => ((t as Record<string, unknown>).tpr = '5'))).toBe(`${PATH}.tpr: expected u8, got string "5"`);
    expect(loadError((t) => ((t as Record<string, unknown>).tpr = null))).toBe(`${PATH}.tpr: expected u8, got null`);
    expect(loadError((t) => (t.enabled = 1))).toBe(`${PATH}.enabled: expected bool, got 1`);
  });

  it('64-bit ranges are exact', () => {
    expect(loadError((t) => (t.tsc = 1n << 64n))).toBe(`${PATH}.tsc: expected u64, got 18446744073709551616n`);
    expect(loadError((t) => (t.tsc = -1n))).toBe(`${PATH}.tsc: expected u64, got -1n`);
    expect(loadError((t) => (t.tsc = 5))).toBe(`${PATH}.tsc: expected u64, got 5`);
    expect(loadError((t) => (t.adjust = 1n << 63n))).toBe(`${PATH}.adjust: expected i64, got 9223372036854775808n`);
    expect(loadError((t) => (t.adjust = -(1n << 63n) - 1n))).toBe(
      `${PATH}.adjust: expected i64, got -9223372036854775809n`,
    );
  });

  it('array elements, lengths and kinds', () => {
    expect(loadError((t) => ((t.isr as StateValue[])[3] = -1))).toBe(`${PATH}.isr[3]: expected u32, got -1`);
    expect(loadError((t) => ((t.irr as StateValue[])[0] = 256))).toBe(`${PATH}.irr[0]: expected u8, got 256`);
    expect(loadError((t) => ((t.words as StateValue[])[2] = 1n))).toBe(`${PATH}.words[2]: expected u16, got 1n`);
    expect(loadError((t) => ((t.signed as StateValue[])[1] = 2 ** 31))).toBe(`${PATH}.signed[1]: expected i32, got 2147483648`);
    expect(loadError((t) => ((t.deadlines as StateValue[])[1] = 1n << 64n))).toBe(
      `${PATH}.deadlines[1]: expected u64, got 18446744073709551616n`,
    );
    expect(loadError((t) => ((t.deadlines as StateValue[])[0] = 1))).toBe(`${PATH}.deadlines[0]: expected u64, got 1`);
    expect(loadError((t) => (t.isr as StateValue[]).pop())).toBe(`${PATH}.isr: expected u32[8], got array[7]`);
    expect(loadError((t) => (t.isr as StateValue[]).push(0))).toBe(`${PATH}.isr: expected u32[8], got array[9]`);
    expect(loadError((t) => (t.isr = new Uint8Array(8)))).toBe(`${PATH}.isr: expected u32[8], got bytes[8]`);
    expect(loadError((t) => (t.isr = 5))).toBe(`${PATH}.isr: expected u32[8], got 5`);
    expect(loadError((t) => (t.ram = new Uint8Array(63)))).toBe(`${PATH}.ram: expected bytes[64], got bytes[63]`);
    expect(loadError((t) => (t.ram = Array.from(t.ram as Uint8Array)))).toBe(`${PATH}.ram: expected bytes[64], got array[64]`);
  });

  it('structs, struct arrays and optional groups', () => {
    expect(loadError((t) => (child(t, 'timer').divide = 300))).toBe(`${PATH}.timer.divide: expected u8, got 300`);
    expect(loadError((t) => (t.timer = [1]))).toBe(`${PATH}.timer: expected struct, got array[1]`);
    expect(loadError((t) => ((t.channels as StateNode[])[1]!.mode = -1))).toBe(`${PATH}.channels[1].mode: expected u8, got -1`);
    expect(loadError((t) => delete (t.channels as StateNode[])[1]!.mode)).toBe(`${PATH}.channels[1].mode: missing`);
    expect(loadError((t) => ((t.channels as StateValue[])[2] = 1))).toBe(`${PATH}.channels[2]: expected struct, got 1`);
    expect(loadError((t) => (t.channels as StateValue[]).pop())).toBe(`${PATH}.channels: expected struct[3], got array[2]`);
    expect(loadError((t) => (t.channels = child(t, 'timer')))).toBe(`${PATH}.channels: expected struct[3], got struct`);
    expect(loadError((t) => (child(t, 'sipi').vector = 256))).toBe(`${PATH}.sipi.vector: expected u8, got 256`);
    expect(loadError((t) => (t.sipi = 1))).toBe(`${PATH}.sipi: expected struct, got 1`);
    expect(loadError((t) => (t.timer = new Map() as unknown as StateNode))).toBe(`${PATH}.timer: expected struct, got object`);
  });

  it('missing fields', () => {
    expect(loadError((t) => delete t.tpr)).toBe(`${PATH}.tpr: missing`);
    expect(loadError((t) => delete t.ram)).toBe(`${PATH}.ram: missing`);
    expect(loadError((t) => delete t.timer)).toBe(`${PATH}.timer: missing`);
    expect(loadError((t) => delete child(t, 'timer').initial)).toBe(`${PATH}.timer.initial: missing`);
  });

  it('unknown fields at any depth', () => {
    expect(loadError((t) => (t.bogus = 1))).toBe(`${PATH}.bogus: unknown field`);
    expect(loadError((t) => (child(t, 'timer').bogus = 1))).toBe(`${PATH}.timer.bogus: unknown field`);
    expect(loadError((t) => ((t.channels as StateNode[])[2]!.bogus = 1))).toBe(`${PATH}.channels[2].bogus: unknown field`);
    expect(loadError((t) => (child(t, 'sipi').bogus = 1))).toBe(`${PATH}.sipi.bogus: unknown field`);
  });

  it('keys named __proto__ and constructor are data, never inherited', () => {
    expect(loadError((t) => (t['__proto__'] = 1))).toBe(`${PATH}.__proto__: unknown field`);
    // A tree decoded with JSON.parse: __proto__ is an own key there.
    const json = JSON.parse('{"timer": {"divide": 1, "initial": 2, "__proto__": {"x": 1}}}') as StateNode;
    const timerOnly: Visitable = {
      visit(v) {
        v.struct('timer', () => {
          v.u8('divide', 0);
          v.u32('initial', 0);
        });
      },
    };
    expect(() => loadState(timerOnly, json, '/machine/pit')).toThrow('/machine/pit.timer.__proto__: unknown field');
    // A field called `constructor` is missing from an ordinary object, not Object itself.
    const ctor: Visitable = { visit: (v) => void v.u8('constructor', 0) };
    expect(() => loadState(ctor, {}, '/machine/x')).toThrow('/machine/x.constructor: missing');
    const proto: Visitable = { visit: (v) => void v.u8('__proto__', 0) };
    expect(() => loadState(proto, {}, '/machine/x')).toThrow('/machine/x.__proto__: missing');
    // and both load when present
    let got = -1;
    const both: Visitable = {
      visit: (v) => {
        got = v.u8('__proto__', 0) + v.u8('constructor', 0);
      },
    };
    loadState(both, JSON.parse('{"__proto__": 3, "constructor": 4}') as StateNode, '/machine/x');
    expect(got).toBe(7);
  });

  it('a field visited twice on load is a device bug', () => {
    const dup: Visitable = {
      visit: (v) => {
        v.u8('a', 0);
        v.u8('a', 0);
      },
    };
    expect(() => loadState(dup, Object.assign(newNode(), { a: 1 }), '/m')).toThrow('/m.a: visited twice');
  });

  // The visitor follows the node's keys while the device visits them in that order and keeps a list
  // of names only once the walk leaves it: each check must hold on both sides of that switch.
  const node = (fields: Record<string, StateValue>): StateNode => Object.assign(newNode(), fields);
  const visiting = (names: readonly string[]): Visitable => ({
    visit: (v) => {
      for (const name of names) {
        if (name.startsWith('?')) v.optional(name.slice(1), false, () => {});
        else v.u8(name, 0);
      }
    },
  });

  it('finds a name visited twice wherever the walk left the order of the keys', () => {
    const abc = node({ a: 1, b: 2, c: 3 });
    expect(() => loadState(visiting(['a', 'a', 'b', 'c']), abc, '/m')).toThrow('/m.a: visited twice');
    expect(() => loadState(visiting(['a', 'b', 'a', 'c']), abc, '/m')).toThrow('/m.a: visited twice');
    expect(() => loadState(visiting(['b', 'a', 'b', 'c']), abc, '/m')).toThrow('/m.b: visited twice');
    expect(() => loadState(visiting(['a', '?o', 'b', 'a', 'c']), abc, '/m')).toThrow('/m.a: visited twice');
    expect(() => loadState(visiting(['a', '?o', '?o']), node({ a: 1 }), '/m')).toThrow('/m.o: visited twice');
  });

  it('finds a field the device skipped, in order or not', () => {
    const abc = node({ a: 1, b: 2, c: 3 });
    expect(() => loadState(visiting(['a', 'b']), abc, '/m')).toThrow('/m.c: unknown field');
    expect(() => loadState(visiting(['a', 'c']), abc, '/m')).toThrow('/m.b: unknown field');
    expect(() => loadState(visiting(['b', 'c']), abc, '/m')).toThrow('/m.a: unknown field');
    expect(() => loadState(visiting(['a', '?o', 'c']), abc, '/m')).toThrow('/m.b: unknown field');
    expect(() => loadState(visiting(['c', 'b', 'a']), abc, '/m')).not.toThrow();
    expect(() => loadState(visiting(['?o', 'a', 'b', 'c']), abc, '/m')).not.toThrow();
  });

  it('loads a tree whose keys come in another order than the visit', () => {
    const saved = saveState(filledSample());
    const reversed = newNode();
    for (const key of Object.keys(saved).reverse()) reversed[key] = saved[key]!;
    const device = new SampleDevice();
    loadState(device, reversed, PATH);
    expect(diffTrees(saveState(device), saved)).toEqual([]);
  });

  it('an undefined value is missing in a node without prototype, wherever it comes', () => {
    expect(() => loadState(visiting(['a', 'b']), node({ a: 1, b: undefined as unknown as number }), '/m')).toThrow('/m.b: missing');
    expect(() => loadState(visiting(['a']), node({ a: undefined as unknown as number }), '/m')).toThrow('/m.a: missing');
  });
});

describe('InputVisitor scalars', () => {
  it('accept exactly what the scalar checks accept, and say what they say', () => {
    const kinds = ['u8', 'u16', 'u32', 'i8', 'i16', 'i32', 'bool'] as const;
    const values: StateValue[] = [0, -0, 1, -1, 0.5, NaN, Infinity, 127, 128, -128, -129, 255, 256, 0x7fff, 0x8000, -0x8000, -0x8001,
      0xffff, 0x10000, 0x7fffffff, 0x80000000, -0x80000000, -0x80000001, 0xffffffff, 0x100000000, 2 ** 53, 1n, true, false, [], newNode()];
    for (const kind of kinds) {
      for (const value of values) {
        const expected = scalarError(kind, value);
        let got: string | null = null;
        let loaded: unknown;
        try {
          loadState({ visit: (v: Visitor) => void (loaded = (v[kind] as (n: string, x: never) => unknown)('f', 0 as never)) }, Object.assign(newNode(), { f: value }), '/x');
        } catch (e) {
          got = (e as Error).message;
        }
        expect([kind, value, got]).toEqual([kind, value, expected === null ? null : `/x.f: ${expected}`]);
        if (expected === null) expect(Object.is(loaded, value)).toBe(true);
      }
    }
  });
});

describe('performance', () => {
  it('saves and loads a 50-field device in microseconds', () => {
    const fifty: Visitable & { f: number[] } = {
      f: Array.from({ length: 50 }, (_, i) => i),
      visit(v) {
        for (let i = 0; i < 50; i++) this.f[i] = v.u32(`field${i}`, this.f[i]!);
      },
    };
    const tree = saveState(fifty);
    for (let i = 0; i < 2000; i++) loadState(fifty, saveState(fifty), '/m');
    const runs = 5000;
    const start = performance.now();
    for (let i = 0; i < runs; i++) loadState(fifty, saveState(fifty), '/m');
    const perRoundTrip = ((performance.now() - start) * 1000) / runs;
    expect(treesEqual(saveState(fifty), tree)).toBe(true);
    // Generous bound: typically a few microseconds; 200 us would still be "microseconds".
    expect(perRoundTrip).toBeLessThan(200);
  });
});

describe('loadState', () => {
  it('rejects a top node that is not a struct', () => {
    expect(() => loadState(new SampleDevice(), [] as unknown as StateNode, PATH)).toThrow(`${PATH}: expected struct, got array[0]`);
  });
});
