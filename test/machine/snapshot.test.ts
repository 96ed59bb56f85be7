/**
 * machine/snapshot.ts: Machine <-> Snapshot, restore across kernel-irqchip settings through the
 * planner and filters, and the errors for what cannot be bridged.
 */
import { describe, expect, it } from 'vitest';
import { Machine } from '../../machine/machine.ts';
import { defaultMachineConfig, type MachineConfig } from '../../machine/machine-config.ts';
import { configProblems, configToJson, restoreDestination, restoreSnapshot, saveSnapshot } from '../../machine/snapshot.ts';
import { isSnapshotMismatchError, SnapshotMismatchError } from '../../migration/mismatch-error.ts';
import { decodeSnapshot } from '../../migration/decode.ts';
import { encodeSnapshotBytes } from '../../migration/encode.ts';
import { guestImage } from '../guests/run-guest.ts';
import { cloneTree, treesEqual } from '../../src/visit/state-tree.ts';
import { hash64 } from '../../src/util/hash.ts';
import { StateError } from '../../src/util/errors.ts';

const RAM = 16 << 20;

function config(overrides: Partial<MachineConfig> = {}): MachineConfig {
  return defaultMachineConfig({ kernel: { name: 'interrupts.elf', data: guestImage('interrupts') }, ramBytes: RAM, ...overrides });
}

function machine(out: number[], overrides: Partial<MachineConfig> = {}): Machine {
  return new Machine(config(overrides), { serialOut: (b) => void out.push(b), log: () => {} });
}

function finish(m: Machine, out: number[]) {
  const result = m.run({ maxInsns: 100_000_000 });
  return { result, serial: Buffer.from(out).toString('latin1'), stats: m.stats() };
}

describe('saveSnapshot', () => {
  it('records the configuration, the clock and the scheduler turn, and encodes', () => {
    const m = machine([]);
    m.run({ maxInsns: 10_000 });
    const s = saveSnapshot(m, { note: 'x' });
    expect(s.config).toMatchObject({ m: RAM, smp: 1, machine: { 'kernel-irqchip': 'split' }, icount: { shift: 0 } });
    expect(s.config['kernel']).toEqual({ name: 'interrupts.elf', bytes: guestImage('interrupts').length, hash64: hash64(guestImage('interrupts')) });
    expect(s.clock.retiredInstructions).toBe(10_000n);
    expect(s.clock.run).toMatchObject({ note: 'x', schedulerCpu: 0 });
    expect(typeof s.clock.run['schedulerLeft']).toBe('number');
    expect(s.objects.get('/machine/ram')!.type).toBe('ram');
    const back = decodeSnapshot(encodeSnapshotBytes(s));
    expect([...back.objects.keys()]).toEqual([...s.objects.keys()]);
  });
});

describe('restoreSnapshot', () => {
  const full = (() => {
    const out: number[] = [];
    return finish(machine(out), out);
  })();

  for (const from of ['on', 'split', 'off'] as const) {
    for (const to of ['on', 'split', 'off'] as const) {
      it(`kernel-irqchip=${from} -> ${to}: the restored run ends as the uninterrupted one`, () => {
        const before: number[] = [];
        const a = machine(before, { kernelIrqchip: from });
        a.run({ maxInsns: 400_000 });
        const bytes = encodeSnapshotBytes(saveSnapshot(a));
        const after: number[] = [];
        const b = new Machine({ ...config({ kernelIrqchip: to }), kernel: null }, { serialOut: (x) => void after.push(x), log: () => {} });
        const { chain } = restoreSnapshot(b, decodeSnapshot(bytes));
        if (from === to) expect(chain).toEqual([]);
        else expect(chain.length).toBeGreaterThan(0);
        const rest = finish(b, after);
        expect(Buffer.from(before).toString('latin1') + rest.serial).toBe(full.serial);
        expect(rest.stats).toEqual(full.stats);
        expect(rest.result).toEqual(full.result);
      });
    }
  }

  it('a RAM-size mismatch lists what does not match, and leaves the machine untouched', () => {
    const a = machine([]);
    a.run({ maxInsns: 50_000 });
    const snap = saveSnapshot(a);
    const b = machine([], { ramBytes: 32 << 20, smp: 2 });
    // A copy: RAM's saved bytes are a view of the live memory, which a bad restore might write.
    const before = new Map([...b.captureState().objects].map(([path, obj]) => [path, cloneTree(obj.fields)]));
    let error: unknown;
    try {
      restoreSnapshot(b, snap);
    } catch (e) {
      error = e;
    }
    expect(isSnapshotMismatchError(error)).toBe(true);
    const problems = (error as SnapshotMismatchError).problems;
    expect(problems).toContain('-m: the RAM size is 16 MiB in the snapshot, 32 MiB on this machine');
    expect(problems).toContain('-smp: the number of CPUs is 1 in the snapshot, 2 on this machine');
    expect(problems.some((p) => p.startsWith('/machine/ram.data: 16 MiB'))).toBe(true);
    expect(problems.some((p) => p.startsWith('/machine/cpu[1]:'))).toBe(true);
    expect((error as Error).message).toMatch(/^the snapshot does not fit this machine \(\d+ problems\):\n  -m: /);
    const after = b.captureState().objects;
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [path, fields] of before) expect(treesEqual(after.get(path)!.fields, fields), path).toBe(true);
    expect(b.retired).toBe(0);
  });

  it('learns the destination without saving its state: a machine whose captureState throws restores', () => {
    const a = machine([]);
    a.run({ maxInsns: 50_000 });
    const snap = saveSnapshot(a);
    const b = new Machine({ ...config({ kernelIrqchip: 'off' }), kernel: null }, { serialOut() {}, log() {} });
    b.captureState = () => {
      throw new Error('a restore saved the destination machine');
    };
    expect(restoreSnapshot(b, snap).chain.length).toBeGreaterThan(0);
    expect(b.retired).toBe(50_000);
  });

  it('a bad run state is a StateError and changes nothing', () => {
    const a = machine([]);
    a.run({ maxInsns: 50_000 });
    const snap = saveSnapshot(a);
    const bad = { ...snap, clock: { ...snap.clock, run: { ...snap.clock.run, schedulerCpu: 5 } } };
    const b = machine([]);
    expect(() => restoreSnapshot(b, bad)).toThrow(StateError);
    const noTurn = { ...snap, clock: { ...snap.clock, run: {} } };
    expect(() => restoreSnapshot(b, noTurn)).toThrow(/^clock\.run\.schedulerCpu: expected a number/);
    expect(b.retired).toBe(0);
  });
});

describe('configProblems', () => {
  it('reports what the guest would notice and skips what the snapshot does not say', () => {
    const c = config();
    expect(configProblems(configToJson(c), c)).toEqual([]);
    expect(configProblems({}, c)).toEqual([]);
    const other = configToJson(config({ icountShift: 3, cpu: { ...c.cpu, vendor: 'AuthenticAMD', features: { ...c.cpu.features, cmov: !c.cpu.features.cmov } } }));
    expect(configProblems(other, c)).toEqual([
      '-icount: the shift is 3 in the snapshot, 0 on this machine',
      '-cpu: the vendor is "AuthenticAMD" in the snapshot, "GenuineIntel" on this machine',
      `-cpu: feature cmov is ${c.cpu.features.cmov ? 'off' : 'on'} in the snapshot, ${c.cpu.features.cmov ? 'on' : 'off'} on this machine`,
    ]);
    expect(configProblems({ m: 'big' }, c)).toEqual(['config.m: string "big" is not an integer from 1048576 to 3758096384, a multiple of 4096']);
    expect(configProblems(configToJson(config({ kernelIrqchip: 'on' })), config({ kernelIrqchip: 'off' }))).toEqual([]);
  });

  it('is remembered per recorded text only where the text stands for the value alone', () => {
    const c = config();
    const remembered = restoreDestination({ config: c, describeObjects: () => new Map() }).configProblems;
    if (remembered === undefined) throw new Error('restoreDestination checks no configuration');
    const recorded = configToJson(c);
    // JSON.stringify writes NaN and Infinity as null, -0 as 0, a Map as {}: none may take another's answer.
    const cases: unknown[] = [null, Number.NaN, Number.POSITIVE_INFINITY, -0, 'x', new Map()];
    for (const smp of [...cases, ...cases.slice().reverse()]) {
      const text = { ...recorded, smp } as Parameters<typeof configProblems>[0];
      expect(remembered(text)).toEqual(configProblems(text, c));
    }
    expect(remembered(recorded)).toEqual([]);
  });

  it('answers again for any change since the configuration it answered last', () => {
    const c = config();
    const remembered = restoreDestination({ config: c, describeObjects: () => new Map() }).configProblems;
    if (remembered === undefined) throw new Error('restoreDestination checks no configuration');
    const recorded = configToJson(c);
    const copy = () => JSON.parse(JSON.stringify(recorded)) as typeof recorded;
    const features = (j: typeof recorded) => (j.cpu as Record<string, Record<string, unknown>>).features!;
    const variants: Array<(j: typeof recorded) => unknown> = [
      (j) => (j.smp = 2),
      (j) => (features(j).cmov = !c.cpu.features.cmov),
      (j) => ((j.icount as Record<string, unknown>).shift = 3),
      (j) => (j.cpu = { ...(j.cpu as object), vendor: ['GenuineIntel'] }),
      (j) => (j.drives = [{}]),
      (j) => delete j.m,
      (j) => (j.m = -0),
      (j) => (j.extra = 1),
    ];
    for (const change of variants) {
      const changed = copy();
      change(changed);
      expect(remembered(copy())).toEqual([]);
      expect(remembered(changed)).toEqual(configProblems(changed, c));
      expect(remembered(changed)).toEqual(configProblems(changed, c));
    }
    // The answer is a copy: a caller adding to it changes no later answer.
    remembered(copy());
    const answer = remembered(copy()) as string[];
    answer.push('extra');
    expect(remembered(copy())).toEqual([]);
  });
});

describe('the description of a restored machine', () => {
  it('is the one it had, equal to a fresh describe, for every kernel-irqchip setting', () => {
    for (const kernelIrqchip of ['on', 'split', 'off'] as const) {
      const source = machine([], { kernelIrqchip, smp: 2 });
      source.run({ maxInsns: 20_000 });
      const snap = saveSnapshot(source);
      const dest = machine([], { kernel: null, kernelIrqchip, smp: 2 });
      const before = dest.describeObjects();
      restoreSnapshot(dest, snap);
      // Taken over from the board the restore replaced: no describe walk.
      expect(dest.describeObjects()).toBe(before);
      const fresh = machine([], { kernel: null, kernelIrqchip, smp: 2 }).board.objects.describeAll();
      expect([...dest.board.objects.describeAll()]).toEqual([...fresh]);
      // and what it says holds for the restored objects: a save describes them the same.
      const again = saveSnapshot(dest);
      expect(again.schemas).toEqual(snap.schemas);
      restoreSnapshot(dest, again);
      expect(dest.describeObjects()).toBe(before);
    }
  });
});
