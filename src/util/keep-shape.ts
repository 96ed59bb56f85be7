/**
 * One object of each short-lived class on a hot path, kept for the life of the process, so that V8
 * keeps the class's hidden class (map).
 *
 * Why it matters: V8 frees a map once no object uses it (two full collections later). A class whose
 * objects live only during one call (a visitor, a checksum, a reader of the value section, a filter's
 * field reader) then gets a new map at the next call after a full collection, and every inline cache that
 * named the old map misses and learns the new one through the runtime, about a microsecond each,
 * while optimised code that named it is thrown away. Restores bring full collections: decoding a
 * snapshot allocates its RAM, which V8 answers with one (external memory pressure). A restore's
 * prepare phase after such a decode went through about 180 of these misses, and ran several times
 * slower than the same prepare without the collection (bench/godwit/filters.ts); a device-state
 * save and load after a full collection (a long-running machine has them between its saves) went
 * through about 75.
 *
 * An exemplar made here has the class's map only if it is built as the hot path builds its objects
 * (the same constructor, fields of the same kinds); the map's later changes (a field that becomes
 * mutable or wider) happen in place and so apply to it as well.
 */
const kept: object[] = [];

/** Keeps `exemplar` alive for the life of the process; returns it. */
export function keepShape<T extends object>(exemplar: T): T {
  kept.push(exemplar);
  return exemplar;
}

/** The objects kept (for tests). */
export function keptShapes(): readonly object[] {
  return kept;
}
