/**
 * The hot paths' short-lived classes keep one object each (src/util/keep-shape.ts), so that their
 * hidden classes outlive full collections: an object built after four of them (V8 frees an unused
 * map two collections after its last object died) has the map of a kept one.
 */
import { describe, expect, it } from 'vitest';
import { v8Natives } from './v8-natives.ts';
import { keptShapes } from '../../src/util/keep-shape.ts';
import { Murmur3X86_128 } from '../../src/util/hash.ts';
import { Xxh32Pair } from '../../src/util/xxh32.ts';
import { Checksum64, checksumOf } from '../../migration/checksum.ts';
import { ValueReader } from '../../migration/value-kinds.ts';
import { ValueSectionReader } from '../../migration/value-section.ts';
import { DEFAULT_LIMITS } from '../../migration/limits.ts';
import { FieldReader } from '../../migration/filters/fields.ts';
import { ChunkIndex, chunkedLayout } from '../../migration/chunked-blob.ts';
import { newNode } from '../../src/visit/state-tree.ts';
import { OutputVisitor } from '../../src/visit/output-visitor.ts';
import { InputVisitor } from '../../src/visit/input-visitor.ts';

describe('keepShape', () => {
  it('keeps the hidden classes of the visitors, checksum, value readers, chunk index and field reader across full collections', () => {
    const { gc, sameMap } = v8Natives();
    const noBlob = (): Uint8Array => new Uint8Array(0);
    // Used the way the hot paths use them, then dropped.
    checksumOf('xxh32-pair', new Uint8Array(100));
    checksumOf('murmur3', new Uint8Array(100));
    for (let i = 0; i < 4; i++) gc();
    const made: Array<[string, object]> = [
      ['Murmur3X86_128', new Murmur3X86_128().update(new Uint8Array(17))],
      ['Xxh32Pair', new Xxh32Pair().update(new Uint8Array(17))],
      ['Checksum64', new Checksum64('xxh32-pair')],
      ['ValueReader', new ValueReader(new Uint8Array(0), noBlob)],
      ['ValueSectionReader', new ValueSectionReader(new Uint8Array(0), noBlob, DEFAULT_LIMITS, 0)],
      ['FieldReader', new FieldReader(newNode(), '/x')],
      ['OutputVisitor', new OutputVisitor('/x')],
      ['InputVisitor', new InputVisitor(newNode(), '/x')],
      ['ChunkIndex', new ChunkIndex('xxh32-pair', new Uint8Array(chunkedLayout(8192).dataOffset), 8192, chunkedLayout(8192).dataOffset, 'test')],
    ];
    for (const [name, o] of made) expect(keptShapes().some((k) => sameMap(k, o)), name).toBe(true);
  });
});
