/** Standard base64 (RFC 4648, with padding) without Node's Buffer, strict on decode. */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

export function toBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  const STEP = 3 * 4096;
  for (let start = 0; start < bytes.length; start += STEP) {
    let out = '';
    const end = Math.min(start + STEP, bytes.length);
    for (let i = start; i < end; i += 3) {
      const b0 = bytes[i]!;
      const b1 = i + 1 < end ? bytes[i + 1]! : 0;
      const b2 = i + 2 < end ? bytes[i + 2]! : 0;
      out += ALPHABET[b0 >>> 2]! + ALPHABET[((b0 & 3) << 4) | (b1 >>> 4)]!;
      out += i + 1 < end ? ALPHABET[((b1 & 15) << 2) | (b2 >>> 6)]! : '=';
      out += i + 2 < end ? ALPHABET[b2 & 63]! : '=';
    }
    parts.push(out);
  }
  return parts.join('');
}

/** Bytes of `text` when it is canonical base64 of exactly `length` bytes, else null (no allocation). */
export function fromBase64(text: string, length: number): Uint8Array | null {
  if (text.length !== Math.ceil(length / 3) * 4) return null;
  const out = new Uint8Array(length);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    const c0 = value(text, i);
    const c1 = value(text, i + 1);
    const pad2 = last && text[i + 2] === '=' && text[i + 3] === '=';
    const pad1 = last && !pad2 && text[i + 3] === '=';
    const c2 = pad2 ? 0 : value(text, i + 2);
    const c3 = pad2 || pad1 ? 0 : value(text, i + 3);
    if (c0 < 0 || c1 < 0 || c2 < 0 || c3 < 0) return null;
    const n = (c0 << 18) | (c1 << 12) | (c2 << 6) | c3;
    const take = pad2 ? 1 : pad1 ? 2 : 3;
    if (o + take !== Math.min(o + 3, length) || (take < 3 && o + take !== length)) return null;
    out[o++] = n >>> 16;
    if (take > 1) out[o++] = (n >>> 8) & 0xff;
    if (take > 2) out[o++] = n & 0xff;
    // Non-canonical: bits below the last byte must be zero.
    if ((take === 1 && (n & 0xffff) !== 0) || (take === 2 && (n & 0xff) !== 0)) return null;
  }
  return o === length ? out : null;
}

function value(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c < 128 ? VALUES[c]! : -1;
}
