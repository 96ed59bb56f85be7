/**
 * The in-kernel 8259A pair. Its storage is two KVM `struct kvm_pic_state` (master, slave) and its
 * register paths follow Linux arch/x86/kvm/i8259.c (pic_set_irq1, pic_get_irq, pic_intack,
 * pic_update_irq, kvm_pic_read_irq, pic_ioport_write/read, elcr_ioport), with the guest-visible
 * behaviour of the userspace pair (devices/pic/pic-pair.ts) wherever the two differ:
 *   - ICW1 re-initialises as QEMU does (ISR, priority, auto-EOI... cleared), and single mode and
 *     LTIM are supported. KVM's struct has no room for those two bits, so they ride beside it as
 *     godwit extensions `single_mode` and `ltim` (KvmPicChip), 0 unless the guest chose them;
 *   - the slave's INT is a level on master IRQ2 that changes only when the slave's output does
 *     (KVM pulses IRQ2 on every update);
 *   - poll mode acknowledges the request (KVM's pic_poll_read clears ISR instead).
 * Same ports (0x20/0x21, 0xA0/0xA1, ELCR 0x4D0/0x4D1) and the same CPU-side API as PicPair.
 */
import type { PortDevice, PortRange } from '../../src/bus/io-bus.ts';
import { ELCR_PORT, PIC_MASTER_PORT, PIC_SLAVE_PORT } from '../../src/hw/pc-layout.ts';
import type { IrqSink } from '../../src/irq.ts';
import type { KvmPicState } from '../../src/hw/kvm-structs.ts';
import { KVM_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_SLAVE } from '../../src/hw/kvm-structs.ts';
import { CASCADE_IRQ, MASTER_ELCR_MASK, SLAVE_ELCR_MASK } from '../../src/hw/i8259.ts';


/** struct kvm_pic_state plus godwit's two extension bits (see the file comment). */
export interface KvmPicChip extends KvmPicState {
  /** ICW1 bit 1 (single mode: no ICW3), 0/1. */
  single_mode: number;
  /** ICW1 bit 3 (LTIM: every input level-triggered), 0/1. */
  ltim: number;
}

/** What setChip accepts: the plain KVM struct, optionally with the extension bits. */
export type KvmPicChipInput = KvmPicState & { single_mode?: number; ltim?: number };

function newChip(elcrMask: number): KvmPicChip {
  return {
    last_irr: 0,
    irr: 0,
    imr: 0,
    isr: 0,
    priority_add: 0,
    irq_base: 0,
    read_reg_select: 0,
    poll: 0,
    special_mask: 0,
    init_state: 0,
    auto_eoi: 0,
    rotate_on_auto_eoi: 0,
    special_fully_nested_mode: 0,
    init4: 0,
    elcr: 0,
    elcr_mask: elcrMask,
    single_mode: 0,
    ltim: 0,
  };
}

/** get_priority: priority (0 highest) of the highest bit of mask after rotation; 8 if none. */
function getPriority(s: KvmPicState, mask: number): number {
  if (mask === 0) return 8;
  let priority = 0;
  while ((mask & (1 << ((priority + s.priority_add) & 7))) === 0) priority++;
  return priority;
}

/** pic_get_irq: the input the chip would signal now, or -1. */
function picGetIrq(s: KvmPicChip, isMaster: boolean): number {
  const mask = s.irr & ~s.imr & 0xff;
  const priority = getPriority(s, mask);
  if (priority === 8) return -1;
  let inService = s.isr;
  if (s.special_mask) inService &= ~s.imr;
  if (s.special_fully_nested_mode && isMaster) inService &= ~(1 << CASCADE_IRQ);
  const cur = getPriority(s, inService & 0xff);
  return priority < cur ? (priority + s.priority_add) & 7 : -1;
}

function isLevelInput(s: KvmPicChip, mask: number): boolean {
  return s.ltim !== 0 || (s.elcr & mask) !== 0;
}

/** pic_set_irq1: latch an input; edge inputs on a rising edge, level inputs follow the pin. */
function picSetIrq1(s: KvmPicChip, irq: number, level: number): void {
  const mask = 1 << irq;
  if (isLevelInput(s, mask)) {
    if (level) {
      s.irr |= mask;
      s.last_irr |= mask;
    } else {
      s.irr &= ~mask;
      s.last_irr &= ~mask;
    }
  } else if (level) {
    if ((s.last_irr & mask) === 0) s.irr |= mask;
    s.last_irr |= mask;
  } else {
    s.last_irr &= ~mask;
  }
}

/** pic_intack: put irq in service (unless auto-EOI) and drop an edge request. */
function picIntack(s: KvmPicChip, irq: number): void {
  const mask = 1 << irq;
  if (s.auto_eoi) {
    if (s.rotate_on_auto_eoi) s.priority_add = (irq + 1) & 7;
  } else {
    s.isr |= mask;
  }
  if (!isLevelInput(s, mask)) s.irr &= ~mask;
}

/** What ICW1 clears: ELCR survives and level-triggered (ELCR) requests stay. */
function picInitReset(s: KvmPicChip): void {
  s.last_irr = 0;
  s.irr &= s.elcr;
  s.imr = 0;
  s.isr = 0;
  s.priority_add = 0;
  s.irq_base = 0;
  s.read_reg_select = 0;
  s.poll = 0;
  s.special_mask = 0;
  s.init_state = 0;
  s.auto_eoi = 0;
  s.rotate_on_auto_eoi = 0;
  s.special_fully_nested_mode = 0;
  s.init4 = 0;
  s.single_mode = 0;
  s.ltim = 0;
}

export class KvmPic implements IrqSink {
  /** pics[0] master, pics[1] slave. */
  private readonly pics: [KvmPicChip, KvmPicChip] = [
    newChip(MASTER_ELCR_MASK),
    newChip(SLAVE_ELCR_MASK),
  ];
  /** INT output of each chip as last signalled (derived; re-derived by setChip). */
  private readonly output = [0, 0];
  /** Port device for 0x20/0x21. */
  readonly masterPorts: PortDevice;
  /** Port device for 0xA0/0xA1. */
  readonly slavePorts: PortDevice;
  /** Port device for 0x4D0/0x4D1 (offset 0 master ELCR, offset 1 slave ELCR). */
  readonly elcrPorts: PortDevice;
  /** Called whenever the INTR output to the CPU changes (not by setChip: see there). */
  onOutputChange: (level: number) => void = () => {};

  constructor() {
    this.masterPorts = {
      ioRead: (offset) => this.picIoportRead(0, offset),
      ioWrite: (offset, _size, value) => this.picIoportWrite(0, offset, value),
    };
    this.slavePorts = {
      ioRead: (offset) => this.picIoportRead(1, offset),
      ioWrite: (offset, _size, value) => this.picIoportWrite(1, offset, value),
    };
    this.elcrPorts = {
      ioRead: (offset) => this.pics[offset & 1]!.elcr,
      ioWrite: (offset, _size, value) => {
        const s = this.pics[offset & 1]!;
        s.elcr = value & s.elcr_mask;
      },
    };
  }

  /** Master 0x20, slave 0xA0 and ELCR 0x4D0 (byte ports), which the kernel claims. */
  portRanges(): PortRange[] {
    return [
      { base: PIC_MASTER_PORT, count: 2, device: this.masterPorts },
      { base: PIC_SLAVE_PORT, count: 2, device: this.slavePorts },
      { base: ELCR_PORT, count: 2, device: this.elcrPorts },
    ];
  }

  /** Power-on reset of both chips (ELCR cleared too), slave first. */
  reset(): void {
    for (const id of [1, 0]) {
      const s = this.pics[id]!;
      s.elcr = 0;
      picInitReset(s);
      this.updateChip(id);
    }
  }

  /**
   * Re-evaluate chip `id`'s INT output after a change to it. The slave's output is a level on master
   * IRQ2, passed on only when it changes; the master's goes to the CPU through onOutputChange.
   */
  private updateChip(id: number): void {
    const level = picGetIrq(this.pics[id]!, id === 0) >= 0 ? 1 : 0;
    if (level === this.output[id]) return;
    this.output[id] = level;
    if (id === 0) {
      this.onOutputChange(level);
    } else {
      picSetIrq1(this.pics[0], CASCADE_IRQ, level);
      this.updateChip(0);
    }
  }

  /** kvm_pic_set_irq: ISA IRQ 0..15 (IRQ2 is the cascade and is not wired). */
  setIrq(pin: number, level: number): void {
    if (pin < 0 || pin > 15 || pin === CASCADE_IRQ) return;
    const id = pin >> 3;
    picSetIrq1(this.pics[id]!, pin & 7, level ? 1 : 0);
    this.updateChip(id);
  }

  /** The INTR pin to the CPU. */
  hasInterrupt(): boolean {
    return this.output[0] !== 0;
  }

  /**
   * kvm_pic_read_irq, the INTA cycle: returns the vector. With nothing pending the master answers a
   * spurious IRQ7; a cascade with nothing left on the slave gives a spurious IRQ15.
   */
  acknowledge(): number {
    const master = this.pics[0];
    const slave = this.pics[1];
    const irq = picGetIrq(master, true);
    if (irq < 0) return (master.irq_base + 7) & 0xff;
    let intno: number;
    if (irq === CASCADE_IRQ) {
      const irq2 = picGetIrq(slave, false);
      if (irq2 >= 0) {
        intno = slave.irq_base + irq2;
        picIntack(slave, irq2);
        this.updateChip(1);
      } else {
        intno = slave.irq_base + 7;
      }
    } else {
      intno = master.irq_base + irq;
    }
    picIntack(master, irq);
    this.updateChip(0);
    return intno & 0xff;
  }

  private picIoportWrite(id: number, offset: number, value: number): void {
    const s = this.pics[id]!;
    const val = value & 0xff;
    if ((offset & 1) === 0) {
      if (val & 0x10) {
        // ICW1
        picInitReset(s);
        this.updateChip(id);
        s.init_state = 1;
        s.init4 = val & 1;
        s.single_mode = (val >> 1) & 1;
        s.ltim = (val >> 3) & 1;
      } else if (val & 0x08) {
        // OCW3
        if (val & 0x04) s.poll = 1;
        if (val & 0x02) s.read_reg_select = val & 1;
        if (val & 0x40) s.special_mask = (val >> 5) & 1;
        this.updateChip(id);
      } else {
        this.ocw2(id, s, val);
      }
      return;
    }
    switch (s.init_state) {
      case 0: // normal mode: OCW1
        s.imr = val;
        this.updateChip(id);
        break;
      case 1: // ICW2
        s.irq_base = val & 0xf8;
        s.init_state = s.single_mode ? (s.init4 ? 3 : 0) : 2;
        break;
      case 2: // ICW3
        s.init_state = s.init4 ? 3 : 0;
        break;
      default: // ICW4
        s.special_fully_nested_mode = (val >> 4) & 1;
        s.auto_eoi = (val >> 1) & 1;
        s.init_state = 0;
        break;
    }
  }

  private ocw2(id: number, s: KvmPicChip, val: number): void {
    const cmd = val >> 5;
    switch (cmd) {
      case 0:
      case 4:
        s.rotate_on_auto_eoi = cmd >> 2;
        break;
      case 1: // end of interrupt
      case 5: {
        const priority = getPriority(s, s.isr);
        if (priority !== 8) {
          const irq = (priority + s.priority_add) & 7;
          s.isr &= ~(1 << irq);
          if (cmd === 5) s.priority_add = (irq + 1) & 7;
          this.updateChip(id);
        }
        break;
      }
      case 3: // specific EOI
        s.isr &= ~(1 << (val & 7));
        this.updateChip(id);
        break;
      case 6: // set priority
        s.priority_add = (val + 1) & 7;
        this.updateChip(id);
        break;
      case 7: // rotate on specific EOI
        s.isr &= ~(1 << (val & 7));
        s.priority_add = ((val & 7) + 1) & 7;
        this.updateChip(id);
        break;
      default: // 2: no operation
        break;
    }
  }

  private picIoportRead(id: number, offset: number): number {
    const s = this.pics[id]!;
    if (s.poll) {
      s.poll = 0;
      const irq = picGetIrq(s, id === 0);
      if (irq < 0) return 0;
      picIntack(s, irq);
      this.updateChip(id);
      return irq | 0x80;
    }
    if ((offset & 1) === 0) return s.read_reg_select ? s.isr : s.irr;
    return s.imr;
  }

  /** KVM_GET_IRQCHIP (KVM_IRQCHIP_PIC_MASTER / _SLAVE): a copy, with the extension bits. */
  getChip(id: number): KvmPicChip {
    return { ...this.pics[id === KVM_IRQCHIP_PIC_SLAVE ? 1 : 0] };
  }

  /**
   * KVM_SET_IRQCHIP: take a copy of `s` brought into range (missing extension bits are 0, elcr_mask
   * is the chip's own). The chip's output is re-derived silently: nothing is driven, because the
   * receivers' state already records what the output did (a LAPIC's IRR for LINT0).
   */
  setChip(id: number, s: KvmPicChipInput): void {
    if (id !== KVM_IRQCHIP_PIC_MASTER && id !== KVM_IRQCHIP_PIC_SLAVE) return;
    const idx = id === KVM_IRQCHIP_PIC_SLAVE ? 1 : 0;
    const d = this.pics[idx];
    const bit = (v: number | undefined): number => (v ? 1 : 0);
    d.last_irr = s.last_irr & 0xff;
    d.irr = s.irr & 0xff;
    d.imr = s.imr & 0xff;
    d.isr = s.isr & 0xff;
    d.priority_add = s.priority_add & 7;
    d.irq_base = s.irq_base & 0xf8;
    d.read_reg_select = s.read_reg_select & 1;
    d.poll = bit(s.poll);
    d.special_mask = bit(s.special_mask);
    d.init_state = s.init_state >= 0 && s.init_state <= 3 ? s.init_state | 0 : 0;
    d.auto_eoi = bit(s.auto_eoi);
    d.rotate_on_auto_eoi = bit(s.rotate_on_auto_eoi);
    d.special_fully_nested_mode = bit(s.special_fully_nested_mode);
    d.init4 = bit(s.init4);
    d.elcr = s.elcr & d.elcr_mask;
    d.single_mode = bit(s.single_mode);
    d.ltim = bit(s.ltim);
    this.output[idx] = picGetIrq(d, idx === 0) >= 0 ? 1 : 0;
  }
}
