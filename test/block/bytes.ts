/** Byte-array comparison for tests: vitest's deep equality is slow on large typed arrays. */

/** Index of the first byte where a and b differ (or the shorter length), -1 when equal. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}
