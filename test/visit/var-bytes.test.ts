/** `varbytes`: a byte string whose length is state (a kernel image), with only a maximum in the schema. */
import { describe, expect, it } from 'vitest';
import { describeState, parseSchema, schemasEqual, validateAgainstSchema } from '../../src/visit/describe-visitor.ts';
import { loadState } from '../../src/visit/input-visitor.ts';
import { saveState } from '../../src/visit/output-visitor.ts';
import { newNode } from '../../src/visit/state-tree.ts';
import type { StateObject } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';

const PATH = '/machine/fw_cfg';

/** A device holding an image of any length up to 64 bytes and a scalar after it. */
class ImageHolder implements StateObject {
  readonly typeName = 'holder';
  readonly stateVersion = 1;
  image: Uint8Array;
  after = 0;
  constructor(image = new Uint8Array(0)) {
    this.image = image;
  }
  visit(v: Visitor): void {
    this.image = v.varBytes('image', this.image, 64);
    this.after = v.u8('after', this.after);
  }
}

function loadError(tree: Record<string, unknown>): string {
  try {
    loadState(new ImageHolder(), Object.assign(newNode(), tree) as never, PATH);
  } catch (e) {
    return (e as Error).message;
  }
  return 'loaded';
}

describe('varBytes', () => {
  it('describes only the maximum, so holders of different lengths share one schema', () => {
    const a = describeState(new ImageHolder(new Uint8Array(3)));
    const b = describeState(new ImageHolder(new Uint8Array(60)));
    expect(a).toEqual({ fields: [{ name: 'image', kind: 'varbytes', maxLength: 64 }, { name: 'after', kind: 'u8' }] });
    expect(schemasEqual(a, b)).toBe(true);
    expect(parseSchema(JSON.parse(JSON.stringify(a)), 's')).toEqual(a);
  });

  it('saves a reference and loads the saved length, whatever the destination held', () => {
    const src = new ImageHolder(Uint8Array.of(1, 2, 3, 4, 5));
    src.after = 9;
    const tree = saveState(src, PATH);
    expect(tree['image']).toBe(src.image);
    const dest = new ImageHolder(new Uint8Array(40));
    loadState(dest, tree, PATH);
    expect(Array.from(dest.image)).toEqual([1, 2, 3, 4, 5]);
    expect(dest.after).toBe(9);
    validateAgainstSchema(tree, describeState(src), PATH);
  });

  it('refuses a string past the maximum, or anything that is not bytes, naming the field', () => {
    expect(loadError({ image: new Uint8Array(65), after: 0 })).toBe(`${PATH}.image: expected at most 64 bytes, got bytes[65]`);
    expect(loadError({ image: [1, 2], after: 0 })).toBe(`${PATH}.image: expected at most 64 bytes, got array[2]`);
    expect(loadError({ after: 0 })).toBe(`${PATH}.image: missing`);
    expect(loadError({ image: new Uint8Array(64), after: 0 })).toBe('loaded');
    const schema = describeState(new ImageHolder());
    const tree = Object.assign(newNode(), { image: new Uint8Array(70), after: 1 });
    expect(() => validateAgainstSchema(tree, schema, PATH)).toThrow(`${PATH}.image: expected at most 64 bytes, got bytes[70]`);
    expect(() => saveState(new ImageHolder(new Uint8Array(65)), PATH)).toThrow(/device bug/);
  });

  it('an untrusted schema needs a maximum that is a u32', () => {
    for (const maxLength of [-1, 1.5, 2 ** 32, '8', undefined]) {
      expect(() => parseSchema({ fields: [{ name: 'x', kind: 'varbytes', maxLength }] }, 's'), String(maxLength)).toThrow('schema: bad maxLength');
    }
    expect(parseSchema({ fields: [{ name: 'x', kind: 'varbytes', maxLength: 2 ** 32 - 1 }] }, 's').fields[0]).toEqual({
      name: 'x',
      kind: 'varbytes',
      maxLength: 2 ** 32 - 1,
    });
  });
});
