/**
 * One Intel 8259A programmable interrupt controller. Two of them make the PC's PIC pair
 * (pic-pair.ts), which adds the cascade and the INTA cycle. Offsets: 0 = command (ICW1, OCW2,
 * OCW3; reads IRR/ISR), 1 = data (ICW2-4, OCW1 mask; reads IMR). ELCR is reached through elcrRead
 * and elcrWrite (the pair maps them at 0x4D0/0x4D1).
 *
 * State follows QEMU's `i8259` v1 field list, plus the ICW1 LTIM bit as the optional group `ltim`.
 */
import type { PortDevice } from '../../src/bus/io-bus.ts';
import type { StateObject } from '../../src/qom/object.ts';
import { PRIORITY_PIC } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';
import { ICW1_IC4, ICW1_INIT, ICW1_LTIM, ICW1_SNGL, ICW4_AEOI, ICW4_SFNM, OCW3_ESMM, OCW3_POLL, OCW3_RR, OCW3_SELECT } from '../../src/hw/i8259.ts';

/** Return the priority (0 highest) of the highest request in mask, rotated by priorityAdd; 8 if none. */
function priorityOf(mask: number, priorityAdd: number): number {
  if (mask === 0) return 8;
  let p = 0;
  while ((mask & (1 << ((p + priorityAdd) & 7))) === 0) p++;
  return p;
}

export class I8259 implements PortDevice, StateObject {
  readonly typeName = 'i8259';
  readonly stateVersion = 1;
  readonly postLoadPriority = PRIORITY_PIC;
  /** True for the master (its IRQ2 takes the slave's output; special fully nested mode applies). */
  readonly master: boolean;
  /** Bits of ELCR the guest may set (QEMU: master 0xF8, slave 0xDE). */
  readonly elcrMask: number;
  private readonly output: (level: number) => void;
  private outLevel = 0;

  lastIrr = 0;
  irr = 0;
  imr = 0;
  isr = 0;
  priorityAdd = 0;
  irqBase = 0;
  readRegSelect = 0;
  poll = 0;
  specialMask = 0;
  initState = 0;
  autoEoi = 0;
  rotateOnAutoEoi = 0;
  specialFullyNestedMode = 0;
  init4 = 0;
  singleMode = 0;
  elcr = 0;
  ltim = 0;

  constructor(master: boolean, elcrMask: number, output: (level: number) => void) {
    this.master = master;
    this.elcrMask = elcrMask & 0xff;
    this.output = output;
  }

  /** Power-on reset: everything, ELCR included, is cleared. */
  reset(): void {
    this.elcr = 0;
    this.initReset();
  }

  /** What ICW1 clears (QEMU's pic_reset_common): ELCR survives, level-triggered requests stay. */
  private initReset(): void {
    this.lastIrr = 0;
    this.irr &= this.elcr;
    this.imr = 0;
    this.isr = 0;
    this.priorityAdd = 0;
    this.irqBase = 0;
    this.readRegSelect = 0;
    this.poll = 0;
    this.specialMask = 0;
    this.initState = 0;
    this.autoEoi = 0;
    this.rotateOnAutoEoi = 0;
    this.specialFullyNestedMode = 0;
    this.init4 = 0;
    this.singleMode = 0;
    this.ltim = 0;
    this.updateOutput();
  }

  private isLevel(mask: number): boolean {
    return this.ltim !== 0 || (this.elcr & mask) !== 0;
  }

  /** The input the chip would signal now (0..7), or -1. */
  pendingIrq(): number {
    const req = this.irr & ~this.imr & 0xff;
    const priority = priorityOf(req, this.priorityAdd);
    if (priority === 8) return -1;
    let inService = this.isr;
    if (this.specialMask) inService &= ~this.imr;
    if (this.specialFullyNestedMode && this.master) inService &= ~(1 << 2);
    const current = priorityOf(inService & 0xff, this.priorityAdd);
    return priority < current ? (priority + this.priorityAdd) & 7 : -1;
  }

  /** INT output level (1 when an unmasked request beats everything in service). */
  get outputLevel(): number {
    return this.outLevel;
  }

  private updateOutput(): void {
    const level = this.pendingIrq() >= 0 ? 1 : 0;
    if (level !== this.outLevel) {
      this.outLevel = level;
      this.output(level);
    }
  }

  /** Drive input pin 0..7. Edge inputs latch IRR on a rising edge; level inputs follow the pin. */
  setIrq(pin: number, level: number): void {
    const mask = 1 << (pin & 7);
    if (this.isLevel(mask)) {
      if (level) {
        this.irr |= mask;
        this.lastIrr |= mask;
      } else {
        this.irr &= ~mask;
        this.lastIrr &= ~mask;
      }
    } else if (level) {
      if ((this.lastIrr & mask) === 0) this.irr |= mask;
      this.lastIrr |= mask;
    } else {
      this.lastIrr &= ~mask;
    }
    this.updateOutput();
  }

  /** The INTA cycle for input irq: set ISR (unless auto-EOI), clear an edge request. */
  intack(irq: number): void {
    const mask = 1 << irq;
    if (this.autoEoi) {
      if (this.rotateOnAutoEoi) this.priorityAdd = (irq + 1) & 7;
    } else {
      this.isr |= mask;
    }
    if (!this.isLevel(mask)) this.irr &= ~mask;
    this.updateOutput();
  }

  ioWrite(offset: number, _size: number, value: number): void {
    const val = value & 0xff;
    if ((offset & 1) === 0) {
      if (val & ICW1_INIT) {
        this.initReset();
        this.initState = 1;
        this.init4 = val & ICW1_IC4 ? 1 : 0;
        this.singleMode = val & ICW1_SNGL ? 1 : 0;
        this.ltim = val & ICW1_LTIM ? 1 : 0;
      } else if (val & OCW3_SELECT) {
        if (val & OCW3_POLL) this.poll = 1;
        if (val & OCW3_RR) this.readRegSelect = val & 1;
        if (val & OCW3_ESMM) this.specialMask = (val >> 5) & 1;
        this.updateOutput();
      } else {
        this.writeOcw2(val);
      }
      return;
    }
    switch (this.initState) {
      case 1:
        this.irqBase = val & 0xf8;
        this.initState = this.singleMode ? (this.init4 ? 3 : 0) : 2;
        break;
      case 2:
        this.initState = this.init4 ? 3 : 0;
        break;
      case 3:
        this.specialFullyNestedMode = (val & ICW4_SFNM) !== 0 ? 1 : 0;
        this.autoEoi = (val & ICW4_AEOI) !== 0 ? 1 : 0;
        this.initState = 0;
        break;
      default:
        this.imr = val;
        this.updateOutput();
        break;
    }
  }

  private writeOcw2(val: number): void {
    const cmd = val >> 5;
    switch (cmd) {
      case 0: // clear rotate in auto-EOI mode
      case 4: // set rotate in auto-EOI mode
        this.rotateOnAutoEoi = cmd >> 2;
        break;
      case 1: // non-specific EOI
      case 5: {
        // rotate on non-specific EOI
        const priority = priorityOf(this.isr, this.priorityAdd);
        if (priority !== 8) {
          const irq = (priority + this.priorityAdd) & 7;
          this.isr &= ~(1 << irq);
          if (cmd === 5) this.priorityAdd = (irq + 1) & 7;
          this.updateOutput();
        }
        break;
      }
      case 3: // specific EOI
        this.isr &= ~(1 << (val & 7));
        this.updateOutput();
        break;
      case 6: // set priority
        this.priorityAdd = (val + 1) & 7;
        this.updateOutput();
        break;
      case 7: // rotate on specific EOI
        this.isr &= ~(1 << (val & 7));
        this.priorityAdd = ((val & 7) + 1) & 7;
        this.updateOutput();
        break;
      default: // 2: no operation
        break;
    }
  }

  ioRead(offset: number, _size: number): number {
    if (this.poll) {
      this.poll = 0;
      const irq = this.pendingIrq();
      if (irq < 0) return 0;
      this.intack(irq);
      return irq | 0x80;
    }
    if ((offset & 1) === 0) return this.readRegSelect ? this.isr : this.irr;
    return this.imr;
  }

  elcrRead(): number {
    return this.elcr;
  }

  elcrWrite(value: number): void {
    this.elcr = value & this.elcrMask;
  }

  visit(v: Visitor): void {
    this.lastIrr = v.u8('last_irr', this.lastIrr);
    this.irr = v.u8('irr', this.irr);
    this.imr = v.u8('imr', this.imr);
    this.isr = v.u8('isr', this.isr);
    this.priorityAdd = v.u8('priority_add', this.priorityAdd);
    this.irqBase = v.u8('irq_base', this.irqBase);
    this.readRegSelect = v.u8('read_reg_select', this.readRegSelect);
    this.poll = v.u8('poll', this.poll);
    this.specialMask = v.u8('special_mask', this.specialMask);
    this.initState = v.u8('init_state', this.initState);
    this.autoEoi = v.u8('auto_eoi', this.autoEoi);
    this.rotateOnAutoEoi = v.u8('rotate_on_auto_eoi', this.rotateOnAutoEoi);
    this.specialFullyNestedMode = v.u8('special_fully_nested_mode', this.specialFullyNestedMode);
    this.init4 = v.u8('init4', this.init4);
    this.singleMode = v.u8('single_mode', this.singleMode);
    this.elcr = v.u8('elcr', this.elcr);
    const hasLtim = v.optional('ltim', this.ltim !== 0, () => {
      this.ltim = v.u8('ltim', this.ltim);
    });
    if (v.mode === 'load') {
      if (!hasLtim) this.ltim = 0;
      this.sanitize();
    }
  }

  /** Loaded values are untrusted: bring them into the ranges the code relies on. */
  private sanitize(): void {
    this.priorityAdd &= 7;
    this.irqBase &= 0xf8;
    this.readRegSelect &= 1;
    this.poll = this.poll ? 1 : 0;
    this.specialMask = this.specialMask ? 1 : 0;
    if (this.initState > 3) this.initState = 0;
    this.autoEoi = this.autoEoi ? 1 : 0;
    this.rotateOnAutoEoi = this.rotateOnAutoEoi ? 1 : 0;
    this.specialFullyNestedMode = this.specialFullyNestedMode ? 1 : 0;
    this.init4 = this.init4 ? 1 : 0;
    this.singleMode = this.singleMode ? 1 : 0;
    this.elcr &= this.elcrMask;
    this.ltim = this.ltim ? 1 : 0;
  }

  /**
   * Re-derive the INT output from the loaded registers, silently. What the output already did is in
   * the loaded state of its receivers (the master's IRQ2 edge state, a LAPIC's IRR for LINT0), and
   * the CPU examines its INTR line when it next runs: re-driving the pin would invent an edge.
   */
  postLoad(): void {
    this.outLevel = this.pendingIrq() >= 0 ? 1 : 0;
  }
}
