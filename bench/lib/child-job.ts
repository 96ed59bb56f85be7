/**
 * Jobs run in a child process of their own (a fresh Node process, nothing compiled or collected
 * before it): the child script takes the job as JSON in its first argument and ends its output with
 * one line `RESULT {json}`.
 */
import { spawn } from 'node:child_process';

/** Runs `script` with `job`; resolves with its RESULT. `name` is the job's name in errors. */
export function childJob<T>(name: string, script: string, job: Record<string, unknown>, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name}: no result within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (c: string) => (out = (out + c).slice(-(1 << 20))));
    child.stderr.setEncoding('latin1');
    child.stderr.on('data', (c: string) => (err = (err + c).slice(-4096)));
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (line === undefined) reject(new Error(`${name} failed (exit ${code}): ${err.trim().split('\n').pop() ?? ''}`));
      else resolve(JSON.parse(line.slice(7)) as T);
    });
  });
}
