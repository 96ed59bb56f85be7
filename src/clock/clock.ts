/**
 * Virtual time, derived from the retired-instruction count as with QEMU's -icount: each instruction
 * takes 2^shift ns (shift 0 by default, so 1 instruction = 1 ns and the TSC counts virtual ns). HLT
 * skips virtual time forward to the next timer deadline. Host time never enters.
 *
 * Timers are few (one or two per device), so the queue is an array scanned for the earliest
 * deadline; ties fire in the order the timers were created, which is fixed by the machine's wiring.
 */

/** Where the retired-instruction count comes from (the CPU, or all vCPUs together). */
export interface InstructionCounter {
  retiredInstructions(): number;
}

export const NO_DEADLINE = Infinity;

export class Timer {
  /** Virtual ns at which the callback runs, or NO_DEADLINE when disarmed. */
  deadline = NO_DEADLINE;
  readonly name: string;
  readonly callback: (now: number) => void;
  private readonly clock: VirtualClock;

  constructor(clock: VirtualClock, name: string, callback: (now: number) => void) {
    this.clock = clock;
    this.name = name;
    this.callback = callback;
  }

  /** Fire at virtual time `deadline` (ns); a deadline in the past fires at the next check. */
  arm(deadline: number): void {
    this.deadline = deadline;
    this.clock.timerChanged();
  }

  cancel(): void {
    this.deadline = NO_DEADLINE;
  }

  get armed(): boolean {
    return this.deadline !== NO_DEADLINE;
  }
}

export class VirtualClock {
  readonly shift: number;
  /** ns of virtual time per retired instruction. */
  readonly nsPerInstruction: number;
  private counter: InstructionCounter;
  /** Virtual ns added by HLT skips (and by a restored snapshot's clock). */
  private offsetNs = 0;
  private readonly timers: Timer[] = [];
  /** Called when a timer is armed, so a running CPU can end its batch and rebudget. */
  onTimerChange: () => void = () => {};

  constructor(counter: InstructionCounter, shift = 0) {
    if (!Number.isInteger(shift) || shift < 0 || shift > 10) throw new RangeError(`icount shift ${shift} is not 0..10`);
    this.counter = counter;
    this.shift = shift;
    this.nsPerInstruction = 2 ** shift;
  }

  setCounter(counter: InstructionCounter): void {
    const now = this.now();
    this.counter = counter;
    this.offsetNs += now - this.now();
  }

  /** Current virtual time in ns. */
  now(): number {
    return this.counter.retiredInstructions() * this.nsPerInstruction + this.offsetNs;
  }

  /** Set the current virtual time (restore), keeping the instruction count as it is. */
  setNow(ns: number): void {
    this.offsetNs += ns - this.now();
  }

  /** Skip forward to `ns` without retiring instructions (HLT). Never goes back. */
  skipTo(ns: number): void {
    const now = this.now();
    if (ns > now) this.offsetNs += ns - now;
  }

  createTimer(name: string, callback: (now: number) => void): Timer {
    const t = new Timer(this, name, callback);
    this.timers.push(t);
    return t;
  }

  timerChanged(): void {
    this.onTimerChange();
  }

  /** The earliest armed deadline, or NO_DEADLINE. */
  nextDeadline(): number {
    let d = NO_DEADLINE;
    for (const t of this.timers) if (t.deadline < d) d = t.deadline;
    return d;
  }

  /** Instructions to retire before the earliest deadline is reached (0 if it is due). */
  instructionsUntilNextDeadline(): number {
    const d = this.nextDeadline();
    if (d === NO_DEADLINE) return Infinity;
    const delta = d - this.now();
    return delta <= 0 ? 0 : Math.ceil(delta / this.nsPerInstruction);
  }

  /** Fire every timer whose deadline has passed, earliest first; returns how many fired. */
  runDue(): number {
    let fired = 0;
    for (;;) {
      const now = this.now();
      let due: Timer | null = null;
      for (const t of this.timers) if (t.deadline <= now && (due === null || t.deadline < due.deadline)) due = t;
      if (due === null) return fired;
      due.deadline = NO_DEADLINE;
      due.callback(now);
      fired++;
      if (fired > 10000) return fired; // a timer that re-arms in the past forever: let the CPU run
    }
  }
}
