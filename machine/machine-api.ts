/**
 * The Machine's contract with its front ends (CLI, tests, a browser page): what a front end gives the
 * machine (a MachineHost) and what a run gives back (a RunResult). machine/machine.ts implements it.
 */

/** What the machine needs from whoever runs it: a place for serial output and for diagnostics. */
export interface MachineHost {
  /** COM1 transmit: one byte the guest wrote to the UART. */
  serialOut(byte: number): void;
  /** Emulator diagnostics, one line without a trailing newline (the CLI prints them on stderr). */
  log(message: string): void;
}

/** Why a run ended. */
export type RunReason = 'debug-exit' | 'max-insns' | 'triple-fault' | 'halted' | 'shutdown';

export interface RunResult {
  reason: RunReason;
  /**
   * The CLI's exit status. debug-exit: (v << 1) | 1; max-insns: 0; a reset or triple fault under
   * -no-reboot: 0, as QEMU; a triple-fault loop: 5; halted: 4.
   */
  exitStatus: number;
  /** One line for the user. */
  message: string;
}

export interface RunLimits {
  /** Stop after this many retired instructions (reason 'max-insns'). */
  maxInsns?: number;
  /**
   * Longest stretch of instructions between two passes through the machine loop, 1..65536 (a knob
   * for tests and debugging, GODWIT_BATCH in the CLI). It changes nothing the guest can see: a run
   * gives the same result at every batch length.
   */
  batchLength?: number;
}

export const MAX_BATCH_LENGTH = 65536;

/** Figures a front end reports at the end of a run (`--stats`). */
export interface MachineStats {
  retiredInstructions: number;
  virtualTimeNs: number;
  /** hash64 of all of RAM (src/util/hash.ts), 16 hex digits. */
  ramHash: string;
}

/** The part of the Machine class that front ends use; `new Machine(config, host)` returns one. */
export interface RunnableMachine {
  /** Runs until exit/limit; never throws for guest behaviour. */
  run(limits: RunLimits): RunResult;
  stats(): MachineStats;
}
