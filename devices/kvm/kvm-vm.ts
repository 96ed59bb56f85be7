/**
 * The "kernel": a KVM-like VM object that owns the in-kernel interrupt controllers and is reached
 * only through an ioctl-like API (KVM_GET/SET_LAPIC, KVM_GET/SET_IRQCHIP, KVM_GET/SET_PIT2,
 * KVM_IRQ_LINE, KVM_SIGNAL_MSI). With kernel-irqchip=on it holds every LAPIC, the IOAPIC, the PIC
 * pair and the PIT; with split, only the LAPICs; with off, nothing (the VMM's userspace devices do
 * the work). The QOM objects kvm-apic, kvm-ioapic, kvm-i8259 and kvm-pit visit through this API.
 */
import type { VirtualClock } from '../../src/clock/clock.ts';
import type { IrqLine } from '../../src/irq.ts';
import type { ApicWiring } from '../apic-common/apic-types.ts';
import { msiToMessage } from '../../src/hw/apic-message.ts';
import type { ApicBus } from '../apic-common/apic-bus.ts';
import { KvmLapic } from './kvm-lapic.ts';
import type { KvmLapicFullState } from './kvm-lapic.ts';
import type { KvmLapicAccess } from './kvm-apic-object.ts';
import { KvmPic } from './kvm-pic.ts';
import type { KvmPicChip, KvmPicChipInput } from './kvm-pic.ts';
import { KvmIoapic } from './kvm-ioapic.ts';
import { KvmPit } from './kvm-pit.ts';
import type { ChipAccess } from './kvm-chip-objects.ts';
import type { KvmIoapicState, KvmPitState2 } from '../../src/hw/kvm-structs.ts';
import { KVM_IRQCHIP_IOAPIC, KVM_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_SLAVE } from '../../src/hw/kvm-structs.ts';

export type IrqchipMode = 'on' | 'split' | 'off';

export class KvmVm {
  readonly mode: IrqchipMode;
  private readonly clock: VirtualClock;
  private readonly bus: ApicBus;
  readonly lapics: KvmLapic[] = [];
  /** In-kernel chips (kernel-irqchip=on only). */
  readonly pic: KvmPic | null = null;
  readonly ioapic: KvmIoapic | null = null;
  pit: KvmPit | null = null;

  constructor(mode: IrqchipMode, clock: VirtualClock, bus: ApicBus) {
    this.mode = mode;
    this.clock = clock;
    this.bus = bus;
    if (mode === 'on') {
      // KVM_CREATE_IRQCHIP
      this.pic = new KvmPic();
      this.ioapic = new KvmIoapic((msg) => bus.deliver(msg));
    }
  }

  /** KVM_CREATE_PIT2 (kernel-irqchip=on). */
  createPit(irq0: IrqLine): KvmPit {
    this.pit = new KvmPit(this.clock, irq0);
    return this.pit;
  }

  /** KVM_CREATE_VCPU with an in-kernel LAPIC (kernel-irqchip=on or split). */
  createLapic(wiring: ApicWiring, tscDeadline: boolean): KvmLapic {
    if (this.mode === 'off') throw new Error('kernel-irqchip=off has no in-kernel LAPIC');
    const lapic = new KvmLapic(wiring, this.clock, { tscDeadline });
    this.lapics[wiring.cpuIndex] = lapic;
    return lapic;
  }

  // ---- ioctls ----

  getLapic(cpu: number): KvmLapicFullState {
    return this.lapic(cpu).getState();
  }

  setLapic(cpu: number, state: KvmLapicFullState): void {
    this.lapic(cpu).setState(state);
  }

  getIrqchip(chip: number): KvmPicChip | KvmIoapicState {
    if (chip === KVM_IRQCHIP_IOAPIC) return this.requireIoapic().getState();
    return this.requirePic().getChip(chip === KVM_IRQCHIP_PIC_SLAVE ? 1 : 0);
  }

  setIrqchip(chip: number, state: KvmPicChipInput | KvmIoapicState): void {
    if (chip === KVM_IRQCHIP_IOAPIC) this.requireIoapic().setState(state as KvmIoapicState);
    else this.requirePic().setChip(chip === KVM_IRQCHIP_PIC_SLAVE ? 1 : 0, state as KvmPicChipInput);
  }

  getPit2(): KvmPitState2 {
    return this.requirePit().getState();
  }

  setPit2(state: KvmPitState2): void {
    this.requirePit().setState(state);
  }

  /** KVM_IRQ_LINE: a GSI to the in-kernel PIC (ISA IRQs 0-15) and IOAPIC. */
  irqLine(gsi: number, level: number): void {
    if (gsi < 16) this.requirePic().setIrq(gsi, level);
    this.requireIoapic().setIrq(gsi, level);
  }

  /** KVM_SIGNAL_MSI. */
  signalMsi(address: number, data: number): void {
    this.bus.deliver(msiToMessage(address, data));
  }

  // ---- Accessors for the stateless QOM objects ----

  /**
   * kvm-apic's access for one vCPU. A load is applied in post-load (KVM_SET_LAPIC after the clock
   * and the vCPU are restored), as the LAPIC re-arms its timer from the current time.
   */
  lapicAccess(cpu: number): KvmLapicAccess {
    let pending: KvmLapicFullState | null = null;
    return {
      getLapic: () => pending ?? this.getLapic(cpu),
      setLapic: (s) => {
        pending = s;
      },
      postLoad: () => {
        if (pending !== null) this.setLapic(cpu, pending);
        pending = null;
      },
    };
  }

  picAccess(chip: number): ChipAccess<KvmPicChipInput> {
    return {
      get: () => this.getIrqchip(chip) as KvmPicChip,
      set: (s) => this.setIrqchip(chip, s),
      postLoad: () => {
        if (chip === KVM_IRQCHIP_PIC_MASTER) this.requirePic().postLoad();
      },
    };
  }

  ioapicAccess(): ChipAccess<KvmIoapicState> {
    return { get: () => this.getIrqchip(KVM_IRQCHIP_IOAPIC) as KvmIoapicState, set: (s) => this.setIrqchip(KVM_IRQCHIP_IOAPIC, s) };
  }

  pitAccess(): ChipAccess<KvmPitState2> {
    return { get: () => this.getPit2(), set: (s) => this.setPit2(s), postLoad: () => this.requirePit().postLoad() };
  }

  private lapic(cpu: number): KvmLapic {
    const l = this.lapics[cpu];
    if (l === undefined) throw new Error(`vCPU ${cpu} has no in-kernel LAPIC`);
    return l;
  }

  private requirePic(): KvmPic {
    if (this.pic === null) throw new Error('no in-kernel PIC (kernel-irqchip is not on)');
    return this.pic;
  }

  private requireIoapic(): KvmIoapic {
    if (this.ioapic === null) throw new Error('no in-kernel IOAPIC (kernel-irqchip is not on)');
    return this.ioapic;
  }

  private requirePit(): KvmPit {
    if (this.pit === null) throw new Error('no in-kernel PIT');
    return this.pit;
  }
}
