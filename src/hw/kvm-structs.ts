/**
 * The in-kernel interrupt controllers' native state, laid out as KVM's uapi structs
 * (arch/x86/include/uapi/asm/kvm.h). The kernel flavour stores its chips in exactly these shapes;
 * the ioctl-like API (kvm-vm.ts) hands out copies.
 */

/** KVM_GET_LAPIC: the 1 KiB xAPIC register page, little-endian, each register at its MMIO offset. */
export const KVM_APIC_REG_SIZE = 0x400;

/** struct kvm_lapic_state plus godwit's extension: the exact timer deadline KVM would lose. */
export interface KvmLapicState {
  regs: Uint8Array;
  /** Virtual ns at which the APIC timer next fires, or -1n when disarmed. */
  timerDeadlineNs: bigint;
}

/** struct kvm_pic_state (all u8). */
export interface KvmPicState {
  last_irr: number;
  irr: number;
  imr: number;
  isr: number;
  priority_add: number;
  irq_base: number;
  read_reg_select: number;
  poll: number;
  special_mask: number;
  init_state: number;
  auto_eoi: number;
  rotate_on_auto_eoi: number;
  special_fully_nested_mode: number;
  init4: number;
  elcr: number;
  elcr_mask: number;
}

export const KVM_IOAPIC_NUM_PINS = 24;

/** struct kvm_ioapic_state. */
export interface KvmIoapicState {
  base_address: bigint;
  ioregsel: number;
  id: number;
  irr: number;
  pad: number;
  redirtbl: BigUint64Array;
}

/** struct kvm_pit_channel_state. */
export interface KvmPitChannelState {
  count: number;
  latched_count: number;
  count_latched: number;
  status_latched: number;
  status: number;
  read_state: number;
  write_state: number;
  write_latch: number;
  rw_mode: number;
  mode: number;
  bcd: number;
  gate: number;
  /** Virtual ns when the count was loaded. */
  count_load_time: bigint;
}

/** KVM_PIT_FLAGS_HPET_LEGACY: channel 0 does not drive IRQ0. */
export const KVM_PIT_FLAGS_HPET_LEGACY = 1;
/** KVM_PIT_FLAGS_SPEAKER_DATA_ON: port 0x61 bit 1. */
export const KVM_PIT_FLAGS_SPEAKER_DATA_ON = 2;
/** godwit extension in kvm_pit_state2.flags: port 0x61 bits 3:2 as last written. */
export const KVM_PIT_FLAGS_GODWIT_CHECK_MASK = 0x0c;

/** struct kvm_pit_state2. */
export interface KvmPitState2 {
  channels: [KvmPitChannelState, KvmPitChannelState, KvmPitChannelState];
  flags: number;
}

/** KVM_IRQCHIP_* chip ids for KVM_GET_IRQCHIP / KVM_SET_IRQCHIP. */
export const KVM_IRQCHIP_PIC_MASTER = 0;
export const KVM_IRQCHIP_PIC_SLAVE = 1;
export const KVM_IRQCHIP_IOAPIC = 2;

/** kvm_mp_state values. */
export const KVM_MP_STATE_RUNNABLE = 0;
export const KVM_MP_STATE_UNINITIALIZED = 1;
export const KVM_MP_STATE_INIT_RECEIVED = 2;
export const KVM_MP_STATE_HALTED = 3;
export const KVM_MP_STATE_SIPI_RECEIVED = 4;
