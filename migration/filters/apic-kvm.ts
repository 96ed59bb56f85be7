/**
 * kvm-apic <-> apic (v3): the in-kernel LAPIC's 1 KiB register page plus what KVM keeps beside it
 * (apic_base, godwit's exact timer_deadline, the TSC-deadline MSR, mp_state, godwit's esr_pending),
 * and QEMU's `apic` fields plus godwit's optional groups.
 *
 * Registers map as QEMU's kvm_apic_get/put do: id = ID>>24, tpr = TPR, arb_id = APR, log_dest =
 * LDR>>24, dest_mode = DFR>>28, spurious_vec = SVR, isr/tmr/irr = the 8-word bitmaps at a 16-byte
 * stride, esr, icr[0..1], lvt[0..5] = 0x320..0x370, initial_count = TMICT, divide_conf = TDCR (and
 * count_shift from it). Version, PPR, EOI, CMCI, TMCCT and reserved offsets are not carried: on the
 * way to the page they are rebuilt as the kernel LAPIC presents them (Version 0x50014, PPR from TPR
 * and ISR, DFR's low 28 bits ones, TMCCT the live count at the snapshot point, the rest 0); bits a
 * KVM_SET_LAPIC would drop are dropped.
 *
 * The timer's deadline is carried exactly: timer_deadline <-> timer_expiry. QEMU's load time is
 * rebuilt from it so that every TMCCT read afterwards is the same: a running count (one-shot or
 * periodic) began initial + 1 ticks before its next expiry; a count that is not running (a finished
 * one-shot, possibly switched to periodic since: both flavours keep it stopped and read 0) is
 * placed one whole count before the snapshot point; with no count or in TSC-deadline mode the load
 * time is 0. next_time is the deadline when armed, else 0; TMCCT is 0 without a deadline. (A
 * periodic count's original load time, a multiple of periods earlier, is not recoverable and not
 * needed.)
 *
 * mp_state KVM_MP_STATE_INIT_RECEIVED (waiting for SIPI) <-> the `apic_sipi` group with
 * wait_for_sipi 1; its sipi_vector, meaningless while waiting, is written as 0. The TSC-deadline MSR
 * <-> the `tsc_deadline` group (present when nonzero); `esr_pending` has the same shape both sides.
 * Refused: an apic_base of 2^32 or more (apic v3's u32; neither LAPIC of this build accepts such an
 * IA32_APIC_BASE write, so only a foreign snapshot holds one), an mp_state other than RUNNABLE or
 * INIT_RECEIVED, a deadline or load time outside the exact ns range.
 */
import type { Filter, FilterContext, FilterNode } from './filter.ts';
import { FieldReader, hex, makeNode } from './fields.ts';
import { fieldError } from './filter-error.ts';
import { APIC_V3, apicNode, readApic, type ApicFields } from './apic-fields.ts';
import { computePpr, highestVector } from '../../src/hw/lapic-math.ts';
import {
  countShiftOf,
  currentCount,
  periodNs,
  TIMER_PERIODIC,
  TIMER_TSC_DEADLINE,
  timerModeOf,
} from '../../src/hw/lapic-timer.ts';
import type { StateValue } from '../../src/visit/state-tree.ts';
import {
  APIC_VERSION_VALUE, DFR_ONES, REG_APR, REG_DFR, REG_ESR, REG_ICR_HI, REG_ICR_LO, REG_ID, REG_IRR, REG_ISR, REG_LDR,
  REG_LVT_TIMER as REG_LVT, REG_PPR, REG_SVR, REG_TDCR, REG_TMCCT, REG_TMICT, REG_TMR, REG_TPR, REG_VERSION,
} from '../../src/hw/lapic.ts';
import { KVM_APIC_REG_SIZE, KVM_MP_STATE_INIT_RECEIVED as MP_STATE_INIT_RECEIVED, KVM_MP_STATE_RUNNABLE as MP_STATE_RUNNABLE } from '../../src/hw/kvm-structs.ts';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

const KVM_APIC = { type: 'kvm-apic', version: 1, at: '.' } as const;
const APIC = { type: 'apic', version: APIC_V3, at: '.' } as const;

function get32(page: readonly number[], offset: number): number {
  return (page[offset]! | (page[offset + 1]! << 8) | (page[offset + 2]! << 16) | (page[offset + 3]! << 24)) >>> 0;
}

function put32(page: number[], offset: number, value: number): void {
  page[offset] = value & 0xff;
  page[offset + 1] = (value >>> 8) & 0xff;
  page[offset + 2] = (value >>> 16) & 0xff;
  page[offset + 3] = (value >>> 24) & 0xff;
}

/** Eight bitmap words at a 16-byte stride. */
function getBitmap(page: readonly number[], base: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < 8; i++) out.push(get32(page, base + i * 16));
  return out;
}

function kvmToApic(inputs: readonly FilterNode[], ctx: FilterContext): FilterNode[] {
  const r = new FieldReader(inputs[0]!.fields, ctx.path);
  const page = r.u8Array('regs', KVM_APIC_REG_SIZE);
  const apicBase = r.u64('apic_base');
  if (apicBase > 0xffffffffn) throw r.error('apic_base', `${hex(apicBase)} does not fit apic v3's u32 apicbase`);
  const deadline = r.i64('timer_deadline');
  if (deadline < -1n || deadline > MAX_SAFE) throw r.error('timer_deadline', `${deadline}: not -1 or a virtual time in ns`);
  const tscDeadline = r.u64('tsc_deadline');
  const mpState = r.u32('mp_state');
  if (mpState !== MP_STATE_RUNNABLE && mpState !== MP_STATE_INIT_RECEIVED) {
    throw r.error('mp_state', `${mpState}: apic carries only RUNNABLE (0) and INIT_RECEIVED (2)`);
  }
  const esrGroup = r.optional('esr_pending');
  let esrPending: number | null = null;
  if (esrGroup !== null) {
    esrPending = esrGroup.u32('value');
    esrGroup.done();
  }
  r.done();

  const now = snapshotTime(ctx);
  const lvt: number[] = [];
  for (let i = 0; i < 6; i++) lvt.push(get32(page, REG_LVT + i * 16));
  const mode = timerModeOf(lvt[0]!);
  const divideConf = get32(page, REG_TDCR);
  const shift = countShiftOf(divideConf);
  let initial = get32(page, REG_TMICT);
  let expiry = Number(deadline);
  let loadTime = 0;
  if (mode === TIMER_TSC_DEADLINE) {
    initial = 0;
    if (tscDeadline === 0n) expiry = -1;
  } else if (initial === 0) {
    expiry = -1;
  } else if (expiry >= 0) {
    loadTime = expiry - periodNs(initial, shift);
  } else {
    loadTime = now - periodNs(initial, shift);
  }

  const a: ApicFields = {
    apicbase: apicBase,
    id: get32(page, REG_ID) >>> 24,
    arb_id: get32(page, REG_APR) & 0xff,
    tpr: get32(page, REG_TPR) & 0xff,
    spurious_vec: get32(page, REG_SVR),
    log_dest: get32(page, REG_LDR) >>> 24,
    dest_mode: get32(page, REG_DFR) >>> 28,
    isr: getBitmap(page, REG_ISR),
    tmr: getBitmap(page, REG_TMR),
    irr: getBitmap(page, REG_IRR),
    lvt,
    esr: get32(page, REG_ESR),
    icr: [get32(page, REG_ICR_LO), get32(page, REG_ICR_HI)],
    divide_conf: divideConf,
    count_shift: shift,
    initial_count: initial,
    initial_count_load_time: BigInt(loadTime),
    next_time: BigInt(expiry >= 0 ? expiry : 0),
    timer_expiry: BigInt(expiry),
    sipi: mpState === MP_STATE_INIT_RECEIVED ? { sipi_vector: 0, wait_for_sipi: 1 } : null,
    tsc_deadline: tscDeadline !== 0n ? tscDeadline : null,
    esr_pending: esrPending,
  };
  return [{ type: 'apic', version: APIC_V3, fields: apicNode(a, APIC_V3) }];
}

function apicToKvm(inputs: readonly FilterNode[], ctx: FilterContext): FilterNode[] {
  const a = readApic(inputs[0]!.fields, ctx.path, APIC_V3);
  if (a.timer_expiry < -1n || a.timer_expiry > MAX_SAFE) {
    throw fieldError(ctx.path, 'timer_expiry', `${a.timer_expiry}: not -1 or a virtual time in ns`);
  }
  if (a.initial_count_load_time < -MAX_SAFE || a.initial_count_load_time > MAX_SAFE) {
    throw fieldError(ctx.path, 'initial_count_load_time', `${a.initial_count_load_time}: outside the exact ns range`);
  }
  const now = snapshotTime(ctx);
  const page: number[] = new Array<number>(KVM_APIC_REG_SIZE).fill(0);
  put32(page, REG_ID, (a.id << 24) >>> 0);
  put32(page, REG_VERSION, APIC_VERSION_VALUE);
  put32(page, REG_TPR, a.tpr);
  put32(page, REG_APR, a.arb_id);
  put32(page, REG_PPR, computePpr(a.tpr, highestVector(Uint32Array.from(a.isr), 0, 1)));
  put32(page, REG_LDR, (a.log_dest << 24) >>> 0);
  put32(page, REG_DFR, (((a.dest_mode & 0xf) << 28) | DFR_ONES) >>> 0);
  put32(page, REG_SVR, a.spurious_vec);
  for (let i = 0; i < 8; i++) {
    put32(page, REG_ISR + i * 16, a.isr[i]!);
    put32(page, REG_TMR + i * 16, a.tmr[i]!);
    put32(page, REG_IRR + i * 16, a.irr[i]!);
  }
  put32(page, REG_ESR, a.esr);
  put32(page, REG_ICR_LO, a.icr[0]!);
  put32(page, REG_ICR_HI, a.icr[1]!);
  for (let i = 0; i < 6; i++) put32(page, REG_LVT + i * 16, a.lvt[i]!);
  const mode = timerModeOf(a.lvt[0]!);
  put32(page, REG_TMICT, a.initial_count);
  const count =
    mode === TIMER_TSC_DEADLINE || a.timer_expiry < 0n
      ? 0
      : currentCount(mode === TIMER_PERIODIC, a.initial_count, countShiftOf(a.divide_conf), Number(a.initial_count_load_time), now);
  put32(page, REG_TMCCT, count);
  put32(page, REG_TDCR, a.divide_conf);

  const waiting = a.sipi !== null && a.sipi.wait_for_sipi !== 0;
  const fields: Record<string, StateValue> = {
    regs: page,
    apic_base: a.apicbase,
    timer_deadline: a.timer_expiry,
    tsc_deadline: a.tsc_deadline ?? 0n,
    mp_state: waiting ? MP_STATE_INIT_RECEIVED : MP_STATE_RUNNABLE,
  };
  if (a.esr_pending !== null) fields.esr_pending = makeNode({ value: a.esr_pending });
  return [{ type: 'kvm-apic', version: 1, fields: makeNode(fields) }];
}

/** The snapshot point as a number of ns (exact below 2^53). */
function snapshotTime(ctx: FilterContext): number {
  const t = ctx.virtualTimeNs;
  if (t < 0n || t > MAX_SAFE) throw fieldError(ctx.path, '', `virtual time ${t} ns is outside the exact range`);
  return Number(t);
}

export const kvmApicToApic: Filter = {
  name: 'kvm-apic->apic',
  description: 'in-kernel LAPIC (register page + deadline) to the userspace apic v3 (QEMU fields)',
  consumes: [KVM_APIC],
  produces: [APIC],
  inverse: 'apic->kvm-apic',
  apply: kvmToApic,
};

export const apicToKvmApic: Filter = {
  name: 'apic->kvm-apic',
  description: 'userspace apic v3 (QEMU fields) to the in-kernel LAPIC (register page + deadline)',
  consumes: [APIC],
  produces: [KVM_APIC],
  inverse: 'kvm-apic->apic',
  apply: apicToKvm,
};
