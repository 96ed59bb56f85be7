/**
 * The "done when", end to end through bin/godwit.js: boot the Linux guest into busybox's
 * shell with -nographic, type commands, stop and continue it through QMP while recording, then
 * replay the session: the same console output, instruction count, virtual time and RAM.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QmpTestClient } from '../../machine/session/qmp-client.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const L = 'test/guests/linux/';
const LINUX = ['-m', '32', '-kernel', `${L}bzImage`, '-initrd', `${L}initramfs.cpio`, '-append', 'console=ttyS0 lpj=10000000 no_timer_check godwit.mode=shell', '-nographic'];
const PROMPT = 'godwit# ';

let dir = '';
beforeAll(() => {
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, encoding: 'utf8' });
  expect(build.status, build.stderr).toBe(0);
  dir = mkdtempSync(join(tmpdir(), 'godwit-shell-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the Linux shell', () => {
  it('boots to busybox, takes typed commands, stops and continues through QMP, and replays exactly', async () => {
    const log = join(dir, 'shell.rr');
    const sock = join(dir, 'qmp.sock');
    const child = spawn(process.execPath, ['bin/godwit.js', ...LINUX, '-qmp', `unix:${sock},server,wait=off`, '-icount', `shift=0,rr=record,rrfile=${log}`, '--stats', join(dir, 'rec.json')], {
      cwd: root,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString('latin1')));
    child.stderr!.on('data', (b: Buffer) => (err += b.toString('latin1')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Kernel messages may come after a prompt: look for each text after the one before.
    let from = 0;
    const waitFor = async (text: string) => {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const at = out.indexOf(text, from);
        if (at >= 0) {
          from = at + text.length;
          return;
        }
        if (Date.now() > deadline) throw new Error(`no ${JSON.stringify(text)}; the console ends with ${JSON.stringify(out.slice(-200))}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const qmp = await QmpTestClient.connect(sock);
    await qmp.response();
    expect(await qmp.execute('qmp_capabilities')).toEqual({ return: {} });
    await waitFor(PROMPT);
    child.stdin!.write('echo one two\n');
    await waitFor(`one two\r\n`);
    await waitFor(PROMPT);
    expect(await qmp.execute('stop')).toEqual({ return: {} });
    await qmp.event('STOP');
    const before = out;
    child.stdin!.write('uname -r; cat /proc/cmdline\n');
    await new Promise((r) => setTimeout(r, 500));
    expect(out).toBe(before);
    expect(await qmp.execute('cont')).toEqual({ return: {} });
    await qmp.event('RESUME');
    await waitFor('godwit.mode=shell\r\n');
    await waitFor(PROMPT);
    expect(out).toContain('6.1.192\r\n');
    child.stdin!.write('poweroff -f\n');
    expect(await exited).toBe(4);
    expect(err).toMatch(/^godwit: guest halted with interrupts disabled/);
    qmp.end();

    const replay = spawnSync(process.execPath, ['bin/godwit.js', ...LINUX, '-icount', `shift=0,rr=replay,rrfile=${log}`, '--stats', join(dir, 'replay.json')], {
      cwd: root,
      encoding: 'latin1',
      input: 'echo live input is ignored\n',
      timeout: 200_000,
    });
    expect(replay.status).toBe(4);
    expect(replay.stdout).toBe(out);
    expect(JSON.parse(readFileSync(join(dir, 'replay.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(join(dir, 'rec.json'), 'utf8')));
  }, 400_000);
});
