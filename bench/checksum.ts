/**
 * Snapshot checksum throughput, GB/s: the XXH32 pair (format version 5 on) and MurmurHash3 (versions
 * 1 to 4), beside a copy of the same bytes; the pair with its WebAssembly SIMD block loop (as
 * snapshots use it) and with its JavaScript one.
 *
 *   npm run bench -- checksum [--rounds N]
 *
 * Sizes: 16 KiB (a device-state section), 1 MiB (a RAM chunk), 64 MiB (past the caches).
 */
import { CHECKSUM_KINDS, checksumRates } from './godwit/checksum.ts';

const USAGE = 'usage: checksum [--rounds N]';

function main(argv: readonly string[]): void {
  let rounds = 9;
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === '--rounds' && argv[i + 1] !== undefined) rounds = Math.max(1, Number.parseInt(argv[i + 1]!, 10) || 1);
    else throw new Error(`unknown option ${argv[i]}\n${USAGE}`);
  }
  const rows: [string, string][] = [];
  for (const bytes of [16 << 10, 1 << 20, 64 << 20]) {
    const r = checksumRates(bytes, rounds);
    const size = bytes >= 1 << 20 ? `${bytes >> 20} MiB` : `${bytes >> 10} KiB`;
    for (const kind of [...CHECKSUM_KINDS, 'copy'] as const) rows.push([`${kind}, ${size}`, r.gbPerSecond[kind].toFixed(2)]);
  }
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(`${'figure'.padEnd(w)}  value  unit`);
  for (const [f, v] of rows) console.log(`${f.padEnd(w)}  ${v.padStart(5)}  GB/s`);
  console.log(`(median of ${rounds} rounds, kinds alternating; node ${process.version})`);
}

try {
  main(process.argv.slice(2));
} catch (e) {
  console.error(`checksum: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
