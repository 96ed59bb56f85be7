/**
 * A pass over an untrusted JSON document's bytes, before it is decoded or parsed, that enforces the
 * structural limits: nesting depth, number of arrays and objects, keys per object, elements per array
 * and string length. It allocates nothing that grows with the input (two arrays of maxDepth + 1
 * entries) and reports the byte offset of the first excess. Syntax is left to JSON.parse, which runs
 * only on documents that passed.
 */
import type { SnapshotLimits } from './limits.ts';
import { SnapshotError } from './snapshot-error.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** `base` is the document's offset in the file, so errors give file offsets. */
export function scanJsonLimits(doc: Uint8Array, limits: SnapshotLimits, base: number): void {
  const isObject = new Uint8Array(limits.maxDepth + 1);
  const commas = new Float64Array(limits.maxDepth + 1);
  let depth = 0;
  let containers = 0;
  const fail = (at: number, message: string): never => {
    throw new SnapshotError('limit', `byte ${base + at} (document)`, message);
  };
  for (let i = 0; i < doc.length; i++) {
    const c = doc[i]!;
    if (c === QUOTE) {
      const start = i;
      i++;
      while (i < doc.length && doc[i] !== QUOTE) {
        if (doc[i] === BACKSLASH) i++;
        i++;
      }
      if (i - start - 1 > limits.maxStringBytes) fail(start, `string of ${i - start - 1} bytes, limit ${limits.maxStringBytes}`);
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (depth >= limits.maxDepth) fail(i, `nesting deeper than ${limits.maxDepth}`);
      if (++containers > limits.maxContainers) fail(i, `more than ${limits.maxContainers} arrays and objects`);
      depth++;
      isObject[depth] = c === OPEN_OBJECT ? 1 : 0;
      commas[depth] = 0;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (depth > 0) depth--;
    } else if (c === COMMA && depth > 0) {
      const count = ++commas[depth]! + 1;
      if (isObject[depth] === 1) {
        if (count > limits.maxFieldsPerNode) fail(i, `object with more than ${limits.maxFieldsPerNode} keys`);
      } else if (count > limits.maxArrayLength) {
        fail(i, `array with more than ${limits.maxArrayLength} elements`);
      }
    }
  }
}
