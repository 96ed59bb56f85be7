/**
 * The CLI's logic, free of Node and of the Machine class so that tests can drive it: parse the
 * command line, read the files, run a machine (booted, or restored with -incoming), save a snapshot
 * at --stop-at, print, write --stats, and return the exit status. `godwit snapshot ...` is in
 * cli-snapshot.ts, `godwit demo` in cli-demo.ts and demo.ts.
 *
 * Exit statuses: the run's (RunResult.exitStatus); 0 after --stop-at N --save PATH wrote the
 * snapshot; otherwise those of cli-errors.ts: 1 (CliFailure) for a snapshot that cannot be read or
 * restored (or a run that ended before --stop-at), or an output (serial file, --stats, standard
 * output) that cannot be written, with `godwit: <message>` on stderr; 2 (ConfigError) for a bad
 * command line or configuration, with one line `godwit: <message>`; 3 for an internal error
 * (`godwit: internal error: ...`, with the stack only when GODWIT_DEBUG=1).
 */
import { isStateError } from '../src/util/errors.ts';
import { MAX_RAM_BYTES } from '../src/memory/physical-memory.ts';
import { encodeSnapshot } from '../migration/encode.ts';
import { withLimits } from '../migration/limits.ts';
import { deferRam, offerSnapshotRam } from './restore-source.ts';
import { setBlockCacheEnabled } from '../src/cpu/block-cache.ts';
import { RAM_FIELD, RAM_PATH } from './machine-state.ts';
import { joinPath, readSnapshotChain, recordedBasePath, rememberSourceId, snapshotIdAt, sourceIdOf } from './snapshot-chain.ts';
import { isSnapshotError } from '../migration/snapshot-error.ts';
import type { Snapshot, SnapshotBase } from '../migration/snapshot.ts';
import { USAGE } from './cli-help.ts';
import { parseCommandLine } from './config.ts';
import type { ByteOutput, SerialSink } from './host/byte-output.ts';
import { BufferedSerialSink, NULL_OUTPUT } from './host/byte-output.ts';
import type { CliIo } from './host/node-io.ts';
import type { MachineHost, RunResult } from './machine-api.ts';
import { MAX_BATCH_LENGTH } from './machine-api.ts';
import type { MachineConfig } from './machine-config.ts';
import type { Options } from './options.ts';
import { needsSession } from './options.ts';
import { readMachineConfig } from './read-config.ts';
import { formatStats, runStats } from './stats.ts';
import type { CliMachine, SnapshotFiles } from './cli-snapshot-io.ts';
import { snapshotFilesOf, snapshotMachineOf } from './cli-snapshot-io.ts';
import { runSnapshotCommand } from './cli-snapshot.ts';
import { runDemoCommand, type DemoGuest } from './cli-demo.ts';
import { RUN_SERIAL_KEY, SerialDigest } from './serial-digest.ts';
import { bootRecordOf, formatChain, restoreSnapshot, saveSnapshot } from './snapshot.ts';
import { isSnapshotMismatchError } from '../migration/mismatch-error.ts';
import { isFilterError } from '../migration/filters/filter-error.ts';
import type { JsonObject } from '../migration/snapshot.ts';
import { CliFailure, ConfigError, EXIT_FAILURE, InternalError, errorText, exitStatusOf, firstLine, ioReason, isCliFailure } from './cli-errors.ts';


export interface CliDeps {
  io: CliIo;
  /** A real Machine can also save and restore (SnapshotMachine); test doubles need not. */
  createMachine(config: MachineConfig, host: MachineHost): CliMachine;
  /**
   * The guest `godwit demo` boots: the files to read, and the names the guest sees (a multiboot
   * command line starts with the kernel's), which must not depend on where the package is installed.
   */
  demoGuest: DemoGuest;
  version: string;
  /** Snapshot files (atomic writes on Node); plain reads and writes through `io` when absent. */
  snapshotFiles?: SnapshotFiles;
  /** A monotonic clock in ms for the demo's timings; performance.now when absent. */
  now?: () => number;
}

/** GODWIT_BATCH=N (1..65536): the machine loop's batch length, for tests and debugging. */
export function batchLengthOf(env: Readonly<Record<string, string | undefined>>): { batchLength?: number } {
  const text = env['GODWIT_BATCH'];
  if (text === undefined || text === '') return {};
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_BATCH_LENGTH) throw new ConfigError(`GODWIT_BATCH=${text}: not an integer 1..${MAX_BATCH_LENGTH}`);
  return { batchLength: n };
}

/**
 * Reads and decodes the -incoming file before anything else happens: a bad one starts nothing.
 * With a file that can be opened for random access, RAM is not read here: the restored machine
 * takes the snapshot's RAM image as its RAM and loads each 1 MiB chunk from the file on first
 * access or in the background (lazy restore; GODWIT_LAZY_RESTORE=0 loads it all first, straight
 * into RAM). A chunk whose checksum fails then stops the run with the snapshot's error.
 */
export function readIncoming(path: string, deps: CliDeps): Snapshot {
  // RAM is the largest thing a snapshot holds: no blob may be larger than the largest RAM we build.
  // RAM, plus the boot images fw_cfg carries (they fit in RAM too).
  const limits = withLimits({ maxBlobBytes: MAX_RAM_BYTES, maxTotalBlobBytes: 2 * MAX_RAM_BYTES });
  const files = snapshotFilesOf(deps);
  const lazy = files.open !== undefined && deps.io.env['GODWIT_LAZY_RESTORE'] !== '0';
  try {
    // A diff snapshot brings its bases: every file is opened and checked here, before the machine.
    const { snapshot, deferred, chain } = readSnapshotChain(path, files, limits, deferRam(lazy));
    offerSnapshotRam(snapshot, deferred);
    // The files stay open while RAM chunks are still to load (closed when the process ends).
    rememberSourceId(snapshot, chain[0]!.id);
    return snapshot;
  } catch (e) {
    if (isSnapshotError(e) || isStateError(e)) throw new CliFailure(`-incoming '${path}': ${firstLine(e)}`);
    if (typeof (e as { code?: unknown } | null)?.code === 'string') throw new CliFailure(`cannot read snapshot '${path}': ${ioReason(e)}`);
    throw e;
  }
}

/**
 * `--base EARLIER` with `--save`: the base the diff records, after checking that EARLIER is the
 * snapshot this run was restored from (the dirty log starts at that restore: Firecracker's model).
 * Null without --base. Checked before the run, so a wrong base starts nothing.
 */
export function diffBaseOf(options: Options, incoming: Snapshot | null, deps: CliDeps): SnapshotBase | null {
  const base = options.diffBase;
  if (base === null || options.savePath === null) return null;
  if (joinPath('', base) === joinPath('', options.savePath)) throw new CliFailure(`--save '${options.savePath}' is its own --base: the diff would replace the snapshot it needs`);
  const restored = incoming === null ? null : sourceIdOf(incoming);
  if (restored === null) throw new CliFailure(`--base '${base}': this run was not restored from a snapshot file (-incoming file:PATH), so it has no base to be a diff against`);
  let id: string;
  try {
    id = snapshotIdAt(base, snapshotFilesOf(deps), withLimits({ maxBlobBytes: MAX_RAM_BYTES, maxTotalBlobBytes: 2 * MAX_RAM_BYTES }));
  } catch (e) {
    if (isSnapshotError(e)) throw new CliFailure(`--base '${base}': ${firstLine(e)}`);
    throw new CliFailure(`cannot read snapshot '${base}' (--base): ${ioReason(e)}`);
  }
  if (id !== restored) {
    throw new CliFailure(`--base '${base}' is not the snapshot this run was restored from (-incoming '${options.incomingPath ?? ''}'): a diff holds what changed since that one`);
  }
  const recorded = recordedBasePath(options.savePath, base);
  if (recorded === null) throw new ConfigError(`--base '${base}': give it as an absolute path (it cannot be written relative to the directory of '${options.savePath}')`);
  return { path: recorded, id };
}

/**
 * Runs a machine whose RAM may still be loading from the -incoming file: a chunk that fails its
 * checksum (or a file that shrank) then ends the run as a bad snapshot does, one line, status 1.
 */
function runLazilyRestored<T>(incoming: string | null, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (incoming !== null && isSnapshotError(e)) throw new CliFailure(`-incoming '${incoming}': ${firstLine(e)} (found while loading RAM lazily)`);
    throw e;
  }
}

/** The serial digest to go on from: the snapshot's (output since power-on), or a fresh one. */
export function serialDigestOf(snapshot: Snapshot | null, path: string): SerialDigest {
  if (snapshot === null || !Object.hasOwn(snapshot.clock.run, RUN_SERIAL_KEY)) return new SerialDigest();
  try {
    return SerialDigest.fromJson(snapshot.clock.run[RUN_SERIAL_KEY], `clock.run.${RUN_SERIAL_KEY}`);
  } catch (e) {
    throw new CliFailure(`-incoming '${path}': ${firstLine(e)}`);
  }
}

export function restoreIncoming(machine: CliMachine, snapshot: Snapshot, path: string, io: CliIo): void {
  try {
    const { plan } = restoreSnapshot(snapshotMachineOf(machine), snapshot);
    if (plan.steps.length > 0) io.stderr(`godwit: -incoming '${path}': converted with ${formatChain(plan)}\n`);
  } catch (e) {
    if (isSnapshotMismatchError(e)) {
      throw new CliFailure(`cannot restore '${path}': this machine does not match the snapshot:\n${e.problems.map((p) => `  ${p}`).join('\n')}`);
    }
    if (isFilterError(e)) throw new CliFailure(`cannot restore '${path}': ${e.problems.join('; ')}`);
    if (isStateError(e)) throw new CliFailure(`cannot restore '${path}': ${firstLine(e)}`);
    throw e;
  }
}

/** `--stop-at N --save PATH` reached N: write the snapshot; one line on stderr. */
export function saveAt(machine: CliMachine, path: string, run: JsonObject, boot: JsonObject | null, deps: CliDeps, base: SnapshotBase | null = null): void {
  const m = snapshotMachineOf(machine);
  const whole = saveSnapshot(m, run, boot);
  let encoded;
  if (base === null) encoded = encodeSnapshot(whole);
  else {
    // A diff: RAM's pages written since the restore; the device state whole.
    if (typeof m.takeDirtyPages !== 'function') throw new InternalError('this machine keeps no dirty log');
    encoded = encodeSnapshot({ ...whole, base }, { diff: new Map([[`${RAM_PATH}.${RAM_FIELD}`, m.takeDirtyPages()]]) });
  }
  try {
    snapshotFilesOf(deps).write(path, encoded.chunks);
  } catch (e) {
    throw new CliFailure(`cannot write snapshot '${path}': ${ioReason(e)}`);
  }
  const diff = base === null ? '' : `, a diff of ${encoded.blobs.find((b) => b.path === `${RAM_PATH}.${RAM_FIELD}`)?.storedPages ?? 0} RAM pages against '${base.path}'`;
  deps.io.stderr(`godwit: saved ${path} (${encoded.totalLength} bytes${diff}) at instruction ${m.retired}\n`);
}

/**
 * An output whose write and close errors (ENOSPC, EIO...) become one CliFailure naming it: the run
 * ends with exit status 1 and that line instead of an internal error.
 */
export function guardedOutput(output: ByteOutput, what: string): ByteOutput {
  const fail = (e: unknown): never => {
    if (isCliFailure(e)) throw e;
    throw new CliFailure(`cannot write ${what}: ${ioReason(e)}`);
  };
  return {
    write(bytes) {
      try {
        output.write(bytes);
      } catch (e) {
        fail(e);
      }
    },
    close() {
      try {
        output.close();
      } catch (e) {
        fail(e);
      }
    },
  };
}

/** Open what the run writes to before it starts, so a bad path fails at once, not after the run. */
export function openOutputs(options: Options, io: CliIo): { serial: ByteOutput; stats: ByteOutput | null } {
  const open = (path: string, what: string): ByteOutput => {
    try {
      return guardedOutput(io.openOutput(path), `${what} '${path}'`);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      throw new ConfigError(`cannot write ${what} '${path}': ${typeof code === 'string' ? code : String(e)}`);
    }
  };
  const s = options.serial;
  const serial = s.kind === 'stdio' ? io.stdout : s.kind === 'file' ? open(s.path, 'serial output') : NULL_OUTPUT;
  const stats = options.statsPath === null ? null : open(options.statsPath, 'stats');
  return { serial, stats };
}

export function runCli(argv: readonly string[], cliDeps: CliDeps): number {
  // Standard output's errors are one line and exit 1 too, for every command.
  const io: CliIo = { ...cliDeps.io, stdout: guardedOutput(cliDeps.io.stdout, 'standard output') };
  const deps: CliDeps = { ...cliDeps, io };
  let sink: SerialSink | null = null;
  let statsOutput: ByteOutput | null = null;
  try {
    if (argv[0] === 'snapshot') return runSnapshotCommand(argv.slice(1), deps);
    const options = parseCommandLine(argv);
    if (options.command === 'help') {
      io.stdout.write(new TextEncoder().encode(USAGE));
      return 0;
    }
    if (options.command === 'version') {
      io.stdout.write(new TextEncoder().encode(`godwit ${deps.version}\n`));
      return 0;
    }
    if (options.command === 'demo') return runDemoCommand(options, deps);
    if (needsSession(options)) {
      // Those need the host's event loop between slices of the run: machine/cli-session.ts.
      throw new ConfigError('-qmp, -S, -incoming defer, -icount rr= and socket serial ports need the interactive run (runCliSession)');
    }
    const incoming = options.incomingPath;
    // With -incoming the guest's memory comes from the snapshot: a -kernel is ignored (as in QEMU).
    const kernelPath = incoming === null ? options.kernel : null;
    if (kernelPath === null && incoming === null) throw new ConfigError('nothing to run: give -kernel PATH (see --help)');
    // Nor are -initrd and -append read: they went into RAM when the source machine booted.
    const config = readMachineConfig(incoming === null ? options : { ...options, initrds: [], append: null }, io.readFile, kernelPath, io.openDrive);
    const snapshot = incoming === null ? null : readIncoming(incoming, deps);
    const diffBase = diffBaseOf(options, snapshot, deps);
    const digest = serialDigestOf(snapshot, incoming ?? '');
    const outputs = openOutputs(options, io);
    statsOutput = outputs.stats;
    // Each line reaches its file or pipe as the guest ends it (a synchronous write), so output is
    // never lost when the process is killed (SIGTERM, SIGINT, timeout): the run loop never yields to
    // an event loop where a signal handler could flush a buffer.
    const serialSink = new BufferedSerialSink(outputs.serial, true);
    sink = serialSink;
    const host: MachineHost = {
      serialOut: (b) => (digest.put(b), serialSink.put(b)),
      log: (message) => io.stderr(`godwit: ${message}\n`),
    };
    // GODWIT_BLOCK_CACHE=0 interprets every instruction (translated blocks must give the same run).
    setBlockCacheEnabled(io.env['GODWIT_BLOCK_CACHE'] !== '0');
    const machine = deps.createMachine(config, host);
    if (snapshot !== null) restoreIncoming(machine, snapshot, incoming!, io);

    let maxInsns = options.maxInsns ?? Infinity;
    const stopAt = options.stopAt;
    if (stopAt !== null) {
      const now = snapshotMachineOf(machine).retired;
      if (stopAt < now) throw new ConfigError(`--stop-at ${stopAt}: the snapshot was taken later, at instruction ${now}`);
      maxInsns = Math.min(maxInsns, stopAt);
    }
    const result: RunResult = runLazilyRestored(incoming, () => machine.run({ ...(maxInsns === Infinity ? {} : { maxInsns }), ...batchLengthOf(io.env) }));
    let status = result.exitStatus;
    let message = result.reason === 'debug-exit' ? '' : result.message;
    if (stopAt !== null && options.savePath !== null) {
      const retired = snapshotMachineOf(machine).retired;
      if (result.reason === 'max-insns' && retired === stopAt) {
        message = '';
        runLazilyRestored(incoming, () => saveAt(machine, options.savePath!, { [RUN_SERIAL_KEY]: digest.toJson() }, snapshot === null ? null : bootRecordOf(snapshot.config), deps, diffBase));
        status = 0;
      } else if (result.reason === 'max-insns') {
        message = `${result.message}, before --stop-at ${stopAt}: no snapshot written`;
      } else {
        io.stderr(`godwit: ${result.message}\n`);
        message = `the run ended after ${retired} instructions, before --stop-at ${stopAt}: no snapshot written`;
        status = EXIT_FAILURE;
      }
    }
    serialSink.close();
    sink = null;
    if (message !== '') io.stderr(`godwit: ${message}\n`);
    if (outputs.stats !== null) {
      const stats = { ...runStats(runLazilyRestored(incoming, () => machine.stats()), new Uint8Array(0), result), serialHash: digest.hex(), serialBytes: digest.bytes };
      outputs.stats.write(new TextEncoder().encode(formatStats(stats)));
      outputs.stats.close();
      statsOutput = null;
    }
    return status;
  } catch (e) {
    try {
      sink?.close();
      statsOutput?.close();
    } catch {
      // The output is gone; the error below is what matters.
    }
    io.stderr(errorText(e, 'godwit', io.env));
    return exitStatusOf(e);
  }
}
