/**
 * The interrupt controllers of the PC in the configured flavour (`-machine kernel-irqchip=`):
 *   on     the kernel (KvmVm) holds the LAPICs, IOAPIC, PIC and PIT: kvm-apic, kvm-ioapic,
 *          kvm-i8259, kvm-pit objects that visit through its ioctl-like API;
 *   split  the LAPICs are in the kernel, the IOAPIC, PIC and PIT are userspace devices;
 *   off    all userspace: apic, ioapic, i8259, i8254 (+ pcspk for port 0x61).
 * The guest sees the same hardware in every flavour.
 */
import type { VirtualClock } from '../src/clock/clock.ts';
import type { MmioDevice } from '../src/bus/mmio-bus.ts';
import { APIC_WINDOW_SIZE, IOAPIC_BASE, PIT_IRQ, PIT_PORT, PIT_PORTS, PORT61 } from '../src/hw/pc-layout.ts';
import type { Plug } from './plug.ts';
import { IrqLine } from '../src/irq.ts';
import type { IrqSink } from '../src/irq.ts';
import { ApicBus } from '../devices/apic-common/apic-bus.ts';
import type { ApicWiring } from '../devices/apic-common/apic-types.ts';
import { Apic } from '../devices/apic/apic.ts';
import { Ioapic } from '../devices/ioapic/ioapic.ts';
import { PicPair } from '../devices/pic/pic-pair.ts';
import { I8254 } from '../devices/pit/i8254.ts';
import { Port61 } from '../devices/pit/port61.ts';
import { KvmVm } from '../devices/kernel/kvm-vm.ts';
import type { KernelIrqchip } from '../devices/kernel/kvm-vm.ts';
import type { KvmLapic } from '../devices/kernel/kvm-lapic.ts';
import type { KvmPic } from '../devices/kernel/kvm-pic.ts';
import type { KvmIoapic } from '../devices/kernel/kvm-ioapic.ts';
import type { KvmPit } from '../devices/kernel/kvm-pit.ts';
import { KvmApicObject } from '../devices/kvm/kvm-apic-object.ts';
import { KvmI8259Object } from '../devices/kvm/kvm-i8259-object.ts';
import { KvmIoapicObject } from '../devices/kvm/kvm-ioapic-object.ts';
import { KvmPitObject } from '../devices/kvm/kvm-pit-object.ts';
import { KVM_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_SLAVE } from '../src/hw/kvm-structs.ts';


export type LocalApic = Apic | KvmLapic;

export class Irqchips {
  readonly mode: KernelIrqchip;
  readonly vm: KvmVm;
  readonly apicBus = new ApicBus();
  readonly pic: PicPair | KvmPic;
  readonly ioapic: Ioapic | KvmIoapic;
  readonly pit: I8254 | KvmPit;
  /** Port 0x61 as a userspace device (off/split); the in-kernel PIT serves it itself. */
  readonly pcspk: Port61 | null;
  readonly lapics: LocalApic[] = [];
  /** ISA IRQ lines 0-15 and GSIs up to 23: to the PIC and the IOAPIC (KVM_IRQ_LINE when on). */
  readonly gsi: IrqSink;

  constructor(mode: KernelIrqchip, clock: VirtualClock) {
    this.mode = mode;
    const bus = this.apicBus;
    const vm = (this.vm = new KvmVm(mode, clock, bus));
    if (mode === 'on') {
      this.pic = vm.pic!;
      this.ioapic = vm.ioapic!;
      this.gsi = { setIrq: (gsi, level) => vm.irqLine(gsi, level) };
    } else {
      const pic = (this.pic = new PicPair());
      const ioapic = (this.ioapic = new Ioapic((msg) => bus.deliver(msg)));
      this.gsi = {
        setIrq: (gsi, level) => {
          if (gsi < 16) pic.setIrq(gsi, level);
          ioapic.setIrq(gsi, level);
        },
      };
    }
    const irq0 = new IrqLine(this.gsi, PIT_IRQ);
    if (mode === 'on') {
      this.pit = vm.createPit(irq0);
      this.pcspk = null;
    } else {
      const pit = new I8254(clock, irq0);
      this.pit = pit;
      this.pcspk = new Port61(pit, clock);
    }
  }

  /** The local APIC of a CPU: userspace `apic` with off, in-kernel otherwise. */
  addLapic(wiring: ApicWiring, clock: VirtualClock, tscDeadline: boolean): LocalApic {
    const lapic = this.mode === 'off' ? new Apic(wiring, clock, { tscDeadline }) : this.vm.createLapic(wiring, tscDeadline);
    this.apicBus.attach(lapic);
    this.lapics[wiring.cpuIndex] = lapic;
    return lapic;
  }

  /** True when the LAPICs live in the kernel: injection stays inside the vCPU loop. */
  get lapicInKernel(): boolean {
    return this.mode !== 'off';
  }

  /**
   * Every controller as the board plugs it (PcBoard.plug), in reset order: its object path and
   * state object, the ports or MMIO window it answers, its reset. In-kernel chips are reached
   * through the VM's API by kvm-* objects that hold no state; the VM's chips claim their ports.
   */
  plugs(): Plug[] {
    const vm = this.vm;
    const out: Plug[] = [];
    const ioapicWindow = [{ base: IOAPIC_BASE, size: APIC_WINDOW_SIZE, device: this.ioapic as MmioDevice, name: 'ioapic' }];
    if (this.mode === 'on') {
      // The in-kernel chips claim their ports and MMIO window in the kernel; their objects hold no
      // state and reach them through the VM's API.
      out.push({ path: '/machine/pic/master', object: new KvmI8259Object(vm, KVM_IRQCHIP_PIC_MASTER), ports: vm.portRanges(), mmio: vm.mmioRanges(), reset: () => vm.resetIrqchips() });
      out.push({ path: '/machine/pic/slave', object: new KvmI8259Object(vm, KVM_IRQCHIP_PIC_SLAVE) });
      out.push({ path: '/machine/ioapic', object: new KvmIoapicObject(vm) });
      out.push({ path: '/machine/pit', object: new KvmPitObject(vm) });
    } else {
      const pic = this.pic as PicPair;
      const pit = this.pit as I8254;
      const ioapic = this.ioapic as Ioapic;
      const pcspk = this.pcspk!;
      out.push({ path: '/machine/pic/master', object: pic.master, ports: pic.portRanges(), reset: () => pic.reset() });
      out.push({ path: '/machine/pic/slave', object: pic.slave });
      out.push({ path: '/machine/ioapic', object: ioapic, mmio: ioapicWindow, reset: () => ioapic.reset() });
      out.push({ path: '/machine/pit', object: pit, ports: [{ base: PIT_PORT, count: PIT_PORTS, device: pit }], reset: () => pit.reset() });
      out.push({ path: '/machine/pcspk', object: pcspk, ports: [{ base: PORT61, count: 1, device: pcspk }], reset: () => pcspk.reset() });
    }
    this.lapics.forEach((lapic, i) => {
      // In-kernel LAPICs are reset with the VM's chips (resetIrqchips) when the kernel holds them all.
      if (this.mode === 'off') out.push({ path: `/machine/cpu[${i}]/lapic`, object: lapic as Apic, reset: () => lapic.reset() });
      else out.push({ path: `/machine/cpu[${i}]/lapic`, object: new KvmApicObject(vm, i), ...(this.mode === 'split' ? { reset: () => lapic.reset() } : {}) });
    });
    return out;
  }
}
