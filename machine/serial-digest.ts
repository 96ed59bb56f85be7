/**
 * The `--stats` serial hash, computed a byte at a time with a state that can travel in a snapshot:
 * a run restored from a snapshot reports the hash and byte count of everything the guest wrote since
 * power-on, so that its `--stats` equal the uninterrupted run's (as its instruction count does).
 *
 * The digest is hash64 of src/util/hash.ts (the first 64 bits of MurmurHash3_x86_128) of all bytes
 * put so far, kept by its incremental Murmur3X86_128; the state is that hash's exported state:
 * four 32-bit words, the byte count and up to 15 pending bytes.
 */
import { StateError } from '../src/util/errors.ts';
import { Murmur3X86_128 } from '../src/util/hash.ts';
import type { JsonObject } from '../migration/snapshot.ts';

/** The key of a snapshot's clock.run under which the serial digest travels. */
export const RUN_SERIAL_KEY = 'serial';

export class SerialDigest {
  private hash = new Murmur3X86_128();

  /** Bytes put so far. */
  get bytes(): number {
    return this.hash.bytes;
  }

  put(byte: number): void {
    this.hash.updateByte(byte);
  }

  /** hash64 of every byte put so far (16 hex digits); the digest can go on afterwards. */
  hex(): string {
    return this.hash.hex64();
  }

  /** The state as plain JSON, for a snapshot's clock.run. */
  toJson(): JsonObject {
    const state = this.hash.exportState();
    return {
      bytes: state.length,
      h: [...state.words],
      pending: [...state.tail].map((b) => b.toString(16).padStart(2, '0')).join(''),
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
    const tail = new Uint8Array(pending.length / 2);
    for (let i = 0; i < tail.length; i++) tail[i] = parseInt(pending.slice(2 * i, 2 * i + 2), 16);
    const words = h as [number, number, number, number];
    const d = new SerialDigest();
    d.hash = Murmur3X86_128.fromState({ words, length: bytes, tail });
    return d;
  }
}
