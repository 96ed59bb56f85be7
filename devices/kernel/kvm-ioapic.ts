/**
 * The in-kernel IOAPIC. Its storage is KVM's `struct kvm_ioapic_state` and its register paths follow
 * Linux arch/x86/kvm/ioapic.c (ioapic_set_irq, ioapic_service, ioapic_read_indirect,
 * ioapic_write_indirect, kvm_ioapic_update_eoi), with the guest-visible behaviour of the userspace
 * `ioapic` (devices/ioapic/ioapic.ts) wherever the two differ: version 0x20 with the EOI register at
 * +0x40, IOWIN decoded for 32-bit accesses only, unknown registers read 0, an EOI touches level
 * entries only, remote IRR is set on every level delivery, and no EOI-storm throttling.
 *
 * As in KVM, `irr` holds the input pin levels; an edge pin delivers when its bit goes 0 -> 1.
 */
import type { MmioDevice } from '../../src/bus/mmio-bus.ts';
import type { IrqSink } from '../../src/irq.ts';
import type { ApicMessage } from '../../src/hw/apic-message.ts';
import { SH_NONE } from '../../src/hw/apic-message.ts';
import {
  gsiToPin,
    IOAPIC_EOI,
  IOAPIC_ID_MASK,
  IOAPIC_ID_SHIFT,
  IOAPIC_IOREGSEL,
  IOAPIC_IOWIN,
  IOAPIC_REG_ARB,
  IOAPIC_REG_ID,
  IOAPIC_REG_REDTBL_BASE,
  IOAPIC_REG_VER,
  IOAPIC_VER_ENTRIES_SHIFT,
  IOAPIC_VERSION,
} from '../../src/hw/ioapic.ts';
import type { KvmIoapicState } from '../../src/hw/kvm-structs.ts';
import { KVM_IOAPIC_NUM_PINS } from '../../src/hw/kvm-structs.ts';
import { RTE64_DELIVERY_MODE_SHIFT, RTE64_DELIVERY_STATUS, RTE64_DEST_MODE, RTE64_DEST_SHIFT, RTE64_MASKED, RTE64_REMOTE_IRR, RTE64_TRIGGER_LEVEL, RTE64_VECTOR_MASK } from '../../src/hw/ioapic.ts';
import { IOAPIC_BASE } from '../../src/hw/pc-layout.ts';

const LOW32 = 0xffffffffn;
const PIN_MASK = (1 << KVM_IOAPIC_NUM_PINS) - 1;

/** kvm_ioapic_reset's state. */
function resetState(): KvmIoapicState {
  return {
    base_address: BigInt(IOAPIC_BASE),
    ioregsel: 0,
    id: 0,
    irr: 0,
    pad: 0,
    redirtbl: new BigUint64Array(KVM_IOAPIC_NUM_PINS).fill(RTE64_MASKED),
  };
}

/** A deep copy (the ioctl-like API never shares storage). */
export function copyIoapicState(s: KvmIoapicState): KvmIoapicState {
  return {
    base_address: s.base_address,
    ioregsel: s.ioregsel,
    id: s.id,
    irr: s.irr,
    pad: s.pad,
    redirtbl: new BigUint64Array(s.redirtbl),
  };
}

export class KvmIoapic implements MmioDevice, IrqSink {
  private readonly ioapic: KvmIoapicState = resetState();
  private readonly sendMessage: (msg: ApicMessage) => void;

  constructor(sendMessage: (msg: ApicMessage) => void) {
    this.sendMessage = sendMessage;
  }

  /** kvm_ioapic_reset. */
  reset(): void {
    const r = resetState();
    this.ioapic.base_address = r.base_address;
    this.ioapic.ioregsel = 0;
    this.ioapic.id = 0;
    this.ioapic.irr = 0;
    this.ioapic.pad = 0;
    this.ioapic.redirtbl.set(r.redirtbl);
  }

  /** KVM_GET_IRQCHIP (KVM_IRQCHIP_IOAPIC): a copy of the chip. */
  getState(): KvmIoapicState {
    return copyIoapicState(this.ioapic);
  }

  /**
   * KVM_SET_IRQCHIP: take a copy of `s`, brought into range (4-bit ID, 24 pins, no delivery status,
   * no remote IRR on edge entries, pad 0). Unlike KVM it does not re-inject the latched lines: irr
   * already says which inputs are high, and a state saved by either flavour has nothing pending.
   * base_address is kept but the chip stays mapped where the machine put it.
   */
  setState(s: KvmIoapicState): void {
    const io = this.ioapic;
    io.base_address = BigInt.asUintN(64, s.base_address);
    io.ioregsel = s.ioregsel & 0xff;
    io.id = s.id & IOAPIC_ID_MASK;
    io.irr = (s.irr & PIN_MASK) >>> 0;
    io.pad = 0;
    for (let i = 0; i < KVM_IOAPIC_NUM_PINS; i++) {
      let e = BigInt.asUintN(64, s.redirtbl[i] ?? RTE64_MASKED) & ~RTE64_DELIVERY_STATUS;
      if ((e & RTE64_TRIGGER_LEVEL) === 0n) e &= ~RTE64_REMOTE_IRR;
      io.redirtbl[i] = e;
    }
  }

  /** kvm_ioapic_set_irq / ioapic_set_irq for one source per line; GSI 0 is routed to pin 2. */
  setIrq(gsi: number, level: number): void {
    this.setPin(gsiToPin(gsi), level);
  }

  /** Drive input pin `irq` (0..23) directly, without the GSI 0 -> pin 2 routing. */
  setPin(irq: number, level: number): void {
    if (!(irq >= 0 && irq < KVM_IOAPIC_NUM_PINS) || irq !== (irq | 0)) return;
    const io = this.ioapic;
    const mask = 1 << irq;
    if (!level) {
      io.irr = (io.irr & ~mask) >>> 0;
      return;
    }
    const edge = (io.redirtbl[irq]! & RTE64_TRIGGER_LEVEL) === 0n;
    const oldIrr = io.irr;
    io.irr = (io.irr | mask) >>> 0;
    if (edge && oldIrr === io.irr) return; // coalesced: the line was already high
    this.ioapicService(irq);
  }

  /** ioapic_service: deliver pin `irq` unless masked or a level entry awaits its EOI. */
  private ioapicService(irq: number): void {
    const io = this.ioapic;
    const e = io.redirtbl[irq]!;
    const level = (e & RTE64_TRIGGER_LEVEL) !== 0n;
    if ((e & RTE64_MASKED) !== 0n || (level && (e & RTE64_REMOTE_IRR) !== 0n)) return;
    // KVM sets remote IRR after a successful delivery; here it is set first, as the userspace
    // flavour does, so that an EOI arriving during delivery finds the same state in both.
    if (level) io.redirtbl[irq] = e | RTE64_REMOTE_IRR;
    this.sendMessage({
      dest: Number(e >> RTE64_DEST_SHIFT),
      destMode: (e & RTE64_DEST_MODE) !== 0n ? 1 : 0,
      deliveryMode: Number((e >> RTE64_DELIVERY_MODE_SHIFT) & 7n),
      vector: Number(e & RTE64_VECTOR_MASK),
      trigger: level ? 1 : 0,
      level: 1,
      shorthand: SH_NONE,
      source: -1,
    });
  }

  /** kvm_ioapic_update_eoi for a level-triggered vector (EOI broadcast or the EOI register). */
  eoi(vector: number): void {
    const io = this.ioapic;
    const v = BigInt(vector & 0xff);
    if (v !== BigInt(vector)) return;
    for (let i = 0; i < KVM_IOAPIC_NUM_PINS; i++) {
      const e = io.redirtbl[i]!;
      if ((e & RTE64_VECTOR_MASK) !== v || (e & RTE64_TRIGGER_LEVEL) === 0n || (e & RTE64_REMOTE_IRR) === 0n) continue;
      io.redirtbl[i] = e & ~RTE64_REMOTE_IRR;
      if ((e & RTE64_MASKED) === 0n && (io.irr & (1 << i)) !== 0) this.ioapicService(i);
    }
  }

  mmioRead(offset: number, size: number): number {
    const addr = offset & 0xff;
    if (addr === IOAPIC_IOREGSEL) return this.ioapic.ioregsel;
    if (addr === IOAPIC_IOWIN && size === 4) return this.ioapicReadIndirect();
    return 0;
  }

  mmioWrite(offset: number, size: number, value: number): void {
    const addr = offset & 0xff;
    if (addr === IOAPIC_IOREGSEL) {
      this.ioapic.ioregsel = value & 0xff; // 8-bit register
    } else if (addr === IOAPIC_IOWIN) {
      if (size === 4) this.ioapicWriteIndirect(value >>> 0);
    } else if (addr === IOAPIC_EOI) {
      if (size === 4) this.eoi(value >>> 0);
    }
  }

  private ioapicReadIndirect(): number {
    const io = this.ioapic;
    switch (io.ioregsel) {
      case IOAPIC_REG_VER:
        return ((KVM_IOAPIC_NUM_PINS - 1) << IOAPIC_VER_ENTRIES_SHIFT) | IOAPIC_VERSION;
      case IOAPIC_REG_ID:
      case IOAPIC_REG_ARB:
        return ((io.id & IOAPIC_ID_MASK) << IOAPIC_ID_SHIFT) >>> 0;
      default: {
        const redirIndex = (io.ioregsel - IOAPIC_REG_REDTBL_BASE) >>> 1;
        if (io.ioregsel < IOAPIC_REG_REDTBL_BASE || redirIndex >= KVM_IOAPIC_NUM_PINS) return 0;
        const content = io.redirtbl[redirIndex]!;
        return io.ioregsel & 1 ? Number(content >> 32n) : Number(content & LOW32);
      }
    }
  }

  private ioapicWriteIndirect(val: number): void {
    const io = this.ioapic;
    switch (io.ioregsel) {
      case IOAPIC_REG_VER:
        return; // writes are ignored
      case IOAPIC_REG_ID:
        io.id = (val >>> IOAPIC_ID_SHIFT) & IOAPIC_ID_MASK;
        return;
      case IOAPIC_REG_ARB:
        return;
      default: {
        if (io.ioregsel < IOAPIC_REG_REDTBL_BASE) return;
        const index = (io.ioregsel - IOAPIC_REG_REDTBL_BASE) >>> 1;
        if (index >= KVM_IOAPIC_NUM_PINS) return;
        const old = io.redirtbl[index]!;
        let e = io.ioregsel & 1 ? (old & LOW32) | (BigInt(val) << 32n) : (old & ~LOW32) | BigInt(val);
        // Preserve the read-only fields.
        e = (e & ~(RTE64_REMOTE_IRR | RTE64_DELIVERY_STATUS)) | (old & (RTE64_REMOTE_IRR | RTE64_DELIVERY_STATUS));
        // Edge entries have no remote IRR (Linux's EOI emulation for IOAPICs without the register).
        if ((e & RTE64_TRIGGER_LEVEL) === 0n) e &= ~RTE64_REMOTE_IRR;
        io.redirtbl[index] = e;
        if ((e & RTE64_TRIGGER_LEVEL) !== 0n && (io.irr & (1 << index)) !== 0 && (e & RTE64_MASKED) === 0n && (e & RTE64_REMOTE_IRR) === 0n) {
          this.ioapicService(index);
        }
        return;
      }
    }
  }
}
