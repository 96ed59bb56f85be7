/**
 * The InteractiveHost of machine/char-backend.ts for Node: the event loop (setImmediate), host
 * clocks, COM1 on stdio or a socket, QMP sockets, signals, and migration to files and commands
 * (`exec:` runs `/bin/sh -c COMMAND`, as QEMU does).
 */
import { spawn } from 'node:child_process';
import type { CharBackend, HostSignal, InteractiveHost, QmpConnection, QmpEndpoint } from '../char-backend.ts';
import type { ExecJob, MigrationIo } from '../migration-control.ts';
import type { SocketOption } from '../socket-option.ts';
import type { ByteOutput } from './byte-output.ts';
import { openSocketSerial, openStdio } from './char-backends.ts';
import { readInputFile } from './input-file.ts';
import { listen, waitingLine } from './socket-listen.ts';
import { writeFileAtomic } from '../snapshot-file.ts';

const SIGNALS: readonly HostSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function execError(command: string, code: number | null, signal: string | null): Error {
  const how = signal !== null ? `was killed by ${signal}` : `exited with status ${code}`;
  return Object.assign(new Error(`'${command}' ${how}`), { reason: `the command ${how}` });
}

/** `sh -c command` with the chunks written to its standard input (output ignored, errors to ours). */
export function execWrite(command: string, chunks: readonly Uint8Array[]): ExecJob<void> {
  const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'ignore', 'inherit'] });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => (code === 0 ? resolve() : reject(execError(command, code, signal))));
  });
  child.stdin.on('error', () => {});
  void (async () => {
    for (const c of chunks) {
      if (!child.stdin.write(c)) await new Promise((r) => child.stdin.once('drain', r));
      if (child.stdin.destroyed) return;
    }
    child.stdin.end();
  })();
  return { done, cancel: () => (child.stdin.destroy(), void child.kill('SIGTERM')) };
}

/** `sh -c command`, collecting its standard output (at most maxBytes: more is an error). */
export function execRead(command: string, maxBytes: number): ExecJob<Uint8Array> {
  const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'inherit'] });
  const parts: Buffer[] = [];
  let size = 0;
  let tooBig = false;
  child.stdout.on('data', (b: Buffer) => {
    size += b.length;
    if (size > maxBytes) {
      tooBig = true;
      child.kill('SIGTERM');
      return;
    }
    parts.push(b);
  });
  const done = new Promise<Uint8Array>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (tooBig) reject(Object.assign(new Error('too large'), { reason: `the command's output is larger than ${maxBytes} bytes` }));
      else if (code === 0) resolve(new Uint8Array(Buffer.concat(parts)));
      else reject(execError(command, code, signal));
    });
  });
  return { done, cancel: () => void child.kill('SIGTERM') };
}

export function nodeInteractiveHost(): InteractiveHost {
  const migrationIo: Omit<MigrationIo, 'defer' | 'now'> = {
    writeFile: (path, chunks) => writeFileAtomic(path, chunks),
    readFile: (path, maxBytes) => readInputFile(path, maxBytes),
    execWrite,
    execRead,
  };
  return {
    yieldToHost: () => new Promise((resolve) => setImmediate(resolve)),
    now: () => performance.now(),
    wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    clockUs: () => Math.floor((performance.timeOrigin + performance.now()) * 1000),
    pid: process.pid,
    openStdio: (output: ByteOutput, signals: boolean): CharBackend => openStdio(output, signals),
    openSocketSerial: (option: SocketOption, log) => openSocketSerial(option, log),
    async listenQmp(option, connect, log): Promise<QmpEndpoint> {
      const listener = await listen(option, (socket) => {
        socket.on('error', () => {});
        const decoder = new TextDecoder();
        const conn: QmpConnection = {
          transport: {
            write: (text) => void (socket.destroyed ? undefined : socket.write(text)),
            backlog: () => socket.writableLength,
            close: () => void socket.end(),
          },
          onText(receive, gone) {
            socket.on('data', (b: Buffer) => receive(decoder.decode(b, { stream: true })));
            socket.on('close', gone);
          },
        };
        connect(conn);
      });
      if (option.wait) log(waitingLine('-qmp', option));
      return { ready: () => listener.ready(), close: () => listener.close() };
    },
    onSignal(handler) {
      const handlers = SIGNALS.map((s) => [s, () => handler(s)] as const);
      for (const [s, h] of handlers) process.on(s, h);
      return () => {
        for (const [s, h] of handlers) process.off(s, h);
      };
    },
    migrationIo,
  };
}
