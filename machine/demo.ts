/**
 * `godwit demo` (`npm start`): the project's promise, shown on the bundled Linux. Boot the guest with
 * a virtio-blk disk under a snapshot=on overlay, straight through under the source configuration,
 * showing its console as it runs; then run it again to the middle of the boot, save a snapshot, and
 * restore that snapshot into machines that differ from the source in kernel-irqchip, in the shape of
 * the disk device, and in both (and into one like the source). Every restored run must end exactly
 * as the uninterrupted one: the same serial output (before the stop plus after the restore),
 * instruction count, virtual time, RAM, disk contents (the overlay) and exit. Platform-neutral: the
 * snapshot travels as bytes in memory; the CLI (machine/cli-demo.ts) chooses the machines and may
 * also write the snapshot to a file.
 */
import type { MachineConfig } from './machine-config.ts';
import type { MachineHost, RunnableMachine, RunResult } from './machine-api.ts';
import type { SnapshotMachine } from './snapshot.ts';
import { defaultFilterRegistry, restoreSnapshot, saveSnapshot } from './snapshot.ts';
import { encodeSnapshot, concatChunks } from '../migration/encode.ts';
import { bytesSource, decodeRestoreSource } from './restore-source.ts';
import { RUN_SERIAL_KEY, SerialDigest } from './serial-digest.ts';
import { hash64 } from '../src/util/hash.ts';

export type DemoMachine = RunnableMachine & SnapshotMachine;

export interface DemoDeps {
  createMachine(config: MachineConfig, host: MachineHost): DemoMachine;
  /** A monotonic host clock in ms, for the save and load times only (never guest-visible). */
  now(): number;
  /** One line of the report, without a newline. */
  print(line: string): void;
  /** The guest's console output of the uninterrupted run, byte by byte as it runs (null: not shown). */
  guestOutput: ((byte: number) => void) | null;
  /** Emulator diagnostics. */
  log(message: string): void;
}

/** A machine of the demo: how it differs from the source, and its configuration (fresh drives each call). */
export interface DemoMachineSpec {
  label: string;
  config(): MachineConfig;
}

export interface DemoOptions {
  /** What the guest is, for the report's first line. */
  title: string;
  /** The source machine, with the kernel. */
  source: DemoMachineSpec;
  /** The machines to restore into, built as -incoming builds them (no kernel: the snapshot has RAM). */
  targets: readonly DemoMachineSpec[];
  /** Where to stop and save, in retired instructions; null: half of the uninterrupted run. */
  stopAt: number | null;
  /** Safety limit for every run. */
  maxInsns: number;
}

export interface DemoRestore {
  label: string;
  chain: readonly string[];
  loadMs: number;
  matches: boolean;
  /** What differs, when it does not match. */
  differences: string[];
}

export interface DemoReport {
  /** The snapshot, as written (`godwit demo --save PATH` keeps it). */
  snapshot: Uint8Array;
  restores: DemoRestore[];
  ok: boolean;
}

interface Ending {
  result: RunResult;
  serial: string;
  retired: number;
  virtualTimeNs: number;
  ramHash: string;
  diskHash: string;
}

/** What a restored run is compared on, for the report. */
const COMPARED = 'serial output, instructions, virtual time, RAM, disk contents, exit';

function latin1(bytes: readonly number[]): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** hash64 of every drive's contents as the guest sees them (through its overlay, if any). */
export function drivesHash(config: MachineConfig): string {
  const hashes = config.drives.map((d) => {
    const bytes = new Uint8Array(d.backend.size);
    d.backend.read(0, bytes);
    return `${d.id}:${hash64(bytes)}`;
  });
  return hashes.join(',');
}

function finish(machine: DemoMachine, config: MachineConfig, serial: number[], maxInsns: number): Ending {
  const result = machine.run({ maxInsns });
  const stats = machine.stats();
  return {
    result,
    serial: latin1(serial),
    retired: stats.retiredInstructions,
    virtualTimeNs: stats.virtualTimeNs,
    ramHash: stats.ramHash,
    diskHash: drivesHash(config),
  };
}

function compare(full: Ending, before: string, rest: Ending): string[] {
  const out: string[] = [];
  if (before + rest.serial !== full.serial) out.push('serial output');
  if (rest.retired !== full.retired) out.push(`instructions ${rest.retired} != ${full.retired}`);
  if (rest.virtualTimeNs !== full.virtualTimeNs) out.push(`virtual time ${rest.virtualTimeNs} != ${full.virtualTimeNs}`);
  if (rest.ramHash !== full.ramHash) out.push(`RAM hash ${rest.ramHash} != ${full.ramHash}`);
  if (rest.diskHash !== full.diskHash) out.push(`disk ${rest.diskHash} != ${full.diskHash}`);
  if (rest.result.reason !== full.result.reason || rest.result.exitStatus !== full.result.exitStatus) {
    out.push(`exit ${rest.result.reason}/${rest.result.exitStatus} != ${full.result.reason}/${full.result.exitStatus}`);
  }
  return out;
}

function mib(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(2)} MiB`;
}

/** The last non-empty line of the console before the stop: where the boot was. */
function lastLine(serial: string): string {
  const lines = serial.split(/\r?\n/).filter((l) => l.trim() !== '');
  return lines.length === 0 ? '(nothing on the console yet)' : lines[lines.length - 1]!.slice(0, 100);
}

/** A filter chain with repeats counted: "kvm-apic->apic x2, kvm-ioapic->ioapic" (one per CPU, per chip). */
export function chainText(chain: readonly string[]): string {
  if (chain.length === 0) return 'none';
  const counts = new Map<string, number>();
  for (const f of chain) counts.set(f, (counts.get(f) ?? 0) + 1);
  return [...counts].map(([f, n]) => (n === 1 ? f : `${f} x${n}`)).join(', ');
}

function table(print: (line: string) => void, head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]!) : c)).join('  ');
  print(line(head));
  for (const r of rows) print(line(r));
}

/** Runs the demo and prints its report; `ok` is false when any restored run differs. */
export function runDemo(options: DemoOptions, deps: DemoDeps): DemoReport {
  const { maxInsns } = options;
  const { print } = deps;
  const host = (serial: number[], echo: ((b: number) => void) | null = null): MachineHost => ({
    serialOut: echo === null ? (b) => void serial.push(b) : (b) => (serial.push(b), echo(b)),
    log: deps.log,
  });
  const sourceConfig = options.source.config();
  print(`godwit demo: ${options.title}, ${sourceConfig.ramBytes >> 20} MiB, ${sourceConfig.smp} CPU(s), source ${options.source.label}`);

  // 1. Straight through, with the console shown.
  const fullSerial: number[] = [];
  if (deps.guestOutput !== null) print('--- guest console, uninterrupted run ---');
  const full = finish(deps.createMachine(sourceConfig, host(fullSerial, deps.guestOutput)), sourceConfig, fullSerial, maxInsns);
  if (deps.guestOutput !== null) {
    if (full.serial.length > 0 && !full.serial.endsWith('\n')) deps.guestOutput(0x0a);
    print('--- end of guest console ---');
  }
  print(
    `uninterrupted run: ${full.retired} instructions, ${(full.virtualTimeNs / 1e6).toFixed(1)} ms of virtual time, ` +
      `RAM hash ${full.ramHash}, ${full.result.reason} (status ${full.result.exitStatus})`,
  );
  const stopAt = options.stopAt ?? Math.floor(full.retired / 2);
  if (stopAt >= full.retired) {
    print(`cannot stop at instruction ${stopAt}: the run ends after ${full.retired}`);
    return { snapshot: new Uint8Array(0), restores: [], ok: false };
  }

  // 2. To the stop point, then save.
  const beforeSerial: number[] = [];
  const source = deps.createMachine(options.source.config(), host(beforeSerial));
  const stop = source.run({ maxInsns: stopAt });
  if (stop.reason !== 'max-insns' || source.retired !== stopAt) {
    print(`the run to instruction ${stopAt} ended early: ${stop.message}`);
    return { snapshot: new Uint8Array(0), restores: [], ok: false };
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
  const overlays = encoded.blobs.filter((b) => b.path.startsWith('/machine/block/'));
  const overlayBytes = overlays.reduce((n, b) => n + b.storedLength, 0);
  print(`stopped at instruction ${stopAt}; the console's last line: ${lastLine(before)}`);
  print(
    `snapshot: ${mib(bytes.length)} (${encoded.documentLength} bytes of JSON, ${ram === undefined ? 0 : ram.storedPages} of ` +
      `${sourceConfig.ramBytes >> 12} RAM pages, ${overlayBytes >> 10} KiB of disk overlay), saved in ${saveMs.toFixed(1)} ms`,
  );

  // 3. Restore into every target.
  const registry = defaultFilterRegistry();
  const restores: DemoRestore[] = [];
  for (const target of options.targets) {
    const afterSerial: number[] = [];
    const config = target.config();
    const machine = deps.createMachine(config, host(afterSerial));
    const l0 = deps.now();
    let chain: readonly string[] = [];
    try {
      // As -incoming restores a file: device state now, RAM as the guest touches it.
      chain = restoreSnapshot(machine, decodeRestoreSource(bytesSource(bytes), true), registry).chain;
      const loadMs = deps.now() - l0;
      const differences = compare(full, before, finish(machine, config, afterSerial, maxInsns));
      restores.push({ label: target.label, chain, loadMs, matches: differences.length === 0, differences });
    } catch (e) {
      const differences = [`restore failed: ${e instanceof Error ? e.message.split('\n').join('; ') : String(e)}`];
      restores.push({ label: target.label, chain, loadMs: deps.now() - l0, matches: false, differences });
    }
  }

  table(
    print,
    ['restored on', 'filter chain', 'load ms', 'result'],
    restores.map((r) => [r.label, chainText(r.chain), r.loadMs.toFixed(1), r.matches ? 'match' : `DIFFERS: ${r.differences.join('; ')}`]),
  );
  const ok = restores.every((r) => r.matches);
  print(
    ok
      ? `all ${restores.length} restored runs match the uninterrupted one (${COMPARED})`
      : `${restores.filter((r) => !r.matches).length} of ${restores.length} restored runs differ`,
  );
  return { snapshot: bytes, restores, ok };
}
