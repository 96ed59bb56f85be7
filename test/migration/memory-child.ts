/**
 * The child process of memory-bounds.test.ts (bundled by it and started with node), so that what it
 * allocates is its own and can be capped or measured: one command, one JSON line on stdout.
 *
 *   vmsize                   {"vmSizeBytes": N}: the address space of a process that did nothing yet
 *   allocate BYTES           {"outcome": "allocated" | "RangeError: ..."}: does the cap bind?
 *   decode FILE LIMITS_JSON  {"outcome": "ok" | "SnapshotError:CODE" | "StateError" | "Name: message"}
 *   inspect FILE [FILE2]     {"bytes": N, "diffEqual": bool, "peakRssBytes": N}: summarise the file
 *                            (and diff it against FILE2) from the stored form, then the peak resident
 *                            size of the whole process, which a transient allocation would have raised
 */
import { readFileSync } from 'node:fs';
import { decodeSnapshot, decodeSnapshotFile } from '../../migration/decode.ts';
import { describeSnapshot } from '../../migration/inspect.ts';
import { exportSnapshotJson } from '../../migration/json-export.ts';
import { withLimits, type SnapshotLimits } from '../../migration/limits.ts';
import { isSnapshotError } from '../../migration/snapshot-error.ts';
import { diffSnapshots, formatSnapshotDiff } from '../../migration/snapshot-diff.ts';
import { isStateError } from '../../src/util/errors.ts';

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

function outcomeOf(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (isSnapshotError(e)) return `SnapshotError:${e.code}`;
    if (isStateError(e)) return 'StateError';
    return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
}

function main(argv: readonly string[]): void {
  const [command, a, b] = argv;
  switch (command) {
    case 'vmsize': {
      const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmSize:'));
      print({ vmSizeBytes: Number(/(\d+)/.exec(line ?? '')?.[1] ?? 'NaN') * 1024 });
      return;
    }
    case 'allocate': {
      const outcome = outcomeOf(() => new Uint8Array(Number(a)));
      print({ outcome: outcome === 'ok' ? 'allocated' : outcome });
      return;
    }
    case 'decode': {
      const bytes = new Uint8Array(readFileSync(a!));
      const limits: SnapshotLimits = withLimits(JSON.parse(b!) as Partial<SnapshotLimits>);
      print({ outcome: outcomeOf(() => decodeSnapshot(bytes, { limits })) });
      return;
    }
    case 'inspect': {
      const x = decodeSnapshotFile(new Uint8Array(readFileSync(a!)));
      const summary = describeSnapshot(x.snapshot, x.sources);
      exportSnapshotJson(x.snapshot, { sources: x.sources });
      let diffEqual = true;
      if (b !== undefined) {
        const y = decodeSnapshotFile(new Uint8Array(readFileSync(b)));
        const d = diffSnapshots(x.snapshot, y.snapshot, { sourcesA: x.sources, sourcesB: y.sources });
        formatSnapshotDiff(d);
        diffEqual = d.equal;
      }
      print({ bytes: summary.byteStringBytes, diffEqual, peakRssBytes: process.resourceUsage().maxRSS * 1024 });
      return;
    }
    default:
      throw new Error(`memory-child: unknown command ${String(command)}`);
  }
}

main(process.argv.slice(2));
