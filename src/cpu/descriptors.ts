/** Decoding of segment and gate descriptors from their two dwords. */
import { ATTR_G } from './constants.ts';

export function descBase(lo: number, hi: number): number {
  return ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
}

/** The byte-granular limit (granularity applied). */
export function descLimit(lo: number, hi: number): number {
  const raw = (lo & 0xffff) | (hi & 0xf0000);
  return (hi & (ATTR_G << 8)) !== 0 ? ((raw << 12) | 0xfff) >>> 0 : raw;
}

/** Access byte in bits 7:0 and the flags nibble in bits 15:12 (our segment attribute word). */
export function descAttr(hi: number): number {
  return ((hi >>> 8) & 0xff) | ((hi >>> 8) & 0xf000);
}

export function descDpl(hi: number): number {
  return (hi >>> 13) & 3;
}

export function descPresent(hi: number): boolean {
  return (hi & 0x8000) !== 0;
}

/** True for code/data descriptors (S = 1). */
export function descIsSegment(hi: number): boolean {
  return (hi & 0x1000) !== 0;
}

/** Type nibble (bits 43:40). */
export function descType(hi: number): number {
  return (hi >>> 8) & 0xf;
}

/** Gate target offset (call, interrupt, trap gates). */
export function gateOffset(lo: number, hi: number, is32: boolean): number {
  return is32 ? ((hi & 0xffff0000) | (lo & 0xffff)) >>> 0 : lo & 0xffff;
}

export function gateSelector(lo: number): number {
  return lo >>> 16;
}
