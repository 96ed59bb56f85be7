/**
 * INTx routing on bus 0, fixed as QEMU's pc machine leaves it after SeaBIOS: a function's pin (INTA#
 * to INTD#) reaches PIRQ line (slot - 1 + pin - 1) mod 4 (the PIIX swizzle, QEMU's
 * pci_slot_get_pirq and SeaBIOS's piix_pci_slot_get_irq), and PIRQ A-D reach ISA IRQs 10, 10, 11, 11
 * (PCI_PIRQ_IRQS). PCI interrupts are level-triggered and shared: an IRQ line is high while any
 * function routed to it asserts its INTx output. The router drives the board's ISA/GSI sink.
 *
 * Its state is derived: which functions assert is in their configuration space (status bit 3 and
 * the gates), so after a load the bus re-derives the levels here without driving the sink.
 */
import type { IrqSink } from '../../src/irq.ts';
import { PCI_DEVFNS, PCI_PIRQ_IRQS } from './pci-regs.ts';

/** PIRQ line (0 = A) of `pin` (1 = INTA#) on `slot` of bus 0. */
export function pirqOf(slot: number, pin: number): number {
  return (slot + pin - 2) & 3;
}

export class PciIntxRouter {
  private readonly sink: IrqSink;
  /** ISA IRQ of each PIRQ line. */
  readonly pirqIrqs: readonly number[];
  /** Level of each source (devfn), and the PIRQ it drives (-1: none). */
  private readonly sourceLevel = new Uint8Array(PCI_DEVFNS);
  private readonly sourcePirq = new Int8Array(PCI_DEVFNS).fill(-1);
  /** Sources asserting each PIRQ. */
  private readonly pirqCount = new Int32Array(4);
  /** Level driven on each IRQ (0-23). */
  private readonly irqLevel = new Uint8Array(24);

  constructor(sink: IrqSink, pirqIrqs: readonly number[] = PCI_PIRQ_IRQS) {
    this.sink = sink;
    this.pirqIrqs = pirqIrqs;
  }

  /** The ISA IRQ that `pin` of `slot` reaches. */
  irqOf(slot: number, pin: number): number {
    return this.pirqIrqs[pirqOf(slot, pin)]!;
  }

  /** Connect function `devfn` with interrupt pin `pin` (1-4). */
  connect(devfn: number, pin: number): void {
    this.sourcePirq[devfn] = pirqOf(devfn >>> 3, pin);
  }

  /** The level of PIRQ line `pirq` (0 = A). */
  pirqLevel(pirq: number): number {
    return this.pirqCount[pirq]! > 0 ? 1 : 0;
  }

  /** The level the router drives on `irq`. */
  levelOf(irq: number): number {
    return this.irqLevel[irq] ?? 0;
  }

  private computeIrq(irq: number): number {
    for (let p = 0; p < 4; p++) if (this.pirqIrqs[p] === irq && this.pirqCount[p]! > 0) return 1;
    return 0;
  }

  /** Function `devfn`'s INTx output changed. */
  setLevel(devfn: number, level: number): void {
    level = level ? 1 : 0;
    const pirq = this.sourcePirq[devfn]!;
    if (pirq < 0 || this.sourceLevel[devfn] === level) return;
    this.sourceLevel[devfn] = level;
    this.pirqCount[pirq]! += level ? 1 : -1;
    const irq = this.pirqIrqs[pirq]!;
    const out = this.computeIrq(irq);
    if (out === this.irqLevel[irq]) return;
    this.irqLevel[irq] = out;
    this.sink.setIrq(irq, out);
  }

  /**
   * After a load: take every source's level from `levelOf(devfn)` and recompute the lines without
   * driving the sink (its own loaded state already holds these inputs).
   */
  restore(levelOf: (devfn: number) => number): void {
    this.pirqCount.fill(0);
    for (let devfn = 0; devfn < PCI_DEVFNS; devfn++) {
      const pirq = this.sourcePirq[devfn]!;
      const level = pirq < 0 ? 0 : levelOf(devfn) ? 1 : 0;
      this.sourceLevel[devfn] = level;
      if (level) this.pirqCount[pirq]!++;
    }
    this.irqLevel.fill(0);
    for (const irq of this.pirqIrqs) this.irqLevel[irq] = this.computeIrq(irq);
  }
}
