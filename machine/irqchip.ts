/**
 * The interrupt controllers of the PC in the configured flavour (`-machine kernel-irqchip=`):
 *   on     the kernel (KvmVm) holds the LAPICs, IOAPIC, PIC and PIT: kvm-apic, kvm-ioapic,
 *          kvm-i8259, kvm-pit objects that visit through its ioctl-like API;
 *   split  the LAPICs are in the kernel, the IOAPIC, PIC and PIT are userspace devices;
 *   off    all userspace: apic, ioapic, i8259, i8254 (+ pcspk for port 0x61).
 * The guest sees the same hardware in every flavour.
 */
import type { VirtualClock } from '../src/clock/clock.ts';
import type { IoBus } from '../src/bus/io-bus.ts';
import type { MmioDevice } from '../src/bus/mmio-bus.ts';
import type { PhysicalMemory } from '../src/memory/physical-memory.ts';
import type { ObjectTree } from '../src/qom/object-tree.ts';
import { IrqLine } from '../src/irq.ts';
import type { IrqSink } from '../src/irq.ts';
import { ApicBus } from '../devices/apic-common/apic-bus.ts';
import type { ApicWiring } from '../devices/apic-common/apic-types.ts';
import { Apic } from '../devices/apic/apic.ts';
import { Ioapic } from '../devices/ioapic/ioapic.ts';
import { PicPair } from '../devices/pic/pic-pair.ts';
import { I8254 } from '../devices/pit/i8254.ts';
import { Port61 } from '../devices/pit/port61.ts';
import { KvmVm } from '../devices/kvm/kvm-vm.ts';
import type { IrqchipMode } from '../devices/kvm/kvm-vm.ts';
import type { KvmLapic } from '../devices/kvm/kvm-lapic.ts';
import type { KvmPic } from '../devices/kvm/kvm-pic.ts';
import type { KvmIoapic } from '../devices/kvm/kvm-ioapic.ts';
import type { KvmPit } from '../devices/kvm/kvm-pit.ts';
import { KvmApicObject } from '../devices/kvm/kvm-apic-object.ts';
import { KvmI8259Object, KvmIoapicObject, KvmPitObject } from '../devices/kvm/kvm-chip-objects.ts';
import { KVM_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_SLAVE } from '../devices/kvm/kvm-structs.ts';

export const IOAPIC_BASE = 0xfec00000;
export const LAPIC_BASE = 0xfee00000;

export type LocalApic = Apic | KvmLapic;

export class Irqchips {
  readonly mode: IrqchipMode;
  readonly vm: KvmVm;
  readonly apicBus = new ApicBus();
  readonly pic: PicPair | KvmPic;
  readonly ioapic: Ioapic | KvmIoapic;
  readonly pit: I8254 | KvmPit;
  /** Port 0x61 as a userspace device (off/split); the in-kernel PIT serves it itself. */
  readonly pcspk: Port61 | null;
  readonly lapics: LocalApic[] = [];
  /** ISA IRQ lines 0-15 (and GSIs up to 23): to the PIC and the IOAPIC (KVM_IRQ_LINE when on). */
  readonly isa: IrqSink;

  constructor(mode: IrqchipMode, clock: VirtualClock, io: IoBus, mem: PhysicalMemory) {
    this.mode = mode;
    const bus = this.apicBus;
    const vm = (this.vm = new KvmVm(mode, clock, bus));
    if (mode === 'on') {
      this.pic = vm.pic!;
      this.ioapic = vm.ioapic!;
      this.isa = { setIrq: (gsi, level) => vm.irqLine(gsi, level) };
    } else {
      const pic = (this.pic = new PicPair());
      const ioapic = (this.ioapic = new Ioapic((msg) => bus.deliver(msg)));
      this.isa = {
        setIrq: (gsi, level) => {
          if (gsi < 16) pic.setIrq(gsi, level);
          ioapic.setIrq(gsi, level);
        },
      };
    }
    this.pic.registerPorts(io);
    mem.mmio.register(IOAPIC_BASE, 0x1000, this.ioapic as MmioDevice, 'ioapic');
    const irq0 = new IrqLine(this.isa, 0);
    if (mode === 'on') {
      const pit = vm.createPit(irq0);
      pit.registerPorts(io);
      this.pit = pit;
      this.pcspk = null;
    } else {
      const pit = new I8254(clock, irq0);
      io.register(0x40, 4, pit);
      this.pit = pit;
      this.pcspk = new Port61(pit, clock);
      io.register(0x61, 1, this.pcspk);
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

  /** Put every controller in the object tree at its stable path. */
  addObjects(tree: ObjectTree): void {
    const vm = this.vm;
    this.lapics.forEach((lapic, i) => {
      tree.add(`/machine/cpu[${i}]/lapic`, this.mode === 'off' ? (lapic as Apic) : new KvmApicObject(vm.lapicAccess(i)));
    });
    if (this.mode === 'on') {
      tree.add('/machine/ioapic', new KvmIoapicObject(vm.ioapicAccess()));
      tree.add('/machine/pic/master', new KvmI8259Object(vm.picAccess(KVM_IRQCHIP_PIC_MASTER)));
      tree.add('/machine/pic/slave', new KvmI8259Object(vm.picAccess(KVM_IRQCHIP_PIC_SLAVE)));
      tree.add('/machine/pit', new KvmPitObject(vm.pitAccess()));
    } else {
      const pic = this.pic as PicPair;
      tree.add('/machine/ioapic', this.ioapic as Ioapic);
      tree.add('/machine/pic/master', pic.master);
      tree.add('/machine/pic/slave', pic.slave);
      tree.add('/machine/pit', this.pit as I8254);
      tree.add('/machine/pcspk', this.pcspk!);
    }
  }

  reset(): void {
    this.pic.reset();
    this.ioapic.reset();
    this.pit.reset();
    this.pcspk?.reset();
    for (const lapic of this.lapics) lapic.reset();
  }
}
