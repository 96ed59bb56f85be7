// The console end to end: bin/godwit.js with the console guest (test/guests/src/console.c) on
// -serial stdio, fed through a pipe, killed by signals.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const CONSOLE = ['-kernel', 'test/guests/bin/console.elf', '-m', '16'];
const PROMPT = 'console: ready (trigger 1)\n> ';

function godwit(args: string[], input: string) {
  return spawnSync(process.execPath, ['bin/godwit.js', ...args], { cwd: root, encoding: 'latin1', input, timeout: 60_000 });
}

let dir = '';
beforeAll(() => {
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, encoding: 'utf8' });
  expect(build.status, build.stderr).toBe(0);
  dir = mkdtempSync(join(tmpdir(), 'godwit-console-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('-serial stdio from a pipe', () => {
  it('types commands into the guest; isa-debug-exit ends the run with its status', () => {
    const r = godwit(CONSOLE, 'echo hello\radd 2 40\rexit 3\r');
    expect(r.stdout).toBe(`${PROMPT}echo hello\nhello\n> add 2 40\n2+40=42\n> exit 3\nbye\n`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(7);
  });

  it('the end of input while the guest waits with no timer armed: halted for good, exit status 4', () => {
    const r = godwit(CONSOLE, 'echo x\r');
    expect(r.stdout).toBe(`${PROMPT}echo x\nx\n> `);
    expect(r.stderr).toBe('godwit: guest halted waiting for an interrupt, and no timer is armed\n');
    expect(r.status).toBe(4);
  });

  it("QEMU's escapes: C-a C-a sends C-a (the guest drops it), C-a h prints help, C-a x quits with status 0", async () => {
    const child = spawn(process.execPath, ['bin/godwit.js', ...CONSOLE], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('latin1')));
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString('latin1')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const waitFor = async (text: string) => {
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && !stdout.endsWith(text)) await new Promise((r) => setTimeout(r, 20));
      expect(stdout.endsWith(text), stdout).toBe(true);
    };
    const help = 'C-a h    print this help\r\nC-a x    exit emulator\r\nC-a C-a  sends C-a\r\n';
    child.stdin.write('echo a\x01');
    child.stdin.write('\x01b\r');
    await waitFor('ab\n> ');
    child.stdin.write('\x01h');
    await waitFor(help);
    child.stdin.write('\x01xecho never\r');
    expect(await exited).toBe(0);
    expect(stdout).toBe(`${PROMPT}echo ab\nab\n> ${help}`);
    expect(stderr).toBe('godwit: Terminated (C-a x)\n');
  });
});

describe('signals', () => {
  for (const [signal, number] of [['SIGTERM', 15], ['SIGINT', 2], ['SIGHUP', 1]] as const) {
    it(`${signal}: every byte the guest wrote (the prompt without its newline too) and --stats are written; exit 0 as QEMU`, async () => {
      const out = join(dir, `${signal}.out`);
      const stats = join(dir, `${signal}.json`);
      const fd = openSync(out, 'w');
      const child = spawn(process.execPath, ['bin/godwit.js', ...CONSOLE, '--stats', stats], { cwd: root, stdio: ['pipe', fd, 'pipe'] });
      closeSync(fd);
      let stderr = '';
      child.stderr!.on('data', (b: Buffer) => (stderr += b.toString('latin1')));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })));
      child.stdin!.write('echo one\r');
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && readFileSync(out, 'latin1') !== `${PROMPT}echo one\none\n> `) await new Promise((r) => setTimeout(r, 20));
      child.kill(signal);
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(readFileSync(out, 'latin1')).toBe(`${PROMPT}echo one\none\n> `);
      expect(stderr).toBe(`godwit: terminating on signal ${number}\n`);
      const s = JSON.parse(readFileSync(stats, 'utf8')) as { reason: string; serialBytes: number; exitStatus: number };
      expect(s).toMatchObject({ reason: 'signal', exitStatus: 0, serialBytes: PROMPT.length + 'echo one\none\n> '.length });
      child.stdin!.destroy();
    });
  }
});

describe('-serial on a socket', () => {
  async function talk(connect: () => net.Socket, args: string[]) {
    const child = spawn(process.execPath, ['bin/godwit.js', ...CONSOLE, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString('latin1')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Without nowait the machine waits for its client: nothing runs before it connects.
    const deadline = Date.now() + 20_000;
    while (!stderr.includes('waiting for connection') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    const socket = connect();
    let got = '';
    socket.on('data', (b: Buffer) => (got += b.toString('latin1')));
    while (!got.endsWith('> ') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(got).toBe(PROMPT);
    socket.write('add 1 1\r');
    while (!got.endsWith('1+1=2\n> ') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    socket.write('exit 2\r');
    expect(await exited).toBe(5);
    expect(got).toBe(`${PROMPT}add 1 1\n1+1=2\n> exit 2\nbye\n`);
    socket.destroy();
    return stderr;
  }

  it('unix:PATH,server waits for a client, then the client is the console', async () => {
    const path = join(dir, 'serial.sock');
    const stderr = await talk(() => net.createConnection(path), ['-serial', `unix:${path},server`]);
    expect(stderr).toBe(`godwit: -serial unix:${path},server=on: waiting for connection on: disconnected:unix:${path},server=on\n`);
  });

  it('tcp:HOST:PORT,server too', async () => {
    const port = 20000 + (process.pid % 20000);
    await talk(() => net.createConnection(port, '127.0.0.1'), ['-serial', `tcp:127.0.0.1:${port},server`]);
  });
});
