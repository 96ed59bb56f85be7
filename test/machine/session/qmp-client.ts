/**
 * A small QMP client for the tests: connects to a unix socket, splits the stream into messages,
 * keeps events and responses apart, and runs commands one at a time.
 */
import * as net from 'node:net';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonMap = { [key: string]: Json };

export class QmpTestClient {
  readonly events: JsonMap[] = [];
  /** Every message in arrival order (greeting, responses, events). */
  readonly messages: JsonMap[] = [];
  private readonly socket: net.Socket;
  private buffer = '';
  private waiters: (() => void)[] = [];
  private responses: JsonMap[] = [];
  closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.buffer += text;
      for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (line === '') continue;
        const msg = JSON.parse(line) as JsonMap;
        this.messages.push(msg);
        if (Object.hasOwn(msg, 'event')) this.events.push(msg);
        else this.responses.push(msg);
      }
      this.notify();
    });
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
    socket.on('error', () => {});
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Connects, retrying while the socket does not exist yet. */
  static async connect(path: string, timeoutMs = 20_000): Promise<QmpTestClient> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.createConnection(path, () => resolve(s));
          s.once('error', reject);
        });
        return new QmpTestClient(socket);
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  private async until(done: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (this.closed) throw new Error(`QMP connection closed while waiting for ${what}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** The next response (the greeting first). */
  async response(): Promise<JsonMap> {
    await this.until(() => this.responses.length > 0, 'a response');
    return this.responses.shift()!;
  }

  sendRaw(text: string): void {
    this.socket.write(text);
  }

  async execute(command: string, args?: JsonMap, id?: Json): Promise<JsonMap> {
    const msg: JsonMap = { execute: command };
    if (args !== undefined) msg['arguments'] = args;
    if (id !== undefined) msg['id'] = id;
    this.sendRaw(`${JSON.stringify(msg)}\n`);
    return this.response();
  }

  async event(name: string, timeoutMs = 20_000): Promise<JsonMap> {
    await this.until(() => this.events.some((e) => e['event'] === name), `event ${name}`, timeoutMs);
    const i = this.events.findIndex((e) => e['event'] === name);
    return this.events.splice(i, 1)[0]!;
  }

  async closedByPeer(): Promise<void> {
    await this.until(() => this.closed || false, 'the peer to close').catch(() => {});
  }

  end(): void {
    this.socket.destroy();
  }
}

/** The shape of a JSON value: its keys (sorted) and the types of their values, recursively. */
export function shapeOf(v: Json): Json {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length === 0 ? ['empty'] : [shapeOf(v[0]!)];
  if (typeof v === 'object') {
    const out: JsonMap = {};
    for (const k of Object.keys(v).sort()) out[k] = shapeOf(v[k]!);
    return out;
  }
  return typeof v;
}
