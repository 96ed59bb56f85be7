/** Snapshots for the container tests, and a seeded PRNG for the property tests. */
import { newNode, type StateNode } from '../../src/visit/state-tree.ts';
import type { SchemaNode } from '../../src/visit/schema.ts';
import type { Snapshot } from '../../migration/snapshot.ts';

/** xorshift32: deterministic pseudo-random numbers for property tests. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  /** Integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.next() / 0x100000000) * n);
  }
}

export const PIT_SCHEMA: SchemaNode = {
  fields: [
    { name: 'mode', kind: 'u8' },
    { name: 'count', kind: 'u16' },
    { name: 'deadline', kind: 'u64' },
    { name: 'offset', kind: 'i64' },
    { name: 'gate', kind: 'bool' },
    { name: 'latch', kind: 'u32[]', length: 3 },
    { name: 'tscs', kind: 'u64[]', length: 2 },
    { name: 'page', kind: 'bytes', length: 16 },
    { name: '__proto__', kind: 'u8' },
    { name: 'constructor', kind: 'i32' },
    {
      name: 'channels',
      kind: 'struct[]',
      length: 2,
      fields: [
        { name: 'out', kind: 'bool' },
        { name: 'value', kind: 'i16' },
      ],
    },
    { name: 'timer', kind: 'struct', fields: [{ name: 'period', kind: 'u32' }] },
    { name: 'sipi', kind: 'optional', fields: [{ name: 'vector', kind: 'u8' }] },
  ],
};

export function pitFields(): StateNode {
  const n = newNode();
  n['mode'] = 3;
  n['count'] = 0xffff;
  n['deadline'] = (1n << 64n) - 1n;
  n['offset'] = -(1n << 63n);
  n['gate'] = true;
  n['latch'] = [0, 0xffffffff, 12345];
  n['tscs'] = [0n, (1n << 64n) - 1n];
  n['page'] = new Uint8Array(16).map((_, i) => i * 17);
  n['__proto__'] = 7;
  n['constructor'] = -5;
  const c0 = newNode();
  c0['out'] = false;
  c0['value'] = -32768;
  const c1 = newNode();
  c1['out'] = true;
  c1['value'] = 32767;
  n['channels'] = [c0, c1];
  const timer = newNode();
  timer['period'] = 1000;
  n['timer'] = timer;
  return n;
}

/** A snapshot with a PIT-like object, and RAM of `ramBytes` with the given pages non-zero. */
export function sampleSnapshot(ramBytes = 64 * 1024, pages: number[] = [0, 3, 5], seed = 1): Snapshot {
  const ram = new Uint8Array(ramBytes);
  const rng = new Rng(seed);
  for (const p of pages) {
    const start = p * 4096;
    const end = Math.min(start + 4096, ramBytes);
    for (let i = start; i < end; i++) ram[i] = rng.next() & 0xff;
    ram[start] = 1;
  }
  const ramFields = newNode();
  ramFields['data'] = ram;
  return {
    config: { machine: { 'kernel-irqchip': 'on' }, m: ramBytes, devices: [{ id: 'disk0' }] },
    clock: { virtualTimeNs: 123456789012345n, retiredInstructions: (1n << 64n) - 1n, run: { icountShift: 0 } },
    objects: new Map([
      ['/machine/pit', { type: 'i8254', version: 2, fields: pitFields() }],
      ['/machine/ram', { type: 'ram', version: 1, fields: ramFields }],
    ]),
    schemas: new Map<string, SchemaNode>([
      ['i8254@2', PIT_SCHEMA],
      ['ram@1', { fields: [{ name: 'data', kind: 'bytes', length: ramBytes }] }],
    ]),
  };
}
