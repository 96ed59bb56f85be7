/**
 * IRQ lines: the capability a device gets to drive an interrupt input. A line remembers its level
 * so that visiting and re-deriving levels after a restore never needs the device that drives it.
 */

/** Something with numbered interrupt inputs (a PIC, an IOAPIC, a router that fans out to both). */
export interface IrqSink {
  setIrq(pin: number, level: number): void;
}

export class IrqLine {
  private readonly sink: IrqSink;
  private readonly pin: number;
  private current = 0;

  constructor(sink: IrqSink, pin: number) {
    this.sink = sink;
    this.pin = pin;
  }

  get level(): number {
    return this.current;
  }

  /**
   * After a load: remember the level the loaded device drives, without telling the sink. The sink's
   * own loaded state already records its inputs (the 8259's last_irr, the IOAPIC's irr), and
   * re-driving it would forge edges.
   */
  restore(level: number): void {
    this.current = level ? 1 : 0;
  }

  /** Drive the line to 0 or 1. */
  set(level: number): void {
    level = level ? 1 : 0;
    this.current = level;
    this.sink.setIrq(this.pin, level);
  }

  raise(): void {
    this.set(1);
  }

  lower(): void {
    this.set(0);
  }

  /** An edge: up then down (ISA devices that signal an event). */
  pulse(): void {
    this.set(1);
    this.set(0);
  }
}

/** A sink that drops everything (for devices built without a wired interrupt). */
export const NO_IRQ_SINK: IrqSink = { setIrq: () => {} };
