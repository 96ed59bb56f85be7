/**
 * COM1's host ends on Node: standard input and output (-serial stdio, -nographic), and a listening
 * socket (-serial unix:PATH,server / tcp:HOST:PORT,server).
 *
 * stdio: output is written synchronously to descriptor 1 (host/node-io.ts); input is read from
 * process.stdin, in raw mode when it is a terminal (restored on close and at exit), so each key
 * reaches the guest as typed. With plain -serial stdio, Ctrl-C on the terminal interrupts godwit, as
 * QEMU's stdio chardev with its default signal=on; with -nographic it goes to the guest.
 *
 * socket: one client at a time (a second one is refused until the first leaves, as QEMU accepts
 * one); output while nobody is connected is dropped, as QEMU drops it; output a slow client does
 * not read is dropped past OUTPUT_BACKLOG, so memory stays bounded and the guest never waits.
 */
import type * as net from 'node:net';
import type { CharBackend, CharInput } from '../char-backend.ts';
import type { SocketOption } from '../socket-option.ts';
import type { ByteOutput } from './byte-output.ts';
import { listen, waitingLine } from './socket-listen.ts';

/** Bytes queued to a socket client beyond which guest output is dropped. */
export const OUTPUT_BACKLOG = 1024 * 1024;
const CTRL_C = 0x03;

export function openStdio(output: ByteOutput, signals: boolean): CharBackend {
  const stdin = process.stdin;
  const tty = stdin.isTTY === true;
  let open = true;
  let started = false;
  const restore = () => {
    if (tty && stdin.isRaw) stdin.setRawMode(false);
  };
  return {
    output,
    interactive: tty,
    escapes: true,
    start(input: CharInput) {
      started = true;
      if (tty) {
        stdin.setRawMode(true);
        process.once('exit', restore);
      }
      stdin.on('data', (chunk: Buffer) => {
        const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
        if (tty && signals) {
          const at = bytes.indexOf(CTRL_C);
          if (at >= 0) {
            if (at > 0) input.data(bytes.subarray(0, at));
            input.interrupt();
            return;
          }
        }
        input.data(bytes);
      });
      stdin.on('end', () => {
        open = false;
        input.end();
      });
      stdin.on('error', () => {
        open = false;
        input.end();
      });
    },
    inputOpen: () => open,
    pause: () => void stdin.pause(),
    resume: () => void stdin.resume(),
    ready: () => Promise.resolve(),
    close: async () => {
      if (!started) return;
      restore();
      stdin.removeAllListeners('data');
      stdin.pause();
      // A pipe or terminal kept open would keep the process alive.
      stdin.destroy();
    },
  };
}

export async function openSocketSerial(option: SocketOption, log: (message: string) => void): Promise<CharBackend> {
  let client: net.Socket | null = null;
  let input: CharInput | null = null;
  let paused = false;
  let dropped = 0;
  const listener = await listen(option, (socket) => {
    if (client !== null) {
      // QEMU serves one client: the next one waits in its backlog; godwit refuses it at once.
      socket.end('godwit: this serial port has a client already\r\n');
      return;
    }
    client = socket;
    socket.on('data', (chunk: Buffer) => input?.data(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)));
    socket.on('error', () => {});
    socket.on('close', () => {
      if (client === socket) client = null;
    });
    if (paused) socket.pause();
  });
  if (option.wait) log(waitingLine('-serial', option));
  const output: ByteOutput = {
    write(bytes) {
      const c = client;
      if (c === null || c.destroyed) return;
      if (c.writableLength > OUTPUT_BACKLOG) {
        if (dropped++ === 0) log('-serial: the client does not read: dropping output until it does');
        return;
      }
      dropped = 0;
      c.write(bytes.slice());
    },
    close() {},
  };
  return {
    output,
    interactive: true,
    escapes: false,
    start(i) {
      input = i;
    },
    inputOpen: () => true,
    pause() {
      paused = true;
      client?.pause();
    },
    resume() {
      paused = false;
      client?.resume();
    },
    ready: () => listener.ready(),
    close: async () => {
      client?.end();
      client?.destroy();
      await listener.close();
    },
  };
}
