/**
 * Both flavours are architecturally identical: the same scripted operations (register writes,
 * messages, 8259 changes, TSC deadlines, time passing with the CPU taking interrupts) give the same
 * register reads, the same interrupts at the same virtual times and the same CPU signals. A save and
 * restore in the middle of a script changes nothing either.
 */
import { describe, expect, it } from 'vitest';
import { play, script } from './lapic-script.ts';

describe('apic and kvm-lapic are indistinguishable', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`gives the same reads, interrupts and signals (script ${seed})`, () => {
      const ops = script(seed, 400, 2, false);
      const a = play('apic', ops, 2);
      const b = play('kvm-lapic', ops, 2);
      expect(b).toEqual(a);
      expect(a.filter((l) => l.includes(' int ')).length).toBeGreaterThan(10);
    });
  }

  for (const seed of [11, 12, 13, 14]) {
    it(`runs the same across save and restore (script ${seed})`, () => {
      const withRestores = script(seed, 400, 2, true);
      const straight = withRestores.filter((op) => op.k !== 'restore');
      expect(withRestores.length).toBeGreaterThan(straight.length);
      const reference = play('apic', straight, 2);
      // A restored APIC kicks its CPU once more (post-load): not guest-visible, so kicks are left out.
      const guestVisible = (log: string[]) => log.filter((l) => !l.includes(' kicks '));
      expect(guestVisible(play('apic', withRestores, 2))).toEqual(guestVisible(reference));
      expect(guestVisible(play('kvm-lapic', withRestores, 2))).toEqual(guestVisible(reference));
    });
  }
});
