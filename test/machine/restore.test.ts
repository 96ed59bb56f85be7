/**
 * Save at an instruction boundary, restore into a fresh machine, run on: the guest cannot tell.
 * Serial output before the stop plus output after the restore equals the uninterrupted run's, and the
 * final instruction count, RAM hash and CPU state are identical.
 */
import { describe, expect, it } from 'vitest';
import { Machine } from '../../machine/machine.ts';
import { defaultMachineConfig } from '../../machine/machine-config.ts';
import type { MachineConfig } from '../../machine/machine-config.ts';
import { guestImage } from '../guests/run-guest.ts';
import { saveState } from '../../src/visit/output-visitor.ts';
import { StateError } from '../../src/util/errors.ts';
import { cloneTree, treesEqual } from '../../src/visit/state-tree.ts';

function machine(name: string, out: number[], overrides: Partial<MachineConfig> = {}): Machine {
  const config = defaultMachineConfig({ kernel: { name: `${name}.elf`, data: guestImage(name) }, ...overrides });
  return new Machine(config, { serialOut: (b) => out.push(b), log: () => {} });
}

function finish(m: Machine, out: number[]) {
  const result = m.run({ maxInsns: 500_000_000 });
  return { result, serial: Buffer.from(out).toString('latin1'), stats: m.stats(), cpu: saveState(m.cpu) };
}

describe('save and restore on the same configuration', () => {
  for (const name of ['interrupts', 'paging', 'tasks']) {
    it(`${name}: interrupted runs match the uninterrupted one at many points`, () => {
      const fullOut: number[] = [];
      const full = finish(machine(name, fullOut), fullOut);
      expect(full.result.reason).toBe('debug-exit');
      const total = full.stats.retiredInstructions;
      const points = [1, 1000, Math.floor(total / 7), Math.floor(total / 3), Math.floor(total / 2), total - 100];
      for (const k of points) {
        const before: number[] = [];
        const a = machine(name, before);
        a.run({ maxInsns: k });
        expect(a.stats().retiredInstructions).toBe(k);
        const state = a.captureState();
        const after: number[] = [];
        const b = machine(name, after);
        b.restoreState(state);
        const rest = finish(b, after);
        expect(Buffer.from(before).toString('latin1') + rest.serial).toBe(full.serial);
        expect(rest.stats.retiredInstructions).toBe(total);
        expect(rest.stats.virtualTimeNs).toBe(full.stats.virtualTimeNs);
        expect(rest.stats.ramHash).toBe(full.stats.ramHash);
        expect(rest.cpu).toEqual(full.cpu);
        expect(rest.result).toEqual(full.result);
      }
    });
  }

  it('a failed restore leaves the running machine untouched', () => {
    const out: number[] = [];
    const m = machine('interrupts', out);
    m.run({ maxInsns: 50_000 });
    const state = m.captureState();
    // A copy: RAM's saved bytes are a view of the live memory, which a bad restore might write.
    const before = { ...m.captureState(), objects: new Map([...m.captureState().objects].map(([p, o]) => [p, { ...o, fields: cloneTree(o.fields) }])) };
    const bad = { ...state, objects: new Map(state.objects) };
    const pit = bad.objects.get('/machine/pit')!;
    bad.objects.set('/machine/pit', { ...pit, fields: { ...pit.fields, bogus: 1 } });
    expect(() => m.restoreState(bad)).toThrow(StateError);
    const after = m.captureState();
    expect([...after.objects.keys()]).toEqual([...before.objects.keys()]);
    for (const [path, obj] of before.objects) expect(treesEqual(after.objects.get(path)!.fields, obj.fields), path).toBe(true);
    expect(after.run).toEqual(before.run);
    const fullOut: number[] = [];
    const full = finish(machine('interrupts', fullOut), fullOut);
    const rest = finish(m, out);
    expect(rest.serial).toBe(full.serial);
    expect(rest.stats.retiredInstructions).toBe(full.stats.retiredInstructions);
  });
});
