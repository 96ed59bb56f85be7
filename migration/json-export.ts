/**
 * A pure-JSON form of a snapshot for people and `jq`: the container's document with a format tag,
 * indented, and each large byte string (RAM) replaced by a summary `{ "bytes", "nonZeroPages",
 * "hash64" }` (hash64 as `--stats` prints RAM hashes) or, with `inlineBlobs`, by
 * `{ "bytes", "base64" }`. An export with inline blobs can be imported back (importSnapshotJson);
 * raise the limits for anything but small snapshots, since every base64 string counts against
 * maxStringBytes and maxDocumentBytes.
 */
import { isStateNode } from '../src/visit/state-tree.ts';
import { describeValue } from '../src/visit/field-checks.ts';
import { hash64 } from '../src/util/hash.ts';
import { StateError } from '../src/util/errors.ts';
import { fromBase64, toBase64 } from './base64.ts';
import { buildDocument, parseDocument, stringifyDocument } from './document.ts';
import { parseDocumentBytes } from './decode.ts';
import { DEFAULT_LIMITS, type SnapshotLimits } from './limits.ts';
import { SnapshotError } from './snapshot-error.ts';
import type { JsonObject, Snapshot } from './snapshot.ts';
import { isZero, pageCount, storedHash64, storedNonZeroPages } from './sparse-blob.ts';
import type { StoredBlob } from './decode.ts';

/** Value of the `format` key of an export. */
export const JSON_EXPORT_FORMAT = 'godwit-snapshot-json';
/** Value of the `formatVersion` key of an export. */
export const JSON_EXPORT_VERSION = 1;

export interface JsonExportOptions {
  /** Large byte strings in full, as base64 (importable), instead of summaries. */
  inlineBlobs?: boolean;
  /** Indentation; 2 by default, 0 for one line. */
  indent?: number;
  /**
   * Where byte strings came from (DecodedSnapshot.sources): their summaries are then computed from
   * the stored form, at the cost of what the file holds, not of what it declares.
   */
  sources?: ReadonlyMap<Uint8Array, StoredBlob>;
}

/** A large byte string's summary: size, non-zero 4 KiB pages, hash64 (as --stats prints RAM hashes). */
export function byteStringSummary(bytes: Uint8Array, sources?: ReadonlyMap<Uint8Array, StoredBlob>): JsonObject {
  const source = sources?.get(bytes);
  if (source !== undefined) {
    return {
      bytes: source.length,
      nonZeroPages: storedNonZeroPages(source.stored, source.encoding, source.length),
      hash64: storedHash64(source.stored, source.encoding, source.length),
    };
  }
  return { bytes: bytes.length, nonZeroPages: nonZeroPages(bytes), hash64: hash64(bytes) };
}

/** Non-zero 4 KiB pages of a byte string. */
export function nonZeroPages(bytes: Uint8Array): number {
  let count = 0;
  for (let p = 0; p < pageCount(bytes.length); p++) {
    if (!isZero(bytes, p * 4096, Math.min((p + 1) * 4096, bytes.length))) count++;
  }
  return count;
}

export function exportSnapshotJson(s: Snapshot, options: JsonExportOptions = {}): string {
  const inline = options.inlineBlobs === true;
  const doc = buildDocument(s, (bytes) => (inline ? { bytes: bytes.length, base64: toBase64(bytes) } : byteStringSummary(bytes, options.sources)));
  const out: JsonObject = { format: JSON_EXPORT_FORMAT, formatVersion: JSON_EXPORT_VERSION, ...doc };
  return `${stringifyDocument(out, options.indent ?? 2)}\n`;
}

/**
 * Reads an export made with inlineBlobs (untrusted, under the same limits as a container's
 * document). A summarized byte string cannot be imported: StateError naming its field.
 */
export function importSnapshotJson(text: string, options: { limits?: SnapshotLimits } = {}): Snapshot {
  const limits = options.limits ?? DEFAULT_LIMITS;
  // Encoding to UTF-8 can at most triple the length: refuse what cannot fit before encoding it.
  if (text.length > limits.maxDocumentBytes) {
    throw new SnapshotError('limit', 'byte 0 (document)', `document of ${text.length} characters, limit ${limits.maxDocumentBytes} bytes`);
  }
  const parsed = parseDocumentBytes(new TextEncoder().encode(text), limits, 0);
  if (!isStateNode(parsed)) throw new SnapshotError('bad-document', 'document', `expected an object, got ${describeValue(parsed)}`);
  const json = parsed as Record<string, unknown>;
  if (json['format'] !== JSON_EXPORT_FORMAT || !Object.hasOwn(json, 'format')) {
    throw new SnapshotError('bad-document', 'document.format', `expected ${JSON.stringify(JSON_EXPORT_FORMAT)}`);
  }
  const version = Object.hasOwn(json, 'formatVersion') ? json['formatVersion'] : undefined;
  if (typeof version === 'number' && version > JSON_EXPORT_VERSION) {
    throw new SnapshotError('newer-version', 'document.formatVersion', `snapshot JSON format version ${version} is newer than this build supports (${JSON_EXPORT_VERSION})`);
  }
  if (version !== JSON_EXPORT_VERSION) throw new SnapshotError('bad-document', 'document.formatVersion', `expected ${JSON_EXPORT_VERSION}, got ${describeValue(version)}`);
  const rest = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(json)) if (key !== 'format' && key !== 'formatVersion') rest[key] = json[key];
  return parseDocument(
    rest,
    (ref, length, path, upTo) => {
      const size = upTo ? `at most ${length}` : String(length);
      if (!isStateNode(ref)) throw new StateError(path, `expected ${size} bytes as hex or {bytes, base64}, got ${describeValue(ref)}`);
      const fields = ref as Record<string, unknown>;
      if (Object.hasOwn(ref, 'hash64')) throw new StateError(path, 'byte string exported as a summary; export with inline blobs to import');
      const keys = Object.keys(ref);
      const text64 = fields['base64'];
      const declared = fields['bytes'];
      const fits = upTo ? typeof declared === 'number' && Number.isSafeInteger(declared) && declared >= 0 && declared <= length : declared === length;
      if (keys.length !== 2 || !fits || typeof text64 !== 'string') {
        throw new StateError(path, `expected {"bytes": ${size}, "base64": ...}`);
      }
      const bytes = fromBase64(text64, declared as number);
      if (bytes === null) throw new StateError(path, `base64 does not hold exactly ${declared as number} bytes`);
      return bytes;
    },
    limits,
  );
}
