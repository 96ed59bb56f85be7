/**
 * `kvm-ioapic` (state version 1): the object of the in-kernel IOAPIC. It holds no state of its own:
 * its visit reads struct kvm_ioapic_state through the VM's API (KVM_GET_IRQCHIP) and visits every
 * field, so its state is exactly KVM's layout. A load keeps the struct until post-load, which hands
 * it to the VM (KVM_SET_IRQCHIP) in the machine's post-load order.
 */
import type { StateObject } from '../../src/qom/object.ts';
import { PRIORITY_IOAPIC } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';
import type { KvmIoapicState } from '../../src/hw/kvm-structs.ts';
import { KVM_IRQCHIP_IOAPIC } from '../../src/hw/kvm-structs.ts';
import type { KvmIoapicApi } from '../kernel/kvm-vm.ts';

export class KvmIoapicObject implements StateObject {
  readonly typeName = 'kvm-ioapic';
  readonly stateVersion = 1;
  readonly postLoadPriority = PRIORITY_IOAPIC;
  private readonly vm: KvmIoapicApi;
  /** A loaded struct, until post-load sets it. */
  private pending: KvmIoapicState | null = null;

  constructor(vm: KvmIoapicApi) {
    this.vm = vm;
  }

  visit(v: Visitor): void {
    const s = this.pending ?? this.vm.getIoapic();
    s.base_address = v.u64('base_address', s.base_address);
    s.ioregsel = v.u32('ioregsel', s.ioregsel);
    s.id = v.u32('id', s.id);
    s.irr = v.u32('irr', s.irr);
    s.pad = v.u32('pad', s.pad);
    v.u64Array('redirtbl', s.redirtbl);
    if (v.mode === 'load') this.pending = s;
  }

  postLoad(): void {
    if (this.pending !== null) this.vm.setIrqchip(KVM_IRQCHIP_IOAPIC, this.pending);
    this.pending = null;
  }
}
