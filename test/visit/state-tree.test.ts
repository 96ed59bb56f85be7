import { describe, expect, it } from 'vitest';
import { cloneTree, diffTrees, isStateNode, newNode, treesEqual, type StateNode } from '../../src/visit/state-tree.ts';

function node(entries: Record<string, unknown>): StateNode {
  return Object.assign(newNode(), entries) as StateNode;
}

describe('state tree', () => {
  const tree = node({
    tpr: 5,
    tsc: 1n << 63n,
    on: true,
    ram: new Uint8Array([1, 2, 3]),
    isr: [1, 2, 3, 4],
    lapic: node({ isr: [0, 0, 0, 0, 9] }),
    channels: [node({ mode: 1 }), node({ mode: 2 })],
  });

  it('recognises plain nodes only', () => {
    expect(isStateNode(newNode())).toBe(true);
    expect(isStateNode({})).toBe(true);
    expect(isStateNode([])).toBe(false);
    expect(isStateNode(new Uint8Array(1))).toBe(false);
    expect(isStateNode(new Map())).toBe(false);
    expect(isStateNode(null)).toBe(false);
    expect(isStateNode(5)).toBe(false);
  });

  it('clones deeply, bytes included', () => {
    const copy = cloneTree(tree);
    expect(treesEqual(copy, tree)).toBe(true);
    expect(copy.ram).not.toBe(tree.ram);
    (copy.ram as Uint8Array)[0] = 9;
    expect((tree.ram as Uint8Array)[0]).toBe(1);
    expect(Object.getPrototypeOf(copy)).toBe(null);
  });

  it('compares exactly', () => {
    expect(treesEqual(1n, 1)).toBe(false);
    expect(treesEqual(0, false)).toBe(false);
    expect(treesEqual([1, 2], [1, 2])).toBe(true);
    expect(treesEqual(new Uint8Array([1]), [1])).toBe(false);
    expect(treesEqual(node({ a: 1, b: 2 }), node({ b: 2, a: 1 }))).toBe(true);
    expect(treesEqual(node({ a: 1 }), node({ a: 1, b: 2 }))).toBe(false);
    expect(treesEqual(node({ a: (1n << 64n) - 1n }), node({ a: (1n << 64n) - 2n }))).toBe(false);
  });

  it('lists the paths that differ', () => {
    const other = cloneTree(tree);
    (other.lapic as StateNode).isr = [0, 0, 0, 1, 9];
    ((other.channels as StateNode[])[1] as StateNode).mode = 7;
    (other.ram as Uint8Array)[2] = 0;
    other.tsc = 5;
    delete other.on;
    other.extra = 1;
    (other.isr as number[]).push(5);
    expect(diffTrees(tree, other)).toEqual(['tsc', 'on', 'ram[2]', 'isr', 'lapic.isr[3]', 'channels[1].mode', 'extra']);
    expect(diffTrees(tree, cloneTree(tree))).toEqual([]);
    expect(diffTrees(tree, other, '/machine/x')[0]).toBe('/machine/x.tsc');
  });

  it('treats __proto__ and constructor as ordinary keys', () => {
    const a = newNode();
    a['__proto__'] = 1;
    a['constructor'] = 2;
    expect(Object.keys(a)).toEqual(['__proto__', 'constructor']);
    const b = cloneTree(a);
    expect(Object.keys(b)).toEqual(['__proto__', 'constructor']);
    expect(treesEqual(a, b)).toBe(true);
    expect(treesEqual(a, newNode())).toBe(false);
    // a node from JSON.parse has an own __proto__ property; a missing `constructor` is not inherited
    const parsed = JSON.parse('{"__proto__": 1}') as StateNode;
    expect(diffTrees(parsed, node({}))).toEqual(['__proto__']);
    expect(diffTrees(node({}), node({ constructor: 1 }))).toEqual(['constructor']);
  });
});

describe('byte strings', () => {
  it('find the first differing byte, aligned or not', () => {
    const a = new Uint8Array(4099);
    for (let i = 0; i < a.length; i++) a[i] = i & 0xff;
    for (const at of [0, 1, 3, 4, 4095, 4096, 4098]) {
      const b = a.slice();
      b[at]! ^= 0x80;
      expect(diffTrees(a, b, 'ram')).toEqual([`ram[${at}]`]);
      expect(diffTrees(a.subarray(1), b.subarray(1), 'ram')).toEqual(at === 0 ? [] : [`ram[${at - 1}]`]);
    }
    expect(treesEqual(a, a.slice())).toBe(true);
    expect(diffTrees(a, a.subarray(1), 'ram')).toEqual(['ram']);
  });
});
