/**
 * Filters read hostile trees: whatever the input (fields missing, of the wrong kind, out of range,
 * extra keys such as `__proto__`, groups replaced by scalars), apply() either succeeds or throws a
 * FilterError naming a path; it never throws anything else and never mutates its input.
 */
import { describe, expect, it } from 'vitest';
import { builtinFilters } from '../../../migration/filters/builtin.ts';
import type { Filter, FilterNode } from '../../../migration/filters/filter.ts';
import { isFilterError } from '../../../migration/filters/filter-error.ts';
import { isStateNode, newNode, type StateNode, type StateValue } from '../../../src/visit/state-tree.ts';
import { genApicV3, genI8259, genIoapic, genKvmI8259, genKvmIoapic, genKvmPit, genVirtioBlkPci, Rng } from './gen.ts';
import { virtioBlkPciToSplit } from '../../../migration/filters/virtio-blk-shapes.ts';
import { apicV3ToV4 } from '../../../migration/filters/apic-versions.ts';
import { apicToKvmApic } from '../../../migration/filters/apic-kvm.ts';
import { kvmPitToI8254 } from '../../../migration/filters/pit-kvm.ts';

const CTX = { path: '/machine/pic/master', virtualTimeNs: 5_000_000n };

/** Valid inputs for each built-in filter. */
function validInputs(f: Filter, r: Rng): FilterNode[] {
  const one = (type: string, version: number, fields: StateNode): FilterNode[] => [{ type, version, fields }];
  switch (f.name) {
    case 'ioapic->kvm-ioapic':
      return one('ioapic', 3, genIoapic(r));
    case 'kvm-ioapic->ioapic':
      return one('kvm-ioapic', 1, genKvmIoapic(r));
    case 'i8259->kvm-i8259':
      return one('i8259', 1, genI8259(r));
    case 'kvm-i8259->i8259':
      return one('kvm-i8259', 1, genKvmI8259(r, true));
    case 'kvm-pit->i8254+pcspk':
      return one('kvm-pit', 1, genKvmPit(r));
    case 'i8254+pcspk->kvm-pit':
      return kvmPitToI8254.apply(one('kvm-pit', 1, genKvmPit(r)), CTX);
    case 'apic:v3->v4':
    case 'apic->kvm-apic':
      return one('apic', 3, genApicV3(r));
    case 'apic:v4->v3':
      return apicV3ToV4.apply(one('apic', 3, genApicV3(r)), CTX);
    case 'kvm-apic->apic':
      return apicToKvmApic.apply(one('apic', 3, genApicV3(r)), CTX);
    case 'virtio-blk-pci->virtio-pci+virtio-blk':
      return one('virtio-blk-pci', 1, genVirtioBlkPci(r));
    case 'virtio-pci+virtio-blk->virtio-blk-pci':
      return virtioBlkPciToSplit.apply(one('virtio-blk-pci', 1, genVirtioBlkPci(r)), CTX);
    default:
      throw new Error(`no generator for ${f.name}`);
  }
}

const JUNK: StateValue[] = [
  -1, 0.5, 2 ** 40, 300, 0x1_0000_0000, -(2 ** 31) - 1, 7n, -1n, 1n << 64n, true, new Uint8Array(3), [], [1, 2],
  [1n], newNode(), Number.NaN, Number.POSITIVE_INFINITY,
];

/** Every (container, key) inside a tree, so one can be damaged. */
function slots(v: StateValue, out: Array<[StateNode | StateValue[], string | number]>): void {
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      out.push([v, i]);
      slots(x, out);
    });
  } else if (isStateNode(v)) {
    for (const k of Object.keys(v)) {
      out.push([v, k]);
      slots(v[k]!, out);
    }
  }
}

function damage(tree: StateNode, r: Rng): void {
  const all: Array<[StateNode | StateValue[], string | number]> = [];
  slots(tree, all);
  const n = 1 + r.below(3);
  for (let i = 0; i < n && all.length > 0; i++) {
    const [container, key] = all[r.below(all.length)]!;
    const what = r.below(4);
    if (Array.isArray(container)) {
      if (what === 0) container.pop();
      else container[key as number] = r.pick(JUNK);
    } else if (what === 0) {
      delete container[key as string];
    } else if (what === 1) {
      container[r.pick(['__proto__', 'constructor', 'extra', 'toString'])] = r.pick(JUNK);
    } else {
      container[key as string] = r.pick(JUNK);
    }
  }
}

/** A faithful rendering (NaN, bigints, byte strings, own keys such as __proto__). */
function show(v: StateValue): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v !== 'object') return Object.is(v, -0) ? '-0' : String(v);
  if (v instanceof Uint8Array) return `bytes(${Array.from(v).join(',')})`;
  if (Array.isArray(v)) return `[${v.map(show).join(',')}]`;
  return `{${Object.keys(v).map((k) => `${JSON.stringify(k)}:${show(v[k]!)}`).join(',')}}`;
}

describe('filters on hostile trees', () => {
  for (const f of builtinFilters()) {
    it(`${f.name}: a clean result or a FilterError, and the input untouched`, () => {
      const r = new Rng(f.name.length * 977 + f.name.charCodeAt(0));
      let refused = 0;
      for (let i = 0; i < 400; i++) {
        const inputs = validInputs(f, r);
        const victim = inputs[r.below(inputs.length)]!;
        damage(victim.fields, r);
        const copies = inputs.map((n) => show(n.fields));
        try {
          f.apply(inputs, CTX);
        } catch (e) {
          if (!isFilterError(e)) throw e;
          expect(e.problems.length).toBe(1);
          expect(e.message.startsWith('/machine/')).toBe(true);
          refused++;
        }
        inputs.forEach((n, j) => expect(show(n.fields)).toBe(copies[j]));
      }
      expect(refused).toBeGreaterThan(200);
    });
  }
});

describe('messages about bits', () => {
  it('show u32 bits as unsigned hex, never 0x-10', () => {
    const r = new Rng(3);
    const pit = genKvmPit(r);
    pit['flags'] = 0xfffffff0;
    let message = '';
    try {
      kvmPitToI8254.apply([{ type: 'kvm-pit', version: 1, fields: pit }], CTX);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/flags: 0xfffffff0: bits 0x[0-9a-f]+ have no place in i8254 or pcspk/);
    expect(message).not.toContain('0x-');
  });
});
