/**
 * The board of a PC: guest memory with its legacy holes, the port and MMIO buses, the virtual clock,
 * the CPU, and the ISA devices at QEMU's pc-machine addresses, each at a stable object path.
 */
import type { MachineConfig } from './machine-config.ts';
import type { MachineHost } from './machine-api.ts';
import { PhysicalMemory, PAGE_HOLE, PAGE_ROM } from '../src/memory/physical-memory.ts';
import { ConfigError } from '../src/util/errors.ts';
import { IoBus } from '../src/bus/io-bus.ts';
import { VirtualClock } from '../src/clock/clock.ts';
import { IrqLine } from '../src/irq.ts';
import type { IrqSink } from '../src/irq.ts';
import { Cpu } from '../src/cpu/cpu.ts';
import type { CpuModel } from '../src/cpu/cpu-config.ts';
import { ObjectTree } from '../src/qom/object-tree.ts';
import { Irqchips } from './irqchip.ts';
import type { LocalApic } from './irqchip.ts';
import { buildMpTable } from './firmware/mp-table.ts';
import { cpuidLeaf } from '../src/cpu/cpuid.ts';
import { Uart16550 } from '../devices/serial/uart16550.ts';
import { Mc146818 } from '../devices/rtc/mc146818.ts';
import { FwCfg, fwCfgU16, fwCfgU64 } from '../devices/fw-cfg/fw-cfg.ts';
import { Port80 } from '../devices/misc/port80.ts';
import { Port92 } from '../devices/misc/port92.ts';
import { PiixRcr } from '../devices/misc/piix-rcr.ts';
import { bootImagesOf } from './boot-images.ts';
import { IO_8, IO_16, IO_32 } from '../src/bus/io-bus.ts';
import { RamState } from '../src/memory/ram-state.ts';
import type { RamPager } from '../src/memory/ram-pager.ts';

/** RAM bytes handed to a new board by a restore (src/memory/ram-pager.ts). */
export interface RamImage {
  bytes: Uint8Array;
  pager: RamPager | null;
}
import {
  BIOS_AREA_BASE, BIOS_AREA_SIZE, COM1_IRQ, COM1_PORT, COM1_PORTS, FW_CFG_PORT, FW_CFG_PORTS, IOAPIC_BASE, LAPIC_BASE,
  MP_TABLE_ADDRESS, PCI_CONFIG_ADDRESS_PORT, PORT80, PORT92, RTC_IRQ, RTC_PORT, RTC_PORTS, VGA_HOLE_BASE, VGA_HOLE_SIZE,
} from '../src/hw/pc-layout.ts';
import type { BoardEvents, DeviceContext, Plug } from './plug.ts';
import { deviceType, deviceTypes } from './device-table.ts';

export type { BoardEvents } from './plug.ts';

export function cpuModelFromConfig(config: MachineConfig): CpuModel {
  const f = config.cpu.features;
  return {
    vendor: config.cpu.vendor,
    tsc: f.tsc,
    pse: f.pse,
    pge: f.pge,
    msr: f.msr,
    cx8: f.cx8,
    cmov: f.cmov,
    apic: f.apic,
    tscDeadline: f.apic,
    leaf15: config.cpu.leaf15,
  };
}

export class PcBoard {
  readonly mem: PhysicalMemory;
  readonly io = new IoBus();
  readonly clock: VirtualClock;
  readonly cpu: Cpu;
  /** Every CPU, in APIC id order (cpus[0] is the bootstrap processor). */
  readonly cpus: Cpu[];
  /** The interrupt controllers and timers in the configured kernel-irqchip flavour. */
  readonly irqchips: Irqchips;
  /** Local APICs by CPU index (empty with -cpu -apic). */
  readonly lapics: LocalApic[] = [];
  /** The CPU inside run() right now, if any (INIT/SIPI to it wait for its instruction boundary). */
  running: Cpu | null = null;
  private readonly pendingInit: boolean[] = [];
  private readonly pendingSipi: number[] = [];
  readonly serial: Uart16550;
  readonly fwCfg: FwCfg;
  readonly objects = new ObjectTree();
  /** ISA IRQ lines 0-15 and IOAPIC inputs up to 23, as devices drive them. */
  readonly gsi: IrqSink;
  /** What a device is built with (machine/plug.ts). */
  readonly deviceContext: DeviceContext;
  /** Every plugged device's reset, in plug order. */
  private readonly resets: (() => void)[] = [];

  /** `ram`: a restored snapshot's RAM image to use as RAM (no copy), with its pager when lazy. */
  constructor(config: MachineConfig, host: MachineHost, events: BoardEvents, ram: RamImage | null = null) {
    const mem = (this.mem = new PhysicalMemory(config.ramBytes, ram?.bytes ?? null));
    if (ram?.pager) mem.attachPager(ram.pager);
    mem.setPageKind(VGA_HOLE_BASE, VGA_HOLE_SIZE, PAGE_HOLE);
    mem.setPageKind(BIOS_AREA_BASE, BIOS_AREA_SIZE, PAGE_ROM);

    this.clock = new VirtualClock({ retiredInstructions: () => this.retiredInstructions() }, config.icountShift);
    const clock = this.clock;
    const model = cpuModelFromConfig(config);
    const chips = (this.irqchips = new Irqchips(config.kernelIrqchip, clock));
    const gsi = (this.gsi = chips.gsi);
    this.deviceContext = { clock, mem, gsi, irq: (n) => new IrqLine(gsi, n), events };
    const pic = chips.pic;
    if (!model.apic && config.smp > 1) throw new ConfigError('-smp above 1 needs the local APIC (-cpu +apic)');
    this.cpus = [];
    for (let i = 0; i < config.smp; i++) {
      const cpu = new Cpu({ mem, io: this.io, intr: pic, now: () => clock.now(), model, index: i });
      this.cpus.push(cpu);
      this.pendingInit.push(false);
      this.pendingSipi.push(-1);
      if (!model.apic) continue;
      const lapic = chips.addLapic(
        {
          cpuIndex: i,
          apicId: i,
          bsp: i === 0,
          signals: {
            // A userspace APIC injects from outside the vCPU loop: the CPU must exit to it.
            kick: chips.lapicInKernel ? () => cpu.requestCheck() : () => cpu.requestStop(),
            nmi: () => cpu.raiseNmi(),
            init: () => this.signalInit(i),
            sipi: (vector) => this.signalSipi(i, vector),
          },
          sendMessage: (msg) => chips.apicBus.deliver(msg),
          eoiBroadcast: (vector) => chips.ioapic.eoi(vector),
          pic: { hasInterrupt: () => pic.hasInterrupt(), acknowledge: () => pic.acknowledge() },
          readTsc: () => cpu.readTsc(),
        },
        clock,
        model.tscDeadline,
      );
      this.lapics.push(lapic);
      cpu.intr = lapic;
      cpu.msrHandler = lapic;
      lapic.onBaseChange = (base) => cpu.setLocalMmio(base, lapic);
      cpu.setLocalMmio(lapic.mmioBase(), lapic);
    }
    const cpu = (this.cpu = this.cpus[0]!);
    mem.onMapChange = () => {
      for (const c of this.cpus) c.flushTlb();
    };
    // A timer armed (or moved closer) by the running CPU: its run must end at the new deadline so
    // that the machine loop fires the timer at that exact instruction (see machine.ts).
    clock.onTimerChange = () => {
      const running = this.running;
      if (running !== null) running.limitRun(clock.instructionsUntilNextDeadline());
    };
    pic.onOutputChange = (level) => {
      if (this.lapics.length === 0) cpu.requestCheck();
      for (const lapic of this.lapics) lapic.picChanged(level);
    };

    this.cpus.forEach((c, i) => this.objects.add(`/machine/cpu[${i}]`, c));
    for (const plug of chips.plugs()) this.plug(plug);

    const serial = (this.serial = new Uart16550(new IrqLine(gsi, COM1_IRQ), (b) => host.serialOut(b)));
    this.plug({ path: '/machine/serial[0]', object: serial, ports: [{ base: COM1_PORT, count: COM1_PORTS, device: serial }], reset: () => serial.reset() });
    const rtc = new Mc146818(clock, new IrqLine(gsi, RTC_IRQ), { baseTime: config.rtcBaseSeconds, ramSize: config.ramBytes });
    this.plug({ path: '/machine/rtc', object: rtc, ports: [{ base: RTC_PORT, count: RTC_PORTS, device: rtc }], reset: () => rtc.reset() });
    const port80 = new Port80();
    this.plug({ path: '/machine/port80', object: port80, ports: [{ base: PORT80, count: 1, device: port80 }], reset: () => port80.reset() });
    const port92 = new Port92((on) => mem.setA20(on), () => events.onReset());
    this.plug({ path: '/machine/port92', object: port92, ports: [{ base: PORT92, count: 1, device: port92 }], reset: () => port92.reset() });
    const rcr = new PiixRcr(() => events.onReset());
    this.plug({ path: '/machine/rcr', object: rcr, ports: [{ base: PCI_CONFIG_ADDRESS_PORT, count: 4, device: rcr, widths: IO_8 | IO_16 | IO_32 }], reset: () => rcr.reset() });
    // The boot images are fw_cfg state: every boot loads the kernel from there (machine/boot-images.ts).
    const fwCfg = (this.fwCfg = new FwCfg(
      new Map([
        [0x0003, fwCfgU64(config.ramBytes)],
        [0x0005, fwCfgU16(config.smp)],
        [0x000f, fwCfgU16(config.smp)],
      ]),
      bootImagesOf(config),
    ));
    this.plug({ path: '/machine/fw_cfg', object: fwCfg, ports: [{ base: FW_CFG_PORT, count: FW_CFG_PORTS, device: fwCfg, widths: IO_8 | IO_16 }], reset: () => fwCfg.reset() });

    const table = deviceTypes();
    for (const spec of config.devices) {
      const type = deviceType(table, spec.driver, '-device');
      this.plug(type.create(this.deviceContext, spec, type.path(spec)));
    }
    this.objects.add('/machine/ram', new RamState(mem));
    this.reset();
  }

  /**
   * Plug a device into the board, all in one place: map its ports and MMIO ranges, put its object
   * at its path in the tree, and add its reset to the board's (in plug order).
   */
  plug(p: Plug): void {
    if (p.ports !== undefined) this.io.map(p.ports);
    for (const r of p.mmio ?? []) this.mem.mmio.register(r.base, r.size, r.device, r.name);
    if (p.object !== undefined) this.objects.add(p.path, p.object);
    if (p.reset !== undefined) this.resets.push(p.reset);
  }

  /** Instructions retired by all CPUs together: what virtual time is made of. */
  retiredInstructions(): number {
    const cpus = this.cpus;
    if (cpus === undefined) return 0;
    let n = 0;
    for (let i = 0; i < cpus.length; i++) n += cpus[i]!.retired;
    return n;
  }

  /** Power-on state of every device and the CPU. */
  reset(): void {
    for (const reset of this.resets) reset();
    this.mem.setA20(true);
    this.cpus.forEach((cpu, i) => {
      cpu.reset();
      cpu.waitForSipi = this.lapics[i]?.isWaitingForSipi() ?? false;
      this.pendingInit[i] = false;
      this.pendingSipi[i] = -1;
    });
  }

  /** INIT from a local APIC: at once for a CPU that is not running, else at its next boundary. */
  private signalInit(i: number): void {
    const cpu = this.cpus[i]!;
    if (cpu === this.running) {
      this.pendingInit[i] = true;
      this.pendingSipi[i] = -1;
      cpu.requestStop();
      return;
    }
    cpu.initReset();
    cpu.waitForSipi = this.lapics[i]!.isWaitingForSipi();
  }

  private signalSipi(i: number, vector: number): void {
    const cpu = this.cpus[i]!;
    if (cpu === this.running) {
      this.pendingSipi[i] = vector;
      cpu.requestStop();
      return;
    }
    cpu.startup(vector);
  }

  /** After a CPU's run() returned: apply the INIT/SIPI it sent itself. */
  afterRun(cpu: Cpu): void {
    const i = this.cpus.indexOf(cpu);
    if (this.pendingInit[i]) {
      this.pendingInit[i] = false;
      cpu.initReset();
      cpu.waitForSipi = this.lapics[i]!.isWaitingForSipi();
    }
    if (this.pendingSipi[i]! >= 0) {
      cpu.startup(this.pendingSipi[i]!);
      this.pendingSipi[i] = -1;
    }
  }

  /** After a restore: the wait-for-SIPI state lives in the local APICs; mirror it into the CPUs. */
  syncCpusFromLapics(): void {
    this.cpus.forEach((cpu, i) => {
      cpu.waitForSipi = this.lapics[i]?.isWaitingForSipi() ?? false;
    });
  }

  /** Firmware tables a BIOS would leave in memory: the MP table, so kernels find the IOAPIC. */
  writeFirmwareTables(): void {
    if (this.lapics.length === 0) return;
    const model = this.cpu.model;
    const leaf1 = cpuidLeaf(model, 1, 0, 0, true); // the APIC is enabled at power-on
    const table = buildMpTable(
      {
        cpus: this.cpus.length,
        cpuSignature: leaf1[0]!,
        cpuFeatures: leaf1[3]!,
        ioapicId: 0,
        ioapicAddress: IOAPIC_BASE,
        lapicAddress: LAPIC_BASE,
        pciIrqs: [],
      },
      MP_TABLE_ADDRESS,
    );
    this.mem.load(MP_TABLE_ADDRESS, table);
  }
}

