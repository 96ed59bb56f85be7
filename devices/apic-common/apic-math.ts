/**
 * Local-APIC destination matching, shared by both flavours (it depends on the DFR model constants of
 * apic-regs.ts; the vector bitmap and priority arithmetic is in src/arith/apic-math.ts).
 */
import { DFR_MODEL_CLUSTER, DFR_MODEL_FLAT } from './apic-regs.ts';

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
