/**
 * Objects with state, as the machine's object tree holds them (DESIGN.md section 3). Each has a type
 * name and a state version; its state goes in and out through visit().
 */
import type { Visitable } from '../visit/visitor.ts';

export interface StateObject extends Visitable {
  /** Type name as written into snapshots: 'i8259', 'kvm-apic', 'virtio-blk-pci', ... */
  readonly typeName: string;
  /** Version of this type's state layout. */
  readonly stateVersion: number;
  /** Re-derive caches and outputs after a load (post-load runs in a fixed order, machine-wide). */
  postLoad?(): void;
}
