/**
 * The guests the determinism tests run: every committed guest of test/guests (with the CPU count its
 * source asks for), the timing-sensitive ones with `verbose=1` so that their virtual-time figures
 * are part of the compared output, and workloads cut to a size the suite can afford. The disk
 * benchmark guest runs on the virtioblk test disk (1 MiB in memory), in both shapes.
 */
import { readdirSync } from 'node:fs';
import { GUEST_DIR, guestCpus } from '../guests/run-guest.ts';
import type { GuestSpec } from './harness.ts';

/** Command lines that make a guest print its timing-dependent figures, or cut its work. */
const APPEND: Record<string, string> = {
  bench: 'rounds=1',
  irqbench: 'rounds=40 verbose=1',
  pitstorm: 'verbose=1',
  timerslice: 'verbose=1',
  chipfuzz: 'seed=7 rounds=1500 verbose=1',
  diskbench: 'ops=32',
};

/** Guests that drive a disk: the virtioblk test disk in one shape (harness.ts GuestSpec.disk). */
const DISK: Record<string, GuestSpec['disk']> = {
  diskbench: { config: 'modern-msix', shape: 'split' },
};

/** More than one configuration of the same image. */
const EXTRA: GuestSpec[] = [
  { name: 'pitstorm', smp: 1, append: 'ioapic=1 verbose=1' },
  { name: 'chipfuzz', smp: 1, append: 'seed=11 rounds=1500 wild=1 verbose=1' },
  { name: 'chipfuzz', smp: 2, append: 'seed=12 rounds=1000 wild=1 verbose=1' },
  { name: 'diskbench', smp: 1, append: 'mode=legacy irq=intx ops=16 depth=4', disk: { config: 'legacy-intx', shape: 'combined' } },
];

/**
 * The instruction suite (53 million instructions) and the integer workload: too long to run twelve
 * times in `npm test`, which runs them at the default batch length and at 7 under one setting.
 */
export const LARGE = new Set(['insn', 'bench']);

/**
 * Guests that do nothing without input: the console guest waits at its prompt for COM1 bytes
 * (test/machine/session runs it with typed input, recorded and replayed).
 */
const NEEDS_INPUT = new Set(['console']);

export function allGuests(): GuestSpec[] {
  const names = readdirSync(`${GUEST_DIR}bin`)
    .filter((f) => f.endsWith('.elf'))
    .map((f) => f.slice(0, -4))
    .filter((name) => !NEEDS_INPUT.has(name))
    .sort();
  const out: GuestSpec[] = names.map((name) => {
    const spec: GuestSpec = { name, smp: guestCpus(name) };
    const append = APPEND[name];
    const disk = DISK[name];
    return { ...spec, ...(append === undefined ? {} : { append }), ...(disk === undefined ? {} : { disk }) };
  });
  return [...out, ...EXTRA];
}

export function label(g: GuestSpec): string {
  return `${g.name} -smp ${g.smp}${g.append === undefined ? '' : ` "${g.append}"`}`;
}
