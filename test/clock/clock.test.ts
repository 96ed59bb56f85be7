import { describe, expect, it } from 'vitest';
import { VirtualClock, NO_DEADLINE } from '../../src/clock/clock.ts';

function counter() {
  const c = { n: 0, retiredInstructions: () => c.n };
  return c;
}

describe('virtual clock', () => {
  it('derives time from retired instructions with the icount shift', () => {
    const c = counter();
    const clock = new VirtualClock(c, 3);
    c.n = 10;
    expect(clock.now()).toBe(80);
    clock.skipTo(1000);
    expect(clock.now()).toBe(1000);
    clock.skipTo(10);
    expect(clock.now()).toBe(1000);
    c.n = 11;
    expect(clock.now()).toBe(1008);
  });

  it('budgets instructions to the earliest deadline and fires due timers in deadline order', () => {
    const c = counter();
    const clock = new VirtualClock(c, 1);
    const fired: string[] = [];
    const a = clock.createTimer('a', () => fired.push('a'));
    const b = clock.createTimer('b', () => fired.push('b'));
    expect(clock.instructionsUntilNextDeadline()).toBe(Infinity);
    a.arm(101);
    b.arm(50);
    expect(clock.nextDeadline()).toBe(50);
    expect(clock.instructionsUntilNextDeadline()).toBe(25);
    c.n = 60;
    expect(clock.runDue()).toBe(2);
    expect(fired).toEqual(['b', 'a']);
    expect(a.deadline).toBe(NO_DEADLINE);
  });

  it('keeps ties in creation order and lets a callback re-arm', () => {
    const c = counter();
    const clock = new VirtualClock(c);
    const fired: string[] = [];
    const t1 = clock.createTimer('1', (now) => {
      fired.push('1');
      if (fired.length < 3) t1.arm(now + 5);
    });
    const t2 = clock.createTimer('2', () => fired.push('2'));
    t2.arm(5);
    t1.arm(5);
    c.n = 5;
    clock.runDue();
    expect(fired).toEqual(['1', '2']);
    c.n = 10;
    clock.runDue();
    expect(fired).toEqual(['1', '2', '1']);
  });
});
