/** Shared fakes for device tests: an instruction counter, recording IRQ sinks, and a round trip. */
import { expect } from 'vitest';
import { VirtualClock } from '../../src/clock/clock.ts';
import type { InstructionCounter } from '../../src/clock/clock.ts';
import type { IrqSink } from '../../src/irq.ts';
import type { StateObject } from '../../src/qom/object.ts';
import { loadState } from '../../src/visit/input-visitor.ts';
import { saveState } from '../../src/visit/output-visitor.ts';
import { diffTrees, treesEqual } from '../../src/visit/state-tree.ts';
import type { StateNode } from '../../src/visit/state-tree.ts';

/** An instruction counter the test moves by hand: 1 instruction = 1 ns at shift 0. */
export class FakeCounter implements InstructionCounter {
  n = 0;
  retiredInstructions(): number {
    return this.n;
  }
}

/** A clock on a fake counter; `advanceTo` moves time and runs due timers, as the run loop would. */
export class TestClock {
  readonly counter = new FakeCounter();
  readonly clock = new VirtualClock(this.counter);
  now(): number {
    return this.clock.now();
  }
  advanceTo(ns: number): void {
    this.counter.n = ns;
    this.clock.runDue();
  }
  advanceBy(ns: number): void {
    this.advanceTo(this.counter.n + ns);
  }
  /** Run the timers one deadline at a time up to ns, so callbacks see their own times. */
  stepTo(ns: number): void {
    for (;;) {
      const d = this.clock.nextDeadline();
      if (d > ns) break;
      this.counter.n = Math.max(this.counter.n, d);
      this.clock.runDue();
    }
    this.counter.n = ns;
    this.clock.runDue();
  }
}

/** An IrqSink that records every level change per pin, with the time it happened. */
export class RecordingSink implements IrqSink {
  readonly levels = new Map<number, number>();
  readonly events: { pin: number; level: number; at: number }[] = [];
  private readonly now: () => number;
  constructor(now: () => number = () => 0) {
    this.now = now;
  }
  setIrq(pin: number, level: number): void {
    if ((this.levels.get(pin) ?? 0) !== level) this.events.push({ pin, level, at: this.now() });
    this.levels.set(pin, level);
  }
  level(pin: number): number {
    return this.levels.get(pin) ?? 0;
  }
  rises(pin: number): number[] {
    return this.events.filter((e) => e.pin === pin && e.level === 1).map((e) => e.at);
  }
}

/** save -> load into `fresh` -> save; the two trees must be equal. Returns the first tree. */
export function roundTrip(device: StateObject, fresh: StateObject, path = '/test'): StateNode {
  const a = saveState(device, path);
  loadState(fresh, a, path);
  const b = saveState(fresh, path);
  expect(diffTrees(a, b)).toEqual([]);
  expect(treesEqual(a, b)).toBe(true);
  return a;
}
