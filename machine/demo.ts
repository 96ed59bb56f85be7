/**
 * `godwit demo` (`npm start`): the project's acid test on an embedded default. Boot the demo guest,
 * run it straight through under the source configuration, then run it again to the middle, save a
 * snapshot, and restore that snapshot under every kernel-irqchip setting (the source's own first).
 * Every restored run must end exactly as the uninterrupted one: the same serial output (before the
 * stop plus after the restore), instruction count, virtual time, RAM hash and exit. Platform-neutral:
 * the snapshot travels as bytes in memory; the CLI may also write it to a file.
 */
import type { KernelIrqchip, MachineConfig } from './machine-config.ts';
import type { MachineHost, RunnableMachine, RunResult } from './machine-api.ts';
import type { SnapshotMachine } from './snapshot.ts';
import { defaultFilterRegistry, restoreSnapshot, saveSnapshot } from './snapshot.ts';
import { encodeSnapshot, concatChunks } from '../migration/encode.ts';
import { decodeSnapshot } from '../migration/decode.ts';
import { RUN_SERIAL_KEY, SerialDigest } from './serial-digest.ts';

export type DemoMachine = RunnableMachine & SnapshotMachine;

export interface DemoDeps {
  createMachine(config: MachineConfig, host: MachineHost): DemoMachine;
  /** A monotonic host clock in ms, for the save and load times only (never guest-visible). */
  now(): number;
  /** One line of the report, without a newline. */
  print(line: string): void;
  /** Emulator diagnostics. */
  log(message: string): void;
}

export interface DemoOptions {
  /** The source configuration, with the demo kernel. */
  config: MachineConfig;
  /** Where to stop and save, in retired instructions; null: half of the uninterrupted run. */
  stopAt: number | null;
  /** Safety limit for every run. */
  maxInsns: number;
}

export interface DemoRestore {
  kernelIrqchip: KernelIrqchip;
  chain: readonly string[];
  loadMs: number;
  matches: boolean;
  /** What differs, when it does not match. */
  differences: string[];
}

export interface DemoReport {
  /** The snapshot, as written (`godwit demo --save PATH` keeps it). */
  snapshot: Uint8Array;
  ok: boolean;
}

const IRQCHIPS: readonly KernelIrqchip[] = ['on', 'split', 'off'];

interface Ending {
  result: RunResult;
  serial: string;
  retired: number;
  virtualTimeNs: number;
  ramHash: string;
}

function latin1(bytes: readonly number[]): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

function finish(machine: DemoMachine, serial: number[], maxInsns: number): Ending {
  const result = machine.run({ maxInsns });
  const stats = machine.stats();
  return { result, serial: latin1(serial), retired: stats.retiredInstructions, virtualTimeNs: stats.virtualTimeNs, ramHash: stats.ramHash };
}

function compare(full: Ending, before: string, rest: Ending): string[] {
  const out: string[] = [];
  if (before + rest.serial !== full.serial) out.push('serial output');
  if (rest.retired !== full.retired) out.push(`instructions ${rest.retired} != ${full.retired}`);
  if (rest.virtualTimeNs !== full.virtualTimeNs) out.push(`virtual time ${rest.virtualTimeNs} != ${full.virtualTimeNs}`);
  if (rest.ramHash !== full.ramHash) out.push(`RAM hash ${rest.ramHash} != ${full.ramHash}`);
  if (rest.result.reason !== full.result.reason || rest.result.exitStatus !== full.result.exitStatus) {
    out.push(`exit ${rest.result.reason}/${rest.result.exitStatus} != ${full.result.reason}/${full.result.exitStatus}`);
  }
  return out;
}

function mib(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(2)} MiB`;
}

/** Runs the demo and prints its report; `ok` is false when any restored run differs. */
export function runDemo(options: DemoOptions, deps: DemoDeps): DemoReport {
  const { config, maxInsns } = options;
  const { print } = deps;
  const host = (serial: number[]): MachineHost => ({ serialOut: (b) => void serial.push(b), log: deps.log });
  const kernelName = config.kernel?.name ?? '(no kernel)';
  print(`godwit demo: ${kernelName}, ${config.ramBytes >> 20} MiB, ${config.smp} CPU(s), source kernel-irqchip=${config.kernelIrqchip}`);

  // 1. Straight through.
  const fullSerial: number[] = [];
  const full = finish(deps.createMachine(config, host(fullSerial)), fullSerial, maxInsns);
  print(
    `uninterrupted run: ${full.retired} instructions, ${full.serial.length} serial bytes, RAM hash ${full.ramHash}, ` +
      `${full.result.reason} (status ${full.result.exitStatus})`,
  );
  const stopAt = options.stopAt ?? Math.floor(full.retired / 2);
  if (stopAt >= full.retired) {
    print(`cannot stop at instruction ${stopAt}: the run ends after ${full.retired}`);
    return { snapshot: new Uint8Array(0), ok: false };
  }

  // 2. To the stop point, then save.
  const beforeSerial: number[] = [];
  const source = deps.createMachine(config, host(beforeSerial));
  const stop = source.run({ maxInsns: stopAt });
  if (stop.reason !== 'max-insns' || source.retired !== stopAt) {
    print(`the run to instruction ${stopAt} ended early: ${stop.message}`);
    return { snapshot: new Uint8Array(0), ok: false };
  }
  const before = latin1(beforeSerial);
  // The serial digest goes along, so that `godwit -incoming` of the saved demo reports totals in --stats.
  const digest = new SerialDigest();
  for (const b of beforeSerial) digest.put(b);
  const t0 = deps.now();
  const encoded = encodeSnapshot(saveSnapshot(source, { [RUN_SERIAL_KEY]: digest.toJson() }));
  const bytes = concatChunks(encoded.chunks);
  const saveMs = deps.now() - t0;
  const ram = encoded.blobs.find((b) => b.path === '/machine/ram.data');
  print(
    `snapshot at instruction ${stopAt}: ${mib(bytes.length)} (${encoded.documentLength} bytes of JSON, ` +
      `${ram === undefined ? 0 : ram.storedPages} of ${config.ramBytes >> 12} RAM pages stored), saved in ${saveMs.toFixed(1)} ms`,
  );

  // 3. Restore under every setting, the source's own first.
  const targets = [config.kernelIrqchip, ...IRQCHIPS.filter((k) => k !== config.kernelIrqchip)];
  const registry = defaultFilterRegistry();
  const restores: DemoRestore[] = [];
  for (const kernelIrqchip of targets) {
    const afterSerial: number[] = [];
    const machine = deps.createMachine({ ...config, kernelIrqchip, kernel: null, initrds: [], append: '' }, host(afterSerial));
    const l0 = deps.now();
    let chain: readonly string[] = [];
    let differences: string[];
    try {
      chain = restoreSnapshot(machine, decodeSnapshot(bytes), registry).chain;
      const loadMs = deps.now() - l0;
      differences = compare(full, before, finish(machine, afterSerial, maxInsns));
      restores.push({ kernelIrqchip, chain, loadMs, matches: differences.length === 0, differences });
    } catch (e) {
      differences = [`restore failed: ${e instanceof Error ? e.message.split('\n').join('; ') : String(e)}`];
      restores.push({ kernelIrqchip, chain, loadMs: deps.now() - l0, matches: false, differences });
    }
  }

  const rows = restores.map((r) => [
    `kernel-irqchip=${r.kernelIrqchip}${r.kernelIrqchip === config.kernelIrqchip ? ' (same)' : ''}`,
    r.chain.length === 0 ? 'none' : r.chain.join(', '),
    r.loadMs.toFixed(1),
    r.matches ? 'match' : `DIFFERS: ${r.differences.join('; ')}`,
  ]);
  const head = ['restored on', 'filter chain', 'load ms', 'result'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]!) : c)).join('  ');
  print(line(head));
  for (const r of rows) print(line(r));
  const ok = restores.every((r) => r.matches);
  print(
    ok
      ? `all ${restores.length} restored runs match the uninterrupted one (serial output, instructions, virtual time, RAM hash, exit)`
      : `${restores.filter((r) => !r.matches).length} of ${restores.length} restored runs differ`,
  );
  return { snapshot: bytes, ok };
}
