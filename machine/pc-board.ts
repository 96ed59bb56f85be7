/**
 * The board of a PC: guest memory with its legacy holes, the port and MMIO buses, the virtual clock,
 * the CPU, and the ISA devices at QEMU's pc-machine addresses, each at a stable object path.
 */
import type { MachineConfig } from './machine-config.ts';
import type { MachineHost } from './machine-api.ts';
import { PhysicalMemory, PAGE_HOLE, PAGE_ROM } from '../src/memory/physical-memory.ts';
import { IoBus } from '../src/bus/io-bus.ts';
import { VirtualClock } from '../src/clock/clock.ts';
import { IrqLine } from '../src/irq.ts';
import type { IrqSink } from '../src/irq.ts';
import { Cpu } from '../src/cpu/cpu.ts';
import type { CpuModel } from '../src/cpu/cpu-config.ts';
import { ObjectTree } from '../src/qom/object-tree.ts';
import { PicPair } from '../devices/pic/pic-pair.ts';
import { I8254 } from '../devices/pit/i8254.ts';
import { Port61 } from '../devices/pit/port61.ts';
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
    tscDeadline: false,
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
  readonly pic = new PicPair();
  readonly pit: I8254;
  readonly port61: Port61;
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
    const pic = this.pic;
    this.isa = { setIrq: (pin, level) => pic.setIrq(pin, level) };
    const cpu = (this.cpu = new Cpu({
      mem,
      io: this.io,
      intr: pic,
      now: () => this.clock.now(),
      model: cpuModelFromConfig(config),
    }));
    this.cpus = [cpu];
    mem.onMapChange = () => cpu.flushTlb();
    this.clock.onTimerChange = () => cpu.requestCheck();
    pic.onOutputChange = () => cpu.requestCheck();
    pic.registerPorts(this.io);

    this.pit = new I8254(this.clock, new IrqLine(this.isa, 0));
    this.io.register(0x40, 4, this.pit);
    this.port61 = new Port61(this.pit, this.clock);
    this.io.register(0x61, 1, this.port61);

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
      this.io.register(0xf4, 4, this.debugExit);
    }
    if (config.testdev) {
      this.testdev = new PcTestdev(this.isa);
      this.testdev.registerPorts(this.io);
    }

    this.objects.add('/machine/cpu[0]', cpu);
    this.objects.add('/machine/pic/master', pic.master);
    this.objects.add('/machine/pic/slave', pic.slave);
    this.objects.add('/machine/pit', this.pit);
    this.objects.add('/machine/rtc', this.rtc);
    this.objects.add('/machine/serial[0]', this.serial);
    this.objects.add('/machine/pcspk', this.port61);
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
    this.pic.reset();
    this.pit.reset();
    this.port61.reset();
    this.serial.reset();
    this.rtc.reset();
    this.port80.reset();
    this.port92.reset();
    this.fwCfg.reset();
    this.testdev?.reset();
    this.mem.setA20(true);
    this.cpu.reset();
  }

  /** Firmware tables the BIOS would leave in memory (the MP table arrives with the IOAPIC). */
  writeFirmwareTables(): void {}
}
