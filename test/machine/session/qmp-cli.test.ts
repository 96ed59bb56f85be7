// QMP through bin/godwit.js on a unix socket: negotiation, the command set, events, hostile input,
// and migrate / migrate-incoming with snapshots that restore exactly.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QmpTestClient } from './qmp-client.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const CONSOLE = ['-kernel', 'test/guests/bin/console.elf', '-m', '16'];
const SPIN = ['-kernel', 'test/guests/bin/spin.elf', '-append', 'forever=1', '-m', '16'];

let dir = '';
beforeAll(() => {
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, encoding: 'utf8' });
  expect(build.status, build.stderr).toBe(0);
  dir = mkdtempSync(join(tmpdir(), 'godwit-qmp-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Child {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function start(args: string[]): Child {
  const proc = spawn(process.execPath, ['bin/godwit.js', ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString('latin1')));
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString('latin1')));
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, stdout: () => out, stderr: () => err, exit };
}

async function negotiated(sock: string): Promise<QmpTestClient> {
  const c = await QmpTestClient.connect(sock);
  await c.response();
  expect(await c.execute('qmp_capabilities')).toEqual({ return: {} });
  return c;
}

const stripTimestamps = (events: Record<string, unknown>[]) => events.map(({ timestamp: _t, ...rest }) => rest);

describe('-qmp unix:PATH,server', () => {
  it('negotiation, run states and their events, system_reset, info status, and quit (exit 0)', async () => {
    const sock = join(dir, 'a.sock');
    const g = start([...CONSOLE, '-S', '-name', 'guest1', '-qmp', `unix:${sock},server,wait=off`]);
    const c = await QmpTestClient.connect(sock);
    const greeting = await c.response();
    expect(greeting).toEqual({ QMP: { version: { qemu: { micro: 0, minor: 2, major: 7 }, package: ' (godwit 0.1.0)' }, capabilities: [] } });
    expect(await c.execute('query-status')).toEqual({ error: { class: 'CommandNotFound', desc: "Expecting capabilities negotiation with 'qmp_capabilities'" } });
    expect(await c.execute('qmp_capabilities', { enable: ['oob'] })).toEqual({ error: { class: 'GenericError', desc: "Capability 'oob' not available" } });
    expect(await c.execute('qmp_capabilities', undefined, 'n')).toEqual({ return: {}, id: 'n' });
    expect(await c.execute('qmp_capabilities')).toEqual({ error: { class: 'CommandNotFound', desc: 'Capabilities negotiation is already complete, command ignored' } });
    expect(await c.execute('query-status')).toEqual({ return: { status: 'prelaunch', singlestep: false, running: false } });
    expect(g.stdout()).toBe('');
    expect(await c.execute('query-name')).toEqual({ return: { name: 'guest1' } });
    const cpus = (await c.execute('query-cpus-fast'))['return'] as Record<string, unknown>[];
    expect(cpus).toEqual([{ 'thread-id': g.proc.pid, props: { 'core-id': 0, 'thread-id': 0, 'socket-id': 0 }, 'qom-path': '/machine/cpu[0]', 'cpu-index': 0, target: 'i386' }]);
    const names = ((await c.execute('query-commands'))['return'] as { name: string }[]).map((n) => n.name);
    for (const n of ['qmp_capabilities', 'query-version', 'query-status', 'stop', 'cont', 'system_reset', 'quit', 'human-monitor-command', 'migrate', 'migrate-incoming', 'query-migrate', 'migrate_cancel']) expect(names).toContain(n);

    expect(await c.execute('cont')).toEqual({ return: {} });
    await c.event('RESUME');
    const deadline = Date.now() + 20_000;
    while (!g.stdout().endsWith('> ') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(g.stdout()).toBe('console: ready (trigger 1)\n> ');
    expect(await c.execute('stop')).toEqual({ return: {} });
    await c.event('STOP');
    expect(await c.execute('human-monitor-command', { 'command-line': 'info status' })).toEqual({ return: 'VM status: paused\r\n' });
    // Typed while stopped: it waits for cont.
    g.proc.stdin!.write('echo typed while stopped\r');
    await new Promise((r) => setTimeout(r, 300));
    expect(g.stdout()).toBe('console: ready (trigger 1)\n> ');
    expect(await c.execute('cont', undefined, 5)).toEqual({ return: {}, id: 5 });
    await c.event('RESUME');
    while (!g.stdout().endsWith('stopped\n> ') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(g.stdout()).toBe('console: ready (trigger 1)\n> echo typed while stopped\ntyped while stopped\n> ');

    expect(await c.execute('system_reset')).toEqual({ return: {} });
    const reset = await c.event('RESET');
    expect(reset['data']).toEqual({ guest: false, reason: 'host-qmp-system-reset' });
    while (!g.stdout().endsWith('stopped\n> console: ready (trigger 1)\n> ') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(g.stdout().endsWith('stopped\n> console: ready (trigger 1)\n> ')).toBe(true);
    // The guest resets itself: RESET with guest true.
    g.proc.stdin!.write('reset\r');
    expect((await c.event('RESET'))['data']).toEqual({ guest: true, reason: 'guest-reset' });

    expect(await c.execute('quit')).toEqual({ return: {} });
    expect((await c.event('SHUTDOWN'))['data']).toEqual({ guest: false, reason: 'host-qmp-quit' });
    expect(await g.exit).toBe(0);
    expect(g.stderr()).toBe('');
    await c.closedByPeer();
    expect(c.closed).toBe(true);
  });

  it('hostile input: each gets an error, the emulator goes on, other clients are served; a 17th client is refused', async () => {
    const sock = join(dir, 'b.sock');
    const g = start([...SPIN, '-serial', 'none', '-qmp', `unix:${sock},server,wait=off`]);
    const c = await negotiated(sock);
    const errorOf = (r: Record<string, unknown>) => r['error'];
    c.sendRaw('{"execute": }\n');
    expect(errorOf(await c.response())).toMatchObject({ class: 'GenericError', desc: expect.stringMatching(/^JSON parse error/) });
    c.sendRaw('[1, 2]\n');
    expect(await c.response()).toEqual({ error: { class: 'GenericError', desc: 'QMP input must be a JSON object' } });
    c.sendRaw('{"execute": "stop", "bogus": 1, "id": 3}\n');
    expect(await c.response()).toEqual({ error: { class: 'GenericError', desc: "QMP input member 'bogus' is unexpected" }, id: 3 });
    expect(await c.execute('no-such-command')).toEqual({ error: { class: 'CommandNotFound', desc: 'The command no-such-command has not been found' } });
    expect(await c.execute('migrate', { uri: 5 })).toEqual({ error: { class: 'GenericError', desc: "Invalid parameter type for 'uri', expected: string" } });
    expect(await c.execute('migrate')).toEqual({ error: { class: 'GenericError', desc: "Parameter 'uri' is missing" } });
    expect(await c.execute('stop', { force: true })).toEqual({ error: { class: 'GenericError', desc: "Parameter 'force' is unexpected" } });
    expect(await c.execute('migrate', { uri: 'tcp:1.2.3.4:5' })).toEqual({ error: { class: 'GenericError', desc: "Parameter 'uri' expects a valid migration protocol" } });
    // A message larger than the bound (1 MiB): one error, nothing kept, the stream goes on.
    c.sendRaw(`{"execute": "x", "arguments": {"s": "${'a'.repeat(3 << 20)}"}}\n`);
    expect(errorOf(await c.response())).toMatchObject({ class: 'GenericError' });
    expect(await c.execute('query-status')).toEqual({ return: { status: 'running', singlestep: false, running: true } });
    // A client that leaves in the middle of a command.
    const quitter = await negotiated(sock);
    quitter.sendRaw('{"execute": "query-sta');
    quitter.end();
    // Many clients: 16 at once are served, the 17th gets an error and is closed.
    const many: QmpTestClient[] = [c];
    for (let i = 0; i < 15; i++) many.push(await negotiated(sock));
    const extra = await QmpTestClient.connect(sock);
    expect((await extra.response())['error']).toEqual({ class: 'GenericError', desc: 'too many QMP clients (godwit serves 16 at once)' });
    await extra.closedByPeer();
    for (const m of many) expect((await m.execute('query-status'))['return']).toMatchObject({ status: 'running' });
    many[5]!.end();
    await new Promise((r) => setTimeout(r, 200));
    const again = await negotiated(sock);
    expect((await again.execute('query-status'))['return']).toMatchObject({ status: 'running' });
    expect(await c.execute('quit')).toEqual({ return: {} });
    expect(await g.exit).toBe(0);
  });

  it('migrate to file: while the guest runs, at an instruction boundary; the snapshot restores exactly (same result as a straight run)', async () => {
    const sock = join(dir, 'c.sock');
    const snap = join(dir, 'spin.snap');
    const g = start([...SPIN, '-serial', 'none', '-qmp', `unix:${sock},server,wait=off`]);
    const c = await negotiated(sock);
    expect(await c.execute('migrate-set-capabilities', { capabilities: [{ capability: 'events', state: true }] })).toEqual({ return: {} });
    await new Promise((r) => setTimeout(r, 300));
    expect(await c.execute('migrate', { uri: `file:${snap}` })).toEqual({ return: {} });
    await c.event('STOP');
    const done = await c.event('MIGRATION');
    expect(done['data']).toEqual({ status: 'setup' });
    expect((await c.event('MIGRATION'))['data']).toEqual({ status: 'active' });
    expect((await c.event('MIGRATION'))['data']).toEqual({ status: 'completed' });
    const q = (await c.execute('query-migrate'))['return'] as Record<string, unknown>;
    expect(q['status']).toBe('completed');
    expect(await c.execute('query-status')).toEqual({ return: { status: 'postmigrate', singlestep: false, running: false } });
    expect(await c.execute('cont')).toEqual({ return: {} });
    expect(await c.execute('quit')).toEqual({ return: {} });
    expect(await g.exit).toBe(0);

    const limit = ['--max-insns', '120000000'];
    const straight = spawnSync(process.execPath, ['bin/godwit.js', ...SPIN, '-serial', 'none', ...limit, '--stats', join(dir, 'straight.json')], { cwd: root, encoding: 'utf8' });
    const restored = spawnSync(process.execPath, ['bin/godwit.js', '-incoming', `file:${snap}`, '-m', '16', '-serial', 'none', ...limit, '--stats', join(dir, 'restored.json')], { cwd: root, encoding: 'utf8' });
    expect(straight.status, straight.stderr).toBe(0);
    expect(restored.status, restored.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'restored.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(join(dir, 'straight.json'), 'utf8')));
  }, 60_000);

  it('-incoming defer and migrate-incoming exec: the console picks up where the snapshot was taken', async () => {
    const sock = join(dir, 'd.sock');
    const snap = join(dir, 'console.snap');
    const src = start([...CONSOLE, '-qmp', `unix:${sock},server,wait=off`]);
    src.proc.stdin!.write('echo before\r');
    const deadline = Date.now() + 20_000;
    while (!src.stdout().endsWith('before\n> ') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const c = await negotiated(sock);
    expect(await c.execute('migrate', { uri: `exec:cat > ${snap}` })).toEqual({ return: {} });
    while (((await c.execute('query-migrate'))['return'] as Record<string, unknown>)['status'] !== 'completed' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await c.execute('quit')).toEqual({ return: {} });
    expect(await src.exit).toBe(0);

    const sock2 = join(dir, 'e.sock');
    const dst = start(['-m', '16', '-incoming', 'defer', '-qmp', `unix:${sock2},server,wait=off`]);
    const d = await negotiated(sock2);
    expect(await d.execute('query-status')).toEqual({ return: { status: 'inmigrate', singlestep: false, running: false } });
    expect(await d.execute('migrate-incoming', { uri: `exec:cat ${snap}` })).toEqual({ return: {} });
    await d.event('RESUME');
    dst.proc.stdin!.write('echo after\rexit 2\r');
    expect(await dst.exit).toBe(5);
    expect(dst.stdout()).toBe('echo after\nafter\n> exit 2\nbye\n');
  });
});
