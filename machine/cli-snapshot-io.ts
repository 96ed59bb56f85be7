/**
 * What the CLI's snapshot features need from the host and from the machine, with fallbacks so that
 * the CLI runs on any CliIo: snapshot files (machine/snapshot-file.ts on Node: atomic writes, header
 * checked before the whole file is read) and a machine that can capture and restore its state.
 */
import type { DecodeOptions } from '../migration/decode.ts';
import { readSnapshotHeader } from '../migration/decode.ts';
import type { CliIo } from './host/node-io.ts';
import type { RunnableMachine } from './machine-api.ts';
import type { SnapshotMachine } from './snapshot.ts';
import { InternalError } from './cli-errors.ts';
import type { OpenSnapshotFile } from './snapshot-file.ts';

export interface SnapshotFiles {
  /** The file's bytes, its header checked first (SnapshotError); fs errors are rethrown with `code`. */
  read(path: string, options: DecodeOptions): Uint8Array;
  /** Writes the chunks so that a failure leaves any previous file intact. */
  write(path: string, chunks: readonly Uint8Array[]): void;
  /** Opens the file for random access (lazy restore); absent: `read` is used. */
  open?(path: string): OpenSnapshotFile;
}

/** A machine as the CLI gets it: runnable, and able to save and restore when it is a real Machine. */
export type CliMachine = RunnableMachine & Partial<SnapshotMachine>;

/** deps.snapshotFiles, or plain reads and writes through the CliIo (not atomic; for tests and embedders). */
export function snapshotFilesOf(deps: { io: CliIo; snapshotFiles?: SnapshotFiles }): SnapshotFiles {
  if (deps.snapshotFiles !== undefined) return deps.snapshotFiles;
  const io = deps.io;
  return {
    read(path, options) {
      const data = io.readFile(path);
      readSnapshotHeader(data.subarray(0, 96), options);
      // A copy at offset 0 of its own buffer: aligned for the checksums' word views.
      return data.byteOffset % 8 === 0 ? data : data.slice();
    },
    write(path, chunks) {
      const out = io.openOutput(path);
      try {
        for (const c of chunks) out.write(c);
      } finally {
        out.close();
      }
    },
  };
}

/** The machine, if it can save and restore; an internal error otherwise (a front end without it). */
export function snapshotMachineOf(machine: CliMachine): RunnableMachine & SnapshotMachine {
  if (
    typeof machine.captureState !== 'function' ||
    typeof machine.describeObjects !== 'function' ||
    typeof machine.restoreState !== 'function' ||
    machine.config === undefined
  ) {
    throw new InternalError('this machine cannot save or restore snapshots');
  }
  return machine as RunnableMachine & SnapshotMachine;
}
