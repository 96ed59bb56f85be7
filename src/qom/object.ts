/**
 * Objects with state, as the machine's object tree holds them (docs/architecture.md section 3). Each has a type
 * name and a state version; its state goes in and out through visit().
 */
import type { Visitable } from '../visit/visitor.ts';

/**
 * Post-load order, as QEMU's MigrationPriority: an object declares where its post-load step runs;
 * higher runs first, equal priorities by path. A post-load step re-derives only its own object's
 * caches and outputs, but may read what a higher-priority object has already re-derived (the CPUs
 * before their local APICs, the interrupt controllers before the devices that raise lines).
 */
export const PRIORITY_CPU = 70;
export const PRIORITY_LAPIC = 60;
export const PRIORITY_IOAPIC = 50;
export const PRIORITY_PIC = 40;
export const PRIORITY_PIT = 30;
export const PRIORITY_PCI = 20;
export const PRIORITY_VIRTIO = 10;
export const PRIORITY_DEFAULT = 0;

export interface StateObject extends Visitable {
  /** Type name as written into snapshots: 'i8259', 'kvm-apic', 'virtio-blk-pci', ... */
  readonly typeName: string;
  /** Version of this type's state layout. */
  readonly stateVersion: number;
  /** Where its post-load step runs (PRIORITY_*); PRIORITY_DEFAULT when absent. */
  readonly postLoadPriority?: number;
  /** Re-derive caches and outputs after a load (post-load runs in a fixed order, machine-wide). */
  postLoad?(): void;
}
