/**
 * Deterministic round-robin over the CPUs in fixed quanta (issue 3, item 6). One CPU runs at a time;
 * the one whose turn it is, and how much of its quantum is left, are machine state (saved in
 * snapshots) so that a restored run switches CPUs at exactly the same instructions.
 */
import type { Cpu } from '../src/cpu/cpu.ts';
import { IF } from '../src/cpu/constants.ts';

/** Instructions a CPU runs before the next one gets its turn. */
export const QUANTUM = 1 << 14;

/** What the scheduler needs from the board. */
export interface SchedulerBoard {
  readonly cpus: readonly Cpu[];
  /** The CPU inside run() right now. */
  running: Cpu | null;
  /** Called after a CPU's run() returns (INIT/SIPI it sent itself take effect here). */
  afterRun(cpu: Cpu): void;
}

export class Scheduler {
  private readonly cpus: readonly Cpu[];
  private readonly board: SchedulerBoard;
  /** Index of the CPU whose turn it is. */
  current = 0;
  /** What is left of its quantum. */
  left = QUANTUM;

  constructor(board: SchedulerBoard) {
    this.board = board;
    this.cpus = board.cpus;
  }

  reset(): void {
    this.current = 0;
    this.left = QUANTUM;
  }

  private runnable(cpu: Cpu): boolean {
    if (cpu.waitForSipi) return false;
    return !cpu.halted || cpu.hasWakeEvent();
  }

  /**
   * Run at most `budget` instructions on the CPU whose turn it is (moving the turn on past CPUs that
   * cannot run or have used their quantum). Returns how many retired: 0 when no CPU can run.
   */
  runSlice(budget: number): number {
    const n = this.cpus.length;
    for (let tried = 0; tried <= n; tried++) {
      const cpu = this.cpus[this.current]!;
      if (this.left <= 0 || !this.runnable(cpu)) {
        this.next();
        continue;
      }
      const before = cpu.retired;
      this.board.running = cpu;
      try {
        cpu.run(Math.min(budget, this.left));
      } finally {
        this.board.running = null;
      }
      this.board.afterRun(cpu);
      const ran = cpu.retired - before;
      this.left -= ran;
      if (ran > 0) return ran;
    }
    return 0;
  }

  private next(): void {
    this.current = (this.current + 1) % this.cpus.length;
    this.left = QUANTUM;
  }

  /** Whether some CPU would run now (without changing whose turn it is). */
  anyRunnable(): boolean {
    for (const cpu of this.cpus) if (this.runnable(cpu)) return true;
    return false;
  }

  /** When nothing can ever run again: every CPU halted with interrupts off (and no NMI). */
  stuckReason(): string | null {
    for (const cpu of this.cpus) {
      if (cpu.waitForSipi) continue;
      if ((cpu.flags & IF) !== 0 || cpu.nmiPending) return null;
    }
    const cpu = this.cpus[0]!;
    return `guest halted with interrupts disabled at eip 0x${cpu.eip.toString(16)}`;
  }
}
