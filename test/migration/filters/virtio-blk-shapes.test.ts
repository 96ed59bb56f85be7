/**
 * The virtio-blk shape pair (migration/filters/virtio-blk-shapes.ts) on states real devices produce:
 * the virtioblk guest stopped at many points in each shape and interrupt mode. Splitting the combined
 * machine's node gives exactly the split machine's two nodes at the same instruction (the layouts
 * agree field for field), merging the split ones gives the combined node, and A -> B -> A is exact.
 */
import { describe, expect, it } from 'vitest';
import { Machine } from '../../../machine/machine.ts';
import { defaultMachineConfig } from '../../../machine/machine-config.ts';
import { builtinFilters } from '../../../migration/filters/builtin.ts';
import type { FilterNode } from '../../../migration/filters/filter.ts';
import { isFilterError } from '../../../migration/filters/filter-error.ts';
import { FilterRegistry } from '../../../migration/registry.ts';
import { cloneTree, diffTrees } from '../../../src/visit/state-tree.ts';
import { saveState } from '../../../src/visit/output-visitor.ts';
import { guestImage } from '../../guests/run-guest.ts';
import { virtioblkMachine, type DiskShape, type VirtioblkConfig } from '../../guests/virtioblk-config.ts';

const registry = new FilterRegistry().registerAll(builtinFilters());
const SPLIT = 'virtio-blk-pci->virtio-pci+virtio-blk';
const MERGE = 'virtio-pci+virtio-blk->virtio-blk-pci';
const PATH = '/machine/peripheral/disk0';
const ctx = { path: PATH, virtualTimeNs: 0n };

function machine(config: VirtioblkConfig, shape: DiskShape): Machine {
  const { overrides } = virtioblkMachine(config, shape);
  return new Machine(defaultMachineConfig({ kernel: { name: 'virtioblk.elf', data: guestImage('virtioblk') }, ramBytes: 8 << 20, ...overrides }), { serialOut: () => {}, log: () => {} });
}

function nodes(m: Machine): Map<string, FilterNode> {
  const out = new Map<string, FilterNode>();
  for (const [path, o] of m.board.objects.entries()) {
    if (path.startsWith(PATH)) out.set(path, { type: o.typeName, version: o.stateVersion, fields: saveState(o, path) });
  }
  return out;
}

describe('virtio-blk-pci <-> virtio-pci + virtio-blk', () => {
  for (const config of ['modern-msix', 'legacy-intx'] as VirtioblkConfig[]) {
    it(`${config}: the split of the combined state is the split machine's state, and back, at every stop`, () => {
      const combined = machine(config, 'combined');
      const split = machine(config, 'split');
      // Stops every 3001 instructions through the guest's I/O (it starts after about 300000); the
      // requests in flight are test/determinism/virtioblk-restore.test.ts's.
      for (let stop = 0; stop < 400; stop++) {
        const at = 300_000 + 3_001 * stop;
        combined.run({ maxInsns: at });
        split.run({ maxInsns: at });
        const c = nodes(combined).get(PATH)!;
        const s = nodes(split);
        const t = s.get(PATH)!;
        const b = s.get(`${PATH}/virtio-backend`)!;
        expect([c.type, t.type, b.type]).toEqual(['virtio-blk-pci', 'virtio-pci', 'virtio-blk']);
        const before = cloneTree(c.fields);
        const [t2, b2] = registry.get(SPLIT)!.apply([c], ctx);
        expect(diffTrees(c.fields, before), 'input untouched').toEqual([]);
        expect(diffTrees(t2!.fields, t.fields), `at ${at}: transport`).toEqual([]);
        expect(diffTrees(b2!.fields, b.fields), `at ${at}: backend`).toEqual([]);
        const [c2] = registry.get(MERGE)!.apply([t, b], ctx);
        expect(diffTrees(c2!.fields, c.fields), `at ${at}: merged`).toEqual([]);
      }
    });
  }

  it('refuses a field it does not know and a malformed one, naming it', () => {
    const m = machine('modern-msix', 'combined');
    m.run({ maxInsns: 400_000 });
    const c = nodes(m).get(PATH)!;
    const extra = cloneTree(c.fields);
    extra.extra = 1;
    const bad = cloneTree(c.fields);
    bad.config_vector = 70000;
    for (const [fields, text] of [
      [extra, `${PATH}.extra: field not understood by this filter`],
      [bad, `${PATH}.config_vector: expected u16, got 70000`],
    ] as const) {
      let error: unknown = null;
      try {
        registry.get(SPLIT)!.apply([{ ...c, fields }], ctx);
      } catch (e) {
        error = e;
      }
      expect(isFilterError(error)).toBe(true);
      expect((error as Error).message).toContain(text);
    }
  });
});
