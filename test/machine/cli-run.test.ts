import { describe, expect, it } from 'vitest';
import type { CliDeps } from '../../machine/cli-run.ts';
import { runCli } from '../../machine/cli-run.ts';
import type { ByteOutput } from '../../machine/host/byte-output.ts';
import type { CliIo } from '../../machine/host/node-io.ts';
import type { MachineHost, RunLimits, RunnableMachine, RunResult } from '../../machine/machine-api.ts';
import type { MachineConfig } from '../../machine/machine-config.ts';
import { hash64 } from '../../src/util/hash.ts';
import { ConfigError } from '../../src/util/errors.ts';

class MemoryOutput implements ByteOutput {
  chunks: Uint8Array[] = [];
  closed = false;
  write(bytes: Uint8Array): void {
    this.chunks.push(bytes.slice());
  }
  close(): void {
    this.closed = true;
  }
  text(): string {
    return this.chunks.map((c) => new TextDecoder().decode(c)).join('');
  }
}

interface Harness {
  deps: CliDeps;
  stdout: MemoryOutput;
  stderr: string[];
  files: Map<string, MemoryOutput>;
  configs: MachineConfig[];
  limits: RunLimits[];
}

function harness(
  run: (host: MachineHost) => RunResult = (host) => {
    for (const b of new TextEncoder().encode('hello\n')) host.serialOut(b);
    return { reason: 'debug-exit', exitStatus: 1, message: 'guest wrote 0 to isa-debug-exit' };
  },
  env: Record<string, string> = {},
): Harness {
  const stdout = new MemoryOutput();
  const stderr: string[] = [];
  const files = new Map<string, MemoryOutput>();
  const configs: MachineConfig[] = [];
  const limits: RunLimits[] = [];
  const io: CliIo = {
    readFile(path) {
      if (path === 'k.elf' || path === 'demo.elf') return new Uint8Array([1, 2, 3]);
      if (path.startsWith('mod')) return new Uint8Array([4]);
      throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
    },
    openOutput(path) {
      if (path.startsWith('/nonexistent/')) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      const out = new MemoryOutput();
      files.set(path, out);
      return out;
    },
    stdout,
    stdoutIsTty: false,
    stderr: (text) => void stderr.push(text),
    env,
  };
  const deps: CliDeps = {
    io,
    demoGuest: { kernel: { path: 'demo.elf', name: 'guests/demo.elf' }, initrd: null, append: '' },
    version: '9.9.9',
    createMachine(config, host): RunnableMachine {
      configs.push(config);
      if (config.smp > 4) throw new ConfigError('-smp: SMP is not implemented yet');
      return {
        run(l) {
          limits.push(l);
          return run(host);
        },
        stats: () => ({ retiredInstructions: 1234, virtualTimeNs: 5678, ramHash: '00112233aabbccdd' }),
      };
    },
  };
  return { deps, stdout, stderr, files, configs, limits };
}

describe('runCli', () => {
  it('runs a machine: serial to stdout, exit status from the run, quiet on debug-exit', () => {
    const h = harness();
    expect(runCli(['-kernel', 'k.elf', '-append', 'x=1', '-initrd', 'mod1 a=b,mod2', '-m', '64'], h.deps)).toBe(1);
    expect(h.stdout.text()).toBe('hello\n');
    expect(h.stderr).toEqual([]);
    const c = h.configs[0]!;
    expect(c.kernel).toEqual({ name: 'k.elf', data: new Uint8Array([1, 2, 3]) });
    expect(c.initrds).toEqual([
      { name: 'mod1 a=b', data: new Uint8Array([4]) },
      { name: 'mod2', data: new Uint8Array([4]) },
    ]);
    expect(c.append).toBe('x=1');
    expect(c.ramBytes).toBe(64 << 20);
    expect(c.kernelIrqchip).toBe('split');
    expect(h.limits[0]).toEqual({});
  });

  it('passes --max-insns and prints the message of other endings', () => {
    const h = harness(() => ({ reason: 'max-insns', exitStatus: 0, message: 'stopped after 10 instructions' }));
    expect(runCli(['-kernel', 'k.elf', '--max-insns', '10'], h.deps)).toBe(0);
    expect(h.limits[0]).toEqual({ maxInsns: 10 });
    expect(h.stderr).toEqual(['godwit: stopped after 10 instructions\n']);
  });

  it('writes --stats JSON with the serial hash', () => {
    const h = harness();
    expect(runCli(['-kernel', 'k.elf', '--stats', 'stats.json', '-serial', 'none'], h.deps)).toBe(1);
    expect(h.stdout.text()).toBe('');
    const out = h.files.get('stats.json')!;
    expect(out.closed).toBe(true);
    expect(JSON.parse(out.text())).toEqual({
      retiredInstructions: 1234,
      virtualTimeNs: 5678,
      ramHash: '00112233aabbccdd',
      serialHash: hash64(new TextEncoder().encode('hello\n')),
      serialBytes: 6,
      exitStatus: 1,
      reason: 'debug-exit',
    });
  });

  it('-serial file:PATH writes the file and closes it', () => {
    const h = harness();
    runCli(['-kernel', 'k.elf', '-serial', 'file:serial.txt'], h.deps);
    expect(h.files.get('serial.txt')!.text()).toBe('hello\n');
    expect(h.files.get('serial.txt')!.closed).toBe(true);
    expect(h.stdout.text()).toBe('');
  });

  it('demo boots the demo kernel (and needs a machine that can save: see cli-snapshot.test.ts)', () => {
    const h = harness();
    expect(runCli(['demo'], h.deps)).toBe(3);
    expect(h.configs[0]!.kernel).toEqual({ name: 'guests/demo.elf', data: new Uint8Array([1, 2, 3]) });
    expect(h.stderr).toEqual(['godwit: internal error: this machine cannot save or restore snapshots\n']);
  });

  it('--help and --version print to stdout and exit 0', () => {
    const h = harness();
    expect(runCli(['--help'], h.deps)).toBe(0);
    expect(h.stdout.text()).toMatch(/^Usage: godwit/);
    const v = harness();
    expect(runCli(['--version'], v.deps)).toBe(0);
    expect(v.stdout.text()).toBe('godwit 9.9.9\n');
  });

  it.each([
    [['--bogus'], "godwit: unknown option '--bogus' (see --help)\n"],
    [[], 'godwit: nothing to run: give -kernel PATH (see --help)\n'],
    [['-kernel', 'missing.elf'], "godwit: cannot read kernel 'missing.elf': ENOENT\n"],
    [['-kernel', 'k.elf', '-initrd', 'nope'], "godwit: cannot read initrd 'nope': ENOENT\n"],
    [['-kernel', 'k.elf', '--stats', '/nonexistent/s.json'], "godwit: cannot write stats '/nonexistent/s.json': ENOENT\n"],
    [['-kernel', 'k.elf', '-serial', 'file:/nonexistent/x'], "godwit: cannot write serial output '/nonexistent/x': ENOENT\n"],
    [['-kernel', 'k.elf', '--stop-at', '1'], 'godwit: --stop-at needs --save PATH\n'],
    [['-kernel', 'k.elf', '-smp', '8'], 'godwit: -smp: SMP is not implemented yet\n'],
  ])('%j -> exit 2 with one line', (argv, line) => {
    const h = harness();
    expect(runCli(argv, h.deps)).toBe(2);
    expect(h.stderr).toEqual([line]);
    expect(h.stdout.text()).toBe('');
  });

  it('an output that fails mid-run (a full disk) ends the run: one line naming it, exit 1', () => {
    const enospc = () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    const serial = harness();
    serial.deps.io.openOutput = (path) => ({ write: path === 'out.txt' ? enospc : () => {}, close() {} });
    expect(runCli(['-kernel', 'k.elf', '-serial', 'file:out.txt'], serial.deps)).toBe(1);
    expect(serial.stderr).toEqual(["godwit: cannot write serial output 'out.txt': ENOSPC\n"]);
    const stats = harness();
    stats.deps.io.openOutput = () => ({ write: enospc, close() {} });
    expect(runCli(['-kernel', 'k.elf', '-serial', 'none', '--stats', 's.json'], stats.deps)).toBe(1);
    expect(stats.stderr).toEqual(["godwit: cannot write stats 's.json': ENOSPC\n"]);
    const stdout = harness();
    stdout.deps.io.stdout = { write: enospc, close() {} };
    expect(runCli(['--version'], stdout.deps)).toBe(1);
    expect(stdout.stderr).toEqual(['godwit: cannot write standard output: ENOSPC\n']);
  });

  it('an internal error exits 3, with the stack only under GODWIT_DEBUG=1, after flushing serial output', () => {
    const boom = (host: MachineHost): RunResult => {
      host.serialOut(0x41);
      throw new TypeError('cannot read properties of undefined\nsecond line');
    };
    const h = harness(boom);
    expect(runCli(['-kernel', 'k.elf'], h.deps)).toBe(3);
    expect(h.stdout.text()).toBe('A');
    expect(h.stderr).toEqual(['godwit: internal error: cannot read properties of undefined\n']);
    const d = harness(boom, { GODWIT_DEBUG: '1' });
    expect(runCli(['-kernel', 'k.elf'], d.deps)).toBe(3);
    expect(d.stderr[0]).toMatch(/^godwit: internal error: cannot read properties of undefined\nTypeError: [\s\S]*\n\s+at /);
  });

  it('machine diagnostics go to stderr with the prefix', () => {
    const h = harness((host) => {
      host.log('unhandled port write 0x80');
      return { reason: 'halted', exitStatus: 4, message: 'CPU halted with interrupts disabled' };
    });
    expect(runCli(['-kernel', 'k.elf'], h.deps)).toBe(4);
    expect(h.stderr).toEqual(['godwit: unhandled port write 0x80\n', 'godwit: CPU halted with interrupts disabled\n']);
  });
});
