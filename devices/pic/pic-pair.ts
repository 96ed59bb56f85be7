/**
 * The PC's two cascaded 8259As: master at 0x20/0x21 (INT to the CPU), slave at 0xA0/0xA1 (INT to
 * master IRQ2), and the ELCR pair at 0x4D0/0x4D1. ISA IRQ n (0..15) comes in through setIrq; the
 * CPU side sees hasInterrupt() (the INTR pin), acknowledge() (the INTA cycle) and onOutputChange.
 *
 * The pair holds no state of its own: each chip is its own object (/machine/pic/master and
 * /machine/pic/slave).
 */
import type { PortDevice, PortRange } from '../../src/bus/io-bus.ts';
import { ELCR_PORT, PIC_MASTER_PORT, PIC_SLAVE_PORT } from '../../src/hw/pc-layout.ts';
import type { IrqSink } from '../../src/irq.ts';
import { I8259 } from './i8259.ts';
import { CASCADE_IRQ, MASTER_ELCR_MASK, SLAVE_ELCR_MASK } from '../../src/hw/i8259.ts';

export class PicPair implements IrqSink {
  readonly master: I8259;
  readonly slave: I8259;
  /** Port device for 0x4D0/0x4D1 (offset 0 master ELCR, offset 1 slave ELCR). */
  readonly elcrPorts: PortDevice;
  /** Called whenever the INTR output to the CPU changes (and after a load, unconditionally). */
  onOutputChange: (level: number) => void = () => {};

  constructor() {
    this.master = new I8259(true, MASTER_ELCR_MASK, (level) => this.onOutputChange(level));
    this.slave = new I8259(false, SLAVE_ELCR_MASK, (level) => this.master.setIrq(CASCADE_IRQ, level));
    const master = this.master;
    const slave = this.slave;
    this.elcrPorts = {
      ioRead: (offset) => ((offset & 1) === 0 ? master.elcrRead() : slave.elcrRead()),
      ioWrite: (offset, _size, value) => {
        if ((offset & 1) === 0) master.elcrWrite(value);
        else slave.elcrWrite(value);
      },
    };
  }

  /** Master 0x20, slave 0xA0 and ELCR 0x4D0 (byte ports; wider accesses are split). */
  portRanges(): PortRange[] {
    return [
      { base: PIC_MASTER_PORT, count: 2, device: this.master },
      { base: PIC_SLAVE_PORT, count: 2, device: this.slave },
      { base: ELCR_PORT, count: 2, device: this.elcrPorts },
    ];
  }

  reset(): void {
    this.slave.reset();
    this.master.reset();
  }

  /** ISA IRQ 0..15 at the given level (IRQ2 is the cascade: pin 2 of the master is not wired). */
  setIrq(pin: number, level: number): void {
    if (pin < 0 || pin > 15) return;
    if (pin < 8) {
      if (pin !== CASCADE_IRQ) this.master.setIrq(pin, level);
    } else {
      this.slave.setIrq(pin - 8, level);
    }
  }

  /** The INTR pin to the CPU. */
  hasInterrupt(): boolean {
    return this.master.outputLevel !== 0;
  }

  /**
   * The INTA cycle: returns the vector and moves the request from IRR to ISR on the chips involved.
   * With nothing pending the chip answers IRQ7 (or IRQ15 from the slave), a spurious interrupt.
   */
  acknowledge(): number {
    const master = this.master;
    const slave = this.slave;
    const irq = master.pendingIrq();
    if (irq < 0) return (master.irqBase + 7) & 0xff;
    let vector: number;
    if (irq === CASCADE_IRQ) {
      const irq2 = slave.pendingIrq();
      if (irq2 >= 0) {
        vector = slave.irqBase + irq2;
        slave.intack(irq2);
      } else {
        vector = slave.irqBase + 7;
      }
    } else {
      vector = master.irqBase + irq;
    }
    master.intack(irq);
    return vector & 0xff;
  }

  /** After both chips are loaded: re-derive the cascade level and the INTR output. */
  postLoad(): void {
    this.slave.postLoad();
    this.master.postLoad();
  }
}
