/**
 * The port I/O bus: a dense 64K table whose entries all have one shape. A device registers a range
 * of ports and sees offsets relative to its base. Unmapped ports read all ones; writes to them are
 * dropped. An access wider than the device accepts is split into byte accesses, as the ISA bus does.
 */
import { WiringError } from '../util/errors.ts';

/** What a device implements to sit on the port bus. `size` is 1, 2 or 4 bytes. */
export interface PortDevice {
  ioRead(offset: number, size: number): number;
  ioWrite(offset: number, size: number, value: number): void;
}

/** Access sizes a device accepts, as a bit mask: 1 = bytes, 2 = words, 4 = dwords. */
export const IO_8 = 1;
export const IO_16 = 2;
export const IO_32 = 4;

/** A range of ports a device answers, as the board maps it (PcBoard.plug). */
export interface PortRange {
  readonly base: number;
  readonly count: number;
  readonly device: PortDevice;
  /** Access widths the device accepts (IO_8 | IO_16 | IO_32); bytes only when absent. */
  readonly widths?: number;
}

const UNMAPPED: PortDevice = {
  ioRead: (_offset, size) => (size === 4 ? -1 >>> 0 : (1 << (size * 8)) - 1),
  ioWrite: () => {},
};

export class IoBus {
  private readonly devices: PortDevice[] = new Array<PortDevice>(0x10000).fill(UNMAPPED);
  private readonly bases = new Uint16Array(0x10000);
  private readonly widths = new Uint8Array(0x10000).fill(IO_8 | IO_16 | IO_32);

  /** Map `count` ports from `base` to `device`; `widths` is a mask of IO_8 | IO_16 | IO_32. */
  register(base: number, count: number, device: PortDevice, widths = IO_8): void {
    if (base < 0 || count <= 0 || base + count > 0x10000) {
      throw new WiringError(`port range 0x${base.toString(16)}+${count} is outside the I/O space`);
    }
    for (let p = base; p < base + count; p++) {
      if (this.devices[p] !== UNMAPPED) throw new WiringError(`port 0x${p.toString(16)} is registered twice`);
    }
    for (let p = base; p < base + count; p++) {
      this.devices[p] = device;
      this.bases[p] = base;
      this.widths[p] = widths;
    }
  }

  /** Map every range of a device (its portRanges()). */
  map(ranges: readonly PortRange[]): void {
    for (const r of ranges) this.register(r.base, r.count, r.device, r.widths ?? IO_8);
  }

  unregister(base: number, count: number): void {
    for (let p = base; p < base + count && p < 0x10000; p++) {
      this.devices[p] = UNMAPPED;
      this.bases[p] = 0;
      this.widths[p] = IO_8 | IO_16 | IO_32;
    }
  }

  isMapped(port: number): boolean {
    return this.devices[port & 0xffff] !== UNMAPPED;
  }

  /** True when no port of [base, base + count) is registered (and the range is inside the space). */
  isFree(base: number, count: number): boolean {
    if (base < 0 || count <= 0 || base + count > 0x10000) return false;
    for (let p = base; p < base + count; p++) if (this.devices[p] !== UNMAPPED) return false;
    return true;
  }

  read(port: number, size: number): number {
    port &= 0xffff;
    const dev = this.devices[port]!;
    if ((this.widths[port]! & size) !== 0 && (size === 1 || this.devices[(port + size - 1) & 0xffff] === dev)) {
      return dev.ioRead(port - this.bases[port]!, size);
    }
    let value = 0;
    for (let i = 0; i < size; i++) {
      const p = (port + i) & 0xffff;
      value |= (this.devices[p]!.ioRead(p - this.bases[p]!, 1) & 0xff) << (i * 8);
    }
    return value >>> 0;
  }

  write(port: number, size: number, value: number): void {
    port &= 0xffff;
    const dev = this.devices[port]!;
    if ((this.widths[port]! & size) !== 0 && (size === 1 || this.devices[(port + size - 1) & 0xffff] === dev)) {
      dev.ioWrite(port - this.bases[port]!, size, size === 4 ? value >>> 0 : value & ((1 << (size * 8)) - 1));
      return;
    }
    for (let i = 0; i < size; i++) {
      const p = (port + i) & 0xffff;
      this.devices[p]!.ioWrite(p - this.bases[p]!, 1, (value >>> (i * 8)) & 0xff);
    }
  }
}
