/**
 * `--stats PATH`: the figures of a run, written as JSON at exit so that runs can be compared
 * (same guest, same options -> same hashes, bit for bit).
 */
import { hash64 } from '../src/util/hash.ts';
import type { MachineStats, RunResult } from './machine-api.ts';

export interface RunStats {
  retiredInstructions: number;
  virtualTimeNs: number;
  ramHash: string;
  /** hash64 of every byte the guest sent to COM1. */
  serialHash: string;
  serialBytes: number;
  exitStatus: number;
  reason: RunResult['reason'];
}

export function runStats(machine: MachineStats, serial: Uint8Array, result: RunResult): RunStats {
  return {
    retiredInstructions: machine.retiredInstructions,
    virtualTimeNs: machine.virtualTimeNs,
    ramHash: machine.ramHash,
    serialHash: hash64(serial),
    serialBytes: serial.length,
    exitStatus: result.exitStatus,
    reason: result.reason,
  };
}

export function formatStats(stats: RunStats): string {
  return `${JSON.stringify(stats, null, 2)}\n`;
}
