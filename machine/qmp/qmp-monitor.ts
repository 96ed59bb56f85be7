/**
 * QMP over any byte stream, without Node: a QmpMonitor holds the clients of one `-qmp` endpoint and
 * sends them the session's events; a QmpClient is one connection: the greeting, capabilities
 * negotiation, then commands, answered in order, each with its `id`.
 *
 * Everything a client sends is hostile: malformed JSON, non-objects, unknown members, unknown
 * commands and wrong argument types get QEMU's error and the connection goes on; an oversized or
 * too deeply nested message is skipped without being buffered (json-splitter.ts); a client that
 * does not read what it is sent is dropped once its backlog passes a bound (QmpTransport.backlog),
 * and a monitor serves at most MAX_QMP_CLIENTS at once. A command never throws into the host.
 */
import { isSessionError } from '../run-session.ts';
import type { SessionEvent } from '../run-session.ts';
import { JsonSplitter } from './json-splitter.ts';
import { checkArgs } from './qmp-args.ts';
import type { QmpTarget } from './qmp-commands.ts';
import { QMP_COMMANDS } from './qmp-commands.ts';
import { isQmpError } from './qmp-error.ts';
import type { QmpErrorClass } from './qmp-error.ts';
import type { JsonObject, JsonValue } from './qmp-json.ts';
import { formatQmp, isObject } from './qmp-json.ts';

/** Clients served at once by one endpoint; more are refused with an error line and closed. */
export const MAX_QMP_CLIENTS = 16;
/** Bytes a client may leave unread before it is dropped. */
export const MAX_QMP_BACKLOG = 4 * 1024 * 1024;

/** One connection as the monitor sees it (a socket on Node). */
export interface QmpTransport {
  write(text: string): void;
  /** Bytes written and not yet taken by the peer. */
  backlog(): number;
  /** Flush what is written, then close. */
  close(): void;
}

export interface QmpMonitorOptions {
  target: QmpTarget;
  /** Host wall-clock time in µs since the epoch, for event timestamps (Date.now on Node). */
  clockUs(): number;
  /** Diagnostics (a client dropped for its backlog), one line each. */
  log(message: string): void;
}

export class QmpMonitor {
  readonly options: QmpMonitorOptions;
  private readonly clients = new Set<QmpClient>();

  constructor(options: QmpMonitorOptions) {
    this.options = options;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** A new connection: its greeting is sent at once. Returns null (and closes it) when full. */
  connect(transport: QmpTransport): QmpClient | null {
    if (this.clients.size >= MAX_QMP_CLIENTS) {
      transport.write(formatQmp(errorResponse('GenericError', `too many QMP clients (godwit serves ${MAX_QMP_CLIENTS} at once)`)));
      transport.close();
      return null;
    }
    const client = new QmpClient(this, transport);
    this.clients.add(client);
    return client;
  }

  disconnected(client: QmpClient): void {
    this.clients.delete(client);
  }

  /** Sends an event to every client past capabilities negotiation, stamped with host time. */
  broadcast(e: SessionEvent): void {
    const us = this.options.clockUs();
    const msg: JsonObject = { timestamp: { seconds: Math.floor(us / 1e6), microseconds: Math.floor(us % 1e6) }, event: e.event };
    if (e.data !== undefined) msg['data'] = e.data;
    for (const c of [...this.clients]) c.event(msg);
  }

  /** Closes every connection (after what was written to it). */
  closeAll(): void {
    for (const c of [...this.clients]) c.close();
  }
}

function errorResponse(errorClass: QmpErrorClass, desc: string, id?: JsonValue): JsonObject {
  const r: JsonObject = { error: { class: errorClass, desc } };
  if (id !== undefined) r['id'] = id;
  return r;
}

const GREETING_CAPABILITIES: JsonValue[] = [];

export class QmpClient {
  private readonly monitor: QmpMonitor;
  private readonly transport: QmpTransport;
  private readonly splitter = new JsonSplitter();
  private negotiated = false;
  private closed = false;

  constructor(monitor: QmpMonitor, transport: QmpTransport) {
    this.monitor = monitor;
    this.transport = transport;
    const v = monitor.options.target.version;
    this.send({ QMP: { version: { qemu: { micro: v.micro, minor: v.minor, major: v.major }, package: v.package }, capabilities: GREETING_CAPABILITIES } });
  }

  /** Text from the peer (any cut: a message may span calls, a call may hold several). */
  receive(text: string): void {
    for (const piece of this.splitter.push(text)) {
      if (this.closed) return;
      if (piece.kind === 'error') {
        this.send(errorResponse('GenericError', piece.desc));
        continue;
      }
      this.handle(piece.text);
    }
  }

  event(msg: JsonObject): void {
    if (this.negotiated) this.send(msg);
  }

  /** The peer went away: forget the client. */
  gone(): void {
    this.closed = true;
    this.monitor.disconnected(this);
  }

  close(): void {
    if (this.closed) return;
    this.gone();
    this.transport.close();
  }

  private send(msg: JsonObject): void {
    if (this.closed) return;
    this.transport.write(formatQmp(msg));
    if (this.transport.backlog() > MAX_QMP_BACKLOG) {
      this.monitor.options.log(`QMP: a client left more than ${MAX_QMP_BACKLOG} bytes unread: disconnected`);
      this.close();
    }
  }

  private handle(text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch (e) {
      this.send(errorResponse('GenericError', `JSON parse error, ${(e as Error).message}`));
      return;
    }
    if (!isObject(msg)) {
      this.send(errorResponse('GenericError', 'QMP input must be a JSON object'));
      return;
    }
    const id = Object.hasOwn(msg, 'id') ? (msg['id'] as JsonValue) : undefined;
    const fail = (errorClass: QmpErrorClass, desc: string) => this.send(errorResponse(errorClass, desc, id));
    for (const key of Object.keys(msg)) {
      if (key !== 'execute' && key !== 'arguments' && key !== 'id' && key !== 'exec-oob') return fail('GenericError', `QMP input member '${key}' is unexpected`);
    }
    if (Object.hasOwn(msg, 'exec-oob')) return fail('GenericError', 'QMP input member \'exec-oob\' is unexpected (out-of-band execution is not offered)');
    if (!Object.hasOwn(msg, 'execute')) return fail('GenericError', "QMP input lacks member 'execute'");
    const name = msg['execute'];
    if (typeof name !== 'string') return fail('GenericError', "QMP input member 'execute' must be a string");
    const args = Object.hasOwn(msg, 'arguments') ? msg['arguments'] : {};
    if (!isObject(args)) return fail('GenericError', "QMP input member 'arguments' must be an object");

    if (name === 'qmp_capabilities') {
      if (this.negotiated) return fail('CommandNotFound', 'Capabilities negotiation is already complete, command ignored');
      try {
        checkArgs({ enable: { type: 'array', optional: true } } as const, args);
      } catch (e) {
        return fail('GenericError', (e as Error).message);
      }
      const enable = Object.hasOwn(args, 'enable') ? (args['enable'] as unknown[]) : [];
      if (enable.length > 0) return fail('GenericError', `Capability '${String(enable[0])}' not available`);
      this.negotiated = true;
      this.reply({}, id);
      return;
    }
    if (!this.negotiated) return fail('CommandNotFound', "Expecting capabilities negotiation with 'qmp_capabilities'");
    const command = Object.hasOwn(QMP_COMMANDS, name) ? QMP_COMMANDS[name] : undefined;
    if (command === undefined) return fail('CommandNotFound', `The command ${name} has not been found`);
    let result: JsonValue;
    try {
      checkArgs(command.args, args);
      result = command.run(this.monitor.options.target, args);
    } catch (e) {
      if (isQmpError(e)) return fail(e.errorClass, e.message);
      if (isSessionError(e)) return fail('GenericError', e.message);
      // A bug of ours: the client gets an error, the emulator goes on.
      const desc = e instanceof Error ? e.message.split('\n')[0] ?? '' : String(e);
      this.monitor.options.log(`QMP: internal error in ${name}: ${desc}`);
      return fail('GenericError', `internal error: ${desc}`);
    }
    this.reply(result, id);
  }

  private reply(result: JsonValue, id: JsonValue | undefined): void {
    const r: JsonObject = { return: result };
    if (id !== undefined) r['id'] = id;
    this.send(r);
  }
}
