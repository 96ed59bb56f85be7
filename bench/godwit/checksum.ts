/**
 * Snapshot checksum throughput: each kind of migration/checksum.ts over the same random bytes (the
 * XXH32 pair with its WebAssembly SIMD block loop, as snapshots use it, and with its JavaScript
 * one), beside a plain copy of them (memory bandwidth, the limit of anything that reads every
 * byte). The kinds alternate within each round, so that a busy host disturbs all alike.
 */
import { checksumOf, type ChecksumKind } from '../../migration/checksum.ts';
import { useXxh32Simd } from '../../src/util/xxh32.ts';
import { median } from '../lib/measure.ts';

/** The XXH32 pair with its JavaScript block loop (where WebAssembly SIMD is missing). */
export const XXH32_JS = 'xxh32-pair, JavaScript loop';
export const CHECKSUM_KINDS = ['xxh32-pair', XXH32_JS, 'murmur3'] as const;
type Measured = (typeof CHECKSUM_KINDS)[number] | 'copy';

export interface ChecksumRates {
  /** Bytes hashed per round. */
  bytes: number;
  /** Median GB/s of each kind, and of a copy (`copy`). */
  gbPerSecond: Record<Measured, number>;
}

/** Median GB/s over `rounds` rounds of `bytes` bytes (each round hashes them `repeat` times). */
export function checksumRates(bytes: number, rounds: number): ChecksumRates {
  const data = new Uint8Array(bytes);
  let x = 0x9e3779b9;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = x & 0xff;
  }
  const copy = new Uint8Array(bytes);
  // At least 64 MiB per measurement, so that short inputs are not timer noise.
  const repeat = Math.max(1, Math.ceil((64 << 20) / bytes));
  const times: Record<Measured, number[]> = { 'xxh32-pair': [], [XXH32_JS]: [], murmur3: [], copy: [] };
  const run = (what: Measured): number => {
    const kind: ChecksumKind = what === XXH32_JS ? 'xxh32-pair' : (what as ChecksumKind);
    useXxh32Simd(what !== XXH32_JS);
    const t0 = performance.now();
    for (let r = 0; r < repeat; r++) {
      if (what === 'copy') copy.set(data);
      else checksumOf(kind, data);
    }
    const ms = performance.now() - t0;
    useXxh32Simd(true);
    return ms;
  };
  for (let round = -2; round < rounds; round++) {
    for (const what of [...CHECKSUM_KINDS, 'copy'] as const) {
      const ms = run(what);
      if (round >= 0) times[what].push(ms);
    }
  }
  const rate = (ms: number[]) => (bytes * repeat) / (median(ms) * 1e6);
  return {
    bytes,
    gbPerSecond: { 'xxh32-pair': rate(times['xxh32-pair']), [XXH32_JS]: rate(times[XXH32_JS]), murmur3: rate(times.murmur3), copy: rate(times.copy) },
  };
}
