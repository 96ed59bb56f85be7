/**
 * `kvm-pit` (state version 1): the object of the in-kernel PIT, struct kvm_pit_state2 (channels[3]
 * of kvm_pit_channel_state, flags) through the VM's API (KVM_GET_PIT2). A load keeps the struct
 * until post-load, which sets it (KVM_SET_PIT2): the PIT re-arms channel 0 from the current
 * virtual time, which must already be the restored one.
 */
import type { StateObject } from '../../src/qom/object.ts';
import { PRIORITY_PIT } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';
import type { KvmPitState2 } from '../../src/hw/kvm-structs.ts';
import type { KvmPitApi } from '../kernel/kvm-vm.ts';

export class KvmPitObject implements StateObject {
  readonly typeName = 'kvm-pit';
  readonly stateVersion = 1;
  readonly postLoadPriority = PRIORITY_PIT;
  private readonly vm: KvmPitApi;
  private pending: KvmPitState2 | null = null;

  constructor(vm: KvmPitApi) {
    this.vm = vm;
  }

  visit(v: Visitor): void {
    const s = this.pending ?? this.vm.getPit2();
    v.structArray('channels', 3, (i) => {
      const c = s.channels[i]!;
      c.count = v.u32('count', c.count);
      c.latched_count = v.u16('latched_count', c.latched_count);
      c.count_latched = v.u8('count_latched', c.count_latched);
      c.status_latched = v.u8('status_latched', c.status_latched);
      c.status = v.u8('status', c.status);
      c.read_state = v.u8('read_state', c.read_state);
      c.write_state = v.u8('write_state', c.write_state);
      c.write_latch = v.u8('write_latch', c.write_latch);
      c.rw_mode = v.u8('rw_mode', c.rw_mode);
      c.mode = v.u8('mode', c.mode);
      c.bcd = v.u8('bcd', c.bcd);
      c.gate = v.u8('gate', c.gate);
      c.count_load_time = v.i64('count_load_time', c.count_load_time);
    });
    s.flags = v.u32('flags', s.flags);
    if (v.mode === 'load') this.pending = s;
  }

  postLoad(): void {
    if (this.pending !== null) this.vm.setPit2(this.pending);
    this.pending = null;
  }
}
