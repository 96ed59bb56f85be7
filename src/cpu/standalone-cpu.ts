/**
 * A CPU on its own: the given memory, an I/O bus of its own with nothing on it, no interrupt
 * controller, no MSR handler, its clock its retired instruction count. For code that runs the CPU
 * without a machine: the warm-up (warm-up.ts) and the CPU tests.
 */
import { Cpu } from './cpu.ts';
import { DEFAULT_CPU_MODEL, type CpuModel } from './cpu-config.ts';
import type { PhysicalMemory } from '../memory/physical-memory.ts';
import { IoBus } from '../bus/io-bus.ts';

export function standaloneCpu(mem: PhysicalMemory, model: CpuModel = DEFAULT_CPU_MODEL): Cpu {
  const cpu: Cpu = new Cpu({
    mem,
    io: new IoBus(),
    intr: { hasInterrupt: () => false, acknowledge: () => 0 },
    now: () => cpu.retired,
    model,
  });
  return cpu;
}
