import { describe, expect, it } from 'vitest';
import { PhysicalMemory } from '../../src/memory/physical-memory.ts';
import { RamState } from '../../src/memory/ram-state.ts';
import { saveState } from '../../src/visit/output-visitor.ts';
import { loadState } from '../../src/visit/input-visitor.ts';
import { treesEqual } from '../../src/visit/state-tree.ts';

describe('ram state', () => {
  it('round-trips every byte and refuses another RAM size', () => {
    const mem = new PhysicalMemory(2 << 20);
    for (let i = 0; i < mem.ramSize; i += 4093) mem.u8[i] = (i * 7) & 0xff;
    const a = saveState(new RamState(mem));
    const other = new PhysicalMemory(2 << 20);
    loadState(new RamState(other), a, '/machine/ram');
    expect(other.u8).toEqual(mem.u8);
    expect(treesEqual(a, saveState(new RamState(other)))).toBe(true);
    expect(() => loadState(new RamState(new PhysicalMemory(4 << 20)), a, '/machine/ram')).toThrow('/machine/ram.data');
  });
});
