/**
 * The kernel's ioctl-like API (devices/kvm/kvm-vm.ts) on a whole machine: KVM_SIGNAL_MSI reaches the
 * addressed LAPIC, KVM_IRQ_LINE drives the in-kernel PIC and IOAPIC, and get/set round-trip the
 * native structs. The userspace flavour's MSI path (the APIC bus) delivers the same.
 */
import { describe, expect, it } from 'vitest';
import { Machine } from '../../../machine/machine.ts';
import { defaultMachineConfig } from '../../../machine/machine-config.ts';
import type { KernelIrqchip } from '../../../machine/machine-config.ts';
import { msiToMessage } from '../../../src/hw/apic-message.ts';
import { KVM_IRQCHIP_IOAPIC, KVM_IRQCHIP_PIC_MASTER } from '../../../src/hw/kvm-structs.ts';
import type { KvmIoapicState } from '../../../src/hw/kvm-structs.ts';
import type { KvmPicChip } from '../../../devices/kernel/kvm-pic.ts';

function machine(mode: KernelIrqchip): Machine {
  return new Machine(defaultMachineConfig({ smp: 2, kernelIrqchip: mode, ramBytes: 4 << 20 }), { serialOut: () => {}, log: () => {} });
}

function irr(m: Machine, cpu: number, vector: number): boolean {
  const lapic = m.board.lapics[cpu]!;
  return ((lapic.mmioRead(0x200 + (vector >> 5) * 0x10, 4) >>> (vector & 31)) & 1) === 1;
}

describe('the kernel VM layer', () => {
  for (const mode of ['on', 'split', 'off'] as KernelIrqchip[]) {
    it(`delivers an MSI to the addressed LAPIC (kernel-irqchip=${mode})`, () => {
      const m = machine(mode);
      for (const lapic of m.board.lapics) lapic.mmioWrite(0xf0, 4, 0x1ff); // software enable
      const address = 0xfee00000 | (1 << 12); // destination APIC id 1, physical
      const data = 0x41; // fixed, edge, vector 0x41
      if (mode === 'off') m.board.irqchips.apicBus.deliver(msiToMessage(address, data));
      else m.board.irqchips.vm.signalMsi(address, data);
      expect(irr(m, 1, 0x41)).toBe(true);
      expect(irr(m, 0, 0x41)).toBe(false);
      expect(m.board.lapics[1]!.hasInterrupt()).toBe(true);
    });
  }

  it('KVM_IRQ_LINE raises the line on the in-kernel PIC and IOAPIC', () => {
    const m = machine('on');
    const vm = m.board.irqchips.vm;
    vm.irqLine(4, 1);
    expect(((vm.getIrqchip(KVM_IRQCHIP_PIC_MASTER) as KvmPicChip).irr >>> 4) & 1).toBe(1);
    expect(((vm.getIrqchip(KVM_IRQCHIP_IOAPIC) as KvmIoapicState).irr >>> 4) & 1).toBe(1);
    vm.irqLine(4, 0);
    expect(((vm.getIrqchip(KVM_IRQCHIP_IOAPIC) as KvmIoapicState).irr >>> 4) & 1).toBe(0);
  });

  it('get/set of the IOAPIC, PIT and LAPIC round-trip the native structs', () => {
    const m = machine('on');
    const vm = m.board.irqchips.vm;
    const io = vm.getIrqchip(KVM_IRQCHIP_IOAPIC) as KvmIoapicState;
    io.redirtbl[3] = 0x0000000000000031n;
    vm.setIrqchip(KVM_IRQCHIP_IOAPIC, io);
    expect((vm.getIrqchip(KVM_IRQCHIP_IOAPIC) as KvmIoapicState).redirtbl[3]).toBe(0x31n);
    const pit = vm.getPit2();
    pit.channels[2].gate = 1;
    vm.setPit2(pit);
    expect(vm.getPit2().channels[2].gate).toBe(1);
    const lapic = vm.getLapic(1);
    expect(lapic.regs.length).toBe(1024);
    expect(new DataView(lapic.regs.buffer).getUint32(0x20, true) >>> 24).toBe(1); // ID register of CPU 1
  });

  it('refuses in-kernel ioctls for chips that live in userspace', () => {
    const m = machine('split');
    expect(() => m.board.irqchips.vm.getPit2()).toThrow('no in-kernel PIT');
    expect(() => m.board.irqchips.vm.irqLine(0, 1)).toThrow('no in-kernel PIC');
  });
});
