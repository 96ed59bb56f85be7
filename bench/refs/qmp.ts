/**
 * A minimal QMP client (QEMU's JSON monitor protocol over a Unix socket): connect, negotiate
 * capabilities, run commands, wait for events.
 */
import { connect, type Socket } from 'node:net';

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
}

export class Qmp {
  private readonly socket: Socket;
  private buffer = '';
  private readonly pending: Array<{ resolve: (v: unknown) => void; reject: (e: Error) => void }> = [];
  private readonly waiters: Array<{ match: (e: QmpEvent) => boolean; resolve: (e: QmpEvent) => void }> = [];
  private greeted: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    let greet: () => void = () => {};
    this.greeted = new Promise((r) => (greet = r));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (line === '') continue;
        const msg = JSON.parse(line) as Record<string, unknown>;
        if ('QMP' in msg) greet();
        else if ('event' in msg) this.onEvent(msg as unknown as QmpEvent);
        else if ('return' in msg) this.pending.shift()?.resolve(msg['return']);
        else if ('error' in msg) this.pending.shift()?.reject(new Error(`QMP: ${JSON.stringify(msg['error'])}`));
      }
    });
    socket.on('close', () => {
      for (const p of this.pending.splice(0)) p.reject(new Error('QMP connection closed'));
    });
  }

  private onEvent(e: QmpEvent): void {
    const i = this.waiters.findIndex((w) => w.match(e));
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(e);
  }

  /** Connects to the socket (retrying while QEMU creates it) and leaves capability negotiation. */
  static async open(path: string, timeoutMs = 10_000): Promise<Qmp> {
    const until = performance.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path);
          s.once('connect', () => resolve(s));
          s.once('error', reject);
        });
        const q = new Qmp(socket);
        await q.greeted;
        await q.command('qmp_capabilities');
        return q;
      } catch (e) {
        if (performance.now() > until) throw e;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  command(execute: string, args?: Record<string, unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.socket.write(`${JSON.stringify(args === undefined ? { execute } : { execute, arguments: args })}\n`);
    });
  }

  /** The next event `match` accepts (register before the command that causes it). */
  waitEvent(match: (e: QmpEvent) => boolean, timeoutMs: number): Promise<QmpEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`QMP: no matching event within ${timeoutMs} ms`)), timeoutMs);
      // A wait for an event that never comes (a "failed" that did not happen) must not keep Node up.
      timer.unref();
      this.waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A MIGRATION event with this status. */
export function migrationStatus(status: string): (e: QmpEvent) => boolean {
  return (e) => e.event === 'MIGRATION' && e.data?.['status'] === status;
}
