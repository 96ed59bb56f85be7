/**
 * Which pages of a large byte string may hold non-zero bytes, for whoever reads it whole (the
 * snapshot encoder): one byte per 4 KiB page, 0 = known to be all zero. RAM registers its map
 * (PhysicalMemory: a page is marked on its first write, by a loader, or when its bytes come from a
 * snapshot), so that saving a large, mostly unused RAM reads only the pages the guest touched:
 * reading a never-written page costs the host a page fault, which dominates a save of a mostly
 * empty machine (about 3.7 s for 1 GiB here, for a file of 80 KB).
 *
 * The map must never say 0 for a page that is not zero: every path that writes the byte string
 * marks its page first (docs/architecture.md section 7).
 */
const hints = new WeakMap<Uint8Array, Uint8Array>();

/** Declares `pages` (one byte per page of `bytes`, kept up to date by the owner) for `bytes`. */
export function declarePageHint(bytes: Uint8Array, pages: Uint8Array): void {
  hints.set(bytes, pages);
}

/** The page map declared for `bytes`, or null: then every page may be non-zero. */
export function pageHintOf(bytes: Uint8Array): Uint8Array | null {
  return hints.get(bytes) ?? null;
}
