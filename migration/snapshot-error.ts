/**
 * Errors of the snapshot container: what is wrong (`code`) and where (`where`: a byte offset and the
 * header field, or a place in the document). Errors inside an object's state are StateErrors naming
 * the object path and field (`/machine/pit.channels[1].mode`).
 */

export type SnapshotErrorCode =
  /** The input ends before a part the header says is there. */
  | 'truncated'
  /** The first 8 bytes are not the snapshot magic. */
  | 'bad-magic'
  /** A format version newer than this build understands. */
  | 'newer-version'
  /** Format version 0 or a header length this version does not define. */
  | 'bad-header'
  /** Incompatible flag bits this build does not know. */
  | 'unsupported-flags'
  /** Offsets and lengths that do not describe a well-formed file (overlaps, misalignment, trailing bytes). */
  | 'bad-layout'
  /** A section whose checksum does not match. */
  | 'checksum'
  /** A size, count or depth above the decoder's limits. */
  | 'limit'
  /** The document is not valid UTF-8 JSON. */
  | 'bad-json'
  /** The document is JSON but not a snapshot document (missing or unknown keys, bad schema keys). */
  | 'bad-document'
  /** A blob that is malformed, unreferenced, referenced twice or of the wrong size. */
  | 'bad-blob'
  /** A diff snapshot's base that is missing, another snapshot, part of a cycle or too deep a chain. */
  | 'bad-base'
  /** The value section (version 4) does not hold what the schemas lay out: short, extra bytes, a bad boolean or flag. */
  | 'bad-values';

export class SnapshotError extends Error {
  override readonly name = 'SnapshotError' as const;
  readonly code: SnapshotErrorCode;
  /** Where: `byte 12 (header.formatVersion)`, `document.objects`, `blob 2`... */
  readonly where: string;
  constructor(code: SnapshotErrorCode, where: string, message: string) {
    super(`${where}: ${message}`);
    this.code = code;
    this.where = where;
  }
}

export function isSnapshotError(e: unknown): e is SnapshotError {
  return e instanceof Error && e.name === 'SnapshotError';
}
