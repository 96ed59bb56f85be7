/**
 * Hard limits applied to an untrusted snapshot before anything is allocated for it. The defaults fit
 * any PC godwit builds with room to spare; a caller restoring into a known machine should lower
 * maxBlobBytes to its RAM size so that a file declaring more fails before allocation.
 */

export interface SnapshotLimits {
  /** Largest JSON document, bytes; also the largest value section (version 4). */
  readonly maxDocumentBytes: number;
  /** Deepest nesting of JSON arrays and objects. */
  readonly maxDepth: number;
  /** Most JSON arrays and objects in the document. */
  readonly maxContainers: number;
  /** Most keys in one JSON object (fields per node, objects, schemas). */
  readonly maxFieldsPerNode: number;
  /** Most elements in one JSON array. */
  readonly maxArrayLength: number;
  /** Longest JSON string, bytes as encoded (escapes included). */
  readonly maxStringBytes: number;
  /** Most object paths. */
  readonly maxObjects: number;
  /** Most blobs. */
  readonly maxBlobs: number;
  /** Largest blob once expanded (RAM size), bytes. */
  readonly maxBlobBytes: number;
  /** Largest sum of all expanded blobs, bytes. */
  readonly maxTotalBlobBytes: number;
}

export const DEFAULT_LIMITS: SnapshotLimits = Object.freeze({
  maxDocumentBytes: 8 * 1024 * 1024,
  maxDepth: 64,
  maxContainers: 262144,
  maxFieldsPerNode: 4096,
  maxArrayLength: 1 << 20,
  maxStringBytes: 1 << 16,
  maxObjects: 4096,
  maxBlobs: 256,
  maxBlobBytes: 4 * 1024 * 1024 * 1024,
  maxTotalBlobBytes: 8 * 1024 * 1024 * 1024,
});

/** DEFAULT_LIMITS with some values replaced. */
export function withLimits(overrides: Partial<SnapshotLimits> = {}): SnapshotLimits {
  return { ...DEFAULT_LIMITS, ...overrides };
}
