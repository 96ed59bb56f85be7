/**
 * QMP's migration, as godwit does it: `migrate` saves a snapshot of the machine at the boundary
 * where the command arrived (an instruction boundary: the machine is between two slices) to
 * `file:PATH` (written atomically) or to the standard input of `exec:COMMAND` (`sh -c`), and leaves
 * the machine stopped (postmigrate) as QEMU does after a completed migration; `migrate-incoming`
 * restores one into a machine started with `-incoming defer`. Both go through QEMU's states and
 * MIGRATION events (sent once the `events` capability is on): setup, active, completed, or failed,
 * cancelling and cancelled. No Node API: files and commands go through MigrationIo.
 */
import type { JsonObject } from '../migration/snapshot.ts';
import type { RunSession, VmStatus } from './run-session.ts';
import { MIGRATION_CAPABILITIES } from './qmp/qmp-commands.ts';
import type { QmpMigration } from './qmp/qmp-commands.ts';
import { QmpError } from './qmp/qmp-error.ts';

/** A command started by the host: its end (resolved on exit status 0), and a way to stop it. */
export interface ExecJob<T> {
  done: Promise<T>;
  cancel(): void;
}

export interface MigrationIo {
  /** Writes the chunks to PATH so that a failure leaves any previous file intact; throws with a reason. */
  writeFile(path: string, chunks: readonly Uint8Array[]): void;
  /** The whole file (a regular file, at most maxBytes). */
  readFile(path: string, maxBytes: number): Uint8Array;
  /** `sh -c command` with the chunks on its standard input. */
  execWrite(command: string, chunks: readonly Uint8Array[]): ExecJob<void>;
  /** `sh -c command`, collecting at most maxBytes of its standard output. */
  execRead(command: string, maxBytes: number): ExecJob<Uint8Array>;
  /** Runs fn after the current command's reply has gone out (a microtask). */
  defer(fn: () => void): void;
  /** Host time in ms, for the figures of query-migrate. */
  now(): number;
}

/** What a saved snapshot was made of, for query-migrate's `ram`. */
export interface SavedMachine {
  chunks: Uint8Array[];
  totalLength: number;
  ramBytes: number;
  zeroPages: number;
}

export interface MigrationHooks {
  /** The machine's snapshot now (with the run's digest and replay place). */
  save(): SavedMachine;
  /** Restores a snapshot's bytes into the machine (throws with a one-line reason). */
  load(bytes: Uint8Array): void;
  /** An incoming migration failed: QEMU exits with status 1, so does godwit. */
  incomingFailed(message: string): void;
  /** Largest snapshot read back. */
  readonly maxIncomingBytes: number;
}

type MigrationStatus = 'none' | 'setup' | 'active' | 'completed' | 'failed' | 'cancelling' | 'cancelled';

const PAGE = 4096;

type Uri = { kind: 'file'; path: string } | { kind: 'exec'; command: string };

function parseUri(uri: string): Uri | null {
  if (uri.startsWith('file:') && uri.length > 5) return { kind: 'file', path: uri.slice(5) };
  if (uri.startsWith('exec:') && uri.length > 5) return { kind: 'exec', command: uri.slice(5) };
  return null;
}

const BAD_URI = "Parameter 'uri' expects a valid migration protocol";

export class MigrationControl implements QmpMigration {
  private readonly session: RunSession;
  private readonly io: MigrationIo;
  private readonly hooks: MigrationHooks;
  private status: MigrationStatus = 'none';
  private events = false;
  private job: ExecJob<unknown> | null = null;
  private wasRunning = false;
  private startMs = 0;
  private setupMs = 0;
  private downtimeMs = 0;
  private totalMs = 0;
  private saved: Omit<SavedMachine, 'chunks'> | null = null;
  private errorDesc = '';
  private incomingStatus: MigrationStatus = 'none';

  constructor(session: RunSession, io: MigrationIo, hooks: MigrationHooks) {
    this.session = session;
    this.io = io;
    this.hooks = hooks;
  }

  private setStatus(status: MigrationStatus): void {
    this.status = status;
    if (this.events) this.session.emit('MIGRATION', { status });
  }

  migrate(uri: string): void {
    if (this.status === 'setup' || this.status === 'active' || this.status === 'cancelling') throw new QmpError('GenericError', "There's a migration process in progress");
    const vm: VmStatus = this.session.status;
    if (vm === 'postmigrate') throw new QmpError('GenericError', "Can't migrate the vm that was paused due to previous migration");
    if (vm === 'inmigrate') throw new QmpError('GenericError', 'Guest is waiting for an incoming migration');
    this.startMs = this.io.now();
    this.saved = null;
    this.errorDesc = '';
    this.setStatus('setup');
    const target = parseUri(uri);
    if (target === null) {
      this.errorDesc = BAD_URI;
      this.setStatus('failed');
      throw new QmpError('GenericError', BAD_URI);
    }
    this.io.defer(() => this.run(target));
  }

  private run(target: Uri): void {
    this.setupMs = this.io.now() - this.startMs;
    this.setStatus('active');
    this.wasRunning = this.session.running;
    const stopMs = this.io.now();
    this.session.stop();
    this.session.setStatus('finish-migrate');
    let saved: SavedMachine;
    try {
      saved = this.hooks.save();
    } catch (e) {
      this.failed(e);
      return;
    }
    this.saved = { totalLength: saved.totalLength, ramBytes: saved.ramBytes, zeroPages: saved.zeroPages };
    if (target.kind === 'file') {
      try {
        this.io.writeFile(target.path, saved.chunks);
      } catch (e) {
        this.failed(e);
        return;
      }
      this.completed(stopMs);
      return;
    }
    const job = this.io.execWrite(target.command, saved.chunks);
    this.job = job;
    job.done.then(
      () => {
        this.job = null;
        if (this.status === 'cancelling') this.cancelled();
        else this.completed(stopMs);
      },
      (e: unknown) => {
        this.job = null;
        if (this.status === 'cancelling') this.cancelled();
        else this.failed(e);
      },
    );
  }

  private completed(stopMs: number): void {
    const now = this.io.now();
    this.downtimeMs = now - stopMs;
    this.totalMs = now - this.startMs;
    this.session.setStatus('postmigrate');
    this.setStatus('completed');
  }

  private failed(e: unknown): void {
    this.errorDesc = reasonOf(e);
    this.totalMs = this.io.now() - this.startMs;
    this.setStatus('failed');
    this.resume();
  }

  private cancelled(): void {
    this.totalMs = this.io.now() - this.startMs;
    this.setStatus('cancelled');
    this.resume();
  }

  /** After a failed or cancelled migration the machine runs on if it was running (RESUME). */
  private resume(): void {
    if (this.session.status !== 'finish-migrate') return;
    this.session.setStatus('paused');
    if (this.wasRunning) this.session.cont();
  }

  cancel(): void {
    if (this.job === null || this.status !== 'active') return;
    this.setStatus('cancelling');
    this.job.cancel();
  }

  incoming(uri: string): void {
    if (this.incomingStatus !== 'none') throw new QmpError('GenericError', 'The incoming migration has already been started');
    if (this.session.status !== 'inmigrate') throw new QmpError('GenericError', "'-incoming' was not specified on the command line");
    const source = parseUri(uri);
    if (source === null) throw new QmpError('GenericError', BAD_URI);
    this.incomingStatus = 'setup';
    if (this.events) this.session.emit('MIGRATION', { status: 'setup' });
    this.io.defer(() => {
      this.incomingStatus = 'active';
      if (this.events) this.session.emit('MIGRATION', { status: 'active' });
      if (source.kind === 'file') {
        let bytes: Uint8Array;
        try {
          bytes = this.io.readFile(source.path, this.hooks.maxIncomingBytes);
        } catch (e) {
          this.incomingFailed(e);
          return;
        }
        this.loadIncoming(bytes);
        return;
      }
      const job = this.io.execRead(source.command, this.hooks.maxIncomingBytes);
      job.done.then(
        (bytes) => this.loadIncoming(bytes),
        (e: unknown) => this.incomingFailed(e),
      );
    });
  }

  private loadIncoming(bytes: Uint8Array): void {
    try {
      this.hooks.load(bytes);
    } catch (e) {
      this.incomingFailed(e);
      return;
    }
    this.incomingStatus = 'completed';
    this.session.incomingDone();
    if (this.events) this.session.emit('MIGRATION', { status: 'completed' });
  }

  private incomingFailed(e: unknown): void {
    this.incomingStatus = 'failed';
    if (this.events) this.session.emit('MIGRATION', { status: 'failed' });
    this.hooks.incomingFailed(`load of migration failed: ${reasonOf(e)}`);
  }

  query(): JsonObject {
    if (this.status === 'none') {
      return this.incomingStatus === 'none' ? {} : { status: this.incomingStatus };
    }
    const out: JsonObject = { status: this.status };
    if (this.status === 'setup') return out;
    out['setup-time'] = Math.round(this.setupMs);
    if (this.status === 'completed') out['downtime'] = Math.round(this.downtimeMs);
    out['total-time'] = Math.round(this.status === 'active' ? this.io.now() - this.startMs : this.totalMs);
    if (this.saved !== null) out['ram'] = ramStats(this.saved, this.status === 'completed', this.totalMs);
    if (this.status === 'failed') out['error-desc'] = this.errorDesc;
    return out;
  }

  capabilities(): JsonObject[] {
    return MIGRATION_CAPABILITIES.map((capability) => ({ state: capability === 'events' ? this.events : false, capability }));
  }

  setCapability(name: string, state: boolean): void {
    if (name === 'events') this.events = state;
  }
}

/** query-migrate's `ram`, with QEMU's keys: godwit sends the whole RAM once, zero pages as holes. */
function ramStats(s: Omit<SavedMachine, 'chunks'>, done: boolean, totalMs: number): JsonObject {
  const pages = Math.ceil(s.ramBytes / PAGE);
  const normal = pages - s.zeroPages;
  const transferred = done ? s.totalLength : 0;
  return {
    total: s.ramBytes,
    'postcopy-requests': 0,
    'dirty-sync-count': 1,
    'multifd-bytes': 0,
    'pages-per-second': 0,
    'downtime-bytes': transferred,
    'page-size': PAGE,
    remaining: done ? 0 : normal * PAGE,
    'postcopy-bytes': 0,
    mbps: totalMs > 0 ? (transferred * 8) / (totalMs * 1000) : 0,
    transferred,
    'dirty-sync-missed-zero-copy': 0,
    'precopy-bytes': 0,
    duplicate: s.zeroPages,
    'dirty-pages-rate': 0,
    skipped: 0,
    'normal-bytes': normal * PAGE,
    normal,
  };
}

function reasonOf(e: unknown): string {
  const o = (typeof e === 'object' && e !== null ? e : {}) as { reason?: unknown; code?: unknown; message?: unknown };
  if (typeof o.reason === 'string') return o.reason;
  if (typeof o.code === 'string') return o.code;
  if (typeof o.message === 'string') return o.message.split('\n')[0] ?? '';
  return String(e);
}
