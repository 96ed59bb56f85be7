/**
 * A guest that resets after a restore boots what the straight run boots: the snapshot carries the
 * boot images (fw_cfg's kernel, initrds and command line), and every boot loads them from there. The
 * reset guest (test/guests/src/reset.c) boots four times, resetting through port 0x92, the reset
 * control register at 0xCF9 or a triple fault.
 */
import { describe, expect, it } from 'vitest';
import { Machine } from '../../machine/machine.ts';
import { defaultMachineConfig } from '../../machine/machine-config.ts';
import type { MachineConfig } from '../../machine/machine-config.ts';
import { restoreSnapshot, saveSnapshot } from '../../machine/snapshot.ts';
import { decodeSnapshot } from '../../migration/decode.ts';
import { encodeSnapshotBytes } from '../../migration/encode.ts';
import { expectedOutput, guestImage } from '../guests/run-guest.ts';

const RAM = 4 << 20;

function config(how: number, overrides: Partial<MachineConfig> = {}): MachineConfig {
  return defaultMachineConfig({ kernel: { name: 'reset.elf', data: guestImage('reset') }, append: `how=${how}`, ramBytes: RAM, ...overrides });
}

interface End {
  serial: string;
  retired: number;
  ramHash: string;
  exitStatus: number;
}

function finish(m: Machine, out: number[]): End {
  const result = m.run({ maxInsns: 100_000_000 });
  const stats = m.stats();
  return { serial: Buffer.from(out).toString('latin1'), retired: stats.retiredInstructions, ramHash: stats.ramHash, exitStatus: result.exitStatus };
}

function straight(how: number): End {
  const out: number[] = [];
  return finish(new Machine(config(how), { serialOut: (b) => out.push(b), log: () => {} }), out);
}

/** One run of the guest that stops at each point in turn and saves: the snapshot and the output so far. */
function savesAt(how: number, points: readonly number[]): { bytes: Uint8Array; serial: string }[] {
  const out: number[] = [];
  const a = new Machine(config(how), { serialOut: (b) => out.push(b), log: () => {} });
  return points.map((stop) => {
    a.run({ maxInsns: stop });
    expect(a.retired).toBe(stop);
    return { bytes: encodeSnapshotBytes(saveSnapshot(a)), serial: Buffer.from(out).toString('latin1') };
  });
}

/** Restore a save into a machine built from `dest` and run it to the end. */
function restore(save: { bytes: Uint8Array; serial: string }, dest: MachineConfig): End {
  const after: number[] = [];
  const b = new Machine(dest, { serialOut: (c) => after.push(c), log: () => {} });
  restoreSnapshot(b, decodeSnapshot(save.bytes));
  const end = finish(b, after);
  return { ...end, serial: save.serial + end.serial };
}

/** expected/reset.txt is the how=0 run; how=1 also prints the register it read back before resetting. */
function expectedFor(how: number): string {
  const lines = expectedOutput('reset').replaceAll('how=0', `how=${how}`).split('\n');
  const out: string[] = [];
  lines.forEach((line, i) => {
    out.push(line);
    if (how === 1 && line.startsWith('reset: pattern') && !lines[i + 1]!.startsWith('reset: done')) out.push('reset: rcr 02');
  });
  return out.join('\n');
}

describe('reset after restore', () => {
  for (const how of [0, 1, 2]) {
    it(`how=${how}: restored runs, before and after the first reset, end as the straight run`, () => {
      const full = straight(how);
      expect(full.exitStatus).toBe(1);
      expect(full.serial).toBe(expectedFor(how));
      const points = [1000, Math.floor(full.retired * 0.2), Math.floor(full.retired * 0.45), Math.floor(full.retired * 0.8), full.retired - 10];
      const saves = savesAt(how, points);
      // Restore points on both sides of the first reset, and after the second and third.
      expect(saves[0]!.serial).not.toContain('reset: boot 1');
      expect(saves[2]!.serial).toContain('reset: boot 1');
      expect(saves[3]!.serial).toContain('reset: boot 3');
      // Into a machine built as -incoming builds it: no kernel, no command line.
      const incoming = config(how, { kernel: null, append: '' });
      saves.forEach((save, i) => expect(restore(save, incoming), `how=${how}, restored at ${points[i]}`).toEqual(full));
    });
  }

  it('a machine started with another kernel, command line and irqchip reboots into the snapshot\'s kernel', () => {
    const full = straight(1);
    const other = config(0, {
      kernel: { name: 'hello.elf', data: guestImage('hello') },
      append: 'something else',
      kernelIrqchip: 'off',
    });
    const [save] = savesAt(1, [Math.floor(full.retired * 0.3)]);
    expect(restore(save!, other)).toEqual(full);
    // And one started without any kernel, as -incoming builds it.
    expect(restore(save!, config(1, { kernel: null, append: '' }))).toEqual(full);
  });
});

describe('-no-reboot', () => {
  it('a reset request or a triple fault ends the run with status 0, as QEMU', () => {
    for (const how of [0, 1, 2]) {
      const out: number[] = [];
      const m = new Machine(config(how, { noReboot: true }), { serialOut: (b) => out.push(b), log: () => {} });
      const result = m.run({ maxInsns: 100_000_000 });
      expect(result.exitStatus, `how=${how}`).toBe(0);
      expect(result.reason).toBe(how === 2 ? 'triple-fault' : 'shutdown');
      expect(result.message).toContain('-no-reboot');
      expect(Buffer.from(out).toString('latin1')).toContain('reset: boot 0');
      expect(Buffer.from(out).toString('latin1')).not.toContain('reset: boot 1');
    }
  });
});
