/**
 * Feature negotiation (virtio 1.2 sections 2.2 and 3.1.1) as plain data: the driver reads the
 * device's 64 feature bits 32 at a time through a selector, writes the ones it accepts the same way,
 * and sets FEATURES_OK; the device then checks the set and clears FEATURES_OK again if it refuses
 * it. A legacy driver sees only bits 0-31 and has no FEATURES_OK step.
 */
import type { Visitor } from '../../src/visit/visitor.ts';
import { F_VERSION_1, featureBit } from './virtio-regs.ts';

export interface FeatureState {
  /** Which 32-bit word of the device's features device_feature shows. */
  deviceFeatureSelect: number;
  /** Which 32-bit word of the driver's features driver_feature writes. */
  driverFeatureSelect: number;
  /** The features the driver wrote (all 64 bits). */
  driverFeatures: bigint;
}

export function newFeatureState(): FeatureState {
  return { deviceFeatureSelect: 0, driverFeatureSelect: 0, driverFeatures: 0n };
}

/** Word `select` of a 64-bit feature set (0 past bit 63). */
export function featureWord(features: bigint, select: number): number {
  if (select !== 0 && select !== 1) return 0;
  return Number((features >> BigInt(32 * select)) & 0xffffffffn);
}

/** The driver writes word `select` of its features (words past the second are dropped). */
export function writeDriverFeatureWord(f: FeatureState, select: number, value: number): void {
  if (select !== 0 && select !== 1) return;
  const shift = BigInt(32 * select);
  f.driverFeatures = (f.driverFeatures & ~(0xffffffffn << shift)) | (BigInt(value >>> 0) << shift);
}

/**
 * Null when the device accepts the driver's features, else why not: every accepted bit must be
 * offered, and a modern driver must accept VERSION_1 (a device MAY refuse to work without it,
 * section 6.1; godwit's devices always do) while a legacy driver cannot (its register is 32 bits).
 */
export function featuresProblem(offered: bigint, accepted: bigint, modern: boolean): string | null {
  const extra = accepted & ~offered;
  if (extra !== 0n) return `driver accepted features not offered: 0x${extra.toString(16)}`;
  const v1 = (accepted & featureBit(F_VERSION_1)) !== 0n;
  if (modern && !v1) return 'modern driver did not accept VERSION_1';
  if (!modern && v1) return 'legacy driver accepted VERSION_1';
  return null;
}

export function visitFeatureState(v: Visitor, f: FeatureState): void {
  f.deviceFeatureSelect = v.u32('device_feature_select', f.deviceFeatureSelect);
  f.driverFeatureSelect = v.u32('driver_feature_select', f.driverFeatureSelect);
  f.driverFeatures = v.u64('driver_features', f.driverFeatures);
}
