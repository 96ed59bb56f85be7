/**
 * Snapshot checksum throughput: each kind of migration/checksum.ts over the same random bytes,
 * beside a plain copy of them (memory bandwidth, the limit of anything that reads every byte).
 * The kinds alternate within each round, so that a busy host disturbs both alike.
 */
import { checksumOf, type ChecksumKind } from '../../migration/checksum.ts';
import { median } from '../lib/measure.ts';

export const CHECKSUM_KINDS: readonly ChecksumKind[] = ['xxh32-pair', 'murmur3'];

export interface ChecksumRates {
  /** Bytes hashed per round. */
  bytes: number;
  /** Median GB/s of each kind, and of a copy (`copy`). */
  gbPerSecond: Record<ChecksumKind | 'copy', number>;
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
  const times: Record<ChecksumKind | 'copy', number[]> = { 'xxh32-pair': [], murmur3: [], copy: [] };
  const run = (what: ChecksumKind | 'copy'): number => {
    const t0 = performance.now();
    for (let r = 0; r < repeat; r++) {
      if (what === 'copy') copy.set(data);
      else checksumOf(what, data);
    }
    return performance.now() - t0;
  };
  for (let round = -2; round < rounds; round++) {
    for (const what of [...CHECKSUM_KINDS, 'copy'] as const) {
      const ms = run(what);
      if (round >= 0) times[what].push(ms);
    }
  }
  const rate = (ms: number[]) => (bytes * repeat) / (median(ms) * 1e6);
  return { bytes, gbPerSecond: { 'xxh32-pair': rate(times['xxh32-pair']), murmur3: rate(times.murmur3), copy: rate(times.copy) } };
}
