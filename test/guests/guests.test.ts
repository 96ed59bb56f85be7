/**
 * Every committed guest runs to its isa-debug-exit and prints exactly its expected output
 * (test/guests/expected/<name>.txt: generated natively for the instruction suite, hand-written and
 * checked under QEMU for the others).
 */
import { describe, expect, it } from 'vitest';
import { expectedOutput, runGuest } from './run-guest.ts';

const GUESTS = ['hello', 'insn', 'exceptions', 'paging', 'ring3', 'interrupts', 'realmode', 'tasks'];

describe('guest programs', () => {
  for (const name of GUESTS) {
    it(`${name} prints its expected output and exits with status 1`, () => {
      const run = runGuest(name);
      expect(run.serial).toBe(expectedOutput(name));
      expect(run.result.reason).toBe('debug-exit');
      expect(run.result.exitStatus).toBe(1);
    });
  }
});

describe('determinism', () => {
  it('two runs of the same guest retire the same instructions and leave the same RAM and output', () => {
    const a = runGuest('paging');
    const b = runGuest('paging');
    expect(b.retired).toBe(a.retired);
    expect(b.virtualTimeNs).toBe(a.virtualTimeNs);
    expect(b.ramHash).toBe(a.ramHash);
    expect(b.serialHash).toBe(a.serialHash);
    expect(a.retired).toBeGreaterThan(1000);
  });
});
