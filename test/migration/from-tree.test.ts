import { describe, expect, it } from 'vitest';
import { captureSnapshot } from '../../migration/from-tree.ts';
import { decodeSnapshot } from '../../migration/decode.ts';
import { encodeSnapshotBytes } from '../../migration/encode.ts';
import { ObjectTree } from '../../src/qom/object-tree.ts';
import { PhysicalMemory } from '../../src/memory/physical-memory.ts';
import { RamState } from '../../src/memory/ram-state.ts';
import { diffTrees } from '../../src/visit/state-tree.ts';
import { hash64 } from '../../src/util/hash.ts';
import type { StateObject } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';
import { SampleDevice } from '../visit/sample-device.ts';

class Blob implements StateObject {
  readonly typeName = 'blob';
  readonly stateVersion = 1;
  readonly data: Uint8Array;
  constructor(size: number) {
    this.data = new Uint8Array(size);
  }
  visit(v: Visitor): void {
    v.bytes('data', this.data);
  }
}

function machine(): { tree: ObjectTree; mem: PhysicalMemory; dev: SampleDevice } {
  const tree = new ObjectTree();
  const mem = new PhysicalMemory(1024 * 1024);
  const dev = new SampleDevice();
  tree.add('/machine/ram', new RamState(mem));
  tree.add('/machine/sample', dev);
  return { tree, mem, dev };
}

describe('captureSnapshot', () => {
  it('saves a tree that a fresh tree loads back through the container, bit for bit', () => {
    const src = machine();
    src.mem.load(0x7c00, Uint8Array.of(1, 2, 3));
    src.mem.write8(0xfffff, 0xee);
    src.dev.tsc = (1n << 64n) - 1n;
    src.dev.adjust = -(1n << 63n);
    src.dev.waitForSipi = true;
    src.dev.sipiVector = 0x9a;
    src.dev.channels[2]!.count = 0xffff;
    const s = captureSnapshot(src.tree, { m: 1 }, { virtualTimeNs: 5n, retiredInstructions: 5n, run: {} });
    expect([...s.schemas.keys()]).toEqual(['ram@1', 'sample@2']);
    const back = decodeSnapshot(encodeSnapshotBytes(s));
    const dst = machine();
    dst.tree.loadAll(back.objects);
    expect(hash64(dst.mem.u8)).toBe(hash64(src.mem.u8));
    const again = captureSnapshot(dst.tree, { m: 1 }, back.clock);
    for (const [path, obj] of s.objects) expect(diffTrees(again.objects.get(path)!.fields, obj.fields, path)).toEqual([]);
  });

  it('refuses two objects of one type@version with different schemas', () => {
    const tree = new ObjectTree();
    tree.add('/machine/peripheral/a', new Blob(4096));
    tree.add('/machine/peripheral/b', new Blob(8192));
    expect(() => captureSnapshot(tree, {}, { virtualTimeNs: 0n, retiredInstructions: 0n, run: {} })).toThrow(
      '/machine/peripheral/b: schema differs from that of /machine/peripheral/a although both are blob@1',
    );
  });
});
