/** kvm-apic <-> apic: what the page looks like, and what is refused (naming path and value). */
import { describe, expect, it } from 'vitest';
import { apicToKvmApic, kvmApicToApic } from '../../../migration/filters/apic-kvm.ts';
import type { StateNode } from '../../../src/visit/state-tree.ts';
import { genApicV3, node, Rng } from './gen.ts';

const PATH = '/machine/cpu[0]/lapic';
const ctx = { path: PATH, virtualTimeNs: 2_000_000_000n };

function toKvm(a: StateNode): StateNode {
  return apicToKvmApic.apply([{ type: 'apic', version: 3, fields: a }], ctx)[0]!.fields;
}
function toApic(k: StateNode): StateNode {
  return kvmApicToApic.apply([{ type: 'kvm-apic', version: 1, fields: k }], ctx)[0]!.fields;
}
function word(page: number[], off: number): number {
  return (page[off]! | (page[off + 1]! << 8) | (page[off + 2]! << 16) | (page[off + 3]! << 24)) >>> 0;
}

describe('apic -> kvm-apic page layout', () => {
  it('puts every register at its offset, little-endian, and rebuilds Version, PPR, DFR and TMCCT', () => {
    const a = genApicV3(new Rng(41));
    Object.assign(a, {
      id: 3, tpr: 0x20, log_dest: 0x81, dest_mode: 0, spurious_vec: 0x1ff, esr: 0x40, divide_conf: 0xb,
      initial_count: 1000, initial_count_load_time: 1_999_999_500n, timer_expiry: 2_000_000_501n,
    });
    a.isr = [0, 0, 0x10, 0, 0, 0, 0, 0]; // vector 0x44
    a.lvt = [0x20040, 0x10000, 0x10000, 0x700, 0x400, 0x10000];
    delete a.tsc_deadline;
    delete a.apic_sipi;
    const k = toKvm(a);
    const page = k.regs as number[];
    expect(page).toHaveLength(1024);
    expect(word(page, 0x20)).toBe(0x03000000);
    expect(word(page, 0x30)).toBe(0x00050014);
    expect(word(page, 0x80)).toBe(0x20);
    expect(word(page, 0xa0)).toBe(0x40); // PPR: ISR class 0x40 above TPR 0x20
    expect(word(page, 0xd0)).toBe(0x81000000);
    expect(word(page, 0xe0)).toBe(0x0fffffff);
    expect(word(page, 0xf0)).toBe(0x1ff);
    expect(word(page, 0x120)).toBe(0x10);
    expect(word(page, 0x280)).toBe(0x40);
    expect(word(page, 0x320)).toBe(0x20040);
    expect(word(page, 0x350)).toBe(0x700);
    expect(word(page, 0x380)).toBe(1000);
    expect(word(page, 0x390)).toBe(500); // periodic, divide by 1: 500 ticks in at the snapshot point
    expect(word(page, 0x3e0)).toBe(0xb);
    expect(k.timer_deadline).toBe(2_000_000_501n);
    expect(k.mp_state).toBe(0);
    expect(k.tsc_deadline).toBe(0n);
  });

  it('INIT/SIPI wait <-> mp_state 2; the TSC deadline <-> the group', () => {
    const a = genApicV3(new Rng(42));
    a.apic_sipi = node({ sipi_vector: 0, wait_for_sipi: 1 });
    a.tsc_deadline = node({ value: 12345n });
    const k = toKvm(a);
    expect(k.mp_state).toBe(2);
    expect(k.tsc_deadline).toBe(12345n);
    const back = toApic(k);
    expect(back.apic_sipi).toEqual(node({ sipi_vector: 0, wait_for_sipi: 1 }));
    expect(back.tsc_deadline).toEqual(node({ value: 12345n }));
  });
});

describe('kvm-apic -> apic refuses what apic v3 cannot hold', () => {
  const base = () => toKvm(genApicV3(new Rng(43)));
  it('an apic_base above 4 GiB', () => {
    const k = base();
    k.apic_base = 0x1_fee0_0900n;
    expect(() => toApic(k)).toThrow("/machine/cpu[0]/lapic.apic_base: 0x1fee00900 does not fit apic v3's u32 apicbase");
  });
  it('an mp_state other than RUNNABLE and INIT_RECEIVED', () => {
    const k = base();
    k.mp_state = 3;
    expect(() => toApic(k)).toThrow('/machine/cpu[0]/lapic.mp_state: 3: apic carries only RUNNABLE (0) and INIT_RECEIVED (2)');
  });
  it('a deadline that is not -1 or an exact ns value', () => {
    const k = base();
    k.timer_deadline = -5n;
    expect(() => toApic(k)).toThrow('/machine/cpu[0]/lapic.timer_deadline: -5: not -1 or a virtual time in ns');
    k.timer_deadline = 1n << 60n;
    expect(() => toApic(k)).toThrow(/timer_deadline: 1152921504606846976/);
  });
  it('a page of the wrong size', () => {
    const k = base();
    k.regs = (k.regs as number[]).slice(0, 1000);
    expect(() => toApic(k)).toThrow('/machine/cpu[0]/lapic.regs: expected an array of 1024, got array[1000]');
  });
});
