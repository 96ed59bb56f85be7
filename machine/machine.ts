/**
 * The PC: builds the board for a MachineConfig, loads the kernel, and runs the deterministic loop
 * of docs/architecture.md ("Determinism"): fire due timers, give the CPU a budget that ends exactly
 * at the next timer deadline (or a stop point, or the batch length of RunLimits), skip virtual time
 * forward while every CPU halts. A timer armed while a CPU runs shortens its run (PcBoard wires the
 * clock to Cpu.limitRun), so every timer fires at its deadline's instruction.
 *
 * run() is synchronous and can stop at any boundary of that loop (RunLimits.pauseAt, idleWaits) and
 * go on from it later: machine/run-session.ts drives it in slices between which the host's event
 * loop runs and host events (console input, QMP commands, signals) enter the machine.
 */
import type { MachineConfig } from './machine-config.ts';
import type { MachineHost, MachineStats, ResetCause, RunLimits, RunnableMachine, RunPosition, RunResult } from './machine-api.ts';
import { PcBoard } from './pc-board.ts';
import type { BoardEvents } from './pc-board.ts';
import type { MachineState } from './machine-state.ts';
import { checkRunState, offeredRam, runPostLoad } from './machine-state.ts';
import { bootFromImages } from './boot-images.ts';
import { isConfigError, isStateError } from '../src/util/errors.ts';
import type { BootState } from './loaders/boot-state.ts';
import { TripleFault } from '../src/cpu/fault.ts';
import { Scheduler } from './scheduler.ts';
import { NO_DEADLINE } from '../src/clock/clock.ts';
import { hash64 } from '../src/util/hash.ts';
import type { DescribedObject } from '../src/qom/object-tree.ts';
import { warmUpCpu } from '../src/cpu/warm-up.ts';

/** Resets in a row without progress before we give up (a guest that triple-faults at once). */
const MAX_RESET_LOOP = 16;
/** Chunks (1 MiB each) a lazily restored RAM loads between two slices. */
const PREFETCH_CHUNKS = 4;

const NO_POINTS: readonly RunPosition[] = [];

export class Machine implements RunnableMachine {
  readonly config: MachineConfig;
  private boardRef: PcBoard;
  private readonly host: MachineHost;
  private exit: RunResult | null = null;
  /** A reset to do at the top of the loop, and who asked for it. */
  private resetRequested: ResetCause | null = null;
  /** Triple faults in a row at the same instruction count, and that count (MAX_RESET_LOOP). */
  private resets = 0;
  private lastResetAt = -1;
  private sched: Scheduler;
  private readonly events: BoardEvents;

  constructor(config: MachineConfig, host: MachineHost) {
    // Once per process: trains V8 on the CPU's run loop before any guest runs (src/cpu/warm-up.ts).
    warmUpCpu();
    this.config = config;
    this.host = host;
    this.events = {
      onDebugExit: (status) => {
        // The first request of a run counts: a write split by the port bus ends it at its first part.
        if (this.exit !== null) return;
        this.exit = { reason: 'debug-exit', exitStatus: status, message: `guest wrote ${Math.floor(status / 2)} to isa-debug-exit` };
        for (const cpu of this.board.cpus) cpu.requestStop();
      },
      onReset: () => {
        this.resetRequested = 'guest-reset';
        for (const cpu of this.board.cpus) cpu.requestStop();
      },
    };
    this.boardRef = new PcBoard(config, host, this.events);
    this.sched = new Scheduler(this.boardRef);
    this.boot();
  }

  get board(): PcBoard {
    return this.boardRef;
  }

  /** Everything a snapshot carries, at the current instruction boundary. */
  captureState(): MachineState {
    const board = this.boardRef;
    board.mem.materializeAll();
    return {
      objects: board.objects.saveAll(),
      schemas: board.objects.describedObjects(),
      run: {
        virtualTimeNs: BigInt(board.clock.now()),
        schedulerCpu: this.sched.current,
        schedulerLeft: this.sched.left,
      },
    };
  }

  /**
   * Every object's type, version and schema by path, through the describe visitor: what a restore
   * plans against, learnt without saving any state (RAM included).
   */
  describeObjects(): ReadonlyMap<string, DescribedObject> {
    return this.boardRef.objects.describedObjects();
  }

  /**
   * Load a state (already filtered for this machine's configuration) into fresh objects and swap them
   * in only when everything loaded: on any error this machine is left exactly as it was.
   */
  restoreState(state: MachineState): void {
    const board = new PcBoard(this.config, this.host, this.events, offeredRam(state, this.config.ramBytes));
    // The dirty log starts here: loading RAM marks nothing, and whatever is written from now on (a
    // post-load step's DMA too) is what a diff against the restored snapshot holds.
    board.mem.startDirtyLog();
    checkRunState(state.run, board.cpus.length);
    board.objects.loadAll(state.objects);
    // Built from this machine's configuration: the same objects, so the same schemas (no describe
    // walk for the next restore's destination or save).
    board.objects.adoptDescription(this.boardRef.objects);
    board.clock.setNow(Number(state.run.virtualTimeNs));
    runPostLoad(board.objects);
    board.syncCpusFromLapics();
    const sched = new Scheduler(board);
    sched.current = state.run.schedulerCpu;
    sched.left = state.run.schedulerLeft;
    this.boardRef = board;
    this.sched = sched;
    this.exit = null;
    this.resetRequested = null;
    this.resets = 0;
    this.lastResetAt = -1;
  }

  get cpu() {
    return this.board.cpu;
  }

  /**
   * The RAM pages written since the dirty log started (one byte per page, non-zero = written) and a
   * new log from here (src/memory/physical-memory.ts): what a diff snapshot stores. The log starts
   * with the machine and again at every restore (Firecracker's model: a diff holds what changed
   * since the snapshot this run was restored from or last saved).
   */
  takeDirtyPages(): Uint8Array {
    return this.boardRef.mem.takeDirtyPages();
  }

  /**
   * Load the kernel and put the CPU at its entry point (or at the reset vector without one). The
   * kernel comes from fw_cfg's boot images, which are state: after a restore, the snapshot's.
   */
  private boot(): void {
    const boot = bootFromImages(this.board.mem, this.board.fwCfg.bootImages());
    this.board.writeFirmwareTables();
    if (boot !== null) this.enter(boot);
  }

  private enter(b: BootState): void {
    const cpu = this.board.cpu;
    cpu.enterFlatProtectedMode(b.gdtBase, b.gdtLimit, b.cs, b.ds, b.eip);
    const regs = [b.eax, b.ecx, b.edx, b.ebx, b.esp, b.ebp, b.esi, b.edi];
    for (let i = 0; i < 8; i++) cpu.r32[i] = regs[i]!;
  }

  /**
   * A guest-requested reset (port 0x92, 0xCF9, triple fault without -no-reboot): reboot the kernel.
   * Images that cannot boot (only a snapshot restored without its checks can hold such) leave the
   * CPU at the reset vector, as a machine without a kernel: never an error out of the run loop.
   */
  private reboot(cause: ResetCause): void {
    this.boardRef.reset();
    this.sched.reset();
    try {
      this.boot();
    } catch (e) {
      if (!isConfigError(e) && !isStateError(e)) throw e;
      this.host.log(`reset: cannot boot the kernel again (${e.message.split('\n')[0] ?? ''}); the CPU starts at the reset vector`);
    }
    this.host.reset?.(cause);
  }

  /**
   * A reset from the host (QMP's system_reset), between two runs: the machine boots again at once.
   * Under -no-reboot it does nothing and returns false: the caller ends the run, as QEMU shuts down.
   */
  hostReset(): boolean {
    if (this.config.noReboot) return false;
    this.resetRequested = null;
    this.reboot('host-qmp-system-reset');
    return true;
  }

  /** Where the run is: instructions retired since power-on and virtual time. */
  position(): RunPosition {
    return { insns: this.retired, ns: this.board.clock.now() };
  }

  /**
   * Console input for COM1, at a boundary of the loop: returns how many leading bytes the UART took
   * (its receive FIFO's free space); the caller keeps the rest for a later boundary.
   */
  receiveSerial(bytes: Uint8Array): number {
    return this.board.serial.receive(bytes);
  }

  /** The earliest armed timer deadline in virtual ns (Infinity when none is armed). */
  nextDeadline(): number {
    return this.board.clock.nextDeadline();
  }

  /**
   * Whether the run stops here rather than skip virtual time: no CPU can run, one of them would take
   * an interrupt (so something from outside can wake it), and the next timer is either missing
   * (idleWaits) or later than the skip allowed (maxSkipNs). Decided before the scheduler is asked
   * for a slice, so that the stop leaves whose turn it is exactly as it was.
   */
  private stopsBeforeSkip(idleWaits: boolean, maxSkipNs: number): boolean {
    if (this.sched.anyRunnable() || this.sched.stuckReason() !== null) return false;
    const deadline = this.board.clock.nextDeadline();
    return deadline === NO_DEADLINE ? idleWaits : deadline > maxSkipNs;
  }

  /** Retired instructions, all CPUs together (virtual time derives from this). */
  get retired(): number {
    return this.board.retiredInstructions();
  }

  run(limits: RunLimits = {}): RunResult {
    const clock = this.board.clock;
    const max = limits.maxInsns ?? Infinity;
    const batch = limits.batchLength ?? Infinity;
    const pauseAt = limits.pauseAt ?? NO_POINTS;
    const idleWaits = limits.idleWaits === true;
    const maxSkipNs = limits.maxSkipNs ?? Infinity;
    const mayStopIdle = idleWaits || maxSkipNs !== Infinity;
    this.exit = null;
    for (;;) {
      if (this.exit !== null) return this.exit;
      if (this.resetRequested !== null) {
        const cause = this.resetRequested;
        this.resetRequested = null;
        // QEMU's -no-reboot: the reset request shuts the machine down, exit status 0.
        if (this.config.noReboot) return this.end('shutdown', 0, 'guest requested a reset (-no-reboot)');
        this.reboot(cause);
        continue;
      }
      clock.runDue();
      const retired = this.retired;
      if (retired >= max) return this.end('max-insns', 0, `stopped after ${retired} instructions (--max-insns)`);
      let budget = Math.min(clock.instructionsUntilNextDeadline(), max - retired, batch);
      // A pause point ends the budget at its instruction count; past that count only virtual time
      // can still be missing (the CPUs halt there), so the loop goes on skipping.
      for (let i = 0; i < pauseAt.length; i++) {
        const p = pauseAt[i]!;
        if (retired < p.insns) {
          budget = Math.min(budget, p.insns - retired);
          continue;
        }
        const now = clock.now();
        if (now >= p.ns) return this.end('paused', 0, `paused at instruction ${retired}`);
        budget = Math.min(budget, Math.ceil((p.ns - now) / clock.nsPerInstruction));
      }
      if (budget <= 0) continue;
      // A lazily restored RAM loads a few chunks between slices (invisible to the guest).
      if (this.board.mem.lazyChunksLeft > 0) this.board.mem.prefetch(PREFETCH_CHUNKS);
      if (mayStopIdle && this.stopsBeforeSkip(idleWaits, maxSkipNs)) return this.end('idle', 0, `every CPU waits at instruction ${retired}`);
      try {
        const ran = this.sched.runSlice(budget);
        if (ran === 0) {
          // Every CPU is halted (or waiting for SIPI): skip virtual time to the next timer.
          const stuck = this.sched.stuckReason();
          if (stuck !== null) return this.end('halted', 4, stuck);
          const deadline = clock.nextDeadline();
          if (deadline === NO_DEADLINE) return this.end('halted', 4, 'guest halted waiting for an interrupt, and no timer is armed');
          clock.skipTo(deadline);
        }
      } catch (e) {
        if (!(e instanceof TripleFault)) throw e;
        // A triple fault is a reset: under -no-reboot, QEMU shuts down with status 0 too.
        if (this.config.noReboot) return this.end('triple-fault', 0, `triple fault: ${e.reason} (-no-reboot)`);
        this.host.log(`triple fault (${e.reason}): resetting`);
        if (this.lastResetAt === this.retired) {
          if (++this.resets >= MAX_RESET_LOOP) return this.end('triple-fault', 5, `triple fault loop: ${e.reason}`);
        } else this.resets = 0;
        this.lastResetAt = this.retired;
        this.reboot('guest-reset');
      }
    }
  }

  private end(reason: RunResult['reason'], exitStatus: number, message: string): RunResult {
    return { reason, exitStatus, message };
  }

  private ramHash(): string {
    this.board.mem.materializeAll();
    return hash64(this.board.mem.u8);
  }

  stats(): MachineStats {
    return {
      retiredInstructions: this.retired,
      virtualTimeNs: this.board.clock.now(),
      ramHash: this.ramHash(),
    };
  }
}
