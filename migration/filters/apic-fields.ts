/**
 * The userspace `apic` state as plain data, read from and written to state trees of version 3
 * (QEMU's `apic` section: apicbase u32) and version 4 (apicbase u64 and an explicit
 * `timer_deadline` i64 after `timer_expiry`). Both versions carry godwit's optional groups
 * `apic_sipi` {sipi_vector i32, wait_for_sipi i32}, `tsc_deadline` {value u64} and
 * `esr_pending` {value u32}.
 */
import type { StateNode, StateValue } from '../../src/visit/state-tree.ts';
import { FieldReader, makeNode } from './fields.ts';

/** Versions of `apic` the filters know. */
export const APIC_V3 = 3;
export const APIC_V4 = 4;

export interface ApicFields {
  apicbase: bigint;
  id: number;
  arb_id: number;
  tpr: number;
  spurious_vec: number;
  log_dest: number;
  dest_mode: number;
  isr: number[];
  tmr: number[];
  irr: number[];
  lvt: number[];
  esr: number;
  icr: number[];
  divide_conf: number;
  count_shift: number;
  initial_count: number;
  initial_count_load_time: bigint;
  next_time: bigint;
  timer_expiry: bigint;
  /** v4 only (v3: undefined). */
  timer_deadline?: bigint;
  /** The `apic_sipi` group, or null when absent. */
  sipi: { sipi_vector: number; wait_for_sipi: number } | null;
  /** The `tsc_deadline` group's value, or null when absent. */
  tsc_deadline: bigint | null;
  /** The `esr_pending` group's value, or null when absent. */
  esr_pending: number | null;
}

/** Reads an `apic` tree of version 3 or 4; every field is checked and none may be left over. */
export function readApic(fields: StateNode, path: string, version: number): ApicFields {
  const r = new FieldReader(fields, path);
  const out: ApicFields = {
    apicbase: version >= APIC_V4 ? r.u64('apicbase') : BigInt(r.u32('apicbase')),
    id: r.u8('id'),
    arb_id: r.u8('arb_id'),
    tpr: r.u8('tpr'),
    spurious_vec: r.u32('spurious_vec'),
    log_dest: r.u8('log_dest'),
    dest_mode: r.u8('dest_mode'),
    isr: r.u32Array('isr', 8),
    tmr: r.u32Array('tmr', 8),
    irr: r.u32Array('irr', 8),
    lvt: r.u32Array('lvt', 6),
    esr: r.u32('esr'),
    icr: r.u32Array('icr', 2),
    divide_conf: r.u32('divide_conf'),
    count_shift: r.i32('count_shift'),
    initial_count: r.u32('initial_count'),
    initial_count_load_time: r.i64('initial_count_load_time'),
    next_time: r.i64('next_time'),
    timer_expiry: r.i64('timer_expiry'),
    sipi: null,
    tsc_deadline: null,
    esr_pending: null,
  };
  if (version >= APIC_V4) out.timer_deadline = r.i64('timer_deadline');
  const sipi = r.optional('apic_sipi');
  if (sipi !== null) {
    out.sipi = { sipi_vector: sipi.i32('sipi_vector'), wait_for_sipi: sipi.i32('wait_for_sipi') };
    sipi.done();
  }
  const tsc = r.optional('tsc_deadline');
  if (tsc !== null) {
    out.tsc_deadline = tsc.u64('value');
    tsc.done();
  }
  const esr = r.optional('esr_pending');
  if (esr !== null) {
    out.esr_pending = esr.u32('value');
    esr.done();
  }
  r.done();
  return out;
}

/**
 * Writes an `apic` tree of version 3 or 4 from `a`. The caller has checked that the values fit
 * (v3: apicbase below 2^32); v4's timer_deadline defaults to timer_expiry.
 */
export function apicNode(a: ApicFields, version: number): StateNode {
  const f: Record<string, StateValue> = {
    apicbase: version >= APIC_V4 ? a.apicbase : Number(a.apicbase),
    id: a.id,
    arb_id: a.arb_id,
    tpr: a.tpr,
    spurious_vec: a.spurious_vec,
    log_dest: a.log_dest,
    dest_mode: a.dest_mode,
    isr: a.isr.slice(),
    tmr: a.tmr.slice(),
    irr: a.irr.slice(),
    lvt: a.lvt.slice(),
    esr: a.esr,
    icr: a.icr.slice(),
    divide_conf: a.divide_conf,
    count_shift: a.count_shift,
    initial_count: a.initial_count,
    initial_count_load_time: a.initial_count_load_time,
    next_time: a.next_time,
    timer_expiry: a.timer_expiry,
  };
  if (version >= APIC_V4) f.timer_deadline = a.timer_deadline ?? a.timer_expiry;
  if (a.sipi !== null) f.apic_sipi = makeNode({ sipi_vector: a.sipi.sipi_vector, wait_for_sipi: a.sipi.wait_for_sipi });
  if (a.tsc_deadline !== null) f.tsc_deadline = makeNode({ value: a.tsc_deadline });
  if (a.esr_pending !== null) f.esr_pending = makeNode({ value: a.esr_pending });
  return makeNode(f);
}
