/**
 * The `--stats` serial hash, computed a byte at a time with a state that can travel in a snapshot:
 * a run restored from a snapshot reports the hash and byte count of everything the guest wrote since
 * power-on, so that its `--stats` equal the uninterrupted run's (as its instruction count does).
 *
 * The digest is hash64 of src/util/hash.ts (the first 64 bits of MurmurHash3_x86_128) of all bytes
 * put so far; the state is four 32-bit words, the byte count and up to 15 pending bytes.
 */
import { StateError } from '../src/util/errors.ts';
import type { JsonObject } from '../migration/snapshot.ts';

/** The key of a snapshot's clock.run under which the serial digest travels. */
export const RUN_SERIAL_KEY = 'serial';

const C1 = 0x239b961b;
const C2 = 0xab0e9789 | 0;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93 | 0;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function hexLE(word: number): string {
  let out = '';
  for (let i = 0; i < 4; i++) out += ((word >>> (i * 8)) & 0xff).toString(16).padStart(2, '0');
  return out;
}

export class SerialDigest {
  private readonly h = new Int32Array(4);
  private readonly pending = new Uint8Array(16);
  private pendingLength = 0;
  private length = 0;

  /** Bytes put so far. */
  get bytes(): number {
    return this.length;
  }

  put(byte: number): void {
    this.pending[this.pendingLength++] = byte;
    this.length++;
    if (this.pendingLength === 16) {
      this.block();
      this.pendingLength = 0;
    }
  }

  private word(i: number): number {
    const p = this.pending;
    return p[i]! | (p[i + 1]! << 8) | (p[i + 2]! << 16) | (p[i + 3]! << 24);
  }

  private block(): void {
    const h = this.h;
    let h1 = h[0]!;
    let h2 = h[1]!;
    let h3 = h[2]!;
    let h4 = h[3]!;
    h1 ^= Math.imul(rotl(Math.imul(this.word(0), C1), 15), C2);
    h1 = (Math.imul((rotl(h1, 19) + h2) | 0, 5) + 0x561ccd1b) | 0;
    h2 ^= Math.imul(rotl(Math.imul(this.word(4), C2), 16), C3);
    h2 = (Math.imul((rotl(h2, 17) + h3) | 0, 5) + 0x0bcaa747) | 0;
    h3 ^= Math.imul(rotl(Math.imul(this.word(8), C3), 17), C4);
    h3 = (Math.imul((rotl(h3, 15) + h4) | 0, 5) + 0x96cd1c35) | 0;
    h4 ^= Math.imul(rotl(Math.imul(this.word(12), C4), 18), C1);
    h4 = (Math.imul((rotl(h4, 13) + h1) | 0, 5) + 0x32ac3b17) | 0;
    h[0] = h1;
    h[1] = h2;
    h[2] = h3;
    h[3] = h4;
  }

  /** hash64 of every byte put so far (16 hex digits); the digest can go on afterwards. */
  hex(): string {
    let [h1, h2, h3, h4] = this.h as unknown as [number, number, number, number];
    const rest = this.pendingLength;
    const p = this.pending;
    const lane = (from: number, to: number): number => {
      let k = 0;
      for (let i = Math.min(rest, to) - 1; i >= from; i--) k ^= p[i]! << ((i - from) << 3);
      return k;
    };
    if (rest > 12) h4 ^= Math.imul(rotl(Math.imul(lane(12, 16), C4), 18), C1);
    if (rest > 8) h3 ^= Math.imul(rotl(Math.imul(lane(8, 12), C3), 17), C4);
    if (rest > 4) h2 ^= Math.imul(rotl(Math.imul(lane(4, 8), C2), 16), C3);
    if (rest > 0) h1 ^= Math.imul(rotl(Math.imul(lane(0, 4), C1), 15), C2);
    const len = this.length | 0;
    h1 ^= len;
    h2 ^= len;
    h3 ^= len;
    h4 ^= len;
    h1 = (h1 + h2 + h3 + h4) | 0;
    h2 = (h2 + h1) | 0;
    h3 = (h3 + h1) | 0;
    h4 = (h4 + h1) | 0;
    h1 = fmix(h1);
    h2 = fmix(h2);
    h3 = fmix(h3);
    h4 = fmix(h4);
    h1 = (h1 + h2 + h3 + h4) | 0;
    h2 = (h2 + h1) | 0;
    return hexLE(h1) + hexLE(h2);
  }

  /** The state as plain JSON, for a snapshot's clock.run. */
  toJson(): JsonObject {
    return {
      bytes: this.length,
      h: [...this.h].map((w) => w >>> 0),
      pending: [...this.pending.subarray(0, this.pendingLength)].map((b) => b.toString(16).padStart(2, '0')).join(''),
    };
  }

  /** A digest that goes on from a saved state (untrusted: StateError naming `where`). */
  static fromJson(json: unknown, where: string): SerialDigest {
    const bad = (what: string): never => {
      throw new StateError(where, what);
    };
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return bad('expected {bytes, h, pending}');
    const o = json as Record<string, unknown>;
    const bytes = Object.hasOwn(o, 'bytes') ? o['bytes'] : undefined;
    const h = Object.hasOwn(o, 'h') ? o['h'] : undefined;
    const pending = Object.hasOwn(o, 'pending') ? o['pending'] : undefined;
    if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) return bad('bytes: expected a byte count');
    if (!Array.isArray(h) || h.length !== 4 || !h.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) {
      return bad('h: expected four 32-bit words');
    }
    if (typeof pending !== 'string' || !/^(?:[0-9a-f]{2}){0,15}$/.test(pending) || pending.length / 2 !== bytes % 16) {
      return bad('pending: expected the last (bytes mod 16) bytes as hex');
    }
    const d = new SerialDigest();
    for (let i = 0; i < 4; i++) d.h[i] = h[i] as number;
    for (let i = 0; i < pending.length / 2; i++) d.pending[i] = parseInt(pending.slice(2 * i, 2 * i + 2), 16);
    d.pendingLength = pending.length / 2;
    d.length = bytes;
    return d;
  }
}
