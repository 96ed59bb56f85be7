/**
 * The host side of an interactive run, as the platform-neutral CLI sees it: character backends for
 * COM1 (a terminal or pipe, a listening socket), the QMP endpoint, signals, commands for migration,
 * and the event loop. machine/host/node-interactive.ts implements it for Node; a browser page or a
 * test gives its own.
 */
import type { ByteOutput } from './host/byte-output.ts';
import type { MigrationIo } from './migration-control.ts';
import type { QmpTransport } from './qmp/qmp-monitor.ts';
import type { SocketOption } from './socket-option.ts';

export interface CharInput {
  data(bytes: Uint8Array): void;
  /** The input ended (EOF): nothing more will come from it. */
  end(): void;
  /** Ctrl-C typed on a terminal whose Ctrl-C belongs to godwit (plain -serial stdio). */
  interrupt(): void;
}

/** Where COM1's bytes go and where its input comes from. */
export interface CharBackend {
  /** Guest output: synchronous for a terminal, pipe or file; queued (bounded) for a socket. */
  readonly output: ByteOutput;
  /** A person is likely at the other end (a terminal, a socket): the run paces idle time. */
  readonly interactive: boolean;
  /** Input goes through QEMU's C-a escapes (the terminal or pipe of -serial stdio). */
  readonly escapes: boolean;
  /** Starts delivering input. */
  start(input: CharInput): void;
  /** Whether input can still arrive. */
  inputOpen(): boolean;
  /** Stop reading for a while (the guest is not taking input), and go on. */
  pause(): void;
  resume(): void;
  /** Resolves once the machine may start (a socket without wait=off: a client connected). */
  ready(): Promise<void>;
  /** Stops reading, restores the terminal, closes the socket. */
  close(): Promise<void>;
}

/** A listening QMP endpoint. */
export interface QmpEndpoint {
  /** Resolves once the machine may start (without wait=off: the first client connected). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export interface QmpConnection {
  transport: QmpTransport;
  /** Text arrives here. */
  onText(receive: (text: string) => void, gone: () => void): void;
}

export type HostSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';
export const SIGNAL_NUMBERS: Readonly<Record<HostSignal, number>> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

export interface InteractiveHost {
  yieldToHost(): Promise<void>;
  /** Monotonic host time in ms, and a wait. */
  now(): number;
  wait(ms: number): Promise<void>;
  /** Wall-clock time in µs since the epoch (QMP event timestamps). */
  clockUs(): number;
  /** The host's process id (QMP's thread-id of each CPU: godwit runs them all on one thread). */
  readonly pid: number;
  /** Standard input and output as COM1 (raw mode on a terminal). signals: Ctrl-C interrupts godwit. */
  openStdio(output: ByteOutput, signals: boolean): CharBackend;
  /** A listening socket as COM1 (one client at a time). */
  openSocketSerial(option: SocketOption, log: (message: string) => void): Promise<CharBackend>;
  /** A listening QMP endpoint; each connection is handed to connect. */
  listenQmp(option: SocketOption, connect: (c: QmpConnection) => void, log: (message: string) => void): Promise<QmpEndpoint>;
  /** SIGINT, SIGTERM and SIGHUP go to handler until the returned function is called. */
  onSignal(handler: (signal: HostSignal) => void): () => void;
  readonly migrationIo: Omit<MigrationIo, 'defer' | 'now'>;
}
