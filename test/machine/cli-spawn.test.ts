// End-to-end: build the bundle, then run bin/godwit.js as a user would. Kept to a few fast runs.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
// The CLI bundles the Machine class; without it there is nothing to build yet.
const haveMachine = existsSync(`${root}machine/machine.ts`);

function godwit(...args: string[]) {
  return spawnSync(process.execPath, ['bin/godwit.js', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
}

describe.skipIf(!haveMachine)('bin/godwit.js', () => {
  beforeAll(() => {
    const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
  });

  it('a bad option: exit 2, one line on stderr, nothing on stdout', () => {
    const r = godwit('--bogus');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("godwit: unknown option '--bogus' (see --help)\n");
    expect(r.stdout).toBe('');
  });

  it.skipIf(process.platform !== 'linux')('run as a command (its first line), Node has glibc malloc ask for transparent huge pages, as the benchmarks do', async () => {
    const setting = 'GLIBC_TUNABLES=glibc.malloc.hugetlb=1';
    expect(readFileSync(`${root}bin/godwit.js`, 'utf8').split('\n')[0]).toBe(`#!/usr/bin/env -S ${setting} node`);
    expect(readFileSync(`${root}scripts/bench.mjs`, 'utf8')).toContain(`'${setting.split('=').slice(1).join('=')}'`);
    // The process is Node itself once it prints (env replaced itself): its environment holds the setting.
    const child = spawn(`${root}bin/godwit.js`, ['-m', '16M', '-kernel', 'test/guests/bin/memfill.elf', '-append', 'fill=1 forever=1', '-serial', 'stdio'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString('latin1');
          if (out.includes('memfill: ready')) resolve();
        });
        child.on('exit', (code) => reject(new Error(`godwit exited (${code}) before the guest was ready: ${out}`)));
      });
      const environ = readFileSync(`/proc/${child.pid}/environ`, 'latin1').split('\0');
      expect(environ).toContain(setting);
      expect(readFileSync(`/proc/${child.pid}/cmdline`, 'latin1').split('\0')[0]).toMatch(/node$/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('--help: usage on stdout, exit 0', () => {
    const r = godwit('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: godwit/);
  });

  it('boots hello.elf: serial on stdout, isa-debug-exit status 1', () => {
    const r = godwit('-kernel', 'test/guests/bin/hello.elf', '-serial', 'stdio', '--max-insns', '100000000');
    expect(r.stdout).toContain('Hello from godwit guest!');
    expect(r.status).toBe(1);
  });

  it('-kernel /dev/zero, /dev/urandom and -initrd /dev/zero fail at once with one line (exit 2); -incoming of a FIFO (exit 1)', () => {
    for (const args of [['-kernel', '/dev/zero'], ['-kernel', '/dev/urandom'], ['-kernel', 'test/guests/bin/hello.elf', '-initrd', '/dev/zero']]) {
      const r = godwit(...args, '-m', '16');
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^godwit: cannot read (kernel|initrd) '\/dev\/(zero|urandom)': not a regular file \(a character device\)\n$/);
    }
    const dir = mkdtempSync(join(tmpdir(), 'godwit-fifo-'));
    try {
      execFileSync('mkfifo', [join(dir, 'f')]);
      const r = godwit('-incoming', `file:${join(dir, 'f')}`, '-m', '16');
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`godwit: cannot read snapshot '${join(dir, 'f')}': not a regular file (a FIFO)\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a full disk under -serial file:, --stats or standard output: one line and exit 1, never a stack trace', () => {
    const hello = ['-kernel', 'test/guests/bin/hello.elf', '-m', '16'];
    const cases: [string[], string][] = [
      [[...hello, '-serial', 'file:/dev/full'], "godwit: cannot write serial output '/dev/full': ENOSPC\n"],
      [[...hello, '-serial', 'none', '--stats', '/dev/full'], "godwit: cannot write stats '/dev/full': ENOSPC\n"],
      [hello, 'godwit: cannot write standard output: ENOSPC\n'],
      [['--help'], 'godwit: cannot write standard output: ENOSPC\n'],
    ];
    for (const [args, line] of cases) {
      const full = openSync('/dev/full', 'w');
      try {
        const r = spawnSync(process.execPath, ['bin/godwit.js', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', full, 'pipe'] });
        expect(r.stderr, args.join(' ')).toBe(line);
        expect(r.status).toBe(1);
      } finally {
        closeSync(full);
      }
    }
  });

  it('serial output reaches its file as the guest writes it: SIGTERM and SIGINT lose nothing', async () => {
    const expected = readFileSync('test/guests/expected/spin.txt', 'latin1').replaceAll('then exit', 'then spin');
    const dir = mkdtempSync(join(tmpdir(), 'godwit-kill-'));
    try {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        const out = join(dir, `${signal}.txt`);
        const child = spawn(process.execPath, ['bin/godwit.js', '-kernel', 'test/guests/bin/spin.elf', '-append', 'forever=1', '-serial', `file:${out}`], {
          cwd: root,
          stdio: 'ignore',
        });
        const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })));
        // The guest prints its lines in well under a second of guest time, then spins forever.
        const deadline = Date.now() + 15_000;
        while (Date.now() < deadline && !(existsSync(out) && readFileSync(out, 'latin1') === expected)) await new Promise((r) => setTimeout(r, 50));
        child.kill(signal);
        const end = await exited;
        expect(readFileSync(out, 'latin1'), signal).toBe(expected);
        // The run yields to the event loop between slices: the handler ends it as QEMU, status 0.
        expect(end).toEqual({ code: 0, signal: null });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
