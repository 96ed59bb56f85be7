/**
 * A PCI test bench built by hand: a port bus and guest memory (with its MMIO bus), the PIIX reset
 * control register behind CONFADD, stand-ins for the IOAPIC window and the serial port (ranges the
 * BARs must not take), a recording IRQ sink and MSI sink, the PCI host, and a test device.
 */
import { IO_8, IoBus } from '../../../src/bus/io-bus.ts';
import type { PortDevice } from '../../../src/bus/io-bus.ts';
import type { MmioDevice } from '../../../src/bus/mmio-bus.ts';
import { PhysicalMemory } from '../../../src/memory/physical-memory.ts';
import { PiixRcr } from '../../../devices/misc/piix-rcr.ts';
import type { PciBarHandler } from '../../../devices/pci/pci-bar.ts';
import { PciFunction } from '../../../devices/pci/pci-function.ts';
import type { PciIdentity } from '../../../devices/pci/pci-function.ts';
import { PciHost } from '../../../devices/pci/pci-host.ts';
import type { MsiSink } from '../../../devices/pci/pci-msix.ts';
import { PCI_CAP_ID_VNDR, PCI_INTERRUPT_INTA } from '../../../devices/pci/pci-regs.ts';
import { RecordingSink } from '../helpers.ts';

/** 16 MiB and 8 KiB: RAM ends in the middle of a 16 KiB-aligned range. */
export const RAM_BYTES = (16 << 20) + 0x2000;
export const IOAPIC_WINDOW = 0xfec00000;
export const SERIAL_PORT = 0x3f8;

/** Records level changes (RecordingSink) and every call, repeated levels included. */
export class IrqLog extends RecordingSink {
  readonly calls: [number, number][] = [];
  override setIrq(pin: number, level: number): void {
    this.calls.push([pin, level]);
    super.setIrq(pin, level);
  }
}

export class MsiRecorder implements MsiSink {
  readonly messages: [number, number][] = [];
  signalMsi(address: number, data: number): void {
    this.messages.push([address, data]);
  }
}

/** A register file: reads return the bytes last written, and every access is logged. */
export class RegisterFile implements PciBarHandler {
  readonly bytes: Uint8Array;
  readonly log: string[] = [];
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }
  read(offset: number, size: number): number {
    this.log.push(`r${offset.toString(16)}/${size}`);
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = (v << 8) | this.bytes[offset + i]!;
    return v >>> 0;
  }
  write(offset: number, size: number, value: number): void {
    this.log.push(`w${offset.toString(16)}/${size}=${value.toString(16)}`);
    for (let i = 0; i < size; i++) this.bytes[offset + i] = value >>> (i * 8);
  }
}

/** Sizes of the test device's BARs. */
export const DEV_IO_SIZE = 0x40;
export const DEV_MEM_SIZE = 0x4000;
export const DEV_MSIX_VECTORS = 4;

/**
 * The test device: I/O BAR 0 (64 ports), MSI-X in memory BAR 1 (its own, 4 KiB), memory BAR 2
 * (16 KiB, prefetchable), a vendor capability of 8 bytes with 4 writable bytes at +4, INTA#.
 */
export class TestDevice {
  readonly fn: PciFunction;
  readonly io = new RegisterFile(DEV_IO_SIZE);
  readonly mem = new RegisterFile(DEV_MEM_SIZE);
  readonly vendorCap: number;

  constructor(id: Partial<PciIdentity> = {}) {
    this.fn = new PciFunction({ vendorId: 0x1af4, deviceId: 0x1042, classCode: 0x018000, revision: 1, interruptPin: PCI_INTERRUPT_INTA, ...id });
    this.fn.defineIoBar(0, DEV_IO_SIZE, this.io);
    this.fn.addMsixExclusiveBar(DEV_MSIX_VECTORS, 1);
    this.fn.defineMemoryBar(2, DEV_MEM_SIZE, this.mem, true);
    this.vendorCap = this.fn.addCapability(PCI_CAP_ID_VNDR, 8);
    this.fn.setWriteMask(this.vendorCap + 4, 4);
  }
}

const FOREIGN_MMIO: MmioDevice = { mmioRead: () => 0x11223344, mmioWrite: () => {} };
const FOREIGN_PORT: PortDevice = { ioRead: () => 0x5a, ioWrite: () => {} };

export function bench(opts: { legacy?: boolean } = {}) {
  const mem = new PhysicalMemory(RAM_BYTES);
  const io = new IoBus();
  const irq = new IrqLog();
  const msi = new MsiRecorder();
  let resets = 0;
  const rcr = new PiixRcr(() => resets++);
  const host = new PciHost({ io, mmio: mem.mmio, irq, msi, ...(opts.legacy === false ? {} : { legacy: rcr }) });
  host.registerPorts(io);
  mem.mmio.register(IOAPIC_WINDOW, 0x1000, FOREIGN_MMIO, 'ioapic');
  io.register(SERIAL_PORT, 8, FOREIGN_PORT, IO_8);
  return { mem, io, irq, msi, rcr, host, resets: () => resets };
}

export type Bench = ReturnType<typeof bench>;

/** CONFADD value for bus 0, `devfn`, the dword holding `register`. */
export function confadd(devfn: number, register: number): number {
  return (0x80000000 | (devfn << 8) | (register & 0xfc)) >>> 0;
}

/** A configuration read as a guest does it: CONFADD, then CONFDATA + (register & 3). */
export function cfgRead(b: Bench, devfn: number, register: number, size: number): number {
  b.io.write(0xcf8, 4, confadd(devfn, register));
  return b.io.read(0xcfc + (register & 3), size);
}

export function cfgWrite(b: Bench, devfn: number, register: number, size: number, value: number): void {
  b.io.write(0xcf8, 4, confadd(devfn, register));
  b.io.write(0xcfc + (register & 3), size, value);
}

/** The project's seeded generator (xorshift32): failures replay. */
export { Rng } from '../../migration/filters/gen.ts';
