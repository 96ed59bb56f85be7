/**
 * The `godwit` command for Node: bin/godwit.js loads the bundle of this file (dist/godwit.cjs) and
 * calls main. Everything but the Node I/O and the Machine class is in cli-session.ts
 * (a run, driven through the event loop) and cli-run.ts (the other commands, and synchronous runs).
 */
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCliSession } from './cli-session.ts';
import { nodeIo } from './host/node-io.ts';
import { nodeInteractiveHost } from './host/node-interactive.ts';
import { Machine } from './machine.ts';
import { openSnapshotFile, readSnapshotFile, writeFileAtomic } from './snapshot-file.ts';
import { fileProgress } from './host/file-progress.ts';

/** The package root: this file is machine/cli.ts in the sources and dist/godwit.cjs in the bundle. */
const PACKAGE_ROOT = new URL('../', import.meta.url);

/** The demo boots the bundled Linux guest; the names are relative to the package. */
const DEMO_KERNEL_NAME = 'test/guests/linux/bzImage';
const DEMO_INITRD_NAME = 'test/guests/linux/initramfs.cpio';
/** The Linux tests' command line (test/guests/linux/README.md: lpj= and no_timer_check skip two calibrations). */
const DEMO_APPEND = 'console=ttyS0 lpj=10000000 no_timer_check';
const inPackage = (name: string) => fileURLToPath(new URL(name, PACKAGE_ROOT));

function packageVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL('package.json', PACKAGE_ROOT), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Run the CLI on argv (without node and the script name); resolves to the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  return runCliSession(argv, {
    host: nodeInteractiveHost(),
    io: nodeIo(),
    createMachine: (config, host) => new Machine(config, host),
    demoGuest: {
      kernel: { path: inPackage(DEMO_KERNEL_NAME), name: DEMO_KERNEL_NAME },
      initrd: { path: inPackage(DEMO_INITRD_NAME), name: DEMO_INITRD_NAME },
      append: DEMO_APPEND,
    },
    version: packageVersion(),
    snapshotFiles: {
      read: (path, options) => readSnapshotFile(path, options, fileProgress('reading', path)),
      write: (path, chunks) => writeFileAtomic(path, chunks, {}, fileProgress('writing', path)),
      open: openSnapshotFile,
    },
    now: () => performance.now(),
  });
}
