/**
 * The filters every godwit build has (docs/architecture.md section 9), in inverse pairs:
 *   kvm-apic <-> apic v3, kvm-ioapic <-> ioapic, kvm-i8259 <-> i8259 (per chip),
 *   kvm-pit <-> i8254 + pcspk (merge / split), apic v3 <-> v4.
 * Fill a registry with `new FilterRegistry().registerAll(builtinFilters())`.
 */
import type { Filter } from './filter.ts';
import { apicToKvmApic, kvmApicToApic } from './apic-kvm.ts';
import { apicV3ToV4, apicV4ToV3 } from './apic-versions.ts';
import { i8259ToKvmI8259, kvmI8259ToI8259 } from './i8259-kvm.ts';
import { ioapicToKvmIoapic, kvmIoapicToIoapic } from './ioapic-kvm.ts';
import { i8254ToKvmPit, kvmPitToI8254 } from './pit-kvm.ts';

export function builtinFilters(): Filter[] {
  return [
    kvmApicToApic,
    apicToKvmApic,
    apicV3ToV4,
    apicV4ToV3,
    kvmIoapicToIoapic,
    ioapicToKvmIoapic,
    kvmI8259ToI8259,
    i8259ToKvmI8259,
    kvmPitToI8254,
    i8254ToKvmPit,
  ];
}
