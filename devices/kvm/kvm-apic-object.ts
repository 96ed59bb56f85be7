/**
 * `kvm-apic` (state version 1): the object of an in-kernel local APIC. It holds no state of its own:
 * its visit gets the kernel's state through the VM's API (KVM_GET_LAPIC: the 1 KiB register page and
 * what KVM keeps beside it) and visits the fields; a load keeps the state until post-load, which sets
 * it (KVM_SET_LAPIC), like QEMU's kvm_apic_get/put around its vmstate.
 *
 * Fields: regs u8[1024], apic_base u64, timer_deadline i64 (virtual ns, -1 when disarmed),
 * tsc_deadline u64, mp_state u32; optional group `esr_pending` {value u32} when errors are waiting
 * to be latched into ESR.
 */
import type { StateObject } from '../../src/qom/object.ts';
import { PRIORITY_LAPIC } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';
import type { KvmLapicApi, KvmLapicFullState } from '../kernel/kvm-vm.ts';
import { KVM_APIC_REG_SIZE } from '../../src/hw/kvm-structs.ts';

/** The ioctl-like accessors for one vCPU's LAPIC (kvm-vm.ts provides them). */
export interface KvmLapicAccess {
  getLapic(): KvmLapicFullState;
  setLapic(state: KvmLapicFullState): void;
  /** Post-load step, in the machine's fixed order (the VM applies a deferred set here). */
  postLoad?(): void;
}

export class KvmApicObject implements StateObject {
  readonly typeName = 'kvm-apic';
  readonly stateVersion = 1;
  readonly postLoadPriority = PRIORITY_LAPIC;
  private readonly vm: KvmLapicApi;
  private readonly cpu: number;
  /** A loaded state, until post-load sets it. */
  private pending: KvmLapicFullState | null = null;

  constructor(vm: KvmLapicApi, cpu: number) {
    this.vm = vm;
    this.cpu = cpu;
  }

  visit(v: Visitor): void {
    // A load overwrites every field: it starts from a blank state, not a copy of the kernel's.
    const s = this.pending ?? (v.mode === 'load' ? blankLapicState() : this.vm.getLapic(this.cpu));
    v.u8Array('regs', s.regs);
    s.apicBase = v.u64('apic_base', s.apicBase);
    s.timerDeadlineNs = v.i64('timer_deadline', s.timerDeadlineNs);
    s.tscDeadline = v.u64('tsc_deadline', s.tscDeadline);
    s.mpState = v.u32('mp_state', s.mpState);
    const hasEsr = v.optional('esr_pending', s.esrPending !== 0, () => {
      s.esrPending = v.u32('value', s.esrPending);
    });
    if (v.mode === 'load') {
      if (!hasEsr) s.esrPending = 0;
      this.pending = s;
    }
  }

  /** KVM_SET_LAPIC once the clock and the vCPU are restored: the LAPIC re-arms its timer from now. */
  postLoad(): void {
    if (this.pending !== null) this.vm.setLapic(this.cpu, this.pending);
    this.pending = null;
  }
}

/** A state for a load to fill (every field is visited, so none of these values survives a load). */
function blankLapicState(): KvmLapicFullState {
  return { regs: new Uint8Array(KVM_APIC_REG_SIZE), timerDeadlineNs: -1n, apicBase: 0n, tscDeadline: 0n, mpState: 0, esrPending: 0 };
}
