/**
 * A CPU for the CPU tests: 1 MiB of RAM, flat 32-bit protected mode (GDT at 0x500 with 0x08 code and
 * 0x10 data), an IDT at 0x600 (256 entries, all empty until gate() fills one), ESP 0x8000, and the
 * test's code at CODE. No interrupt controller: replace `cpu.intr` to raise interrupts.
 */
import { Cpu } from '../../src/cpu/cpu.ts';
import { DEFAULT_CPU_MODEL } from '../../src/cpu/cpu-config.ts';
import type { CpuModel } from '../../src/cpu/cpu-config.ts';
import { ESP } from '../../src/cpu/constants.ts';
import type { MsrHandler } from '../../src/cpu/cpu-state.ts';
import { PhysicalMemory } from '../../src/memory/physical-memory.ts';
import { IoBus } from '../../src/bus/io-bus.ts';

export const GDT = 0x500;
export const IDT = 0x600;
export const CODE = 0x1000;
export const STACK = 0x8000;

export interface FlatCpuOptions {
  model?: CpuModel;
  msr?: MsrHandler;
  /** Share this memory (another CPU of the same machine) instead of 1 MiB of its own. */
  mem?: PhysicalMemory;
}

export function flatCpu(code: number[], opts: FlatCpuOptions = {}): Cpu {
  const mem = opts.mem ?? new PhysicalMemory(1 << 20);
  const cpu: Cpu = new Cpu({
    mem,
    io: new IoBus(),
    intr: { hasInterrupt: () => false, acknowledge: () => 0 },
    now: () => cpu.retired,
    model: opts.model ?? DEFAULT_CPU_MODEL,
    ...(opts.msr !== undefined ? { msr: opts.msr } : {}),
  });
  [0, 0, 0x0000ffff, 0x00cf9a00, 0x0000ffff, 0x00cf9200].forEach((v, i) => (mem.i32[(GDT >> 2) + i] = v | 0));
  cpu.reset();
  cpu.enterFlatProtectedMode(GDT, 23, 0x08, 0x10, CODE);
  cpu.idtBase = IDT;
  cpu.idtLimit = 0x7ff;
  cpu.r32[ESP] = STACK;
  mem.u8.set(code, CODE);
  return cpu;
}

/** A 32-bit interrupt gate (DPL 0, or 3 for INT n from any ring) for `vector` to 0x08:handler. */
export function gate(cpu: Cpu, vector: number, handler: number, dpl = 0): void {
  const i = (IDT >> 2) + vector * 2;
  cpu.mem.i32[i] = (0x08 << 16) | (handler & 0xffff);
  cpu.mem.i32[i + 1] = (handler & 0xffff0000) | 0x8e00 | (dpl << 13);
}

/** A dword as four little-endian bytes. */
export function le(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
