/**
 * The PC: builds the board for a MachineConfig, loads the kernel, and runs the deterministic loop
 * of DESIGN.md section 2: fire due timers, give the CPU a budget that ends exactly at the next timer
 * deadline (or a stop point), skip virtual time forward while the CPU halts.
 */
import type { MachineConfig } from './machine-config.ts';
import type { MachineHost, MachineStats, RunLimits, RunnableMachine, RunResult } from './machine-api.ts';
import { PcBoard } from './pc-board.ts';
import { loadKernelFromConfig } from './loaders/load-kernel.ts';
import type { BootState } from './loaders/boot-state.ts';
import { TripleFault } from '../src/cpu/fault.ts';
import { IF } from '../src/cpu/constants.ts';
import { NO_DEADLINE } from '../src/clock/clock.ts';
import { hash64 } from '../src/util/hash.ts';

/** Instructions per batch when no timer or stop point is nearer. */
const BATCH = 1 << 18;
/** Resets in a row without progress before we give up (a guest that triple-faults at once). */
const MAX_RESET_LOOP = 16;

export class Machine implements RunnableMachine {
  readonly config: MachineConfig;
  readonly board: PcBoard;
  private readonly host: MachineHost;
  private exit: RunResult | null = null;
  private resetRequested = false;

  constructor(config: MachineConfig, host: MachineHost) {
    this.config = config;
    this.host = host;
    this.board = new PcBoard(config, host, {
      onDebugExit: (status) => {
        this.exit = { reason: 'debug-exit', exitStatus: status, message: `guest wrote ${status >> 1} to isa-debug-exit` };
        this.board.cpu.requestStop();
      },
      onReset: () => {
        this.resetRequested = true;
        this.board.cpu.requestStop();
      },
    });
    this.boot();
  }

  get cpu() {
    return this.board.cpu;
  }

  /** Load the kernel and put the CPU at its entry point (or at the reset vector without one). */
  private boot(): void {
    const boot = loadKernelFromConfig(this.board.mem, this.config);
    this.board.writeFirmwareTables();
    if (boot !== null) this.enter(boot);
  }

  private enter(b: BootState): void {
    const cpu = this.board.cpu;
    cpu.enterFlatProtectedMode(b.gdtBase, b.gdtLimit, b.cs, b.ds, b.eip);
    const regs = [b.eax, b.ecx, b.edx, b.ebx, b.esp, b.ebp, b.esi, b.edi];
    for (let i = 0; i < 8; i++) cpu.r32[i] = regs[i]!;
  }

  /** A guest-requested reset (port 0x92, triple fault without -no-reboot): reboot the kernel. */
  private reboot(): void {
    this.board.reset();
    this.boot();
  }

  run(limits: RunLimits = {}): RunResult {
    const board = this.board;
    const cpu = board.cpu;
    const clock = board.clock;
    const max = limits.maxInsns ?? Infinity;
    let resets = 0;
    let lastResetAt = -1;
    this.exit = null;
    for (;;) {
      if (this.exit !== null) return this.exit;
      if (this.resetRequested) {
        this.resetRequested = false;
        if (this.config.noReboot) return this.end('shutdown', 3, 'guest requested a reset (-no-reboot)');
        this.reboot();
        continue;
      }
      clock.runDue();
      if (cpu.retired >= max) return this.end('max-insns', 0, `stopped after ${cpu.retired} instructions (--max-insns)`);
      if (cpu.halted && !cpu.hasWakeEvent()) {
        if ((cpu.flags & IF) === 0 && !cpu.nmiPending) {
          return this.end('halted', 4, `guest halted with interrupts disabled at eip 0x${cpu.eip.toString(16)}`);
        }
        const deadline = clock.nextDeadline();
        if (deadline === NO_DEADLINE) {
          return this.end('halted', 4, 'guest halted waiting for an interrupt, and no timer is armed');
        }
        clock.skipTo(deadline);
        continue;
      }
      const budget = Math.min(BATCH, clock.instructionsUntilNextDeadline(), max - cpu.retired);
      if (budget <= 0) continue;
      try {
        cpu.run(budget);
      } catch (e) {
        if (!(e instanceof TripleFault)) throw e;
        if (this.config.noReboot) return this.end('triple-fault', 5, `triple fault: ${e.reason} (-no-reboot)`);
        this.host.log(`triple fault (${e.reason}): resetting`);
        if (lastResetAt === cpu.retired) {
          if (++resets >= MAX_RESET_LOOP) return this.end('triple-fault', 5, `triple fault loop: ${e.reason}`);
        } else resets = 0;
        lastResetAt = cpu.retired;
        this.reboot();
      }
    }
  }

  private end(reason: RunResult['reason'], exitStatus: number, message: string): RunResult {
    return { reason, exitStatus, message };
  }

  stats(): MachineStats {
    return {
      retiredInstructions: this.board.cpu.retired,
      virtualTimeNs: this.board.clock.now(),
      ramHash: hash64(this.board.mem.u8),
    };
  }
}
