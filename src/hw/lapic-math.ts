/**
 * Pure local-APIC arithmetic shared by both LAPIC flavours (devices/apic, devices/kvm/kvm-lapic.ts)
 * and the kvm-apic <-> apic filters (migration/filters/apic-kvm.ts): 256-bit vector bitmaps and
 * priorities. Bitmaps are 8 x u32 words inside a Uint32Array, `base` the index of word 0 and
 * `stride` the distance between words: (0, 1) for QEMU's isr[8], (0x40, 4) for the ISR in a
 * Uint32Array view of KVM's register page (words at a 16-byte stride). Also destination matching.
 */
import { DFR_MODEL_CLUSTER, DFR_MODEL_FLAT } from './lapic.ts';

/** Highest set vector of the bitmap, or -1 when empty. */
export function highestVector(words: Uint32Array, base: number, stride: number): number {
  for (let i = 7; i >= 0; i--) {
    const w = words[base + i * stride]!;
    if (w !== 0) return i * 32 + 31 - Math.clz32(w);
  }
  return -1;
}

export function testVector(words: Uint32Array, base: number, stride: number, vector: number): boolean {
  return (words[base + (vector >>> 5) * stride]! & (1 << (vector & 31))) !== 0;
}

export function setVector(words: Uint32Array, base: number, stride: number, vector: number): void {
  const i = base + ((vector >>> 5) & 7) * stride;
  words[i] = (words[i]! | (1 << (vector & 31))) >>> 0;
}

export function clearVector(words: Uint32Array, base: number, stride: number, vector: number): void {
  const i = base + ((vector >>> 5) & 7) * stride;
  words[i] = (words[i]! & ~(1 << (vector & 31))) >>> 0;
}

/** PPR from TPR and the highest in-service vector (-1 for none), as QEMU's apic_get_ppr and KVM. */
export function computePpr(tpr: number, isrv: number): number {
  const isrClass = isrv < 0 ? 0 : isrv & 0xf0;
  return (tpr & 0xf0) >= isrClass ? tpr & 0xff : isrClass;
}

/**
 * Arbitration priority (SDM 10.6.2.4): TPR when it is at least the highest request's class and above
 * the highest in-service class, else the largest of the three classes. Used to pick the target of a
 * lowest-priority message; ties go to the lowest CPU index on the ApicBus.
 */
export function computeApr(tpr: number, isrv: number, irrv: number): number {
  const t = tpr & 0xf0;
  const s = isrv < 0 ? 0 : isrv & 0xf0;
  const r = irrv < 0 ? 0 : irrv & 0xf0;
  if (t >= r && t > s) return tpr & 0xff;
  return Math.max(t, s, r);
}

/**
 * Whether the highest request `irrv` is delivered past processor priority `ppr` (QEMU's
 * apic_irq_pending: with PPR 0 any request goes; otherwise its class must be above PPR's).
 */
export function isDeliverable(irrv: number, ppr: number): boolean {
  if (irrv <= 0) return false;
  return ppr === 0 || (irrv & 0xf0) > (ppr & 0xf0);
}

/**
 * Destination match for an xAPIC: physical mode compares the 8-bit APIC id (0xFF is a broadcast);
 * logical mode uses the logical id `ldr` (LDR bits 31:24) under the DFR model `dfrModel` (bits
 * 31:28): flat ANDs the 8-bit masks, cluster compares the cluster (high nibble) and ANDs the low
 * nibble. Other models match nothing.
 */
export function matchDestination(
  dest: number,
  destMode: number,
  apicId: number,
  ldr: number,
  dfrModel: number,
): boolean {
  dest &= 0xff;
  if (destMode === 0) return dest === 0xff || dest === (apicId & 0xff);
  if (dfrModel === DFR_MODEL_FLAT) return (dest & ldr & 0xff) !== 0;
  if (dfrModel === DFR_MODEL_CLUSTER) return (dest & 0xf0) === (ldr & 0xf0) && (dest & ldr & 0x0f) !== 0;
  return false;
}
