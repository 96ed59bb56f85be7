/**
 * Listening sockets on Node for -serial and -qmp (unix:PATH or tcp:HOST:PORT, server mode). A unix
 * socket's path is removed before binding (a stale socket from a killed run) and after closing, as
 * QEMU does. `ready()` resolves at once with wait=off, otherwise when the first client connects.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import type { SocketOption } from '../socket-option.ts';
import { formatSocketOption } from '../socket-option.ts';

export interface Listener {
  readonly server: net.Server;
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the listening socket; rejects with the fs/net error (code EADDRINUSE, EACCES...). */
export async function listen(option: SocketOption, onConnection: (socket: net.Socket) => void): Promise<Listener> {
  const a = option.address;
  if (a.kind === 'unix') {
    try {
      if (fs.lstatSync(a.path).isSocket()) fs.unlinkSync(a.path);
    } catch {
      // Nothing there (or not ours to remove): listen() reports what matters.
    }
  }
  let connected!: () => void;
  const firstClient = new Promise<void>((resolve) => (connected = resolve));
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    connected();
    onConnection(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (a.kind === 'unix') server.listen(a.path, () => resolve());
    else server.listen(a.port, a.host, () => resolve());
  });
  server.on('error', () => {});
  let closed: Promise<void> | null = null;
  const close = async (): Promise<void> => {
    server.close();
    // Each client gets what was written to it, then the connection ends; one that does not take
    // it within CLOSE_GRACE_MS is cut.
    await Promise.all(
      [...sockets].map(
        (socket) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => (socket.destroy(), resolve()), CLOSE_GRACE_MS);
            socket.once('close', () => (clearTimeout(timer), resolve()));
            socket.end(() => socket.destroy());
          }),
      ),
    );
    if (a.kind === 'unix') {
      try {
        fs.unlinkSync(a.path);
      } catch {
        // Already gone.
      }
    }
  };
  return {
    server,
    ready: () => (option.wait ? firstClient : Promise.resolve()),
    close: () => (closed ??= close()),
  };
}

/** How long a client may take to read what was written to it when godwit closes. */
const CLOSE_GRACE_MS = 500;

/** QEMU's line while it waits: "waiting for connection on: disconnected:unix:PATH,server=on". */
export function waitingLine(option: string, s: SocketOption): string {
  return `${option} ${formatSocketOption(s)}: waiting for connection on: disconnected:${formatSocketOption(s)}`;
}
