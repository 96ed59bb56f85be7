/**
 * The two state formats carry the same machine: converting `apic` <-> `kvm-apic` with the mapping in
 * devices/apic/README.md in the middle of a run (switching flavour each time) changes nothing the
 * guest can see, timer phase included. The converters here are a reference for the migration filter.
 */
import { describe, expect, it } from 'vitest';
import { Apic } from '../../../devices/apic/apic.ts';
import { countShiftOf } from '../../../src/hw/lapic-timer.ts';
import { loadState } from '../../../src/visit/input-visitor.ts';
import { saveState } from '../../../src/visit/output-visitor.ts';
import { newNode } from '../../../src/visit/state-tree.ts';
import type { StateNode } from '../../../src/visit/state-tree.ts';
import type { Rig } from './lapic-harness.ts';
import { newLapic, stateObject } from './lapic-harness.ts';
import { play, script } from './lapic-script.ts';

const u32 = (page: DataView, off: number) => page.getUint32(off, true);
const words = (page: DataView, base: number) => Array.from({ length: 8 }, (_, i) => u32(page, base + i * 16));

function kvmToApic(k: StateNode, now: number): StateNode {
  const page = new DataView(Uint8Array.from(k['regs'] as number[]).buffer);
  const ic = u32(page, 0x380);
  const tdcr = u32(page, 0x3e0);
  const shift = countShiftOf(tdcr);
  const deadline = k['timer_deadline'] as bigint;
  const span = BigInt(ic + 1) << BigInt(shift);
  const a = newNode();
  a['apicbase'] = Number(k['apic_base'] as bigint);
  a['id'] = u32(page, 0x20) >>> 24;
  a['arb_id'] = u32(page, 0x90) & 0xff;
  a['tpr'] = u32(page, 0x80) & 0xff;
  a['spurious_vec'] = u32(page, 0xf0);
  a['log_dest'] = u32(page, 0xd0) >>> 24;
  a['dest_mode'] = u32(page, 0xe0) >>> 28;
  a['isr'] = words(page, 0x100);
  a['tmr'] = words(page, 0x180);
  a['irr'] = words(page, 0x200);
  a['lvt'] = Array.from({ length: 6 }, (_, i) => u32(page, 0x320 + i * 16));
  a['esr'] = u32(page, 0x280);
  a['icr'] = [u32(page, 0x300), u32(page, 0x310)];
  a['divide_conf'] = tdcr;
  a['count_shift'] = shift;
  a['initial_count'] = ic;
  a['initial_count_load_time'] = deadline >= 0n ? deadline - span : BigInt(now) - span;
  a['next_time'] = deadline >= 0n ? deadline : 0n;
  a['timer_expiry'] = deadline;
  if (k['mp_state'] === 2) {
    const g = newNode();
    g['sipi_vector'] = 0;
    g['wait_for_sipi'] = 1;
    a['apic_sipi'] = g;
  }
  if ((k['tsc_deadline'] as bigint) !== 0n) {
    const g = newNode();
    g['value'] = k['tsc_deadline'] as bigint;
    a['tsc_deadline'] = g;
  }
  if (k['esr_pending'] !== undefined) a['esr_pending'] = k['esr_pending'];
  return a;
}

function apicToKvm(a: StateNode): StateNode {
  const regs = new Uint8Array(1024);
  const page = new DataView(regs.buffer);
  const put = (off: number, v: number) => page.setUint32(off, v >>> 0, true);
  const arr = (name: string) => a[name] as number[];
  put(0x20, (a['id'] as number) << 24);
  put(0x30, 0x50014);
  put(0x80, a['tpr'] as number);
  put(0x90, a['arb_id'] as number);
  put(0xd0, (a['log_dest'] as number) << 24);
  put(0xe0, ((a['dest_mode'] as number) << 28) | 0x0fffffff);
  put(0xf0, a['spurious_vec'] as number);
  for (let i = 0; i < 8; i++) {
    put(0x100 + i * 16, arr('isr')[i]!);
    put(0x180 + i * 16, arr('tmr')[i]!);
    put(0x200 + i * 16, arr('irr')[i]!);
  }
  put(0x280, a['esr'] as number);
  put(0x300, arr('icr')[0]!);
  put(0x310, arr('icr')[1]!);
  for (let i = 0; i < 6; i++) put(0x320 + i * 16, arr('lvt')[i]!);
  put(0x380, a['initial_count'] as number);
  put(0x3e0, a['divide_conf'] as number);
  const k = newNode();
  k['regs'] = Array.from(regs);
  k['apic_base'] = BigInt(a['apicbase'] as number);
  k['timer_deadline'] = a['timer_expiry'] as bigint;
  k['tsc_deadline'] = a['tsc_deadline'] === undefined ? 0n : ((a['tsc_deadline'] as StateNode)['value'] as bigint);
  k['mp_state'] = a['apic_sipi'] === undefined ? 0 : 2;
  if (a['esr_pending'] !== undefined) k['esr_pending'] = a['esr_pending'];
  return k;
}

/** A restore that converts the state to the other flavour and swaps that flavour in. */
function convertAndSwap(rig: Rig, i: number): void {
  const old = rig.cpus[i]!;
  const path = `/machine/cpu[${i}]/lapic`;
  let tree = saveState(stateObject(old), path);
  const toKvm = old instanceof Apic;
  if (toKvm) tree = apicToKvm(tree);
  else tree = kvmToApic(tree, rig.tc.now());
  old.dispose();
  const fresh = newLapic(toKvm ? 'kvm-lapic' : 'apic', rig.wirings[i]!, rig.tc, rig.tscDeadline);
  const obj = stateObject(fresh);
  loadState(obj, tree, path);
  obj.postLoad?.();
  rig.bus.replace(fresh);
  rig.cpus[i] = fresh;
}

describe('apic <-> kvm-apic conversion', () => {
  for (const seed of [21, 22, 23, 24, 25, 26]) {
    it(`keeps a run identical when the flavour changes mid-run (script ${seed})`, () => {
      const ops = script(seed, 400, 2, true);
      const straight = ops.filter((op) => op.k !== 'restore');
      const guestVisible = (log: string[]) => log.filter((l) => !l.includes(' kicks '));
      const reference = guestVisible(play('apic', straight, 2));
      expect(guestVisible(play('apic', ops, 2, convertAndSwap))).toEqual(reference);
      expect(guestVisible(play('kvm-lapic', ops, 2, convertAndSwap))).toEqual(reference);
    });
  }
});
