/** The userspace `apic`'s state: QEMU's field list, round trips, optional groups, hostile input. */
import { describe, expect, it } from 'vitest';
import { Apic } from '../../../devices/apic/apic.ts';
import { describeState } from '../../../src/visit/describe-visitor.ts';
import { loadState } from '../../../src/visit/input-visitor.ts';
import { saveState } from '../../../src/visit/output-visitor.ts';
import { validateAgainstSchema } from '../../../src/visit/schema.ts';
import { roundTrip } from '../helpers.ts';
import { enable, makeRig, newLapic, rd, wr } from './lapic-harness.ts';

function busyRig() {
  const rig = makeRig('apic', { cpus: 2, tscDeadline: true, start: 5000 });
  const [a, b] = [rig.cpus[0]! as Apic, rig.cpus[1]! as Apic];
  enable(a);
  wr(a, 0x3e0, 0x3);
  wr(a, 0x320, 0x20031);
  wr(a, 0x380, 777);
  a.accept(0, 0x41, 1);
  a.accept(0, 0x92, 0);
  a.acknowledge();
  wr(a, 0x80, 0x20);
  wr(a, 0xd0, 0x04000000);
  wr(a, 0x300, 0x4000 | 0x500 | 0xc0000); // INIT to the AP: it waits for SIPI
  wr(a, 0x400, 0); // an unlatched error
  rig.tc.stepTo(9000);
  return { rig, a, b };
}

describe('apic state', () => {
  it('saves exactly QEMU apic v3 fields, in order, and the optional groups when needed', () => {
    const { a, b } = busyRig();
    const tree = saveState(a);
    expect(Object.keys(tree)).toEqual([
      'apicbase', 'id', 'arb_id', 'tpr', 'spurious_vec', 'log_dest', 'dest_mode', 'isr', 'tmr', 'irr', 'lvt',
      'esr', 'icr', 'divide_conf', 'count_shift', 'initial_count', 'initial_count_load_time', 'next_time',
      'timer_expiry', 'esr_pending',
    ]);
    expect(tree['apicbase']).toBe(0xfee00900);
    expect(tree['divide_conf']).toBe(3);
    expect(tree['count_shift']).toBe(4);
    expect(tree['initial_count_load_time']).toBe(5000n);
    expect(tree['timer_expiry']).toBe(BigInt(5000 + 778 * 16));
    expect(tree['irr']).toEqual([0, 0, 2, 0, 0, 0, 0, 0]);
    expect(tree['isr']).toEqual([0, 0, 0, 0, 1 << 18, 0, 0, 0]);
    expect(tree['tmr']).toEqual([0, 0, 2, 0, 0, 0, 0, 0]);
    expect(tree['esr_pending']).toEqual({ value: 0x80 });
    const apTree = saveState(b);
    expect(apTree['apic_sipi']).toEqual({ sipi_vector: 0, wait_for_sipi: 1 });
    expect(apTree['esr_pending']).toBeUndefined();
    // The schema names every field the visitor can save, the optional groups included, and both
    // saved trees fit it.
    const schema = describeState(a);
    expect(schema.fields.map((f) => `${f.name}:${f.kind}`)).toEqual([
      'apicbase:u32', 'id:u8', 'arb_id:u8', 'tpr:u8', 'spurious_vec:u32', 'log_dest:u8', 'dest_mode:u8', 'isr:u32[]',
      'tmr:u32[]', 'irr:u32[]', 'lvt:u32[]', 'esr:u32', 'icr:u32[]', 'divide_conf:u32', 'count_shift:i32', 'initial_count:u32',
      'initial_count_load_time:i64', 'next_time:i64', 'timer_expiry:i64', 'apic_sipi:optional', 'tsc_deadline:optional',
      'esr_pending:optional',
    ]);
    validateAgainstSchema(tree, schema, '/machine/cpu[0]/lapic');
    validateAgainstSchema(apTree, describeState(b), '/machine/cpu[1]/lapic');
  });

  it('round-trips save -> load -> save', () => {
    const { rig, a, b } = busyRig();
    roundTrip(a, newLapic('apic', rig.wirings[0]!, rig.tc, true) as Apic);
    roundTrip(b, newLapic('apic', rig.wirings[1]!, rig.tc, true) as Apic);
    const tsc = makeRig('apic', { tscDeadline: true });
    const l = tsc.cpus[0]! as Apic;
    enable(l);
    wr(l, 0x320, 0x40050);
    l.writeMsr(0x6e0, 123456n);
    const tree = roundTrip(l, newLapic('apic', tsc.wirings[0]!, tsc.tc, true) as Apic);
    expect(tree['tsc_deadline']).toEqual({ value: 123456n });
    expect(tree['timer_expiry']).toBe(123456n);
  });

  it('continues the timer exactly after a load', () => {
    const { rig, a } = busyRig();
    const tree = saveState(a);
    a.dispose();
    const fresh = newLapic('apic', rig.wirings[0]!, rig.tc, true) as Apic;
    loadState(fresh, tree, '/machine/cpu[0]/lapic');
    fresh.postLoad();
    expect(rig.tc.clock.nextDeadline()).toBe(5000 + 778 * 16);
    expect(rd(fresh, 0x390)).toBe(a.mmioRead(0x390, 4));
  });

  it('brings hostile values into range', () => {
    const { rig, a } = busyRig();
    const tree = saveState(a);
    tree['lvt'] = [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff];
    tree['icr'] = [0xffffffff, 0xffffffff];
    tree['divide_conf'] = 0xffffffff;
    tree['count_shift'] = -5;
    tree['spurious_vec'] = 0xffffffff;
    tree['apicbase'] = 0xffffffff;
    tree['timer_expiry'] = -12345n;
    tree['initial_count_load_time'] = 2n ** 62n;
    const fresh = newLapic('apic', rig.wirings[0]!, rig.tc, true) as Apic;
    loadState(fresh, tree, '/x');
    fresh.postLoad();
    expect(fresh.lvt[0]).toBe(0x300ff);
    expect(fresh.lvt[3]).toBe(0x1a7ff);
    expect(fresh.icr[0]).toBe(0xccfff);
    expect(fresh.divideConf).toBe(0xb);
    expect(fresh.countShift).toBe(0);
    expect(fresh.spuriousVec).toBe(0x3ff);
    expect(fresh.apicbase).toBe(0xfffff900);
    expect(fresh.initialCountLoadTime).toBe(0);
    expect(() => rig.tc.stepTo(20000)).not.toThrow();
  });

  it('replays a stale periodic expiry from now instead of flooding', () => {
    const { rig, a } = busyRig();
    const tree = saveState(a);
    rig.tc.stepTo(10_000_000_000);
    const fresh = newLapic('apic', rig.wirings[0]!, rig.tc, true) as Apic;
    loadState(fresh, tree, '/x');
    fresh.postLoad();
    const d = rig.tc.clock.nextDeadline();
    expect(d).toBeGreaterThan(10_000_000_000);
    expect(d).toBeLessThanOrEqual(10_000_000_000 + 778 * 16);
  });
});
