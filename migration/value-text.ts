/**
 * The text forms of the document's values: byte strings as lowercase hex, 64-bit integers as decimal
 * strings (README.md, "The JSON document").
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array): string {
  const parts = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) parts[i] = HEX[bytes[i]!]!;
  return parts.join('');
}

/** Lowercase hex of exactly `length` bytes, or null. */
export function fromHex(text: string, length: number): Uint8Array | null {
  if (text.length !== length * 2) return null;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const hi = hexDigit(text.charCodeAt(2 * i));
    const lo = hexDigit(text.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

const INTEGER_TEXT = /^-?(?:0|[1-9][0-9]{0,19})$/;

/** Parses a 64-bit integer written as a decimal string; null when it is not one. */
export function parseBigintText(value: unknown): bigint | null {
  return typeof value === 'string' && INTEGER_TEXT.test(value) ? BigInt(value) : null;
}
