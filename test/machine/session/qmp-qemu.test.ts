// The same scripted QMP session against Debian's qemu-system-i386 and against godwit: the
// responses must have the same shapes (keys and value types) and the events come in the same
// order. Where godwit answers differently on purpose, DIFFERENCES names it and the comparison
// leaves exactly that out. QEMU comes from scripts/need-qemu.sh (apt-get); without it the test is
// skipped with a message saying so.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json, JsonMap } from './qmp-client.ts';
import { QmpTestClient, shapeOf } from './qmp-client.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function haveQemu(): boolean {
  if (spawnSync('sh', ['-c', 'command -v qemu-system-i386'], { encoding: 'utf8' }).status === 0) return true;
  const r = spawnSync('scripts/need-qemu.sh', [], { cwd: root, encoding: 'utf8', timeout: 600_000 });
  if (r.status === 0) return true;
  console.warn(`qmp-qemu.test.ts: SKIPPED: qemu-system-i386 is missing and scripts/need-qemu.sh could not install it:\n${r.stderr}`);
  return false;
}
const QEMU = haveQemu();

/** Where godwit answers differently on purpose (each is left out of the comparison below). */
const DIFFERENCES = {
  greeting: "the greeting's capabilities: QEMU offers ['oob'], godwit [] (no out-of-band execution)",
  migrationPass: 'MIGRATION_PASS events: QEMU copies RAM in passes while the guest runs; godwit saves the machine in one step at an instruction boundary',
  firmwareResets: 'RESET events with guest true after system_reset: the SeaBIOS QEMU boots resets the machine itself; godwit boots its kernel directly',
  parseError: "the text after 'JSON parse error, ' (QEMU's parser and JavaScript's word it differently)",
} as const;

type Step = { name: string; send: string } | { name: string; wait: 'migration' };

const SNAP = 'snap';
function script(dir: string): Step[] {
  const cmd = (name: string, execute: string, args?: JsonMap, id?: Json): Step => {
    const msg: JsonMap = { execute };
    if (args !== undefined) msg['arguments'] = args;
    if (id !== undefined) msg['id'] = id;
    return { name, send: JSON.stringify(msg) };
  };
  return [
    cmd('before negotiation', 'query-status'),
    cmd('qmp_capabilities', 'qmp_capabilities'),
    cmd('query-version', 'query-version'),
    cmd('query-status prelaunch', 'query-status'),
    cmd('query-name', 'query-name'),
    cmd('query-cpus-fast', 'query-cpus-fast'),
    cmd('cont', 'cont'),
    cmd('stop', 'stop'),
    cmd('info status', 'human-monitor-command', { 'command-line': 'info status' }),
    cmd('cont with id', 'cont', undefined, 'x1'),
    cmd('unknown command', 'no-such-command'),
    cmd('wrong argument type', 'migrate', { uri: 5 }),
    cmd('missing argument', 'migrate-incoming'),
    cmd('unexpected argument', 'stop', { now: true }),
    { name: 'not an object', send: '[1]' },
    { name: 'malformed JSON', send: '{"execute": }' },
    cmd('migration events on', 'migrate-set-capabilities', { capabilities: [{ capability: 'events', state: true }] }),
    cmd('query-migrate-capabilities', 'query-migrate-capabilities'),
    cmd('system_reset', 'system_reset'),
    cmd('migrate exec:', 'migrate', { uri: `exec:cat > ${join(dir, SNAP)}` }),
    { name: 'migration completes', wait: 'migration' },
    cmd('query-migrate', 'query-migrate'),
    cmd('query-status postmigrate', 'query-status'),
    cmd('quit', 'quit'),
  ];
}

interface Transcript {
  greeting: JsonMap;
  responses: Map<string, JsonMap>;
  events: JsonMap[];
}

async function runScript(args: { command: string; argv: string[] }, dir: string, sock: string): Promise<Transcript> {
  const proc: ChildProcess = spawn(args.command, args.argv, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  try {
    const c = await QmpTestClient.connect(sock);
    const greeting = await c.response();
    const responses = new Map<string, JsonMap>();
    for (const step of script(dir)) {
      if ('wait' in step) {
        const deadline = Date.now() + 30_000;
        for (;;) {
          const r = (await c.execute('query-migrate'))['return'] as JsonMap;
          if (r['status'] === 'completed' || r['status'] === 'failed' || Date.now() > deadline) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        continue;
      }
      c.sendRaw(`${step.send}\n`);
      responses.set(step.name, await c.response());
      // Let the events of a state change arrive before the next command.
      await new Promise((r) => setTimeout(r, 150));
    }
    await c.closedByPeer();
    expect(await exited).toBe(0);
    return { greeting, responses, events: c.events };
  } finally {
    proc.kill('SIGKILL');
  }
}

function comparableEvents(events: JsonMap[], qemu: boolean): Json[] {
  return events
    .filter((e) => e['event'] !== 'MIGRATION_PASS') // DIFFERENCES.migrationPass
    .filter((e) => !(qemu && e['event'] === 'RESET' && (e['data'] as JsonMap)['guest'] === true)) // DIFFERENCES.firmwareResets
    .map((e) => ({ event: e['event']!, ...(e['data'] === undefined ? {} : { data: e['data'] }) }));
}

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'godwit-qmpcmp-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!QEMU)('QMP: godwit against qemu-system-i386', () => {
  it('same shapes of every response, same events in the same order (the differences named in DIFFERENCES)', async () => {
    const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    const qdir = join(dir, 'qemu');
    const gdir = join(dir, 'godwit');
    for (const d of [qdir, gdir]) spawnSync('mkdir', ['-p', d]);
    const qsock = join(qdir, 'qmp.sock');
    const gsock = join(gdir, 'qmp.sock');
    const common = ['-S', '-m', '16', '-name', 'cmp', '-qmp', `unix:SOCK,server,wait=off`];
    const qemu = await runScript(
      { command: 'qemu-system-i386', argv: ['-display', 'none', '-nodefaults', '-serial', 'none', '-monitor', 'none', ...common.map((a) => a.replace('SOCK', qsock))] },
      qdir,
      qsock,
    );
    const godwit = await runScript(
      { command: process.execPath, argv: ['bin/godwit.js', '-kernel', 'test/guests/bin/console.elf', '-serial', 'none', ...common.map((a) => a.replace('SOCK', gsock))] },
      gdir,
      gsock,
    );
    expect(existsSync(join(qdir, SNAP)) && existsSync(join(gdir, SNAP))).toBe(true);

    // DIFFERENCES.greeting
    expect((qemu.greeting['QMP'] as JsonMap)['capabilities']).toEqual(['oob']);
    expect((godwit.greeting['QMP'] as JsonMap)['capabilities']).toEqual([]);
    const noCaps = (g: JsonMap) => shapeOf({ ...(g['QMP'] as JsonMap), capabilities: [] });
    expect(noCaps(godwit.greeting)).toEqual(noCaps(qemu.greeting));

    for (const [name, q] of qemu.responses) {
      const g = godwit.responses.get(name)!;
      expect(shapeOf(g), name).toEqual(shapeOf(q));
      if (Object.hasOwn(q, 'error')) {
        const qe = q['error'] as JsonMap;
        const ge = g['error'] as JsonMap;
        expect(ge['class'], name).toBe(qe['class']);
        // DIFFERENCES.parseError: only the start of that message is the same.
        if (name === 'malformed JSON') expect(String(ge['desc'])).toMatch(/^JSON parse error, /);
        else expect(ge['desc'], name).toBe(qe['desc']);
      }
    }
    // The values that do not depend on the host or on the emulator's identity are the same too.
    for (const name of ['query-status prelaunch', 'query-status postmigrate', 'query-name', 'info status', 'cont with id', 'query-migrate-capabilities']) {
      expect(godwit.responses.get(name), name).toEqual(qemu.responses.get(name));
    }
    expect(comparableEvents(godwit.events, false)).toEqual(comparableEvents(qemu.events, true));
  }, 120_000);
});
