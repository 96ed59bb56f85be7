/**
 * The in-kernel IOAPIC's native state (struct kvm_ioapic_state) and its stateless QOM object
 * `kvm-ioapic`. Register behaviour is tested against both flavours in test/devices/ioapic.
 */
import { describe, expect, it } from 'vitest';
import { saveState } from '../../../src/visit/output-visitor.ts';
import { describeState } from '../../../src/visit/describe-visitor.ts';
import { loadState } from '../../../src/visit/input-visitor.ts';
import type { ApicMessage } from '../../../src/hw/apic-message.ts';
import { Ioapic } from '../../../devices/ioapic/ioapic.ts';
import { KvmIoapicObject } from '../../../devices/kvm/kvm-ioapic-object.ts';
import { KvmIoapic } from '../../../devices/kernel/kvm-ioapic.ts';
import { roundTrip } from '../helpers.ts';
import { ioapicApi } from './kvm-api.ts';

const LEVEL = 1 << 15;
const REMOTE_IRR = 1 << 14;

function program(io: { mmioWrite(o: number, s: number, v: number): void }, reg: number, value: number): void {
  io.mmioWrite(0, 4, reg);
  io.mmioWrite(0x10, 4, value);
}

function busy(send: (m: ApicMessage) => void): KvmIoapic {
  const io = new KvmIoapic(send);
  program(io, 0x00, 0x0400_0000);
  program(io, 0x11 + 2 * 10, 0x0100_0000);
  program(io, 0x10 + 2 * 10, LEVEL | 0x4a);
  program(io, 0x10 + 2 * 2, 0x30);
  io.setIrq(10, 1);
  io.setIrq(0, 1);
  io.mmioWrite(0, 4, 0x15);
  return io;
}

function objectFor(io: KvmIoapic): KvmIoapicObject {
  return new KvmIoapicObject(ioapicApi(io));
}

describe('kvm-ioapic', () => {
  it('keeps its registers in struct kvm_ioapic_state', () => {
    const io = busy(() => {});
    const s = io.getState();
    expect(s.base_address).toBe(0xfec00000n);
    expect(s.id).toBe(4);
    expect(s.ioregsel).toBe(0x15);
    expect(s.irr).toBe((1 << 10) | (1 << 2));
    expect(s.pad).toBe(0);
    expect(s.redirtbl[10]).toBe((1n << 56n) | BigInt(LEVEL | REMOTE_IRR | 0x4a));
    expect(s.redirtbl[2]).toBe(0x30n);
    expect(s.redirtbl[0]).toBe(1n << 16n);
    // getState hands out a copy
    s.redirtbl[2] = 0n;
    s.id = 9;
    expect(io.getState().redirtbl[2]).toBe(0x30n);
    expect(io.getState().id).toBe(4);
  });

  it('setState takes a copy brought into range', () => {
    const io = new KvmIoapic(() => {});
    const s = busy(() => {}).getState();
    s.id = 0xff;
    s.irr = 0xffffffff;
    s.pad = 7;
    s.redirtbl[3] = (1n << 12n) | (1n << 14n) | 0x33n; // delivery status, remote IRR on an edge entry
    io.setState(s);
    s.redirtbl[10] = 0n;
    const t = io.getState();
    expect(t.id).toBe(0xf);
    expect(t.irr).toBe(0xffffff);
    expect(t.pad).toBe(0);
    expect(t.redirtbl[3]).toBe(0x33n);
    expect(t.redirtbl[10]).toBe((1n << 56n) | BigInt(LEVEL | REMOTE_IRR | 0x4a));
  });

  it('the kvm-ioapic object visits the struct fields and round-trips', () => {
    const msgs: ApicMessage[] = [];
    const io = busy((m) => msgs.push(m));
    const freshMsgs: ApicMessage[] = [];
    const fresh = new KvmIoapic((m) => freshMsgs.push(m));
    const obj = objectFor(io);
    expect(obj.typeName).toBe('kvm-ioapic');
    expect(obj.stateVersion).toBe(1);
    const freshObj = objectFor(fresh);
    const tree = roundTrip(obj, freshObj, '/machine/ioapic');
    freshObj.postLoad(); // the object sets the chip in post-load (KVM_SET_IRQCHIP)
    expect(Object.keys(tree)).toEqual(['base_address', 'ioregsel', 'id', 'irr', 'pad', 'redirtbl']);
    expect((tree['redirtbl'] as bigint[]).length).toBe(24);
    expect(fresh.getState()).toEqual(io.getState());
    expect(freshMsgs).toEqual([]); // loading delivers nothing
    for (const d of [io, fresh]) {
      d.eoi(0x4a);
      d.setIrq(0, 0);
      d.setIrq(0, 1);
    }
    expect(freshMsgs).toEqual(msgs.slice(2));
    const schema = describeState(obj, '/machine/ioapic');
    expect(JSON.stringify(schema, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).toContain('redirtbl');
  });

  it('the object holds no state: it reads the chip live', () => {
    const io = new KvmIoapic(() => {});
    const obj = objectFor(io);
    const before = saveState(obj, '/x');
    program(io, 0x00, 0x0700_0000);
    const after = saveState(obj, '/x');
    expect(before['id']).toBe(0);
    expect(after['id']).toBe(7);
  });

  it('converts field by field to and from the userspace ioapic without changing behaviour', () => {
    const kMsgs: ApicMessage[] = [];
    const k = busy((m) => kMsgs.push(m));
    const ks = saveState(objectFor(k), '/machine/ioapic');
    // kvm-ioapic -> ioapic: id, ioregsel, irr and the table carry over as they are.
    const uMsgs: ApicMessage[] = [];
    const u = new Ioapic((m) => uMsgs.push(m));
    const userTree = { id: ks['id'], ioregsel: ks['ioregsel'], irr: ks['irr'], ioredtbl: ks['redirtbl'] };
    loadState(u, userTree as never, '/machine/ioapic');
    expect(u.mmioRead(0, 4)).toBe(k.mmioRead(0, 4));
    for (let reg = 0; reg < 0x40; reg++) {
      u.mmioWrite(0, 4, reg);
      k.mmioWrite(0, 4, reg);
      expect(u.mmioRead(0x10, 4)).toBe(k.mmioRead(0x10, 4));
    }
    for (const d of [u, k]) {
      d.setIrq(10, 0);
      d.eoi(0x4a);
      d.setIrq(10, 1);
      d.setIrq(0, 0);
      d.setIrq(0, 1);
    }
    expect(uMsgs).toEqual(kMsgs.slice(2));
  });
});
