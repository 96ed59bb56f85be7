/**
 * kvm-ioapic <-> ioapic: struct kvm_ioapic_state and QEMU's `ioapic` v3 fields carry the same state
 * (both flavours keep pin levels in `irr`, a 4-bit ID, an 8-bit IOREGSEL and the 24 redirection
 * entries with their remote IRR bits). What QEMU's fields cannot hold is refused: a base other than
 * 0xFEC00000, an ioregsel or id above 0xff. KVM's `pad` is padding, written as 0.
 */
import type { Filter, FilterContext, FilterNode } from './filter.ts';
import { FieldReader, hex, makeNode } from './fields.ts';
import { IOAPIC_BASE } from '../../src/hw/pc-layout.ts';
import { IOAPIC_NUM_PINS } from '../../src/hw/ioapic.ts';

/** The userspace IOAPIC's fixed MMIO base. */
const IOAPIC_BASE64 = BigInt(IOAPIC_BASE);

const KVM_IOAPIC = { type: 'kvm-ioapic', version: 1, at: '.' } as const;
const IOAPIC = { type: 'ioapic', version: 3, at: '.' } as const;

function kvmToIoapic(inputs: readonly FilterNode[], ctx: FilterContext): FilterNode[] {
  const r = new FieldReader(inputs[0]!.fields, ctx.path);
  const base = r.u64('base_address');
  if (base !== IOAPIC_BASE64) throw r.error('base_address', `${hex(base)}: the userspace ioapic lives at ${hex(IOAPIC_BASE64)} only`);
  const ioregsel = r.u32('ioregsel');
  if (ioregsel > 0xff) throw r.error('ioregsel', `${hex(ioregsel)} does not fit the ioapic's u8`);
  const id = r.u32('id');
  if (id > 0xff) throw r.error('id', `${hex(id)} does not fit the ioapic's u8`);
  const irr = r.u32('irr');
  r.u32('pad');
  const redirtbl = r.u64Array('redirtbl', IOAPIC_NUM_PINS);
  r.done();
  return [{ type: 'ioapic', version: 3, fields: makeNode({ id, ioregsel, irr, ioredtbl: redirtbl }) }];
}

function ioapicToKvm(inputs: readonly FilterNode[], ctx: FilterContext): FilterNode[] {
  const r = new FieldReader(inputs[0]!.fields, ctx.path);
  const id = r.u8('id');
  const ioregsel = r.u8('ioregsel');
  const irr = r.u32('irr');
  const ioredtbl = r.u64Array('ioredtbl', IOAPIC_NUM_PINS);
  r.done();
  return [
    {
      type: 'kvm-ioapic',
      version: 1,
      fields: makeNode({ base_address: IOAPIC_BASE64, ioregsel, id, irr, pad: 0, redirtbl: ioredtbl }),
    },
  ];
}

export const kvmIoapicToIoapic: Filter = {
  name: 'kvm-ioapic->ioapic',
  description: 'in-kernel IOAPIC (struct kvm_ioapic_state) to the userspace ioapic (QEMU fields)',
  consumes: [KVM_IOAPIC],
  produces: [IOAPIC],
  inverse: 'ioapic->kvm-ioapic',
  apply: kvmToIoapic,
};

export const ioapicToKvmIoapic: Filter = {
  name: 'ioapic->kvm-ioapic',
  description: 'userspace ioapic (QEMU fields) to the in-kernel IOAPIC (struct kvm_ioapic_state)',
  consumes: [IOAPIC],
  produces: [KVM_IOAPIC],
  inverse: 'kvm-ioapic->ioapic',
  apply: ioapicToKvm,
};
