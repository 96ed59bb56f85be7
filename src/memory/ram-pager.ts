/**
 * Lazy RAM (docs/architecture.md section 7): a restored machine's RAM can start out as a zero byte
 * string whose chunks a pager fills on first access, from the snapshot file. The pager is what the
 * snapshot decoder hands out for a deferred byte string; memory knows only this interface.
 *
 * A decoded snapshot may also offer its RAM byte string to the machine that restores it (offerRam):
 * the new board then uses those bytes as its RAM instead of copying them (and the pager, if any,
 * fills them in place). An offer is taken once; the snapshot must not be restored again afterwards.
 */
export interface RamPager {
  /** Pages per chunk (the unit of loading). */
  readonly chunkPages: number;
  /** Number of chunks. */
  readonly chunks: number;
  /** Whether chunk `c` has any data to load (one without is all zero already). */
  hasData(c: number): boolean;
  /** Loads chunk `c` into the byte string (throws on an I/O error or a checksum mismatch). */
  load(c: number): void;
}

interface RamOffer {
  pager: RamPager | null;
}

const offers = new WeakMap<Uint8Array, RamOffer>();

/** Offers `bytes` (a whole RAM image, zero where its pager has not loaded yet) to the next restore. */
export function offerRam(bytes: Uint8Array, pager: RamPager | null): void {
  offers.set(bytes, { pager });
}

/** Takes the offer made for `bytes`, if any (once). */
export function takeRam(bytes: Uint8Array): RamOffer | null {
  const offer = offers.get(bytes);
  if (offer === undefined) return null;
  offers.delete(bytes);
  return offer;
}
