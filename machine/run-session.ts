/**
 * The run of a machine that people drive: the synchronous Machine.run() in slices, with the host's
 * event loop in between, where console input, QMP commands and signals arrive. Node's CLI and a
 * browser page use the same loop; the host only says how to yield (setImmediate, a message port).
 *
 * Determinism (docs/architecture.md section 14):
 * - A slice ends at a pause point of Machine.run: every QUANTUM instructions' worth of virtual time
 *   (QUANTUM instructions while the guest runs, as much virtual time while it idles between timer
 *   interrupts). Where a slice ends depends on guest state only, and changes nothing the guest sees.
 * - Host events enter only between slices, at a boundary of the machine loop, and each one that the
 *   guest can see (bytes COM1 took, a system_reset) is recorded with that boundary's position
 *   (instructions, virtual time) when recording. A replay pauses the machine at exactly the recorded
 *   positions and applies the recorded events there, ignoring live input.
 * - A guest that waits for an interrupt with no timer armed stops the machine ('idle') until
 *   something arrives, instead of ending the run, as long as something can still arrive.
 * - stop, cont, snapshots and the end of the session are invisible to the guest: only where the
 *   session ended is recorded, so that a replay ends there too.
 */
import type { JsonObject } from '../migration/snapshot.ts';
import type { RunLimits, RunnableMachine, RunPosition, RunResult } from './machine-api.ts';
import type { ReplayMark, ReplayPlayer, ReplayRecorder } from './replay.ts';
import { ReplayError } from './replay.ts';
import { formatPosition } from './replay-log.ts';
import type { SerialInput } from './serial-input.ts';

/** Longest single host wait while pacing an idle guest (then the session looks again). */
const MAX_PACE_WAIT_MS = 1000;

/**
 * Instructions (or their worth of virtual time) between two returns to the host: about 15 ms at
 * 70 MIPS, so a key, a QMP command or a signal waits at most that long. bench/yield.ts measures the
 * cost: 0.1% of guest MIPS at 2^20, 4% at 2^18 (each return costs about 0.15 ms), so 2^20.
 */
export const QUANTUM = 1 << 20;

/** QMP's run states that a session goes through (query-status `status`). */
export type VmStatus = 'prelaunch' | 'running' | 'paused' | 'inmigrate' | 'finish-migrate' | 'postmigrate' | 'shutdown';

/** A QMP event without its timestamp: STOP, RESUME, RESET, SHUTDOWN, MIGRATION. */
export interface SessionEvent {
  event: string;
  data?: JsonObject;
}

/** What a session needs of the machine (machine/machine.ts's Machine has it). */
export interface SessionMachine extends RunnableMachine {
  readonly config: { readonly icountShift: number };
  position(): RunPosition;
  receiveSerial(bytes: Uint8Array): number;
  /** Resets now (true), or returns false under -no-reboot, where a reset ends the run. */
  hostReset(): boolean;
  /** The earliest armed timer deadline in virtual ns (Infinity when none). */
  nextDeadline(): number;
}

export interface SessionHost {
  /** Lets the host's event loop run: I/O callbacks, timers and signal handlers. */
  yieldToHost(): Promise<void>;
  /** Hands buffered output over (serial output reaches its file or pipe at every stop). */
  flush(): void;
  /** Whether live console input can still arrive (a terminal, an open pipe, a socket server). */
  inputOpen(): boolean;
  /** Whether a controller can still act (a QMP server), so that a stopped run has a way on. */
  controlOpen(): boolean;
  /** Host time in ms (monotonic), and a wait of that many ms: for pacing idle time (SessionOptions.pace). */
  now(): number;
  wait(ms: number): Promise<void>;
}

export interface SessionOptions {
  /** --max-insns, GODWIT_BATCH: passed to every Machine.run. */
  maxInsns?: number;
  batchLength?: number;
  /** Slice length in instructions' worth of virtual time (QUANTUM). */
  quantum?: number;
  /** running (the default), prelaunch (-S), or inmigrate (-incoming defer). */
  initial?: 'running' | 'prelaunch' | 'inmigrate';
  /** With -S, whether the machine starts once an incoming migration is done (QEMU's autostart). */
  autostart?: boolean;
  input?: SerialInput | null;
  /**
   * `-icount sleep=on`: while every CPU halts, let host time catch up with the virtual time to be
   * skipped (QEMU's default), so that an idle guest neither spins the host nor races its clock
   * ahead. The guest sees exactly the same skips; only where live input lands moves (and that is
   * recorded).
   */
  pace?: boolean;
  record?: ReplayRecorder | null;
  replay?: ReplayPlayer | null;
}

/** Thrown by session methods a controller may not use now; QMP reports it as a GenericError. */
export class SessionError extends Error {
  override readonly name = 'SessionError' as const;
}

export function isSessionError(e: unknown): e is SessionError {
  return e instanceof Error && e.name === 'SessionError';
}

/** The end of a session by system_reset under -no-reboot (SHUTDOWN's reason host-qmp-system-reset). */
const HOST_RESET_SHUTDOWN: RunResult = { reason: 'shutdown', exitStatus: 0, message: 'system_reset under -no-reboot' };
const HALTED_FOR_GOOD: RunResult = { reason: 'halted', exitStatus: 4, message: 'guest halted waiting for an interrupt, and no timer is armed' };

export class RunSession {
  private readonly machine: SessionMachine;
  private readonly host: SessionHost;
  private readonly options: SessionOptions;
  private readonly quantumNs: number;
  private statusValue: VmStatus;
  private autostart: boolean;
  private ending: RunResult | null = null;
  private woken = false;
  /** Pacing: virtual time up to which idle skips are granted, and where the current idle wait began. */
  private skipGranted = 0;
  private idleSince: { ns: number; hostMs: number } | null = null;
  private wakeUp: (() => void) | null = null;
  private readonly listeners = new Set<(e: SessionEvent) => void>();
  /** The end of the session, once run() returned. */
  result: RunResult | null = null;

  constructor(machine: SessionMachine, host: SessionHost, options: SessionOptions = {}) {
    this.machine = machine;
    this.host = host;
    this.options = options;
    this.quantumNs = (options.quantum ?? QUANTUM) * 2 ** machine.config.icountShift;
    this.statusValue = options.initial ?? 'running';
    this.autostart = options.autostart ?? true;
    if (options.replay !== undefined && options.replay !== null) options.input?.clear();
  }

  get status(): VmStatus {
    return this.statusValue;
  }

  get running(): boolean {
    return this.statusValue === 'running';
  }

  get replaying(): boolean {
    return this.options.replay !== undefined && this.options.replay !== null;
  }

  /** The place in the record/replay log, for a snapshot (null without -icount rr=). */
  replayMark(): ReplayMark | null {
    return this.options.record?.mark ?? this.options.replay?.mark ?? null;
  }

  /** Listens to the session's events; returns the function that stops listening. */
  subscribe(listener: (e: SessionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: string, data?: JsonObject): void {
    const e: SessionEvent = data === undefined ? { event } : { event, data };
    for (const l of [...this.listeners]) l(e);
  }

  /** Something happened on the host side (input, a command, a signal): look again. */
  wake(): void {
    this.woken = true;
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  /** QMP's stop: the machine stops at the boundary where it is (STOP when it was running). */
  stop(): void {
    if (this.statusValue !== 'running') return;
    this.statusValue = 'paused';
    this.emit('STOP');
  }

  /** QMP's cont: runs on (RESUME); during an incoming migration, start once it is done. */
  cont(): void {
    if (this.statusValue === 'inmigrate') {
      this.autostart = true;
      return;
    }
    if (this.statusValue === 'running' || this.statusValue === 'shutdown') return;
    if (this.statusValue === 'finish-migrate') throw new SessionError('a migration is saving the machine: cont after it completed or was cancelled');
    this.statusValue = 'running';
    this.emit('RESUME');
    this.wake();
  }

  /** A migration changes the run state (finish-migrate, postmigrate). */
  setStatus(status: VmStatus): void {
    this.statusValue = status;
    this.wake();
  }

  /** An incoming migration was loaded: run (RESUME) unless -S asked to stay stopped. */
  incomingDone(): void {
    if (this.statusValue !== 'inmigrate') return;
    if (this.autostart) {
      this.statusValue = 'running';
      this.emit('RESUME');
    } else {
      this.statusValue = 'paused';
    }
    this.wake();
  }

  /** The guest reset the machine (Machine's host hook). */
  guestReset(): void {
    this.emit('RESET', { guest: true, reason: 'guest-reset' });
  }

  /**
   * QMP's system_reset, at this boundary: recorded for a replay; under -no-reboot the session ends
   * (SHUTDOWN), as QEMU. A replay refuses it: the log decides what the guest sees.
   */
  reset(): void {
    if (this.replaying) throw new SessionError('system_reset is not possible while replaying a recording (-icount rr=replay)');
    if (this.statusValue === 'inmigrate') throw new SessionError('system_reset is not possible during an incoming migration');
    if (this.ending !== null) return;
    this.options.record?.record({ at: this.machine.position(), kind: 'reset' });
    this.applyReset();
  }

  private applyReset(): void {
    if (!this.machine.hostReset()) {
      this.end(HOST_RESET_SHUTDOWN);
      return;
    }
    this.emit('RESET', { guest: false, reason: 'host-qmp-system-reset' });
    // As QEMU: a machine reset while it is not running goes back to prelaunch.
    if (this.statusValue === 'paused' || this.statusValue === 'postmigrate') this.statusValue = 'prelaunch';
  }

  /** Ends the session at this boundary: QMP's quit, the console's C-a x, a signal. */
  end(result: RunResult): void {
    if (this.ending !== null || this.result !== null) return;
    this.ending = result;
    // At once, as QEMU: a quit's SHUTDOWN comes before quit's reply.
    const shutdown = shutdownEventOf(result);
    if (shutdown !== null) this.emit('SHUTDOWN', shutdown);
    this.wake();
  }

  /** Runs until the session ends; resolves to how it ended. */
  async run(): Promise<RunResult> {
    for (;;) {
      if (this.ending !== null) return this.finish(this.ending);
      this.applyHostEvents();
      if (this.ending !== null) continue;
      if (this.statusValue !== 'running') {
        this.host.flush();
        if (!this.host.controlOpen() && this.statusValue !== 'inmigrate') {
          // Nothing can ever continue this run (-S without -qmp has been refused; a migration ended).
          this.end({ reason: 'quit', exitStatus: 0, message: 'the machine is stopped and no controller is left' });
          continue;
        }
        await this.sleep();
        continue;
      }
      const r = this.machine.run(this.limits());
      if (r.reason === 'paused') {
        this.host.flush();
        await this.host.yieldToHost();
        continue;
      }
      if (r.reason === 'idle') {
        this.host.flush();
        if (this.machine.nextDeadline() !== Infinity) {
          await this.paceIdle();
          continue;
        }
        // Input the UART had no room for at the last boundary: it may have room now.
        if (this.applyHostEvents()) continue;
        const next = this.options.replay?.peek() ?? null;
        if (next !== null) {
          throw new ReplayError(
            `the guest waits for input at ${formatPosition(this.machine.position())}, but the log's next event is at ${formatPosition(next.at)}: the run diverged from the recording`,
          );
        }
        if (!this.canWake()) {
          this.end(HALTED_FOR_GOOD);
          continue;
        }
        await this.sleep();
        continue;
      }
      this.endedByMachine(r);
    }
  }

  /**
   * Every CPU halts until a timer deadline later than the skips granted so far: wait until host time
   * has moved as far as virtual time would (from where this idle stretch began), or until something
   * happens on the host, then grant the skip.
   */
  private async paceIdle(): Promise<void> {
    const now = this.machine.position().ns;
    const deadline = this.machine.nextDeadline();
    if (this.idleSince === null || this.idleSince.ns !== now) this.idleSince = { ns: now, hostMs: this.host.now() };
    const waitMs = (deadline - this.idleSince.ns) / 1e6 - (this.host.now() - this.idleSince.hostMs);
    if (waitMs > 0) {
      const woken = await this.sleep(Math.min(waitMs, MAX_PACE_WAIT_MS));
      if (woken || waitMs > MAX_PACE_WAIT_MS) return;
    }
    this.skipGranted = deadline;
    this.idleSince = null;
  }

  private canWake(): boolean {
    return (!this.replaying && this.host.inputOpen()) || this.host.controlOpen();
  }

  /** The machine ended the run itself: in a replay the log must say the same. */
  private endedByMachine(r: RunResult): void {
    const replay = this.options.replay;
    // --max-insns and --stop-at are the host's stops, not the guest's: a replay may stop anywhere.
    if (replay !== undefined && replay !== null && r.reason !== 'max-insns') {
      const at = this.machine.position();
      const next = replay.peek();
      if (next !== null) {
        if (next.kind !== 'end' || next.at.insns !== at.insns || next.at.ns !== at.ns || next.end.reason !== r.reason) {
          throw new ReplayError(`the run ended (${r.reason}) at ${formatPosition(at)}, but the log goes on there with its ${next.kind} event at ${formatPosition(next.at)}: the run diverged from the recording`);
        }
        replay.takeAt(at);
      }
    }
    this.end(r);
  }

  private limits(): RunLimits {
    const now = this.machine.position();
    const pauseAt: RunPosition[] = [{ insns: 0, ns: now.ns + this.quantumNs }];
    const next = this.options.replay?.peek() ?? null;
    if (next !== null) pauseAt.push(next.at);
    const limits: RunLimits = { pauseAt, idleWaits: true };
    if (this.options.pace === true) limits.maxSkipNs = this.skipGranted;
    if (this.options.maxInsns !== undefined) limits.maxInsns = this.options.maxInsns;
    if (this.options.batchLength !== undefined) limits.batchLength = this.options.batchLength;
    return limits;
  }

  /**
   * At a boundary: the replayed events due here, or the live input COM1 takes now (recorded).
   * Returns whether anything entered the machine.
   */
  private applyHostEvents(): boolean {
    let applied = false;
    const replay = this.options.replay;
    const input = this.options.input;
    if (replay !== undefined && replay !== null) {
      input?.clear();
      const at = this.machine.position();
      for (let e = replay.takeAt(at); e !== null; e = replay.takeAt(at)) {
        applied = true;
        if (e.kind === 'serial') {
          const taken = this.machine.receiveSerial(e.bytes);
          if (taken !== e.bytes.length) {
            throw new ReplayError(`COM1 took ${taken} of the log's ${e.bytes.length} bytes at ${formatPosition(at)}: the run diverged from the recording`);
          }
        } else if (e.kind === 'reset') {
          this.applyReset();
        } else {
          this.end({ reason: e.end.reason as RunResult['reason'], exitStatus: e.end.status, message: `the replayed log ends here (${e.end.reason})` });
          return true;
        }
      }
      return applied;
    }
    if (input === undefined || input === null || this.statusValue === 'inmigrate') return false;
    for (;;) {
      const taken = input.pump((bytes) => this.machine.receiveSerial(bytes));
      if (taken === null) return applied;
      applied = true;
      this.options.record?.record({ at: this.machine.position(), kind: 'serial', bytes: taken });
    }
  }

  /**
   * Waits until wake() (resolves true) or, with a timeout, until it passes (false). A wake() that
   * came since the last wait ends this one at once.
   */
  private sleep(timeoutMs = Infinity): Promise<boolean> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      let done = false;
      this.wakeUp = () => {
        if (done) return;
        done = true;
        this.woken = false;
        resolve(true);
      };
      if (timeoutMs === Infinity) return;
      void this.host.wait(timeoutMs).then(() => {
        if (done) return;
        done = true;
        this.wakeUp = null;
        resolve(false);
      });
    });
  }

  private finish(result: RunResult): RunResult {
    if (this.result !== null) return this.result;
    this.host.flush();
    const at = this.machine.position();
    this.options.record?.end(at, { reason: result.reason, status: result.exitStatus });
    this.statusValue = 'shutdown';
    this.result = result;
    return result;
  }
}

/** QMP's SHUTDOWN event for an end of the run, as QEMU sends it (none for isa-debug-exit). */
function shutdownEventOf(r: RunResult): JsonObject | null {
  switch (r.reason) {
    case 'quit':
      return { guest: false, reason: 'host-qmp-quit' };
    case 'signal':
      return { guest: false, reason: 'host-signal' };
    case 'shutdown':
      return r === HOST_RESET_SHUTDOWN ? { guest: false, reason: 'host-qmp-system-reset' } : { guest: true, reason: 'guest-reset' };
    case 'triple-fault':
      return r.exitStatus === 0 ? { guest: true, reason: 'guest-reset' } : null;
    default:
      return null;
  }
}
