/**
 * The QEMU reference: Debian's qemu-system-i386 under TCG, on the same guests as godwit.
 *
 * - MIPS: bench.elf has no marker at its start, so QEMU's time for the workload is the difference
 *   between whole runs (process start to isa-debug-exit) with `rounds=R` and with `rounds=1`,
 *   divided into the difference of godwit's retired instructions for the same two runs.
 * - Snapshots: the memfill guest runs until ready; `migrate "exec:cat > FILE"` (QMP), timed from the
 *   command to the MIGRATION event "completed", is the save (cat does not fsync: QEMU's own policy);
 *   the load is a second QEMU started with `-incoming defer`, timed from `migrate-incoming
 *   exec:cat FILE` to its "completed" event. After each save the source is continued (`cont`).
 * - -incoming to the first instruction: process start of `qemu-system-i386 ... -incoming
 *   "exec:cat FILE"` to the guest's first beacon line on the serial port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QEMU } from '../lib/tools.ts';
import { median, timeUntilLine, type LineWait } from '../lib/measure.ts';
import { Qmp, migrationStatus } from './qmp.ts';

const EXIT_DEVICE = ['-device', 'isa-debug-exit,iobase=0xf4,iosize=4'];

export function qemuArgs(ramMiB: number, extra: readonly string[] = []): string[] {
  return ['-M', 'pc', '-m', `${ramMiB}M`, '-display', 'none', '-monitor', 'none', '-serial', 'stdio', '-no-reboot', ...EXIT_DEVICE, ...extra];
}

/** Wall time of a whole QEMU run until it exits. */
function runToExit(args: readonly string[], timeoutMs: number): Promise<{ ms: number; stdout: string; status: number | null }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(QEMU, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (c: string) => (stdout += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`QEMU did not exit within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ ms: performance.now() - t0, stdout, status });
    });
  });
}

export interface QemuMips {
  /** Median wall time of the rounds=R and rounds=1 runs. */
  bigMs: number;
  smallMs: number;
  stdout: string;
}

/** bench.elf with rounds=R and rounds=1, alternating, `runs` times each. */
export async function qemuBenchRuns(kernel: string, rounds: number, runs: number): Promise<QemuMips> {
  const big: number[] = [];
  const small: number[] = [];
  let stdout = '';
  for (let i = 0; i < runs; i++) {
    const b = await runToExit(qemuArgs(128, ['-kernel', kernel, '-append', `rounds=${rounds}`]), 120_000);
    const s = await runToExit(qemuArgs(128, ['-kernel', kernel, '-append', 'rounds=1']), 60_000);
    if (b.status !== 1 || s.status !== 1) throw new Error(`QEMU bench runs exited with ${b.status} and ${s.status}`);
    big.push(b.ms);
    small.push(s.ms);
    stdout = b.stdout;
  }
  return { bigMs: median(big), smallMs: median(small), stdout };
}

/** Process start to the first line `match` accepts. */
export function qemuUntilLine(args: readonly string[], match: (line: string) => boolean, timeoutMs: number): Promise<LineWait> {
  return timeUntilLine(QEMU, args, match, timeoutMs);
}

export interface QemuSnapshot {
  saveMs: number;
  /** query-migrate's total-time (ms, whole numbers) of the last save. */
  reportedSaveMs: number;
  loadMs: number;
  bytes: number;
  /** Process start of `-incoming exec:cat FILE` to the first beacon line (ms). */
  firstLineMs: number;
}

function waitForLine(child: ChildProcess, line: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`QEMU: no '${line}' within ${timeoutMs / 1000} s`)), timeoutMs);
    timer.unref();
    const onData = (c: string): void => {
      buf = (buf + c).slice(-4096);
      if (buf.includes(`${line}\n`)) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.setEncoding('latin1');
    child.stdout!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`QEMU exited (${code}) before '${line}'`)));
  });
}

function killAndWait(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/**
 * Saves the memfill guest (`append`, `ramMiB`) `runs` times after a warm-up (unless `warmUp` is
 * false), loads each file in a
 * fresh QEMU, and times one -incoming start to the first beacon line.
 */
export async function qemuSnapshot(kernel: string, append: string, ramMiB: number, runs: number, dir: string, warmUp = true, onRun: () => void = () => {}): Promise<QemuSnapshot> {
  const sockDir = mkdtempSync(join(tmpdir(), 'godwit-qmp-'));
  const file = join(dir, `qemu-${ramMiB}.mig`);
  const guest = ['-kernel', kernel, '-append', append];
  const source = spawn(QEMU, qemuArgs(ramMiB, [...guest, '-qmp', `unix:${join(sockDir, 'src')},server=on,wait=off`]), { stdio: ['ignore', 'pipe', 'ignore'] });
  // The beacon keeps writing lines: keep reading them so that QEMU never blocks on a full pipe.
  source.stdout!.resume();
  const save: number[] = [];
  const load: number[] = [];
  let reported = 0;
  try {
    await waitForLine(source, 'memfill: ready', 120_000);
    const qmp = await Qmp.open(join(sockDir, 'src'));
    await qmp.command('migrate-set-capabilities', { capabilities: [{ capability: 'events', state: true }] });
    for (let run = warmUp ? 0 : 1; run <= runs; run++) {
      rmSync(file, { force: true });
      const done = qmp.waitEvent(migrationStatus('completed'), 300_000);
      const failed = qmp.waitEvent(migrationStatus('failed'), 300_000).then(() => {
        throw new Error('QEMU: migration failed');
      });
      failed.catch(() => {});
      const t0 = performance.now();
      await qmp.command('migrate', { uri: `exec:cat > ${file}` });
      await Promise.race([done, failed]);
      const ms = performance.now() - t0;
      const info = (await qmp.command('query-migrate')) as { 'total-time'?: number };
      reported = info['total-time'] ?? 0;
      // The completed event can come before cat has written the last bytes: wait for the file.
      await waitForStableSize(file);
      if (run > 0) save.push(ms);
      load.push(...(await qemuLoad(guest, ramMiB, file, sockDir, run > 0)));
      await qmp.command('cont');
      onRun();
    }
    qmp.close();
  } finally {
    await killAndWait(source);
  }
  const bytes = statSync(file).size;
  const first = await qemuUntilLine(qemuArgs(ramMiB, [...guest, '-incoming', `exec:cat ${file}`]), (l) => l === '.', 120_000);
  rmSync(sockDir, { recursive: true, force: true });
  return { saveMs: median(save), reportedSaveMs: reported, loadMs: median(load), bytes, firstLineMs: first.ms };
}

async function waitForStableSize(file: string): Promise<void> {
  let last = -1;
  for (let i = 0; i < 500; i++) {
    let size = -1;
    try {
      size = statSync(file).size;
    } catch {
      // not there yet
    }
    if (size > 0 && size === last) return;
    last = size;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One load: a QEMU waiting with -incoming defer, timed from migrate-incoming to "completed". */
async function qemuLoad(guest: readonly string[], ramMiB: number, file: string, sockDir: string, keep: boolean): Promise<number[]> {
  const sock = join(sockDir, 'dst');
  rmSync(sock, { force: true });
  const dest = spawn(QEMU, qemuArgs(ramMiB, [...guest, '-incoming', 'defer', '-qmp', `unix:${sock},server=on,wait=off`]), { stdio: ['ignore', 'pipe', 'ignore'] });
  dest.stdout!.resume();
  try {
    const qmp = await Qmp.open(sock);
    await qmp.command('migrate-set-capabilities', { capabilities: [{ capability: 'events', state: true }] });
    const done = qmp.waitEvent(migrationStatus('completed'), 300_000);
    const t0 = performance.now();
    await qmp.command('migrate-incoming', { uri: `exec:cat ${file}` });
    await done;
    const ms = performance.now() - t0;
    qmp.close();
    return keep ? [ms] : [];
  } finally {
    await killAndWait(dest);
  }
}
