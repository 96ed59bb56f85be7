/**
 * kvm-i8259 <-> i8259, one chip at a time (/machine/pic/master, /machine/pic/slave): struct
 * kvm_pic_state plus godwit's optional `ltim` and `single_mode` groups, and QEMU's `i8259` v1
 * fields. The two differ in where single mode and LTIM live (QEMU: a field and an optional group;
 * kvm-i8259: two optional groups present when nonzero) and in KVM's `elcr_mask`, which is fixed per
 * chip (master 0xF8, slave 0xDE) and so is rebuilt from the path; a kvm-i8259 whose elcr_mask is
 * not its chip's is refused.
 */
import type { Filter, FilterContext, FilterNode } from './filter.ts';
import { FieldReader, hex, makeNode } from './fields.ts';
import { FilterError } from './filter-error.ts';
import type { StateValue } from '../../src/visit/state-tree.ts';
import { MASTER_ELCR_MASK, SLAVE_ELCR_MASK } from '../../src/hw/i8259.ts';


/** The fields both layouts share, in order (all u8). */
const COMMON = [
  'last_irr',
  'irr',
  'imr',
  'isr',
  'priority_add',
  'irq_base',
  'read_reg_select',
  'poll',
  'special_mask',
  'init_state',
  'auto_eoi',
  'rotate_on_auto_eoi',
  'special_fully_nested_mode',
  'init4',
] as const;

const KVM_I8259 = { type: 'kvm-i8259', version: 1, at: '.' } as const;
const I8259 = { type: 'i8259', version: 1, at: '.' } as const;

/** The chip's fixed ELCR mask, from its path. */
export function elcrMaskFor(path: string): number {
  if (path.endsWith('/master')) return MASTER_ELCR_MASK;
  if (path.endsWith('/slave')) return SLAVE_ELCR_MASK;
  throw new FilterError([`${path}: cannot tell whether this 8259 is the master or the slave (expected a path ending in /master or /slave)`], path);
}

function readCommon(r: FieldReader): Record<string, StateValue> {
  const out: Record<string, StateValue> = {};
  for (const name of COMMON) out[name] = r.u8(name);
  return out;
}

/** The value of an optional one-field group, 0 when absent. */
function optionalByte(r: FieldReader, group: string): number {
  const g = r.optional(group);
  if (g === null) return 0;
  const v = g.u8(group);
  g.done();
  return v;
}

function kvmToI8259(inputs: readonly FilterNode[], ctx: FilterContext): FilterNode[] {
  const r = new FieldReader(inputs[0]!.fields, ctx.path);
  const fields = readCommon(r);
  const elcr = r.u8('elcr');
  const mask = r.u8('elcr_mask');
  const expected = elcrMaskFor(ctx.path);
  if (mask !== expected) throw r.error('elcr_mask', `${hex(mask)}: this chip's ELCR mask is ${hex(expected)} in both flavours`);
  const ltim = optionalByte(r, 'ltim');
  const singleMode = optionalByte(r, 'single_mode');
  r.done();
  fields.single_mode = singleMode;
  fields.elcr = elcr;
  if (ltim !== 0) fields.ltim = makeNode({ ltim });
  return [{ type: 'i8259', version: 1, fields: makeNode(fields) }];
}

function i8259ToKvm(inputs: readonly FilterNode[], ctx: FilterContext): FilterNode[] {
  const r = new FieldReader(inputs[0]!.fields, ctx.path);
  const fields = readCommon(r);
  const singleMode = r.u8('single_mode');
  fields.elcr = r.u8('elcr');
  const ltim = optionalByte(r, 'ltim');
  r.done();
  fields.elcr_mask = elcrMaskFor(ctx.path);
  if (ltim !== 0) fields.ltim = makeNode({ ltim });
  if (singleMode !== 0) fields.single_mode = makeNode({ single_mode: singleMode });
  return [{ type: 'kvm-i8259', version: 1, fields: makeNode(fields) }];
}

export const kvmI8259ToI8259: Filter = {
  name: 'kvm-i8259->i8259',
  description: 'one in-kernel 8259 (struct kvm_pic_state) to the userspace i8259 (QEMU fields)',
  consumes: [KVM_I8259],
  produces: [I8259],
  inverse: 'i8259->kvm-i8259',
  apply: kvmToI8259,
};

export const i8259ToKvmI8259: Filter = {
  name: 'i8259->kvm-i8259',
  description: 'one userspace i8259 (QEMU fields) to the in-kernel 8259 (struct kvm_pic_state)',
  consumes: [I8259],
  produces: [KVM_I8259],
  inverse: 'kvm-i8259->i8259',
  apply: i8259ToKvm,
};
