/** Seeded generators of valid state trees for the filter tests (no Math.random: failures replay). */
import { newNode, type StateNode, type StateValue } from '../../../src/visit/state-tree.ts';
import type { FilterNode } from '../../../migration/filters/filter.ts';

/** xorshift32. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    // Scramble the seed and skip a few outputs: xorshift's first outputs from a small seed are small.
    this.s = (Math.imul(seed | 0, 0x9e3779b9) ^ 0x5bd1e995) >>> 0 || 1;
    for (let i = 0; i < 8; i++) this.u32();
  }
  u32(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  /** Integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.u32() / 0x100000000) * n);
  }
  u8(): number {
    return this.u32() & 0xff;
  }
  bool(): boolean {
    return (this.u32() & 1) === 1;
  }
  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.below(xs.length)]!;
  }
}

export function node(fields: Record<string, StateValue>): StateNode {
  const out = newNode();
  for (const k of Object.keys(fields)) out[k] = fields[k]!;
  return out;
}

export function obj(type: string, version: number, fields: StateNode): FilterNode {
  return { type, version, fields };
}

/** A random ioapic v3 tree. */
export function genIoapic(r: Rng): StateNode {
  return node({
    id: r.below(16),
    ioregsel: r.u8(),
    irr: r.u32() & 0xffffff,
    ioredtbl: Array.from({ length: 24 }, () => (r.bool() ? r.u64() : 0x10000n)),
  });
}

/** A random kvm-ioapic v1 tree as the kernel flavour saves it. */
export function genKvmIoapic(r: Rng): StateNode {
  return node({
    base_address: 0xfec00000n,
    ioregsel: r.u8(),
    id: r.below(16),
    irr: r.u32() & 0xffffff,
    pad: 0,
    redirtbl: Array.from({ length: 24 }, () => (r.bool() ? r.u64() : 0x10000n)),
  });
}

const PIC_COMMON = [
  'last_irr', 'irr', 'imr', 'isr', 'priority_add', 'irq_base', 'read_reg_select', 'poll', 'special_mask',
  'init_state', 'auto_eoi', 'rotate_on_auto_eoi', 'special_fully_nested_mode', 'init4',
] as const;

export function genI8259(r: Rng): StateNode {
  const f: Record<string, StateValue> = {};
  for (const k of PIC_COMMON) f[k] = r.u8();
  f.single_mode = r.below(2);
  f.elcr = r.u8();
  if (r.bool()) f.ltim = node({ ltim: 1 + r.below(255) });
  return node(f);
}

export function genKvmI8259(r: Rng, master: boolean): StateNode {
  const f: Record<string, StateValue> = {};
  for (const k of PIC_COMMON) f[k] = r.u8();
  f.elcr = r.u8();
  f.elcr_mask = master ? 0xf8 : 0xde;
  if (r.bool()) f.ltim = node({ ltim: 1 + r.below(255) });
  if (r.bool()) f.single_mode = node({ single_mode: 1 + r.below(255) });
  return node(f);
}

function genPitChannelBytes(r: Rng): Record<string, StateValue> {
  return {
    latched_count: r.u32() & 0xffff,
    count_latched: r.below(4),
    status_latched: r.below(2),
    status: r.u8(),
    read_state: r.below(5),
    write_state: r.below(5),
    write_latch: r.u8(),
    rw_mode: r.below(4),
    mode: r.below(8),
    bcd: r.below(2),
    gate: r.below(2),
  };
}

/** A random kvm-pit v1 tree (any flags the filters carry). */
export function genKvmPit(r: Rng): StateNode {
  const channels = [0, 1, 2].map(() => {
    const count = r.bool() ? 1 + r.below(0x10000) : r.u32();
    return node({ count, ...genPitChannelBytes(r), count_load_time: BigInt(r.below(1e12)) });
  });
  return node({ channels, flags: r.below(16) });
}

/** A random apic v3 tree (field ranges as the device saves them; groups present or not). */
export function genApicV3(r: Rng): StateNode {
  const f: Record<string, StateValue> = {
    apicbase: (0xfee00000 | (r.bool() ? 0x800 : 0) | (r.bool() ? 0x100 : 0)) >>> 0,
    id: r.u8(),
    arb_id: r.u8(),
    tpr: r.u8(),
    spurious_vec: r.u32() & 0x3ff,
    log_dest: r.u8(),
    dest_mode: r.pick([0, 0xf]),
    isr: Array.from({ length: 8 }, () => (r.bool() ? r.u32() : 0)),
    tmr: Array.from({ length: 8 }, () => (r.bool() ? r.u32() : 0)),
    irr: Array.from({ length: 8 }, () => (r.bool() ? r.u32() : 0)),
    lvt: Array.from({ length: 6 }, () => r.u32() & 0x7b7ff),
    esr: r.u8(),
    icr: [r.u32() & 0xccfff, (r.u8() << 24) >>> 0],
    divide_conf: r.u32() & 0xb,
    count_shift: r.below(8),
    initial_count: r.u32(),
    initial_count_load_time: BigInt(r.below(1e12)),
    next_time: BigInt(r.below(1e12)),
    timer_expiry: r.bool() ? -1n : BigInt(r.below(1e12)),
  };
  if (r.bool()) f.apic_sipi = node({ sipi_vector: r.u8(), wait_for_sipi: 1 });
  if (r.bool()) f.tsc_deadline = node({ value: r.u64() | 1n });
  if (r.bool()) f.esr_pending = node({ value: 1 + r.below(255) });
  return node(f);
}

/** A virtio-blk-pci v1 state (the combined shape of migration/filters/virtio-blk-shapes.ts). */
export function genVirtioBlkPci(r: Rng): StateNode {
  const slots = 256;
  const queue = () =>
    node({
      size: r.below(0x10000),
      ready: r.bool(),
      desc: r.u64(),
      driver: r.u64(),
      device: r.u64(),
      last_avail_idx: r.below(0x10000),
      used_idx: r.below(0x10000),
      signalled_used: r.below(0x10000),
      signalled_used_valid: r.bool(),
      vector: r.below(0x10000),
    });
  const config = new Uint8Array(256);
  for (let i = 0; i < config.length; i++) config[i] = r.u8();
  return node({
    devfn: r.u8(),
    pci: node({ config, msix: node({ table: new Uint8Array(32), pba: new Uint8Array(8) }) }),
    isr: r.u8(),
    status: r.u8(),
    features: node({ device_feature_select: r.u32(), driver_feature_select: r.u32(), driver_features: r.u64() }),
    queue_select: r.below(0x10000),
    config_generation: r.u8(),
    config_vector: r.below(0x10000),
    queues: Array.from({ length: 1 + r.below(2) }, queue),
    requests: node({
      count: r.below(0x10000),
      heads: Array.from({ length: slots }, () => r.below(0x10000)),
      deadlines: Array.from({ length: slots }, () => r.u64()),
      broken: r.bool(),
    }),
  });
}
