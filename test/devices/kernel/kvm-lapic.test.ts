/** The in-kernel LAPIC's native state (KVM's register page) and the stateless `kvm-apic` object. */
import { describe, expect, it } from 'vitest';
import { KvmApicObject } from '../../../devices/kvm/kvm-apic-object.ts';
import type { KvmLapic } from '../../../devices/kernel/kvm-lapic.ts';
import { KVM_MP_STATE_INIT_RECEIVED, KVM_MP_STATE_RUNNABLE } from '../../../src/hw/kvm-structs.ts';
import { loadState } from '../../../src/visit/input-visitor.ts';
import { saveState } from '../../../src/visit/output-visitor.ts';
import { roundTrip } from '../helpers.ts';
import { enable, makeRig, newLapic, rd, wr } from '../apic/lapic-harness.ts';
import { lapicApi } from './kvm-api.ts';

function word(regs: Uint8Array, offset: number): number {
  return new DataView(regs.buffer, regs.byteOffset).getUint32(offset, true);
}

function busy() {
  const rig = makeRig('kvm-lapic', { cpus: 2, tscDeadline: true, start: 1000 });
  const [a, b] = [rig.cpus[0]! as KvmLapic, rig.cpus[1]! as KvmLapic];
  enable(a);
  wr(a, 0x3e0, 0xb);
  wr(a, 0x320, 0x30);
  wr(a, 0x380, 500);
  a.accept(0, 0x41, 1);
  a.accept(0, 0x92, 0);
  a.acknowledge();
  wr(a, 0x80, 0x20);
  wr(a, 0xd0, 0x04000000);
  rig.tc.stepTo(1200);
  return { rig, a, b };
}

function objectOf(l: KvmLapic): KvmApicObject {
  return new KvmApicObject(lapicApi(l), 0);
}

describe('kvm-lapic register page', () => {
  it('stores every register little-endian at its offset', () => {
    const { a, b } = busy();
    const s = a.getState();
    expect(s.regs.length).toBe(1024);
    expect(word(s.regs, 0x20)).toBe(0);
    expect(word(s.regs, 0x30)).toBe(0x50014);
    expect(word(s.regs, 0x80)).toBe(0x20);
    expect(word(s.regs, 0xa0)).toBe(0x90); // PPR kept in the page
    expect(word(s.regs, 0xd0)).toBe(0x04000000);
    expect(word(s.regs, 0xe0)).toBe(0xffffffff);
    expect(word(s.regs, 0xf0)).toBe(0x1ff);
    expect(word(s.regs, 0x100 + 4 * 16)).toBe(1 << 18); // ISR 0x92
    expect(word(s.regs, 0x180 + 2 * 16)).toBe(2); // TMR 0x41
    expect(word(s.regs, 0x200 + 2 * 16)).toBe(2); // IRR 0x41
    expect(word(s.regs, 0x320)).toBe(0x30);
    expect(word(s.regs, 0x350)).toBe(0x700);
    expect(word(s.regs, 0x380)).toBe(500);
    expect(word(s.regs, 0x390)).toBe(300); // TMCCT filled with the live count
    expect(word(s.regs, 0x3e0)).toBe(0xb);
    expect(s.timerDeadlineNs).toBe(1501n);
    expect(s.apicBase).toBe(0xfee00900n);
    expect(s.mpState).toBe(KVM_MP_STATE_RUNNABLE);
    expect(b.getState().mpState).toBe(KVM_MP_STATE_INIT_RECEIVED);
    // A copy: changing it changes nothing.
    s.regs[0x80] = 0x77;
    expect(rd(a, 0x80)).toBe(0x20);
  });

  it('fills TMCCT of each copy with the count of its moment and leaves the page itself as it was', () => {
    const { rig, a } = busy();
    const page = (a as unknown as { regs: Uint8Array }).regs;
    const before = page.slice();
    expect(word(a.getState().regs, 0x390)).toBe(300);
    expect(page).toEqual(before);
    rig.tc.stepTo(1300);
    expect(word(a.getState().regs, 0x390)).toBe(200);
    expect(page).toEqual(before);
  });

  it('applies KVM_SET_LAPIC rules: version rewritten, PPR recomputed, masks, timer from the deadline', () => {
    const { rig, a } = busy();
    const s = a.getState();
    const dv = new DataView(s.regs.buffer);
    dv.setUint32(0x30, 0x12345678, true);
    dv.setUint32(0xa0, 0xee, true);
    dv.setUint32(0x390, 7, true);
    dv.setUint32(0x320, 0xffffffff, true);
    dv.setUint32(0x2f0, 0xdeadbeef, true); // reserved: cleared
    s.timerDeadlineNs = 1400n;
    const fresh = newLapic('kvm-lapic', rig.wirings[0]!, rig.tc, true) as KvmLapic;
    a.dispose();
    fresh.setState(s);
    const t = fresh.getState();
    expect(word(t.regs, 0x30)).toBe(0x50014);
    expect(word(t.regs, 0xa0)).toBe(0x90);
    expect(word(t.regs, 0x2f0)).toBe(0);
    expect(word(t.regs, 0x320)).toBe(0x300ff);
    expect(rig.tc.clock.nextDeadline()).toBe(1400);
  });

  it('keeps a periodic count without a deadline stopped (KVM, lacking the deadline, would restart it)', () => {
    const { rig, a } = busy();
    wr(a, 0x320, 0x20030);
    wr(a, 0x380, 99);
    const s = a.getState();
    s.timerDeadlineNs = -1n;
    a.setState(s);
    expect(rig.tc.clock.nextDeadline()).toBe(Infinity);
    expect(rd(a, 0x380)).toBe(99);
    expect(rd(a, 0x390)).toBe(0);
  });

  it('round-trips kvm-apic save -> load -> save with exactly the documented fields', () => {
    const { rig, a, b } = busy();
    wr(a, 0x400, 0); // an unlatched error
    const tree = roundTrip(objectOf(a), objectOf(newLapic('kvm-lapic', rig.wirings[0]!, rig.tc, true) as KvmLapic));
    const fields = ['regs', 'apic_base', 'timer_deadline', 'tsc_deadline', 'mp_state', 'esr_pending'];
    expect(Object.keys(tree)).toEqual(fields);
    expect(tree['timer_deadline']).toBe(1501n);
    expect(tree['esr_pending']).toEqual({ value: 0x80 });
    const apTree = roundTrip(objectOf(b), objectOf(newLapic('kvm-lapic', rig.wirings[1]!, rig.tc, true) as KvmLapic));
    expect(apTree['mp_state']).toBe(KVM_MP_STATE_INIT_RECEIVED);
    expect(apTree['esr_pending']).toBeUndefined();
  });

  it('loads through kvm-apic into the kernel object and continues the timer', () => {
    const { rig, a } = busy();
    const tree = saveState(objectOf(a));
    const before = rd(a, 0x390);
    a.dispose();
    const fresh = newLapic('kvm-lapic', rig.wirings[0]!, rig.tc, true) as KvmLapic;
    const obj = objectOf(fresh);
    loadState(obj, tree, '/machine/cpu[0]/lapic');
    obj.postLoad();
    expect(rd(fresh, 0x390)).toBe(before);
    expect(rd(fresh, 0x80)).toBe(0x20);
    expect(rig.tc.clock.nextDeadline()).toBe(1501);
    rig.tc.stepTo(1501);
    expect(rd(fresh, 0x210)).toBe(1 << 0x10); // timer vector 0x30
    expect(rd(fresh, 0x220)).toBe(2); // 0x41 still pending
  });

  it('keeps the TSC deadline beside the page', () => {
    const rig = makeRig('kvm-lapic', { tscDeadline: true });
    const l = rig.cpus[0]! as KvmLapic;
    enable(l);
    wr(l, 0x320, 0x40050);
    l.writeMsr(0x6e0, 4242n);
    const s = l.getState();
    expect(s.tscDeadline).toBe(4242n);
    expect(s.timerDeadlineNs).toBe(4242n);
    const fresh = newLapic('kvm-lapic', rig.wirings[0]!, rig.tc, true) as KvmLapic;
    l.dispose();
    s.timerDeadlineNs = -1n; // recomputed from the TSC
    fresh.setState(s);
    expect(rig.tc.clock.nextDeadline()).toBe(4242);
    enable(fresh);
    expect(fresh.readMsr(0x6e0)).toBe(4242n);
  });

  it('survives a hostile page', () => {
    const { rig, a } = busy();
    const s = a.getState();
    s.regs.fill(0xff);
    s.timerDeadlineNs = 2n ** 62n;
    s.apicBase = 2n ** 64n - 1n;
    const fresh = newLapic('kvm-lapic', rig.wirings[0]!, rig.tc, true) as KvmLapic;
    a.dispose();
    fresh.setState(s);
    expect(fresh.readMsr(0x1b)).toBe(0xfffff900n);
    expect(rd(fresh, 0x3e0)).toBe(0xb);
    expect(() => {
      rig.tc.stepTo(100000);
      while (fresh.hasInterrupt()) {
        fresh.acknowledge();
        wr(fresh, 0xb0, 0);
      }
    }).not.toThrow();
  });
});
