/**
 * godwit through its CLI (bin/godwit.js in a child process), timed like QEMU and v86: from the
 * process start to a line on the serial port (stdout). Used for the Linux boot time and for the time
 * from `-incoming` to the restored guest's first beacon line.
 */
import { spawnSync } from 'node:child_process';
import { timeUntilLine, type LineWait } from '../lib/measure.ts';

const GODWIT = 'bin/godwit.js';

/** Runs `godwit ARGS` until a stdout line `match` accepts (`env`: extra environment variables). */
export function godwitUntilLine(args: readonly string[], match: (line: string) => boolean, timeoutMs: number, env: Readonly<Record<string, string>> = {}): Promise<LineWait> {
  return binUntilLine(GODWIT, args, match, timeoutMs, env);
}

/** The same with another build's CLI (`bin`: its bin/godwit.js), from this directory. */
export function binUntilLine(bin: string, args: readonly string[], match: (line: string) => boolean, timeoutMs: number, env: Readonly<Record<string, string>> = {}): Promise<LineWait> {
  return timeUntilLine(process.execPath, [bin, ...args], match, timeoutMs, undefined, env);
}

/** `godwit --help` (also rebuilds dist/ when it is stale, so that no figure pays for a build). */
export function godwitHelp(): string {
  const r = spawnSync(process.execPath, [GODWIT, '--help'], { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

/** Whether the CLI takes `-drive` (virtio-blk disks): the disk figures need it. */
export function hasDriveOption(help: string): boolean {
  return /^\s*-drive\b/m.test(help);
}
