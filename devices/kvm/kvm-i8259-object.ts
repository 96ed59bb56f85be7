/**
 * `kvm-i8259` (state version 1), one per chip of the in-kernel PIC pair: struct kvm_pic_state (all
 * u8) through the VM's API (KVM_GET_IRQCHIP), plus two optional groups for the godwit extension bits
 * the struct lacks (`ltim` {ltim}, `single_mode` {single_mode}), present only when nonzero. A load
 * keeps the struct until post-load, which sets it (KVM_SET_IRQCHIP).
 */
import type { StateObject } from '../../src/qom/object.ts';
import { PRIORITY_PIC } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';
import type { KvmPicChipInput, KvmPicApi } from '../kernel/kvm-vm.ts';

export class KvmI8259Object implements StateObject {
  readonly typeName = 'kvm-i8259';
  readonly stateVersion = 1;
  readonly postLoadPriority = PRIORITY_PIC;
  private readonly vm: KvmPicApi;
  /** KVM_IRQCHIP_PIC_MASTER or KVM_IRQCHIP_PIC_SLAVE. */
  private readonly chip: number;
  private pending: KvmPicChipInput | null = null;

  constructor(vm: KvmPicApi, chip: number) {
    this.vm = vm;
    this.chip = chip;
  }

  visit(v: Visitor): void {
    const s: KvmPicChipInput = this.pending ?? this.vm.getPicChip(this.chip);
    s.last_irr = v.u8('last_irr', s.last_irr);
    s.irr = v.u8('irr', s.irr);
    s.imr = v.u8('imr', s.imr);
    s.isr = v.u8('isr', s.isr);
    s.priority_add = v.u8('priority_add', s.priority_add);
    s.irq_base = v.u8('irq_base', s.irq_base);
    s.read_reg_select = v.u8('read_reg_select', s.read_reg_select);
    s.poll = v.u8('poll', s.poll);
    s.special_mask = v.u8('special_mask', s.special_mask);
    s.init_state = v.u8('init_state', s.init_state);
    s.auto_eoi = v.u8('auto_eoi', s.auto_eoi);
    s.rotate_on_auto_eoi = v.u8('rotate_on_auto_eoi', s.rotate_on_auto_eoi);
    s.special_fully_nested_mode = v.u8('special_fully_nested_mode', s.special_fully_nested_mode);
    s.init4 = v.u8('init4', s.init4);
    s.elcr = v.u8('elcr', s.elcr);
    s.elcr_mask = v.u8('elcr_mask', s.elcr_mask);
    const ltim = s.ltim ?? 0;
    const hasLtim = v.optional('ltim', ltim !== 0, () => {
      s.ltim = v.u8('ltim', ltim);
    });
    const single = s.single_mode ?? 0;
    const hasSingle = v.optional('single_mode', single !== 0, () => {
      s.single_mode = v.u8('single_mode', single);
    });
    if (v.mode === 'load') {
      if (!hasLtim) s.ltim = 0;
      if (!hasSingle) s.single_mode = 0;
      this.pending = s;
    }
  }

  postLoad(): void {
    if (this.pending !== null) this.vm.setIrqchip(this.chip, this.pending);
    this.pending = null;
  }
}
