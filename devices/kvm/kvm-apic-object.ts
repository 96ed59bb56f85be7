/**
 * `kvm-apic` (state version 1): the QOM object of an in-kernel local APIC. It holds no state: its
 * visit gets the kernel's state (the 1 KiB register page and what KVM keeps beside it), visits the
 * fields, and on load sets it back, like QEMU's kvm_apic_get/put around its vmstate.
 *
 * Fields: regs u8[1024], apic_base u64, timer_deadline i64 (virtual ns, -1 when disarmed),
 * tsc_deadline u64, mp_state u32; optional group `esr_pending` {value u32} when errors are waiting
 * to be latched into ESR.
 */
import type { StateObject } from '../../src/qom/object.ts';
import { PRIORITY_LAPIC } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';
import type { KvmLapicFullState } from './kvm-lapic.ts';

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
  private readonly access: KvmLapicAccess;

  constructor(access: KvmLapicAccess) {
    this.access = access;
  }

  visit(v: Visitor): void {
    const s = this.access.getLapic();
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
      this.access.setLapic(s);
    }
  }

  postLoad(): void {
    this.access.postLoad?.();
  }
}
