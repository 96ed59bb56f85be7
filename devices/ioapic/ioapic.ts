/**
 * The userspace IOAPIC (object type `ioapic`): 24 input pins, version 0x20, at 0xFEC00000
 * (IOREGSEL +0x00, IOWIN +0x10, EOI +0x40). Each pin's redirection entry turns an input into an
 * APIC-bus message sent through the injected `sendMessage` (the ApicBus). Modelled on QEMU's
 * hw/intc/ioapic.c; the in-kernel flavour (devices/kvm/kvm-ioapic.ts) behaves identically.
 *
 * State follows QEMU's `ioapic` v3 fields: id u8, ioregsel u8, irr u32, ioredtbl u64[24]. `irr` holds
 * the level of every input pin (edge pins too: an edge is a 0 -> 1 change of it), as KVM keeps it;
 * QEMU clears edge bits on delivery instead, which makes a repeated assertion of an edge line deliver
 * again. Level pins agree in both readings.
 */
import type { MmioDevice } from '../../src/bus/mmio-bus.ts';
import type { IrqSink } from '../../src/irq.ts';
import type { StateObject } from '../../src/qom/object.ts';
import { PRIORITY_IOAPIC } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';
import type { ApicMessage } from '../../src/hw/apic-message.ts';
import { SH_NONE } from '../../src/hw/apic-message.ts';
import {
  gsiToPin,
  IOAPIC_EOI,
  IOAPIC_ID_MASK,
  IOAPIC_ID_SHIFT,
  IOAPIC_IOREGSEL,
  IOAPIC_IOWIN,
  IOAPIC_NUM_PINS,
  IOAPIC_REG_ARB,
  IOAPIC_REG_ID,
  IOAPIC_REG_REDTBL_BASE,
  IOAPIC_REG_VER,
  IOAPIC_VER_ENTRIES_SHIFT,
  IOAPIC_VERSION,
  RTE_DELIVERY_MODE_SHIFT,
  RTE_DELIVERY_STATUS,
  RTE_DEST_MODE,
  RTE_DEST_SHIFT_HI,
  RTE_MASKED,
  RTE_REMOTE_IRR,
  RTE_RESET,
  RTE_RO_BITS,
  RTE_TRIGGER_LEVEL,
  RTE_VECTOR_MASK,
} from '../../src/hw/ioapic.ts';

const LOW32 = 0xffffffffn;
const RO_BITS = BigInt(RTE_RO_BITS);
const REMOTE_IRR = BigInt(RTE_REMOTE_IRR);
const PIN_MASK = (1 << IOAPIC_NUM_PINS) - 1;

export class Ioapic implements MmioDevice, IrqSink, StateObject {
  readonly typeName = 'ioapic';
  readonly stateVersion = 3;
  readonly postLoadPriority = PRIORITY_IOAPIC;
  /** 4-bit IOAPIC ID (register 0x00 bits 27:24). */
  id = 0;
  /** Register select (IOREGSEL). */
  ioregsel = 0;
  /** Input pin levels, one bit per pin. */
  irr = 0;
  /** Redirection table. */
  readonly ioredtbl = new BigUint64Array(IOAPIC_NUM_PINS).fill(BigInt(RTE_RESET));
  private readonly sendMessage: (msg: ApicMessage) => void;

  constructor(sendMessage: (msg: ApicMessage) => void) {
    this.sendMessage = sendMessage;
  }

  /** Reset: ID 0, every entry masked, no inputs latched (QEMU's ioapic_reset_common). */
  reset(): void {
    this.id = 0;
    this.ioregsel = 0;
    this.irr = 0;
    this.ioredtbl.fill(BigInt(RTE_RESET));
  }

  private low(pin: number): number {
    return Number(this.ioredtbl[pin]! & LOW32);
  }

  /**
   * Drive GSI `gsi` (0..23; ISA IRQ0 arrives at pin 2). Level pins request while high and their
   * remote IRR is clear; edge pins deliver on a rising edge unless masked (a masked edge is lost, as
   * the 82093AA manual says).
   */
  setIrq(gsi: number, level: number): void {
    this.setPin(gsiToPin(gsi), level);
  }

  /** Drive input pin `pin` (0..23) directly, without the GSI 0 -> pin 2 routing. */
  setPin(pin: number, level: number): void {
    if (!(pin >= 0 && pin < IOAPIC_NUM_PINS) || pin !== (pin | 0)) return;
    const mask = 1 << pin;
    if (!level) {
      this.irr = (this.irr & ~mask) >>> 0;
      return;
    }
    const wasHigh = (this.irr & mask) !== 0;
    this.irr = (this.irr | mask) >>> 0;
    const lo = this.low(pin);
    if (lo & RTE_TRIGGER_LEVEL) {
      if ((lo & RTE_REMOTE_IRR) === 0) this.service(pin);
    } else if (!wasHigh && (lo & RTE_MASKED) === 0) {
      this.service(pin);
    }
  }

  /** Send pin's message if it is unmasked and (for level pins) not awaiting an EOI; sets remote IRR. */
  private service(pin: number): void {
    const entry = this.ioredtbl[pin]!;
    const lo = Number(entry & LOW32);
    if (lo & RTE_MASKED) return;
    const level = (lo & RTE_TRIGGER_LEVEL) !== 0;
    if (level) {
      if (lo & RTE_REMOTE_IRR) return;
      this.ioredtbl[pin] = entry | REMOTE_IRR;
    }
    this.sendMessage({
      dest: Number(entry >> 32n) >>> RTE_DEST_SHIFT_HI,
      destMode: (lo & RTE_DEST_MODE) !== 0 ? 1 : 0,
      deliveryMode: (lo >>> RTE_DELIVERY_MODE_SHIFT) & 7,
      vector: lo & RTE_VECTOR_MASK,
      trigger: level ? 1 : 0,
      level: 1,
      shorthand: SH_NONE,
      source: -1,
    });
  }

  /**
   * EOI broadcast from a local APIC for a level-triggered vector (or the EOI register): clear remote
   * IRR of every level entry with that vector, and deliver again if its line is still asserted.
   */
  eoi(vector: number): void {
    for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
      const lo = this.low(pin);
      if ((lo & RTE_VECTOR_MASK) !== vector || (lo & RTE_TRIGGER_LEVEL) === 0) continue;
      if ((lo & RTE_REMOTE_IRR) === 0) continue;
      this.ioredtbl[pin] = this.ioredtbl[pin]! & ~REMOTE_IRR;
      if ((lo & RTE_MASKED) === 0 && (this.irr & (1 << pin)) !== 0) this.service(pin);
    }
  }

  mmioRead(offset: number, size: number): number {
    switch (offset & 0xff) {
      case IOAPIC_IOREGSEL:
        return this.ioregsel;
      case IOAPIC_IOWIN:
        return size === 4 ? this.readRegister() : 0;
      default:
        return 0;
    }
  }

  mmioWrite(offset: number, size: number, value: number): void {
    switch (offset & 0xff) {
      case IOAPIC_IOREGSEL:
        this.ioregsel = value & 0xff;
        break;
      case IOAPIC_IOWIN:
        if (size === 4) this.writeRegister(value >>> 0);
        break;
      case IOAPIC_EOI:
        // Only a whole-dword write with a vector in bits 7:0 and nothing above matches an entry.
        if (size === 4 && value >>> 0 <= 0xff) this.eoi(value & 0xff);
        break;
      default:
        break;
    }
  }

  private readRegister(): number {
    switch (this.ioregsel) {
      case IOAPIC_REG_ID:
      case IOAPIC_REG_ARB:
        return (this.id << IOAPIC_ID_SHIFT) >>> 0;
      case IOAPIC_REG_VER:
        return IOAPIC_VERSION | ((IOAPIC_NUM_PINS - 1) << IOAPIC_VER_ENTRIES_SHIFT);
      default: {
        const index = (this.ioregsel - IOAPIC_REG_REDTBL_BASE) >> 1;
        if (index < 0 || index >= IOAPIC_NUM_PINS) return 0;
        const entry = this.ioredtbl[index]!;
        return this.ioregsel & 1 ? Number(entry >> 32n) : Number(entry & LOW32);
      }
    }
  }

  private writeRegister(val: number): void {
    switch (this.ioregsel) {
      case IOAPIC_REG_ID:
        this.id = (val >>> IOAPIC_ID_SHIFT) & IOAPIC_ID_MASK;
        return;
      case IOAPIC_REG_VER:
      case IOAPIC_REG_ARB:
        return;
      default: {
        const index = (this.ioregsel - IOAPIC_REG_REDTBL_BASE) >> 1;
        if (index < 0 || index >= IOAPIC_NUM_PINS) return;
        const old = this.ioredtbl[index]!;
        let entry =
          this.ioregsel & 1 ? (old & LOW32) | (BigInt(val) << 32n) : (old & ~LOW32) | BigInt(val);
        entry = (entry & ~RO_BITS) | (old & RO_BITS);
        const lo = Number(entry & LOW32);
        // Linux relies on an edge entry having no remote IRR (it toggles the trigger to fake an EOI).
        if ((lo & RTE_TRIGGER_LEVEL) === 0) entry &= ~REMOTE_IRR;
        this.ioredtbl[index] = entry;
        // A level line that is still asserted requests again once unmasked (or EOIed by the toggle).
        if ((lo & RTE_TRIGGER_LEVEL) !== 0 && (this.irr & (1 << index)) !== 0) this.service(index);
        return;
      }
    }
  }

  visit(v: Visitor): void {
    this.id = v.u8('id', this.id);
    this.ioregsel = v.u8('ioregsel', this.ioregsel);
    this.irr = v.u32('irr', this.irr);
    v.u64Array('ioredtbl', this.ioredtbl);
    if (v.mode === 'load') this.sanitize();
  }

  /** Untrusted state: a 4-bit ID, 24 pins, no delivery status, no remote IRR on edge entries. */
  private sanitize(): void {
    this.id &= IOAPIC_ID_MASK;
    this.irr = (this.irr & PIN_MASK) >>> 0;
    for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
      let entry = this.ioredtbl[pin]! & ~BigInt(RTE_DELIVERY_STATUS);
      if ((Number(entry & LOW32) & RTE_TRIGGER_LEVEL) === 0) entry &= ~REMOTE_IRR;
      this.ioredtbl[pin] = entry;
    }
  }
}
