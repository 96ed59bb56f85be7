/**
 * The block cache (src/cpu/block-cache.ts) changes nothing the guest can observe
 * (docs/architecture.md section 2): every guest runs with it on (translating after a few arrivals,
 * so that short guests run mostly in translated blocks) and off, and both runs must agree in
 * instruction count, virtual time, serial output, RAM and the state of every object, at the end and
 * when stopped (as `--max-insns` stops) at a few instruction counts in between, which fall inside
 * blocks. The Linux boot, too long for every `npm test`, runs under GODWIT_ACID=1.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HOT_COUNT, setBlockCacheEnabled, setBlockCacheHotCount } from '../../src/cpu/block-cache.ts';
import { allGuests, label } from './guest-list.ts';
import { firstDifference, runStraight } from './harness.ts';
import type { GuestSpec, Observed } from './harness.ts';
import { readFileSync } from 'node:fs';
import { Machine } from '../../machine/machine.ts';
import { defaultMachineConfig } from '../../machine/machine-config.ts';

/** Arrivals before translation in these runs (the default waits much longer). */
const HOT = 3;

afterEach(() => {
  setBlockCacheEnabled(true);
  setBlockCacheHotCount(HOT_COUNT);
});

function withCache<T>(on: boolean, run: () => T): T {
  setBlockCacheEnabled(on);
  setBlockCacheHotCount(HOT);
  try {
    return run();
  } finally {
    setBlockCacheEnabled(true);
    setBlockCacheHotCount(HOT_COUNT);
  }
}

function both(g: GuestSpec, maxInsns?: number): [Observed, Observed] {
  const on = withCache(true, () => runStraight(g, 'on', undefined, maxInsns));
  const off = withCache(false, () => runStraight(g, 'on', undefined, maxInsns));
  return [on, off];
}

const LINUX = 'test/guests/linux/';

/** Linux on 2 CPUs to its init's power-off (as test/guests/linux/linux.test.ts boots it). */
function bootLinuxObserved(): { retired: number; serial: string; ramHash: string } {
  const bytes: number[] = [];
  const config = defaultMachineConfig({
    kernel: { name: 'bzImage', data: new Uint8Array(readFileSync(`${LINUX}bzImage`)) },
    initrds: [{ name: 'initramfs.cpio', data: new Uint8Array(readFileSync(`${LINUX}initramfs.cpio`)) }],
    append: 'console=ttyS0 lpj=10000000 no_timer_check',
    noReboot: true,
    smp: 2,
  });
  const m = new Machine(config, { serialOut: (b) => bytes.push(b), log: () => {} });
  m.run({ maxInsns: 400_000_000 });
  return { retired: m.retired, serial: Buffer.from(bytes).toString('latin1'), ramHash: m.stats().ramHash };
}

/** Guests whose full runs are too long to repeat here (the integer workload runs cut to one round). */
const SKIP = new Set(['insn']);

describe('every guest is identical with the block cache on and off', () => {
  for (const g of allGuests()) {
    if (SKIP.has(g.name)) continue;
    it(label(g), { timeout: 600_000 }, () => {
      const [on, off] = both(g);
      expect(on.ending).toMatch(/^debug-exit /);
      expect(firstDifference(on, off), 'whole run').toBeNull();
      // Stops a third and two thirds of the way, at odd counts.
      for (const f of [1 / 3, 2 / 3]) {
        const n = Math.floor(on.retired * f) | 1;
        const [a, b] = both(g, n);
        expect(a.retired).toBe(n);
        expect(firstDifference(a, b), `stopped at ${n}`).toBeNull();
      }
    });
  }
});

describe.runIf(process.env.GODWIT_ACID === '1')('Linux with the block cache on and off', () => {
  it('boots to the same instruction count, serial output and RAM', { timeout: 1_800_000 }, () => {
    const on = withCache(true, () => bootLinuxObserved());
    const off = withCache(false, () => bootLinuxObserved());
    expect(on.retired).toBe(off.retired);
    expect(on.serial).toBe(off.serial);
    expect(on.ramHash).toBe(off.ramHash);
    expect(on.serial).toContain('init: all checks passed');
  });
});
