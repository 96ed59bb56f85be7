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
import { Irqchips, IOAPIC_BASE, LAPIC_BASE } from './irqchip.ts';
import type { LocalApic } from './irqchip.ts';
import { buildMpTable } from './firmware/mp-table.ts';
import { cpuidLeaf } from '../src/cpu/cpuid.ts';
import { Uart16550 } from '../devices/serial/uart16550.ts';
import { Mc146818 } from '../devices/rtc/mc146818.ts';
import { DebugExit } from '../devices/testdev/debug-exit.ts';
import { PcTestdev } from '../devices/testdev/pc-testdev.ts';
import { FwCfg, fwCfgU16, fwCfgU64 } from '../devices/fw-cfg/fw-cfg.ts';
import { Port80 } from '../devices/misc/port80.ts';
import { Port92 } from '../devices/misc/port92.ts';
import { IO_8, IO_16 } from '../src/bus/io-bus.ts';
import { RamState } from '../src/memory/ram-state.ts';

export interface BoardEvents {
  /** isa-debug-exit: the guest asked to end the run with this status. */
  onDebugExit(status: number): void;
  /** A guest-requested reset (port 0x92 bit 0, keyboard controller). */
  onReset(): void;
}

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
  readonly rtc: Mc146818;
  readonly port80 = new Port80();
  readonly port92: Port92;
  readonly fwCfg: FwCfg;
  readonly debugExit: DebugExit | null = null;
  readonly testdev: PcTestdev | null = null;
  readonly objects = new ObjectTree();
  /** ISA interrupt lines 0..15 as devices drive them. */
  readonly isa: IrqSink;

  constructor(config: MachineConfig, host: MachineHost, events: BoardEvents) {
    const mem = (this.mem = new PhysicalMemory(config.ramBytes));
    // Legacy hole: VGA window (nothing answers) and the BIOS area (read-only, holds the MP table).
    mem.setPageKind(0xa0000, 0x20000, PAGE_HOLE);
    mem.setPageKind(0xc0000, 0x40000, PAGE_ROM);

    this.clock = new VirtualClock({ retiredInstructions: () => this.retiredInstructions() }, config.icountShift);
    const clock = this.clock;
    const model = cpuModelFromConfig(config);
    const chips = (this.irqchips = new Irqchips(config.kernelIrqchip, clock, this.io, mem));
    this.isa = chips.isa;
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
    clock.onTimerChange = () => {
      for (const c of this.cpus) c.requestCheck();
    };
    pic.onOutputChange = (level) => {
      if (this.lapics.length === 0) cpu.requestCheck();
      for (const lapic of this.lapics) lapic.picChanged(level);
    };

    this.serial = new Uart16550(new IrqLine(this.isa, 4), (b) => host.serialOut(b));
    this.io.register(0x3f8, 8, this.serial);

    this.rtc = new Mc146818(this.clock, new IrqLine(this.isa, 8), { baseTime: config.rtcBaseSeconds, ramSize: config.ramBytes });
    this.io.register(0x70, 2, this.rtc);

    this.io.register(0x80, 1, this.port80);
    this.port92 = new Port92((on) => mem.setA20(on), () => events.onReset());
    this.io.register(0x92, 1, this.port92);
    this.fwCfg = new FwCfg(
      new Map([
        [0x0003, fwCfgU64(config.ramBytes)],
        [0x0005, fwCfgU16(config.smp)],
        [0x000f, fwCfgU16(config.smp)],
      ]),
    );
    this.io.register(0x510, 2, this.fwCfg, IO_8 | IO_16);
    if (config.debugExit) {
      this.debugExit = new DebugExit((status) => events.onDebugExit(status));
      this.debugExit.registerPorts(this.io);
    }
    if (config.testdev) {
      this.testdev = new PcTestdev(this.isa);
      this.testdev.registerPorts(this.io);
    }

    this.cpus.forEach((c, i) => this.objects.add(`/machine/cpu[${i}]`, c));
    chips.addObjects(this.objects);
    this.objects.add('/machine/rtc', this.rtc);
    this.objects.add('/machine/serial[0]', this.serial);
    this.objects.add('/machine/port80', this.port80);
    this.objects.add('/machine/port92', this.port92);
    this.objects.add('/machine/fw_cfg', this.fwCfg);
    if (this.debugExit !== null) this.objects.add('/machine/isa-debug-exit', this.debugExit);
    if (this.testdev !== null) this.objects.add('/machine/pc-testdev', this.testdev);
    this.objects.add('/machine/ram', new RamState(mem));
    this.reset();
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
    this.irqchips.reset();
    this.serial.reset();
    this.rtc.reset();
    this.port80.reset();
    this.port92.reset();
    this.fwCfg.reset();
    this.testdev?.reset();
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

/** Where the MP floating pointer goes: the BIOS area Linux scans ([0xF0000, 0x100000)). */
export const MP_TABLE_ADDRESS = 0xf5a00;
