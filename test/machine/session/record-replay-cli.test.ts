// Record and replay through bin/godwit.js: a session typed into the console guest is recorded with
// -icount rr=record, then replayed from power-on and from a snapshot taken during a replay; every
// replay ends where the recording did with the same output, RAM, instruction count and virtual time.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const CONSOLE = ['-kernel', 'test/guests/bin/console.elf', '-m', '16', '-append', 'trigger=4'];

let dir = '';
beforeAll(() => {
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, encoding: 'utf8' });
  expect(build.status, build.stderr).toBe(0);
  dir = mkdtempSync(join(tmpdir(), 'godwit-rr-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], input = '') {
  return spawnSync(process.execPath, ['bin/godwit.js', ...args], { cwd: root, encoding: 'latin1', input, timeout: 60_000 });
}

/** Types the lines one by one, each once the guest has answered the one before. */
async function record(log: string, stats: string, lines: string[]): Promise<{ stdout: string; status: number | null }> {
  const child = spawn(process.execPath, ['bin/godwit.js', ...CONSOLE, '-icount', `shift=0,rr=record,rrfile=${log}`, '--stats', stats], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString('latin1')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let prompts = 1;
  for (const line of lines) {
    const deadline = Date.now() + 10_000;
    while (stdout.split('> ').length - 1 < prompts) {
      if (Date.now() > deadline) throw new Error(`the guest did not answer; its output ends with ${JSON.stringify(stdout.slice(-40))}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    // Cut each line in two writes: input arrives in pieces, at host-chosen times.
    child.stdin.write(line.slice(0, 3));
    await new Promise((r) => setTimeout(r, 3));
    child.stdin.write(line.slice(3));
    prompts++;
  }
  const status = await exited;
  return { stdout, status };
}

const stats = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

describe('-icount rr=record / rr=replay', () => {
  it('replays a typed session bit for bit from power-on and from a snapshot taken in the middle', async () => {
    const log = join(dir, 'session.rr');
    const lines = ['echo hello replay\r', 'sleep 3\r', 'add 40 2\r', 'stats\r', 'this is not a command\r', 'exit 9\r'];
    const rec = await record(log, join(dir, "rec.json"), lines);
    expect(rec.status).toBe(19);
    expect(rec.stdout).toContain('40+2=42\n');
    // 19 bytes in one write: the FIFO takes 16, the rest enters once the guest has read them.
    expect(rec.stdout).toContain('unknown command: this is not a command\n');
    const recorded = stats(join(dir, 'rec.json'));
    const events = readFileSync(log, 'latin1').trim().split('\n');
    expect(events.length).toBeGreaterThan(lines.length);
    expect(JSON.parse(events.at(-1)!)).toMatchObject({ end: 'debug-exit', status: 19 });

    // From power-on: live input is ignored (stdin here says something else entirely).
    const whole = run([...CONSOLE, '-icount', `shift=0,rr=replay,rrfile=${log}`, '--stats', join(dir, 'whole.json')], 'exit 1\r');
    expect(whole.stderr).toBe('');
    expect(whole.status).toBe(19);
    expect(whole.stdout).toBe(rec.stdout);
    expect(stats(join(dir, 'whole.json'))).toEqual(recorded);

    // A snapshot at an instruction between two typed lines, taken while replaying...
    const middle = JSON.parse(events[3]!) as { insns: number };
    const snap = join(dir, 'middle.snap');
    const first = run([...CONSOLE, '-icount', `shift=0,rr=replay,rrfile=${log}`, '--stop-at', String(middle.insns + 1000), '--save', snap]);
    expect(first.status, first.stderr).toBe(0);
    expect(rec.stdout.startsWith(first.stdout)).toBe(true);
    // ... replays the rest from it.
    const rest = run(['-incoming', `file:${snap}`, '-m', '16', '-icount', `shift=0,rr=replay,rrfile=${log}`, '--stats', join(dir, 'rest.json')]);
    expect(rest.stderr).toBe('');
    expect(rest.status).toBe(19);
    expect(first.stdout + rest.stdout).toBe(rec.stdout);
    expect(stats(join(dir, 'rest.json'))).toEqual(recorded);
  });

  it('a log that does not fit the run, or a broken one, is refused with one line', () => {
    const log = join(dir, 'bad.rr');
    writeFileSync(log, '{"godwit-replay":1,"icount-shift":0,"start":{"insns":0,"ns":0}}\n{"insns":5,"ns":5,"serial":"zz"}\n');
    let r = run([...CONSOLE, '-icount', `shift=0,rr=replay,rrfile=${log}`]);
    expect(r.stderr).toBe(`godwit: replay log '${log}': line 2: 'serial' must be 1..256 bytes in lower-case hex\n`);
    expect(r.status).toBe(1);
    writeFileSync(log, '{"godwit-replay":1,"icount-shift":3,"start":{"insns":0,"ns":0}}\n');
    r = run([...CONSOLE, '-icount', `shift=0,rr=replay,rrfile=${log}`]);
    expect(r.stderr).toBe(`godwit: -icount rr=replay '${log}': the log was recorded with -icount shift=3, this machine has shift=0\n`);
    expect(r.status).toBe(1);
    // An event at a position the run never reaches (5 instructions cannot take 3 s while the CPU runs).
    writeFileSync(log, '{"godwit-replay":1,"icount-shift":0,"start":{"insns":0,"ns":0}}\n{"insns":5,"ns":3000000000,"serial":"41"}\n');
    r = run([...CONSOLE, '-icount', `shift=0,rr=replay,rrfile=${log}`]);
    expect(r.stderr).toMatch(/^godwit: -icount rr=replay: .*instruction 5, 3000000000 ns.*diverged from the recording\n$/);
    expect(r.status).toBe(1);
  });
});
