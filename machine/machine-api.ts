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
  /**
   * The machine was reset and boots again (QMP's RESET event): by the guest (port 0x92, 0xCF9, a
   * triple fault) or by the host (Machine.requestReset). Not called for a reset that ends the run
   * under -no-reboot (that run ends with reason 'shutdown').
   */
  reset?(cause: ResetCause): void;
}

/** Who reset the machine, in QMP's words (the RESET and SHUTDOWN events' `reason`). */
export type ResetCause = 'guest-reset' | 'host-qmp-system-reset';

/**
 * Why a run ended. 'paused' and 'idle' are stops, not ends: Machine.run returns them at a pause point
 * (RunLimits.pauseAt) and when the guest waits for input (RunLimits.idleWaits), and a later run()
 * goes on exactly where it stopped. 'quit', 'signal' and 'error' end a session (machine/run-session.ts):
 * QMP's quit or the console's C-a x; SIGINT, SIGTERM or SIGHUP; a failure that ends it (an incoming
 * migration that cannot be loaded: exit status 1).
 */
export type RunReason =
  | 'debug-exit'
  | 'max-insns'
  | 'triple-fault'
  | 'halted'
  | 'shutdown'
  | 'paused'
  | 'idle'
  | 'quit'
  | 'signal'
  | 'error';

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
  /**
   * Return (reason 'paused') at the first boundary of the machine loop at or past any of these
   * points. A point is reached when both its instruction count and its virtual time are: the
   * position where a run stopped is such a boundary, and a later run can be stopped at exactly the
   * same one (record and replay, docs/architecture.md section 14). Where a run pauses changes
   * nothing the guest can see.
   */
  pauseAt?: readonly RunPosition[];
  /**
   * When the guest waits for an interrupt with no timer armed, return 'idle' (input may wake it)
   * instead of ending with 'halted' (exit status 4). A halt with interrupts disabled still ends it.
   */
  idleWaits?: boolean;
  /**
   * Virtual time up to which every CPU halting may skip to the next timer deadline; a later deadline
   * makes the run return 'idle' before the skip (a host that paces idle time to its own clock lets
   * the skip happen on the next run). Where the run stops changes nothing the guest sees.
   */
  maxSkipNs?: number;
}

/** A point of a run: instructions retired since power-on (all CPUs) and virtual time in ns. */
export interface RunPosition {
  insns: number;
  ns: number;
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
  /**
   * Runs until exit/limit; never throws for guest behaviour. A run that stopped ('paused', 'idle',
   * 'max-insns') goes on from the same instruction boundary when called again.
   */
  run(limits: RunLimits): RunResult;
  stats(): MachineStats;
}
