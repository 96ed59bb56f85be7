/**
 * The QEMU reference for the disk figures: Debian's qemu-system-i386 (TCG) running the diskbench
 * guest on the same raw image with `-device virtio-blk-pci,disable-legacy=on` (modern, MSI-X, as
 * godwit's runs), each phase timed between its serial lines as they arrive on QEMU's standard output.
 */
import { spawn } from 'node:child_process';
import { QEMU } from '../lib/tools.ts';
import { qemuArgs } from './qemu.ts';
import { LineClock, phasesOf, type DiskPhase } from '../godwit/disk-phases.ts';

const TIMEOUT_MS = 600_000;

export function qemuDiskbench(kernel: string, image: string, append: string, ramMiB: number): Promise<DiskPhase[]> {
  const args = qemuArgs(ramMiB, ['-kernel', kernel, '-append', append, '-drive', `file=${image},format=raw,if=none,id=d0`, '-device', 'virtio-blk-pci,drive=d0,disable-legacy=on']);
  return new Promise((resolve, reject) => {
    const clock = new LineClock();
    const child = spawn(QEMU, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (c: string) => clock.chunk(c));
    child.stderr.setEncoding('latin1');
    child.stderr.on('data', (c: string) => (stderr = (stderr + c).slice(-2000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      const out = clock.text();
      // isa-debug-exit: status (0 << 1) | 1 for the guest's exit(0).
      if (status !== 1 || !out.includes('diskbench done: 0 failure(s)')) {
        const tail = `${out}\n${stderr}`.trim().split('\n').slice(-3).join(' | ');
        reject(new Error(`QEMU diskbench exited with ${status}: ${tail}`));
        return;
      }
      resolve(phasesOf(clock.lines));
    });
  });
}
