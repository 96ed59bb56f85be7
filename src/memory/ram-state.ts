/** Guest RAM as an object of the machine tree (/machine/ram): its size and every byte. */
import type { StateObject } from '../qom/object.ts';
import type { Visitor } from '../visit/visitor.ts';
import type { PhysicalMemory } from './physical-memory.ts';

export class RamState implements StateObject {
  readonly typeName = 'ram';
  readonly stateVersion = 1;
  private readonly mem: PhysicalMemory;

  constructor(mem: PhysicalMemory) {
    this.mem = mem;
  }

  visit(v: Visitor): void {
    // The size is part of the schema (the byte string's length): a different -m cannot load it.
    v.bytes('data', this.mem.u8);
    if (v.mode === 'load') this.mem.loadedWhole();
  }
}
