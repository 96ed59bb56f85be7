/**
 * `godwit -kernel ...` as people drive it: the run goes through machine/run-session.ts, so the
 * host's event loop runs between slices of the machine, where console input (-serial stdio, a
 * socket), QMP commands (-qmp), signals and record/replay (-icount rr=) enter. Everything the
 * synchronous runCli does for a run (reading, -incoming, --stop-at/--save, --stats, exit statuses)
 * it does too, with the helpers of cli-run.ts. No Node API: the host comes in as an
 * InteractiveHost (machine/host/node-interactive.ts on Node).
 *
 * Signals: SIGINT, SIGTERM and SIGHUP end the session at the next boundary (at most one slice
 * away): every output is flushed, --stats written, the record/replay log ended, and godwit exits
 * with status 0 after "godwit: terminating on signal N", as QEMU ("terminating on signal N from pid
 * P") does.
 */
import { decodeSnapshot } from '../migration/decode.ts';
import { encodeSnapshot } from '../migration/encode.ts';
import { withLimits } from '../migration/limits.ts';
import type { JsonObject, Snapshot } from '../migration/snapshot.ts';
import { MAX_RAM_BYTES } from '../src/memory/physical-memory.ts';
import type { CharBackend, HostSignal, InteractiveHost } from './char-backend.ts';
import { SIGNAL_NUMBERS } from './char-backend.ts';
import { CliFailure, ConfigError, errorText, exitStatusOf, firstLine, ioReason, isRestoreError, restoreErrorLine } from './cli-errors.ts';
import type { CliDeps } from './cli-run.ts';
import { setBlockCacheEnabled } from '../src/cpu/block-cache.ts';
import { isSnapshotError } from '../migration/snapshot-error.ts';
import { batchLengthOf, diffBaseOf, guardedOutput, openOutputs, readIncoming, restoreIncoming, runCli, saveAt, serialDigestOf } from './cli-run.ts';
import type { CliMachine } from './cli-snapshot-io.ts';
import { snapshotMachineOf } from './cli-snapshot-io.ts';
import { parseCommandLine } from './config.ts';
import { ConsoleEscapes, ESCAPE_HELP } from './console-escape.ts';
import type { ByteOutput } from './host/byte-output.ts';
import { BufferedSerialSink } from './host/byte-output.ts';
import type { MachineHost, RunResult } from './machine-api.ts';
import { MigrationControl } from './migration-control.ts';
import type { SavedMachine } from './migration-control.ts';
import type { Options } from './options.ts';
import { QmpMonitor } from './qmp/qmp-monitor.ts';
import type { QmpTarget } from './qmp/qmp-commands.ts';
import { readMachineConfig } from './read-config.ts';
import { ReplayPlayer, ReplayRecorder, RUN_REPLAY_KEY, isReplayError, markFromJson, markToJson } from './replay.ts';
import type { ReplayMark } from './replay.ts';
import { MAX_REPLAY_LOG_BYTES, isReplayLogError, parseReplayLog } from './replay-log.ts';
import { RunSession } from './run-session.ts';
import type { SessionMachine } from './run-session.ts';
import { SerialInput } from './serial-input.ts';
import { RUN_SERIAL_KEY } from './serial-digest.ts';
import { bootRecordOf, restoreSnapshot, saveSnapshot } from './snapshot.ts';
import { formatStats, runStats } from './stats.ts';

/** The QEMU version godwit's QMP speaks (its command and event shapes): Debian 12's. */
export const QMP_QEMU_VERSION = { major: 7, minor: 2, micro: 0 } as const;

export interface SessionCliDeps extends CliDeps {
  host: InteractiveHost;
}

type FullMachine = CliMachine & SessionMachine & ReturnType<typeof snapshotMachineOf>;

function sessionMachineOf(m: CliMachine): FullMachine {
  const s = m as Partial<SessionMachine>;
  if (typeof s.position !== 'function' || typeof s.receiveSerial !== 'function' || typeof s.hostReset !== 'function') {
    snapshotMachineOf(m);
    throw new ConfigError('this machine cannot run a session');
  }
  snapshotMachineOf(m);
  return m as FullMachine;
}

/** The log's place a snapshot carries (clock.run.replay), or null. */
function replayMarkOf(snapshot: Snapshot | null, what: string): ReplayMark | null {
  if (snapshot === null || !Object.hasOwn(snapshot.clock.run, RUN_REPLAY_KEY)) return null;
  try {
    return markFromJson(snapshot.clock.run[RUN_REPLAY_KEY], `clock.run.${RUN_REPLAY_KEY}`);
  } catch (e) {
    throw new CliFailure(`${what}: ${firstLine(e)}`);
  }
}

/** The CLI on Node: a run goes through a session, every other command through runCli. */
export async function runCliSession(argv: readonly string[], cliDeps: SessionCliDeps): Promise<number> {
  if (argv[0] === 'snapshot') return runCli(argv, cliDeps);
  // Standard output's errors are one line and exit 1, as in runCli.
  const deps: SessionCliDeps = { ...cliDeps, io: { ...cliDeps.io, stdout: guardedOutput(cliDeps.io.stdout, 'standard output') } };
  let options: Options;
  try {
    options = parseCommandLine(argv);
  } catch (e) {
    deps.io.stderr(errorText(e, 'godwit', deps.io.env));
    return exitStatusOf(e);
  }
  if (options.command !== 'run') return runCli(argv, cliDeps);
  const cleanups: (() => Promise<void> | void)[] = [];
  let sink: BufferedSerialSink | null = null;
  try {
    return await runSession(options, deps, cleanups, (s) => (sink = s));
  } catch (e) {
    try {
      (sink as BufferedSerialSink | null)?.close();
    } catch {
      // The output is gone; the error below is what matters.
    }
    const error = isReplayError(e) ? new CliFailure(`-icount rr=replay: ${e.message}`) : lazyRamFailure(options.incomingPath, e) ?? e;
    deps.io.stderr(errorText(error, 'godwit', deps.io.env));
    return exitStatusOf(error);
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch {
        // Closing a socket or restoring the terminal failed: nothing more to do.
      }
    }
  }
}

/**
 * A SnapshotError out of a run restored from -incoming came from loading RAM lazily (a chunk that
 * fails its checksum, a file that shrank): one line naming the file, exit status 1.
 */
function lazyRamFailure(incoming: string | null, e: unknown): CliFailure | null {
  if (incoming === null || !isSnapshotError(e)) return null;
  return new CliFailure(`-incoming '${incoming}': ${firstLine(e)} (found while loading RAM lazily)`);
}

async function runSession(
  options: Options,
  deps: SessionCliDeps,
  cleanups: (() => Promise<void> | void)[],
  setSink: (s: BufferedSerialSink) => void,
): Promise<number> {
  const { io, host } = deps;
  const log = (message: string) => io.stderr(`godwit: ${message}\n`);
  const incoming = options.incomingPath;
  const kernelPath = incoming === null && !options.incomingDefer ? options.kernel : null;
  if (kernelPath === null && incoming === null && !options.incomingDefer) throw new ConfigError('nothing to run: give -kernel PATH (see --help)');
  const config = readMachineConfig(kernelPath === null ? { ...options, initrds: [], append: null } : options, io.readFile, kernelPath, io.openDrive);
  let snapshot = incoming === null ? null : readIncoming(incoming, deps);
  const restoredFrom = snapshot;
  const diffBase = diffBaseOf(options, snapshot, deps);
  let digest = serialDigestOf(snapshot, incoming ?? '');
  const replayLog = options.rr?.mode === 'replay' ? readReplayLog(options.rr.path, deps) : null;

  // Outputs and COM1's backend, opened before the machine runs: a bad path fails at once.
  const fileOutputs = openOutputs(options.serial.kind === 'socket' ? { ...options, serial: { kind: 'none' } } : options, io);
  let statsOutput = fileOutputs.stats;
  const serial = options.serial;
  let backend: CharBackend | null = null;
  if (serial.kind === 'stdio') backend = host.openStdio(fileOutputs.serial, !options.nographic);
  else if (serial.kind === 'socket') backend = await openOrFail(() => host.openSocketSerial(serial.socket, log), '-serial');
  if (backend !== null) cleanups.push(() => backend!.close());
  const serialOutput: ByteOutput = backend?.output ?? fileOutputs.serial;
  const sink = new BufferedSerialSink(serialOutput, true);
  setSink(sink);

  let session: RunSession | null = null;
  let monitor: QmpMonitor | null = null;
  const machineHost: MachineHost = {
    serialOut: (b) => (digest.put(b), sink.put(b)),
    log,
    reset: (cause) => {
      if (cause === 'guest-reset') session?.guestReset();
    },
  };
  // GODWIT_BLOCK_CACHE=0 interprets every instruction (translated blocks must give the same run).
  setBlockCacheEnabled(io.env['GODWIT_BLOCK_CACHE'] !== '0');
  const machine = sessionMachineOf(deps.createMachine(config, machineHost));
  if (snapshot !== null) restoreIncoming(machine, snapshot, incoming!, io);
  let boot = snapshot === null ? null : bootRecordOf(snapshot.config);

  let maxInsns = options.maxInsns ?? Infinity;
  const stopAt = options.stopAt;
  if (stopAt !== null) {
    if (stopAt < machine.retired) throw new ConfigError(`--stop-at ${stopAt}: the snapshot was taken later, at instruction ${machine.retired}`);
    maxInsns = Math.min(maxInsns, stopAt);
  }

  let recorder: ReplayRecorder | null = null;
  let player: ReplayPlayer | null = null;
  if (options.rr?.mode === 'record') {
    let out: ByteOutput;
    try {
      out = guardedOutput(io.openOutput(options.rr.path), `replay log '${options.rr.path}'`);
    } catch (e) {
      throw new ConfigError(`cannot write replay log '${options.rr.path}': ${ioReason(e)}`);
    }
    recorder = new ReplayRecorder(out, { icountShift: config.icountShift, start: machine.position() });
    cleanups.push(() => recorder!.close());
  } else if (replayLog !== null) {
    try {
      player = new ReplayPlayer(replayLog, machine.position(), config.icountShift, replayMarkOf(snapshot, `-incoming '${incoming ?? ''}'`));
    } catch (e) {
      throw new CliFailure(`-icount rr=replay '${options.rr!.path}': ${firstLine(e)}`);
    }
  }

  const input = backend === null ? null : new SerialInput();
  session = new RunSession(
    machine,
    {
      yieldToHost: () => host.yieldToHost(),
      flush: () => sink.flush(),
      inputOpen: () => backend?.inputOpen() === true && input?.drained !== true,
      controlOpen: () => monitor !== null,
      now: () => host.now(),
      wait: (ms) => host.wait(ms),
    },
    {
      ...(maxInsns === Infinity ? {} : { maxInsns }),
      ...batchLengthOf(io.env),
      initial: options.incomingDefer ? 'inmigrate' : options.startPaused ? 'prelaunch' : 'running',
      autostart: !options.startPaused,
      input,
      pace: options.icountSleep ?? backend?.interactive === true,
      record: recorder,
      replay: player,
    },
  );
  const s = session;
  const endBy = (result: RunResult) => s.end(result);

  // QMP.
  if (options.qmp !== null) {
    const migration = new MigrationControl(
      s,
      { ...host.migrationIo, defer: (fn) => queueMicrotask(fn), now: () => host.now() },
      {
        save: (): SavedMachine => {
          const run: JsonObject = { [RUN_SERIAL_KEY]: digest.toJson() };
          const mark = s.replayMark();
          if (mark !== null) run[RUN_REPLAY_KEY] = markToJson(mark);
          const encoded = encodeSnapshot(saveSnapshot(machine, run, boot));
          return { chunks: encoded.chunks, totalLength: encoded.totalLength, ramBytes: config.ramBytes, zeroPages: 0 };
        },
        load: (bytes) => {
          const limits = withLimits({ maxBlobBytes: MAX_RAM_BYTES, maxTotalBlobBytes: 2 * MAX_RAM_BYTES });
          const snap = decodeSnapshot(bytes.byteOffset % 8 === 0 ? bytes : bytes.slice(), { limits });
          const next = serialDigestOf(snap, 'migrate-incoming');
          try {
            restoreSnapshot(machine, snap);
          } catch (e) {
            if (isRestoreError(e)) throw new Error(restoreErrorLine(e));
            throw e;
          }
          snapshot = snap;
          digest = next;
          boot = bootRecordOf(snap.config);
        },
        incomingFailed: (message) => endBy({ reason: 'error', exitStatus: 1, message }),
        maxIncomingBytes: 3 * MAX_RAM_BYTES,
      },
    );
    const target: QmpTarget = {
      version: { ...QMP_QEMU_VERSION, package: ` (godwit ${deps.version})` },
      name: options.name,
      status: () => s.status,
      stop: () => s.stop(),
      cont: () => s.cont(),
      reset: () => s.reset(),
      quit: () => endBy({ reason: 'quit', exitStatus: 0, message: '' }),
      cpus: () => Array.from({ length: config.smp }, (_, i) => ({ index: i, qomPath: `/machine/cpu[${i}]`, threadId: host.pid })),
      migration,
    };
    const m = new QmpMonitor({ target, clockUs: () => host.clockUs(), log });
    monitor = m;
    s.subscribe((e) => m.broadcast(e));
    const endpoint = await openOrFail(
      () =>
        host.listenQmp(
          options.qmp!,
          (conn) => {
            const client = m.connect(conn.transport);
            if (client === null) return;
            conn.onText(
              (text) => {
                client.receive(text);
                s.wake();
              },
              () => client.gone(),
            );
          },
          log,
        ),
      '-qmp',
    );
    cleanups.push(async () => {
      m.closeAll();
      await endpoint.close();
    });
    await endpoint.ready();
  }

  // Console input, escapes and signals.
  if (backend !== null && input !== null) {
    const b = backend;
    input.onPressure = (pause) => (pause ? b.pause() : b.resume());
    const toGuest = (bytes: Uint8Array) => {
      input.push(bytes);
      s.wake();
    };
    const escapes = b.escapes
      ? new ConsoleEscapes({
          input: toGuest,
          quit: () => endBy({ reason: 'quit', exitStatus: 0, message: 'Terminated (C-a x)' }),
          help: () => {
            sink.flush();
            b.output.write(new TextEncoder().encode(ESCAPE_HELP));
          },
        })
      : null;
    await b.ready();
    b.start({
      data: (bytes) => (escapes !== null ? escapes.push(bytes) : toGuest(bytes)),
      end: () => {
        input.end();
        s.wake();
      },
      interrupt: () => onSignal('SIGINT'),
    });
  }
  function onSignal(signal: HostSignal): void {
    endBy({ reason: 'signal', exitStatus: 0, message: `terminating on signal ${SIGNAL_NUMBERS[signal]}` });
  }
  cleanups.push(host.onSignal(onSignal));

  const result = await s.run();
  let status = result.exitStatus;
  let message = result.reason === 'debug-exit' ? '' : result.message;
  if (stopAt !== null && options.savePath !== null) {
    if (result.reason === 'max-insns' && machine.retired === stopAt) {
      message = '';
      const run: JsonObject = { [RUN_SERIAL_KEY]: digest.toJson() };
      const mark = s.replayMark();
      if (mark !== null) run[RUN_REPLAY_KEY] = markToJson(mark);
      // A diff holds what changed since the -incoming file: not after another restore (migrate-incoming).
      if (diffBase !== null && snapshot !== restoredFrom) throw new CliFailure(`--base '${options.diffBase ?? ''}': the machine was restored again (migrate-incoming) since -incoming; no snapshot written`);
      saveAt(machine, options.savePath, run, boot, deps, diffBase);
      status = 0;
    } else if (result.reason === 'max-insns') {
      message = `${result.message}, before --stop-at ${stopAt}: no snapshot written`;
    } else {
      if (message !== '') io.stderr(`godwit: ${message}\n`);
      message = `the run ended after ${machine.retired} instructions, before --stop-at ${stopAt}: no snapshot written`;
      status = 1;
    }
  }
  sink.close();
  if (message !== '') io.stderr(`godwit: ${message}\n`);
  if (statsOutput !== null) {
    const stats = { ...runStats(machine.stats(), new Uint8Array(0), result), serialHash: digest.hex(), serialBytes: digest.bytes };
    statsOutput.write(new TextEncoder().encode(formatStats(stats)));
    statsOutput.close();
    statsOutput = null;
  }
  return status;
}

function readReplayLog(path: string, deps: CliDeps) {
  let bytes: Uint8Array;
  try {
    bytes = deps.io.readFile(path, MAX_REPLAY_LOG_BYTES);
  } catch (e) {
    throw new ConfigError(`cannot read replay log '${path}': ${ioReason(e)}`);
  }
  try {
    return parseReplayLog(bytes);
  } catch (e) {
    if (isReplayLogError(e)) throw new CliFailure(`replay log '${path}': ${e.message}`);
    throw e;
  }
}

/** Opens a socket; its error (EADDRINUSE, EACCES) is a configuration error naming the option. */
async function openOrFail<T>(open: () => Promise<T>, option: string): Promise<T> {
  try {
    return await open();
  } catch (e) {
    throw new ConfigError(`${option}: cannot listen: ${ioReason(e)}`);
  }
}
