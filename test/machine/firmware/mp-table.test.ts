import { describe, expect, it } from 'vitest';
import { buildMpTable, isaIrqToIoapicPin } from '../../../machine/firmware/mp-table.ts';

function sum(bytes: Uint8Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i++) s = (s + bytes[i]!) & 0xff;
  return s;
}

describe('MP table', () => {
  const t = buildMpTable(
    { cpus: 2, cpuSignature: 0x480, cpuFeatures: 0x213c, ioapicId: 2, ioapicAddress: 0xfec00000, lapicAddress: 0xfee00000, pciIrqs: [[1, 1, 11]] },
    0xf0000,
  );
  const dv = new DataView(t.buffer);

  it('has a floating pointer and a configuration table whose checksums are zero', () => {
    expect(String.fromCharCode(...t.subarray(0, 4))).toBe('_MP_');
    expect(sum(t, 0, 16)).toBe(0);
    expect(dv.getUint32(4, true)).toBe(0xf0010);
    expect(t[8]).toBe(1);
    expect(t[9]).toBe(4);
    expect(String.fromCharCode(...t.subarray(16, 20))).toBe('PCMP');
    const length = dv.getUint16(16 + 4, true);
    expect(16 + length).toBe(t.length);
    expect(sum(t, 16, 16 + length)).toBe(0);
    expect(dv.getUint32(16 + 36, true)).toBe(0xfee00000);
  });

  it('lists the CPUs, buses, the IOAPIC and the routing', () => {
    const count = dv.getUint16(16 + 34, true);
    let off = 16 + 44;
    const types: number[] = [];
    const ints: [number, number, number, number][] = [];
    for (let i = 0; i < count; i++) {
      const type = t[off]!;
      types.push(type);
      if (type === 0) {
        expect(t[off + 1]).toBe(types.filter((x) => x === 0).length - 1);
        expect(t[off + 3]! & 1).toBe(1);
      }
      if (type === 2) expect(dv.getUint32(off + 4, true)).toBe(0xfec00000);
      if (type === 3) ints.push([t[off + 2]!, t[off + 4]!, t[off + 5]!, t[off + 7]!]);
      off += type === 0 ? 20 : 8;
    }
    expect(types.filter((x) => x === 0)).toHaveLength(2);
    expect(types.filter((x) => x === 2)).toHaveLength(1);
    expect(types.filter((x) => x === 4)).toHaveLength(2);
    // Bus ids as SeaBIOS: PCI bus 0 is id 0 (Linux looks INTx up by bus number), ISA is id 1.
    const buses = new Map<string, number>();
    off = 16 + 44;
    for (let i = 0; i < count; i++) {
      const type = t[off]!;
      if (type === 1) buses.set(String.fromCharCode(...t.subarray(off + 2, off + 8)).trim(), t[off + 1]!);
      off += type === 0 ? 20 : 8;
    }
    expect(Object.fromEntries(buses)).toEqual({ PCI: 0, ISA: 1 });
    expect(ints).toContainEqual([0, 1, 0, 2]);
    expect(ints).toContainEqual([0, 1, 4, 4]);
    expect(ints).toContainEqual([0x0f, 0, 4, 11]);
    // The IOAPIC pin a PCI entry uses has no ISA entry (one trigger mode per pin); the others keep theirs.
    expect(ints.filter(([, , , pin]) => pin === 11)).toEqual([[0x0f, 0, 4, 11]]);
    expect(ints).toContainEqual([0, 1, 10, 10]);
    expect(isaIrqToIoapicPin(0)).toBe(2);
  });
});
