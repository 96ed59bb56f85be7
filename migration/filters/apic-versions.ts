/**
 * Version steps of the userspace `apic`: v3 (QEMU's section: apicbase u32) <-> v4, which widens
 * apicbase to u64 (x2APIC-era base addresses above 4 GiB; upstream QEMU proposed this in 2025 and
 * flagged it as a migration break) and adds `timer_deadline` i64: the exact virtual ns at which the
 * APIC timer next fires, -1 when disarmed (the value kvm-apic carries), so that a reader need not
 * know QEMU's open-coded timer fields to find it. QEMU's `timer_expiry` stays beside it.
 *
 * Upgrading always succeeds (timer_deadline = timer_expiry). Downgrading refuses, with a FilterError
 * naming the path and the value, what v3 cannot express: an apicbase of 2^32 or more, and a
 * timer_deadline different from timer_expiry.
 */
import type { Filter, FilterContext, FilterNode } from './filter.ts';
import { APIC_V3, APIC_V4, apicNode, readApic } from './apic-fields.ts';
import { fieldError } from './filter-error.ts';
import { hex } from './fields.ts';

function up(inputs: readonly FilterNode[], ctx: FilterContext): FilterNode[] {
  const a = readApic(inputs[0]!.fields, ctx.path, APIC_V3);
  a.timer_deadline = a.timer_expiry;
  return [{ type: 'apic', version: APIC_V4, fields: apicNode(a, APIC_V4) }];
}

function down(inputs: readonly FilterNode[], ctx: FilterContext): FilterNode[] {
  const a = readApic(inputs[0]!.fields, ctx.path, APIC_V4);
  if (a.apicbase > 0xffffffffn) {
    throw fieldError(ctx.path, 'apicbase', `${hex(a.apicbase)} does not fit apic v3's u32 (base above 4 GiB)`);
  }
  if (a.timer_deadline !== a.timer_expiry) {
    throw fieldError(
      ctx.path,
      'timer_deadline',
      `${a.timer_deadline} differs from timer_expiry ${a.timer_expiry}: apic v3 has room for only one`,
    );
  }
  delete a.timer_deadline;
  return [{ type: 'apic', version: APIC_V3, fields: apicNode(a, APIC_V3) }];
}

export const apicV3ToV4: Filter = {
  name: 'apic:v3->v4',
  description: 'apic v3 -> v4: apicbase widened to u64, explicit timer_deadline added',
  consumes: [{ type: 'apic', version: APIC_V3, at: '.' }],
  produces: [{ type: 'apic', version: APIC_V4, at: '.' }],
  inverse: 'apic:v4->v3',
  apply: up,
};

export const apicV4ToV3: Filter = {
  name: 'apic:v4->v3',
  description: 'apic v4 -> v3: refuses an apicbase above 4 GiB or a timer_deadline v3 cannot hold',
  consumes: [{ type: 'apic', version: APIC_V4, at: '.' }],
  produces: [{ type: 'apic', version: APIC_V3, at: '.' }],
  inverse: 'apic:v3->v4',
  apply: down,
};
