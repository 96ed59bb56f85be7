/**
 * The entry of the browser bundle (dist/godwit-core.browser.js, built by scripts/build.mjs): the
 * Machine and everything it is made of, with no Node API anywhere below it. A page gives the
 * machine a MachineConfig whose file contents it has fetched itself, and a MachineHost for output.
 * scripts/check-browser-bundle.mjs evaluates the bundle without Node globals.
 */
export { Machine } from './machine.ts';
// The run driver a page uses as the CLI does: slices with the page's event loop in between.
export { RunSession, QUANTUM } from './run-session.ts';
export type { SessionHost, SessionOptions, SessionEvent, VmStatus } from './run-session.ts';
export { SerialInput } from './serial-input.ts';
export { ConsoleEscapes } from './console-escape.ts';
export { QmpMonitor } from './qmp/qmp-monitor.ts';
export { PcBoard } from './pc-board.ts';
export type { MachineHost, MachineStats, RunLimits, RunnableMachine, RunPosition, RunResult } from './machine-api.ts';
export type { MachineConfig, CpuConfig, CpuFeatures, KernelIrqchip, NamedBytes } from './machine-config.ts';
export { defaultMachineConfig, defaultCpuConfig } from './machine-config.ts';
export { loadKernel, detectKernelFormat } from './loaders/load-kernel.ts';
export { saveState } from '../src/visit/output-visitor.ts';
export { loadState } from '../src/visit/input-visitor.ts';
export { describeState } from '../src/visit/describe-visitor.ts';
export { hash64 } from '../src/util/hash.ts';
export { Cpu } from '../src/cpu/cpu.ts';
