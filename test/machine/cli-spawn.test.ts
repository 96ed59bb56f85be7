// End-to-end: build the bundle, then run bin/godwit.js as a user would. Kept to a few fast runs.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
});
