/**
 * Register behaviour of the local APIC, run against both flavours (userspace `apic` and the
 * in-kernel LAPIC) with the same expectations.
 */
import { describe, expect, it } from 'vitest';
import { FLAVOURS, drain, enable, makeRig, rd, wr } from './lapic-harness.ts';

describe.each(FLAVOURS)('%s registers', (flavour) => {
  it('has the reset values of QEMU and KVM', () => {
    const { cpus } = makeRig(flavour, { cpus: 2 });
    const [bsp, ap] = [cpus[0]!, cpus[1]!];
    expect(rd(bsp, 0x20)).toBe(0);
    expect(rd(ap, 0x20)).toBe(0x01000000);
    expect(rd(bsp, 0x30)).toBe(0x50014);
    for (const off of [0x80, 0x90, 0xa0, 0xb0, 0xd0, 0x280, 0x300, 0x310, 0x380, 0x390, 0x3e0]) {
      expect(rd(bsp, off)).toBe(0);
    }
    expect(rd(bsp, 0xe0)).toBe(0xffffffff);
    expect(rd(bsp, 0xf0)).toBe(0xff);
    for (const off of [0x320, 0x330, 0x340, 0x360, 0x370]) expect(rd(bsp, off)).toBe(0x10000);
    expect(rd(bsp, 0x350)).toBe(0x700);
    expect(rd(ap, 0x350)).toBe(0x10000);
    for (let i = 0; i < 8; i++) {
      expect(rd(bsp, 0x100 + i * 16)).toBe(0);
      expect(rd(bsp, 0x180 + i * 16)).toBe(0);
      expect(rd(bsp, 0x200 + i * 16)).toBe(0);
    }
    expect(bsp.readMsr(0x1b)).toBe(0xfee00900n);
    expect(ap.readMsr(0x1b)).toBe(0xfee00800n);
    expect(bsp.mmioBase()).toBe(0xfee00000);
    expect(bsp.isWaitingForSipi()).toBe(false);
    expect(ap.isWaitingForSipi()).toBe(true);
  });

  it('keeps only the valid bits of each register', () => {
    const { cpus } = makeRig(flavour);
    const l = cpus[0]!;
    enable(l);
    wr(l, 0x20, 0xffffffff);
    expect(rd(l, 0x20)).toBe(0xff000000);
    wr(l, 0x30, 0);
    expect(rd(l, 0x30)).toBe(0x50014);
    wr(l, 0x80, 0xffffffff);
    expect(rd(l, 0x80)).toBe(0xff);
    wr(l, 0x80, 0);
    wr(l, 0xd0, 0xffffffff);
    expect(rd(l, 0xd0)).toBe(0xff000000);
    wr(l, 0xe0, 0x0);
    expect(rd(l, 0xe0)).toBe(0x0fffffff);
    wr(l, 0xf0, 0xffffffff);
    expect(rd(l, 0xf0)).toBe(0x3ff);
    wr(l, 0x320, 0xffffffff);
    expect(rd(l, 0x320)).toBe(0x300ff);
    wr(l, 0x330, 0xffffffff);
    expect(rd(l, 0x330)).toBe(0x107ff);
    wr(l, 0x340, 0xffffffff);
    expect(rd(l, 0x340)).toBe(0x107ff);
    wr(l, 0x350, 0xffffffff);
    expect(rd(l, 0x350)).toBe(0x1a7ff);
    wr(l, 0x360, 0xffffffff);
    expect(rd(l, 0x360)).toBe(0x1a7ff);
    wr(l, 0x370, 0xffffffff);
    expect(rd(l, 0x370)).toBe(0x100ff);
    wr(l, 0x3e0, 0xffffffff);
    expect(rd(l, 0x3e0)).toBe(0xb);
    wr(l, 0x310, 0xffffffff);
    expect(rd(l, 0x310)).toBe(0xff000000);
    // Read-only registers ignore writes.
    for (const off of [0x90, 0xa0, 0x100, 0x180, 0x200, 0x390]) {
      wr(l, off, 0xffffffff);
      expect(rd(l, off)).toBe(0);
    }
    expect(rd(l, 0x280)).toBe(0); // none of this was an error
  });

  it('answers only aligned 32-bit accesses', () => {
    const { cpus } = makeRig(flavour);
    const l = cpus[0]!;
    expect(l.mmioRead(0x30, 2)).toBe(0);
    expect(l.mmioRead(0x30, 1)).toBe(0);
    expect(l.mmioRead(0x34, 4)).toBe(0);
    l.mmioWrite(0x80, 1, 0x55);
    l.mmioWrite(0x84, 4, 0x55);
    expect(rd(l, 0x80)).toBe(0);
    wr(l, 0x280, 0);
    expect(rd(l, 0x280)).toBe(0);
  });

  it('latches errors into ESR on a write, with the error LVT', () => {
    const { cpus } = makeRig(flavour);
    const l = cpus[0]!;
    enable(l);
    expect(rd(l, 0x2f0)).toBe(0); // reserved (CMCI is not modelled): illegal register
    wr(l, 0x400, 1); // reserved offset
    expect(rd(l, 0x280)).toBe(0); // not latched yet
    wr(l, 0x280, 0);
    expect(rd(l, 0x280)).toBe(0x80);
    wr(l, 0x280, 0);
    expect(rd(l, 0x280)).toBe(0);
    // Send illegal vector: the IPI does not go out.
    wr(l, 0x370, 0xee); // error interrupts on vector 0xEE
    wr(l, 0x300, 0x40005); // self, fixed, vector 5
    wr(l, 0x280, 0);
    expect(rd(l, 0x280)).toBe(0x20);
    expect(drain(l)).toEqual([0xee]);
    // A second error of the same kind before the latch raises no new error interrupt.
    wr(l, 0xb0, 0);
    wr(l, 0x300, 0x40006);
    wr(l, 0x300, 0x40007);
    expect(drain(l)).toEqual([0xee]);
  });

  it('records a received illegal vector', () => {
    const { cpus } = makeRig(flavour);
    const l = cpus[0]!;
    enable(l);
    l.accept(0, 3, 0);
    expect(l.hasInterrupt()).toBe(false);
    wr(l, 0x280, 0);
    expect(rd(l, 0x280)).toBe(0x40);
  });

  it('orders interrupts by priority, with TPR and PPR', () => {
    const { cpus } = makeRig(flavour);
    const l = cpus[0]!;
    expect(l.hasInterrupt()).toBe(false);
    l.accept(0, 0x45, 0); // software-disabled: dropped
    expect(rd(l, 0x200 + 2 * 16)).toBe(0);
    enable(l);
    l.accept(0, 0x31, 0);
    l.accept(0, 0x45, 0);
    l.accept(0, 0x52, 0);
    expect(rd(l, 0x210)).toBe(1 << 0x11);
    expect(rd(l, 0x220)).toBe((1 << 0x05) | (1 << 0x12));
    expect(l.hasInterrupt()).toBe(true);
    expect(l.acknowledge()).toBe(0x52);
    expect(rd(l, 0x120)).toBe(1 << 0x12);
    expect(rd(l, 0xa0)).toBe(0x50);
    expect(l.hasInterrupt()).toBe(false); // 0x45 is below the in-service class
    wr(l, 0x80, 0x63);
    expect(rd(l, 0xa0)).toBe(0x63);
    wr(l, 0xb0, 0);
    expect(rd(l, 0x120)).toBe(0);
    expect(rd(l, 0xa0)).toBe(0x63);
    expect(l.hasInterrupt()).toBe(false); // TPR masks 0x45 and 0x31
    expect(l.acknowledge()).toBe(0xff); // spurious
    wr(l, 0x80, 0x40);
    expect(l.hasInterrupt()).toBe(false); // same class as TPR
    wr(l, 0x80, 0x3f);
    expect(l.hasInterrupt()).toBe(true);
    expect(l.acknowledge()).toBe(0x45);
    wr(l, 0x80, 0);
    expect(l.hasInterrupt()).toBe(false); // 0x31 is below 0x45 in service
    wr(l, 0xb0, 0);
    expect(drain(l)).toEqual([0x31]);
    wr(l, 0xb0, 0);
    expect(l.acknowledge()).toBe(0xff);
    wr(l, 0xb0, 0); // EOI with nothing in service: nothing happens
  });

  it('broadcasts the EOI of a level-triggered vector', () => {
    const { cpus, events } = makeRig(flavour);
    const l = cpus[0]!;
    enable(l);
    l.accept(0, 0x61, 1);
    l.accept(0, 0x62, 0);
    expect(rd(l, 0x180 + 3 * 16)).toBe(1 << 1);
    expect(drain(l)).toEqual([0x62]);
    wr(l, 0xb0, 0);
    expect(events).toEqual([]);
    expect(drain(l)).toEqual([0x61]);
    wr(l, 0xb0, 0);
    expect(events).toEqual([{ cpu: 0, kind: 'eoi', value: 0x61, at: 0 }]);
  });

  it('masks every LVT entry while software-disabled', () => {
    const { cpus } = makeRig(flavour);
    const l = cpus[0]!;
    wr(l, 0x320, 0x30);
    expect(rd(l, 0x320)).toBe(0x10030);
    enable(l);
    wr(l, 0x320, 0x30);
    wr(l, 0x370, 0x31);
    expect(rd(l, 0x320)).toBe(0x30);
    wr(l, 0xf0, 0xff);
    expect(rd(l, 0x320)).toBe(0x10030);
    expect(rd(l, 0x370)).toBe(0x10031);
    expect(rd(l, 0x350)).toBe(0x10700);
  });

  it('matches physical, flat and cluster destinations', () => {
    const { cpus } = makeRig(flavour, { cpus: 2 });
    const l = cpus[1]!;
    expect(l.matchesDestination(1, 0)).toBe(true);
    expect(l.matchesDestination(2, 0)).toBe(false);
    expect(l.matchesDestination(0xff, 0)).toBe(true);
    wr(l, 0xd0, 0x02000000);
    expect(l.matchesDestination(0x02, 1)).toBe(true);
    expect(l.matchesDestination(0x03, 1)).toBe(true);
    expect(l.matchesDestination(0x01, 1)).toBe(false);
    wr(l, 0xe0, 0x0fffffff); // cluster
    wr(l, 0xd0, 0x32000000); // cluster 3, member bit 1
    expect(l.matchesDestination(0x32, 1)).toBe(true);
    expect(l.matchesDestination(0x3f, 1)).toBe(true);
    expect(l.matchesDestination(0x22, 1)).toBe(false);
    expect(l.matchesDestination(0x31, 1)).toBe(false);
    wr(l, 0xe0, 0x5fffffff); // an undefined model matches nothing
    expect(l.matchesDestination(0x32, 1)).toBe(false);
  });

  it('relocates and disables through IA32_APIC_BASE', () => {
    const { cpus } = makeRig(flavour);
    const l = cpus[0]!;
    const seen: number[] = [];
    l.onBaseChange = (b) => seen.push(b);
    enable(l);
    expect(l.writeMsr(0x1b, 0xfed00800n)).toBe(true); // BSP bit is read-only: kept
    expect(l.readMsr(0x1b)).toBe(0xfed00900n);
    expect(l.mmioBase()).toBe(0xfed00000);
    expect(l.writeMsr(0x1b, 0xfed00c00n)).toBe(false); // x2APIC is not offered
    expect(l.writeMsr(0x1b, 0x1fed00800n)).toBe(false); // above 4 GiB
    expect(l.writeMsr(0x1b, 0xfed00801n)).toBe(false); // reserved bit
    expect(l.writeMsr(0x1b, 0xfed00000n)).toBe(true);
    expect(l.mmioBase()).toBe(-1);
    expect(l.isHardwareEnabled()).toBe(false);
    expect(rd(l, 0xf0) & 0x100).toBe(0); // global disable clears the software enable
    expect(l.writeMsr(0x1b, 0xfee00800n)).toBe(true);
    expect(seen).toEqual([0xfed00000, -1, 0xfee00000]);
    expect(l.readMsr(0x10)).toBeNull();
    expect(l.writeMsr(0x10, 0n)).toBe(false);
    expect(l.readMsr(0x6e0)).toBeNull(); // no TSC-deadline without the CPUID bit
    expect(l.writeMsr(0x6e0, 1n)).toBe(false);
  });

  it('gives the xAPIC ID its initial value again when IA32_APIC_BASE re-enables the APIC', () => {
    const { cpus } = makeRig(flavour, { cpus: 2 });
    const ap = cpus[1]!;
    wr(ap, 0x20, 0x05000000);
    expect(rd(ap, 0x20)).toBe(0x05000000);
    expect(ap.writeMsr(0x1b, 0xfee00800n)).toBe(true); // enabled already: the ID stays
    expect(rd(ap, 0x20)).toBe(0x05000000);
    expect(ap.matchesDestination(5, 0)).toBe(true);
    expect(ap.writeMsr(0x1b, 0xfee00000n)).toBe(true);
    expect(ap.writeMsr(0x1b, 0xfee00800n)).toBe(true);
    expect(rd(ap, 0x20)).toBe(0x01000000);
    expect(ap.matchesDestination(1, 0)).toBe(true);
    expect(ap.matchesDestination(5, 0)).toBe(false);
  });

  it('passes the 8259 through LINT0 (virtual wire) as QEMU and KVM do', () => {
    const { cpus, pic, kicks } = makeRig(flavour, { cpus: 2 });
    const [bsp, ap] = [cpus[0]!, cpus[1]!];
    pic.level = true;
    pic.vector = 0x28;
    bsp.picChanged(1);
    ap.picChanged(1);
    expect(kicks[0]!.length).toBeGreaterThan(0);
    expect(bsp.hasInterrupt()).toBe(true); // LINT0 = ExtINT at reset, even software-disabled
    expect(ap.hasInterrupt()).toBe(false); // the AP's LINT0 is masked
    expect(bsp.acknowledge()).toBe(0x28);
    expect(pic.acks).toBe(1);
    // ExtINT beats a pending fixed interrupt.
    enable(bsp);
    bsp.accept(0, 0x90, 0);
    expect(bsp.acknowledge()).toBe(0x28);
    pic.level = false;
    bsp.picChanged(0);
    expect(bsp.acknowledge()).toBe(0x90);
    // Masking LINT0 closes the wire; a globally disabled APIC opens it again.
    wr(bsp, 0x350, 0x10700);
    pic.level = true;
    bsp.picChanged(1);
    expect(bsp.hasInterrupt()).toBe(false);
    bsp.writeMsr(0x1b, 0xfee00000n);
    expect(bsp.hasInterrupt()).toBe(true);
    expect(bsp.acknowledge()).toBe(0x28);
  });

  it('raises a fixed LINT0 vector from the 8259 and clears it when level-triggered', () => {
    const { cpus, pic } = makeRig(flavour);
    const l = cpus[0]!;
    enable(l);
    wr(l, 0x350, 0x8000 | 0x77); // fixed, level, vector 0x77
    pic.level = true;
    l.picChanged(1);
    expect(rd(l, 0x230)).toBe(1 << 0x17);
    expect(rd(l, 0x1b0)).toBe(1 << 0x17);
    pic.level = false;
    l.picChanged(0);
    expect(rd(l, 0x230)).toBe(0);
  });

  it('delivers LINT1 as NMI', () => {
    const { cpus, events } = makeRig(flavour);
    const l = cpus[0]!;
    enable(l);
    l.externalNmi(); // masked at reset
    expect(events).toEqual([]);
    wr(l, 0x360, 0x400);
    l.externalNmi();
    expect(events).toEqual([{ cpu: 0, kind: 'nmi', value: 0, at: 0 }]);
  });

  it('resets on INIT and keeps ID and base', () => {
    const { cpus } = makeRig(flavour, { cpus: 2 });
    const ap = cpus[1]!;
    ap.accept(6, 0x10, 0); // SIPI
    expect(ap.isWaitingForSipi()).toBe(false);
    enable(ap);
    wr(ap, 0x20, 0x07000000);
    wr(ap, 0x80, 0x20);
    ap.accept(0, 0x40, 0);
    ap.accept(5, 0, 0); // INIT
    expect(ap.isWaitingForSipi()).toBe(true);
    expect(rd(ap, 0x20)).toBe(0x07000000);
    expect(rd(ap, 0x80)).toBe(0);
    expect(rd(ap, 0xf0)).toBe(0xff);
    expect(rd(ap, 0x220)).toBe(0);
    expect(ap.readMsr(0x1b)).toBe(0xfee00800n);
  });
});
