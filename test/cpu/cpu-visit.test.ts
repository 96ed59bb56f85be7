/** The CPU's whole architectural state survives save -> load -> save, mid-run, and the loaded CPU runs on identically. */
import { describe, expect, it } from 'vitest';
import { saveState } from '../../src/visit/output-visitor.ts';
import { loadState } from '../../src/visit/input-visitor.ts';
import { describeState } from '../../src/visit/describe-visitor.ts';
import { treesEqual, diffTrees } from '../../src/visit/state-tree.ts';
import { runGuest } from '../guests/run-guest.ts';
import { Machine } from '../../machine/machine.ts';
import { defaultMachineConfig } from '../../machine/machine-config.ts';
import { guestImage } from '../guests/run-guest.ts';

describe('cpu state', () => {
  it('round-trips mid-run (protected mode, paging on) and describes every field', () => {
    const run = runGuest('paging', {}, 40_000);
    const cpu = run.machine.cpu;
    expect(cpu.protectedMode).toBe(true);
    const a = saveState(cpu, '/machine/cpu[0]');
    const fresh = new Machine(defaultMachineConfig({ kernel: { name: 'paging.elf', data: guestImage('paging') } }), {
      serialOut: () => {},
      log: () => {},
    });
    loadState(fresh.cpu, a, '/machine/cpu[0]');
    fresh.cpu.postLoad();
    const b = saveState(fresh.cpu, '/machine/cpu[0]');
    expect(diffTrees(a, b)).toEqual([]);
    expect(treesEqual(a, b)).toBe(true);
    const schema = describeState(cpu);
    const names = schema.fields.map((f) => f.name);
    for (const n of ['eax', 'eip', 'eflags', 'cs', 'ss', 'gdtr', 'idtr', 'ldtr', 'tr', 'cr0', 'cr3', 'dr', 'retired_instructions']) {
      expect(names).toContain(n);
    }
  });

  it('rejects an out-of-range register value with its path', () => {
    const run = runGuest('hello', {}, 1000);
    const tree = saveState(run.machine.cpu);
    tree['eax'] = 2 ** 32;
    expect(() => loadState(run.machine.cpu, tree, '/machine/cpu[0]')).toThrow('/machine/cpu[0].eax');
  });
});
