/**
 * The QOM objects of the in-kernel IOAPIC, PIC chips and PIT: `kvm-ioapic`, `kvm-i8259` (one per
 * chip), `kvm-pit`. They hold NO state: each is built with accessors onto the "kernel" (the ioctl-like
 * get/set API), and visit() gets the native struct, visits every field of it, and on load sets it
 * back. Their state is therefore exactly KVM's struct layout.
 */
import type { StateObject } from '../../src/qom/object.ts';
import { PRIORITY_IOAPIC, PRIORITY_PIC, PRIORITY_PIT } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';
import type { KvmPicChipInput } from './kvm-pic.ts';
import type { KvmIoapicState, KvmPitState2 } from '../../src/hw/kvm-structs.ts';

/** How a stateless chip object reaches its chip. */
export interface ChipAccess<T> {
  /** A copy of the chip's native state (KVM_GET_*). */
  get(): T;
  /** Replace the chip's state (KVM_SET_*); called once per load, after every field was visited. */
  set(state: T): void;
  /** Optional post-load step (re-derive outputs, re-arm timers), run in the machine's fixed order. */
  postLoad?(): void;
}

/** `kvm-ioapic`: struct kvm_ioapic_state. */
export class KvmIoapicObject implements StateObject {
  readonly typeName = 'kvm-ioapic';
  readonly stateVersion = 1;
  readonly postLoadPriority = PRIORITY_IOAPIC;
  private readonly access: ChipAccess<KvmIoapicState>;

  constructor(access: ChipAccess<KvmIoapicState>) {
    this.access = access;
  }

  visit(v: Visitor): void {
    const s = this.access.get();
    s.base_address = v.u64('base_address', s.base_address);
    s.ioregsel = v.u32('ioregsel', s.ioregsel);
    s.id = v.u32('id', s.id);
    s.irr = v.u32('irr', s.irr);
    s.pad = v.u32('pad', s.pad);
    v.u64Array('redirtbl', s.redirtbl);
    if (v.mode === 'load') this.access.set(s);
  }

  postLoad(): void {
    this.access.postLoad?.();
  }
}

/**
 * `kvm-i8259`: struct kvm_pic_state (all u8), plus two optional groups for the godwit extension bits
 * the struct lacks (`ltim` {ltim}, `single_mode` {single_mode}), present only when nonzero.
 */
export class KvmI8259Object implements StateObject {
  readonly typeName = 'kvm-i8259';
  readonly stateVersion = 1;
  readonly postLoadPriority = PRIORITY_PIC;
  private readonly access: ChipAccess<KvmPicChipInput>;

  constructor(access: ChipAccess<KvmPicChipInput>) {
    this.access = access;
  }

  visit(v: Visitor): void {
    const s = this.access.get();
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
      this.access.set(s);
    }
  }

  postLoad(): void {
    this.access.postLoad?.();
  }
}

/** `kvm-pit`: struct kvm_pit_state2 (channels[3] of kvm_pit_channel_state, flags). */
export class KvmPitObject implements StateObject {
  readonly typeName = 'kvm-pit';
  readonly stateVersion = 1;
  readonly postLoadPriority = PRIORITY_PIT;
  private readonly access: ChipAccess<KvmPitState2>;

  constructor(access: ChipAccess<KvmPitState2>) {
    this.access = access;
  }

  visit(v: Visitor): void {
    const s = this.access.get();
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
    if (v.mode === 'load') this.access.set(s);
  }

  postLoad(): void {
    this.access.postLoad?.();
  }
}
