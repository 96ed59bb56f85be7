/**
 * The "kernel": a KVM-like VM object that owns the in-kernel interrupt controllers and is reached
 * only through an ioctl-like API (KVM_GET/SET_LAPIC, KVM_GET/SET_IRQCHIP, KVM_GET/SET_PIT2,
 * KVM_IRQ_LINE, KVM_SIGNAL_MSI). With kernel-irqchip=on it holds every LAPIC, the IOAPIC, the PIC
 * pair and the PIT; with split, only the LAPICs; with off, nothing (the VMM's userspace devices do
 * the work). The objects kvm-apic, kvm-ioapic, kvm-i8259 and kvm-pit (devices/kvm) visit through
 * this API and nothing else; see README.md.
 */
import type { VirtualClock } from '../../src/clock/clock.ts';
import type { IrqLine } from '../../src/irq.ts';
import type { ApicWiring } from '../apic-common/apic-types.ts';
import { msiToMessage } from '../../src/hw/apic-message.ts';
import type { ApicBus } from '../apic-common/apic-bus.ts';
import { KvmLapic } from './kvm-lapic.ts';
import type { KvmLapicFullState } from './kvm-lapic.ts';
import { KvmPic } from './kvm-pic.ts';
import type { KvmPicChip, KvmPicChipInput } from './kvm-pic.ts';
import { KvmIoapic } from './kvm-ioapic.ts';
import { KvmPit } from './kvm-pit.ts';
import type { KvmIoapicState, KvmPitState2 } from '../../src/hw/kvm-structs.ts';
import { KVM_IRQCHIP_IOAPIC, KVM_IRQCHIP_PIC_SLAVE } from '../../src/hw/kvm-structs.ts';
import type { PortRange } from '../../src/bus/io-bus.ts';
import type { MmioRange } from '../../src/bus/mmio-bus.ts';
import { APIC_WINDOW_SIZE, IOAPIC_BASE } from '../../src/hw/pc-layout.ts';

/**
 * `-machine kernel-irqchip=`: which interrupt controllers the kernel holds (on: all of them; split:
 * the local APICs; off: none). The one name of the mode everywhere.
 */
export type KernelIrqchip = 'on' | 'split' | 'off';

export type { KvmLapicFullState } from './kvm-lapic.ts';
export type { KvmPicChip, KvmPicChipInput } from './kvm-pic.ts';

// The parts of the API each object of devices/kvm is given (narrow capabilities, as a device's).
export type KvmLapicApi = Pick<KvmVm, 'getLapic' | 'setLapic'>;
export type KvmIoapicApi = Pick<KvmVm, 'getIoapic' | 'setIrqchip'>;
export type KvmPicApi = Pick<KvmVm, 'getPicChip' | 'setIrqchip'>;
export type KvmPitApi = Pick<KvmVm, 'getPit2' | 'setPit2'>;

export class KvmVm {
  readonly mode: KernelIrqchip;
  private readonly clock: VirtualClock;
  private readonly bus: ApicBus;
  readonly lapics: KvmLapic[] = [];
  /** In-kernel chips (kernel-irqchip=on only). */
  readonly pic: KvmPic | null = null;
  readonly ioapic: KvmIoapic | null = null;
  pit: KvmPit | null = null;

  constructor(mode: KernelIrqchip, clock: VirtualClock, bus: ApicBus) {
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

  /** KVM_GET_IRQCHIP: a copy of the IOAPIC's or a PIC chip's struct. */
  getIrqchip(chip: number): KvmPicChip | KvmIoapicState {
    if (chip === KVM_IRQCHIP_IOAPIC) return this.getIoapic();
    return this.getPicChip(chip);
  }

  /** KVM_GET_IRQCHIP with KVM_IRQCHIP_IOAPIC. */
  getIoapic(): KvmIoapicState {
    return this.requireIoapic().getState();
  }

  /** KVM_GET_IRQCHIP with KVM_IRQCHIP_PIC_MASTER or KVM_IRQCHIP_PIC_SLAVE. */
  getPicChip(chip: number): KvmPicChip {
    return this.requirePic().getChip(chip === KVM_IRQCHIP_PIC_SLAVE ? 1 : 0);
  }

  /**
   * KVM_SET_IRQCHIP: the chip takes a copy brought into range and re-derives its output silently
   * (nothing is driven: the receivers' state already records what the output did).
   */
  setIrqchip(chip: number, state: KvmPicChipInput | KvmIoapicState): void {
    if (chip === KVM_IRQCHIP_IOAPIC) this.requireIoapic().setState(state as KvmIoapicState);
    else this.requirePic().setChip(chip === KVM_IRQCHIP_PIC_SLAVE ? 1 : 0, state as KvmPicChipInput);
  }

  getPit2(): KvmPitState2 {
    return this.requirePit().getState();
  }

  /**
   * KVM_SET_PIT2: take the state and re-arm channel 0 from the current virtual time (which, after a
   * restore, must already be the restored one), remembering IRQ0's level without driving it.
   */
  setPit2(state: KvmPitState2): void {
    const pit = this.requirePit();
    pit.setState(state);
    pit.rearm();
  }

  /** Every in-kernel chip back to its power-on state (as QEMU's kvm_*_reset through the ioctls). */
  resetIrqchips(): void {
    this.pic?.reset();
    this.ioapic?.reset();
    this.pit?.reset();
    for (const lapic of this.lapics) lapic.reset();
  }

  /** The I/O ports the in-kernel chips claim (KVM registers them on the kernel's own bus). */
  portRanges(): PortRange[] {
    return [...(this.pic?.portRanges() ?? []), ...(this.pit?.portRanges() ?? [])];
  }

  /** The IOAPIC's MMIO window, when it is in the kernel. */
  mmioRanges(): MmioRange[] {
    return this.ioapic === null ? [] : [{ base: IOAPIC_BASE, size: APIC_WINDOW_SIZE, device: this.ioapic, name: 'ioapic' }];
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
