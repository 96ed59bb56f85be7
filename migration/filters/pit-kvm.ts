/**
 * kvm-pit <-> i8254 + pcspk. The userspace flavour has two objects, the 8254 at /machine/pit and
 * port 0x61 (`pcspk`, QEMU's name) at /machine/pcspk; the kernel flavour has one, kvm-pit, whose
 * struct kvm_pit_state2 keeps the speaker data bit in its flags (KVM_PIT_FLAGS_SPEAKER_DATA_ON) and,
 * as a godwit extension, port 0x61 bits 3:2 in flags bits 3:2. So the userspace -> kernel filter
 * merges two nodes into one and its inverse splits one into two.
 *
 * Per channel the fields are the same except `count` (i32 in QEMU, u32 in KVM: the same 32 bits,
 * two's complement, since a gated channel past terminal count holds a count <= 0) and the i8254's
 * `next_transition_time`, which is derived: dropped on the way to kvm-pit, and rebuilt on the way
 * back for channel 0 from the count, mode, gate and load time at the snapshot's virtual time,
 * exactly as the i8254 computes it (a transition due exactly at the snapshot point counts as not yet
 * delivered, as kvm-pit's postLoad has it; channels 1 and 2 never track it: -1; with channel 0's
 * IRQ disabled, -1, which the i8254 recomputes on load). irq_disabled is KVM_PIT_FLAGS_HPET_LEGACY.
 */
import type { Filter, FilterContext, FilterNode } from './filter.ts';
import { FieldReader, hex, makeNode } from './fields.ts';
import { nextTransitionNs } from '../../src/hw/pit-math.ts';
import type { StateNode } from '../../src/visit/state-tree.ts';
import { KVM_PIT_FLAGS_GODWIT_CHECK_MASK, KVM_PIT_FLAGS_HPET_LEGACY, KVM_PIT_FLAGS_SPEAKER_DATA_ON } from '../../src/hw/kvm-structs.ts';

const FLAGS_KNOWN = KVM_PIT_FLAGS_HPET_LEGACY | KVM_PIT_FLAGS_SPEAKER_DATA_ON | KVM_PIT_FLAGS_GODWIT_CHECK_MASK;

/** The u8 fields a channel has in both layouts, in order. */
const CHANNEL_BYTES = [
  'count_latched',
  'status_latched',
  'status',
  'read_state',
  'write_state',
  'write_latch',
  'rw_mode',
  'mode',
  'bcd',
  'gate',
] as const;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

const I8254 = { type: 'i8254', version: 3, at: '.' } as const;
const PCSPK = { type: 'pcspk', version: 1, at: '../pcspk' } as const;
const KVM_PIT = { type: 'kvm-pit', version: 1, at: '.' } as const;

interface Channel {
  count: number;
  latched_count: number;
  bytes: Record<string, number>;
  count_load_time: bigint;
}

function readChannel(c: FieldReader, signed: boolean): Channel {
  const count = signed ? c.i32('count') : c.u32('count');
  const latched = c.u16('latched_count');
  const bytes: Record<string, number> = {};
  for (const name of CHANNEL_BYTES) bytes[name] = c.u8(name);
  return { count, latched_count: latched, bytes, count_load_time: c.i64('count_load_time') };
}

function channelNode(ch: Channel, count: number, extra: Record<string, bigint>): StateNode {
  return makeNode({ count, latched_count: ch.latched_count, ...ch.bytes, count_load_time: ch.count_load_time, ...extra });
}

function toKvm(inputs: readonly FilterNode[], ctx: FilterContext): FilterNode[] {
  const pit = new FieldReader(inputs[0]!.fields, ctx.path);
  const channels = pit.structArray('channels', 3).map((c) => {
    const ch = readChannel(c, true);
    c.i64('next_transition_time'); // derived; kvm-pit recomputes it on load
    c.done();
    return channelNode(ch, ch.count >>> 0, {});
  });
  const irqDisabled = pit.u32('irq_disabled');
  if (irqDisabled > 1) throw pit.error('irq_disabled', `${irqDisabled}: kvm-pit carries only 0 or 1 (its HPET legacy flag)`);
  pit.done();

  const spkPath = `${ctx.path.slice(0, ctx.path.lastIndexOf('/'))}/pcspk`;
  const spk = new FieldReader(inputs[1]!.fields, spkPath);
  const dataOn = spk.u8('data_on');
  if (dataOn > 1) throw spk.error('data_on', `${dataOn}: kvm-pit carries only 0 or 1`);
  const checkBits = spk.u8('check_bits');
  if (checkBits & ~KVM_PIT_FLAGS_GODWIT_CHECK_MASK) throw spk.error('check_bits', `${hex(checkBits)}: kvm-pit carries bits 3:2 only`);
  spk.done();

  const flags = irqDisabled * KVM_PIT_FLAGS_HPET_LEGACY + dataOn * KVM_PIT_FLAGS_SPEAKER_DATA_ON + checkBits;
  return [{ type: 'kvm-pit', version: 1, fields: makeNode({ channels, flags }) }];
}

function fromKvm(inputs: readonly FilterNode[], ctx: FilterContext): FilterNode[] {
  const r = new FieldReader(inputs[0]!.fields, ctx.path);
  const read = r.structArray('channels', 3).map((c) => {
    const ch = readChannel(c, false);
    c.done();
    return ch;
  });
  const flags = r.u32('flags');
  if (flags & ~FLAGS_KNOWN) throw r.error('flags', `${hex(flags)}: bits ${hex(flags & ~FLAGS_KNOWN)} have no place in i8254 or pcspk`);
  r.done();

  const irqDisabled = flags & KVM_PIT_FLAGS_HPET_LEGACY ? 1 : 0;
  const channels = read.map((ch, i) => {
    const count = ch.count | 0;
    const next = i === 0 && irqDisabled === 0 ? channel0Next(ch, count, ctx.virtualTimeNs) : -1;
    return channelNode(ch, count, { next_transition_time: BigInt(next) });
  });
  return [
    { type: 'i8254', version: 3, fields: makeNode({ channels, irq_disabled: irqDisabled }) },
    {
      type: 'pcspk',
      version: 1,
      fields: makeNode({ data_on: flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON ? 1 : 0, check_bits: flags & KVM_PIT_FLAGS_GODWIT_CHECK_MASK }),
    },
  ];
}

/**
 * Channel 0's next output transition as of the snapshot point; -1 (recompute on load) if out of
 * range. A transition falling exactly at the snapshot point counts as not yet delivered (kvm-pit's
 * postLoad rule): the i8254 then fires it on load, which re-drives a level the interrupt
 * controllers already hold if it had been delivered.
 */
function channel0Next(ch: Channel, count: number, now: bigint): number {
  const load = ch.count_load_time;
  if (now < 1n || now > MAX_SAFE || load < -MAX_SAFE || load > MAX_SAFE) return -1;
  const mode = ch.bytes.mode!;
  const gate = ch.bytes.gate!;
  const t = Number(now);
  if (nextTransitionNs(mode, count, gate, Number(load), t - 1) === t) return t;
  const next = nextTransitionNs(mode, count, gate, Number(load), t);
  return Number.isSafeInteger(next) ? next : -1;
}

export const i8254ToKvmPit: Filter = {
  name: 'i8254+pcspk->kvm-pit',
  description: 'userspace 8254 and port 0x61 (two objects) to the in-kernel PIT (struct kvm_pit_state2)',
  consumes: [I8254, PCSPK],
  produces: [KVM_PIT],
  inverse: 'kvm-pit->i8254+pcspk',
  apply: toKvm,
};

export const kvmPitToI8254: Filter = {
  name: 'kvm-pit->i8254+pcspk',
  description: 'in-kernel PIT (struct kvm_pit_state2) to the userspace 8254 and port 0x61',
  consumes: [KVM_PIT],
  produces: [I8254, PCSPK],
  inverse: 'i8254+pcspk->kvm-pit',
  apply: fromKvm,
};
