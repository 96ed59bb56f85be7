/**
 * QEMU's pc-testdev (hw/misc/pc-testdev.c), used by kvm-unit-tests style guest programs:
 *   0xE0-0xE3   32-bit scratch register, any access width, little-endian byte lanes
 *   0xE4-0xE7   "flush page": QEMU mprotects the host page; no guest-visible effect, ignored here
 *   0xE8-0xEB   the same scratch register through byte-wide accesses
 *   0x2000+n    n = 0..23: a write sets ISA IRQ line n to (value != 0); a read returns its level
 * QEMU also maps a 64 KiB scratch RAM at 0xFF000000 (iomem); it is not modelled (MMIO reads there
 * return all ones like any unclaimed address).
 */
import type { PortDevice, PortRange } from '../../src/bus/io-bus.ts';
import { IO_16, IO_32, IO_8 } from '../../src/bus/io-bus.ts';
import type { IrqSink } from '../../src/irq.ts';
import type { StateObject } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';

/** Base of the scratch register. */
export const TESTDEV_SCRATCH_PORT = 0xe0;
/** Base of the flush-page port. */
export const TESTDEV_FLUSH_PORT = 0xe4;
/** Base of the byte-wide alias of the scratch register. */
export const TESTDEV_SCRATCH_BYTE_PORT = 0xe8;
/** Base of the IRQ line ports. */
export const TESTDEV_IRQ_PORT = 0x2000;
/** Number of IRQ line ports. */
export const TESTDEV_IRQ_LINES = 24;

export class PcTestdev implements StateObject {
  readonly typeName = 'pc-testdev';
  readonly stateVersion = 1;
  private readonly irqs: IrqSink;
  /** The scratch register (QEMU's ioport_data). */
  ioportData = 0;
  /** Levels last written to the IRQ lines, so a restore re-drives them. */
  readonly irqLevels = new Uint8Array(TESTDEV_IRQ_LINES);

  /** Scratch at 0xE0 (offset 0-3) and its byte alias at 0xE8. */
  readonly scratchPorts: PortDevice;
  /** Flush page at 0xE4: writes ignored, reads all ones. */
  readonly flushPorts: PortDevice;
  /** IRQ lines at 0x2000. */
  readonly irqPorts: PortDevice;

  constructor(irqs: IrqSink) {
    this.irqs = irqs;
    this.scratchPorts = {
      ioRead: (offset, size) => this.scratchRead(offset, size),
      ioWrite: (offset, size, value) => this.scratchWrite(offset, size, value),
    };
    this.flushPorts = {
      ioRead: (_offset, size) => (size === 4 ? 0xffffffff : (1 << (size * 8)) - 1),
      ioWrite: () => {},
    };
    this.irqPorts = {
      ioRead: (offset) => (offset < TESTDEV_IRQ_LINES ? this.irqLevels[offset]! : 0xff),
      ioWrite: (offset, _size, value) => this.setLine(offset, value !== 0 ? 1 : 0),
    };
  }

  /** Map all ranges at QEMU's addresses. */
  portRanges(): PortRange[] {
    return [
      { base: TESTDEV_SCRATCH_PORT, count: 4, device: this.scratchPorts, widths: IO_8 | IO_16 | IO_32 },
      { base: TESTDEV_FLUSH_PORT, count: 4, device: this.flushPorts, widths: IO_32 },
      { base: TESTDEV_SCRATCH_BYTE_PORT, count: 4, device: this.scratchPorts, widths: IO_8 },
      { base: TESTDEV_IRQ_PORT, count: TESTDEV_IRQ_LINES, device: this.irqPorts, widths: IO_8 },
    ];
  }

  reset(): void {
    this.ioportData = 0;
    for (let n = 0; n < TESTDEV_IRQ_LINES; n++) if (this.irqLevels[n]) this.setLine(n, 0);
  }

  private setLine(n: number, level: number): void {
    if (n >= TESTDEV_IRQ_LINES) return;
    this.irqLevels[n] = level;
    this.irqs.setIrq(n, level);
  }

  private lane(offset: number, size: number): { shift: number; mask: number } {
    const shift = (offset & 3) * 8;
    const bits = Math.min(size * 8, 32 - shift);
    const mask = bits === 32 ? 0xffffffff : ((1 << bits) - 1) << shift;
    return { shift, mask: mask >>> 0 };
  }

  private scratchRead(offset: number, size: number): number {
    const { shift, mask } = this.lane(offset, size);
    return ((this.ioportData & mask) >>> shift) >>> 0;
  }

  private scratchWrite(offset: number, size: number, value: number): void {
    const { shift, mask } = this.lane(offset, size);
    this.ioportData = ((this.ioportData & ~mask) | ((value << shift) & mask)) >>> 0;
  }

  visit(v: Visitor): void {
    this.ioportData = v.u32('ioport_data', this.ioportData);
    v.u8Array('irq_levels', this.irqLevels);
    if (v.mode === 'load') for (let n = 0; n < TESTDEV_IRQ_LINES; n++) this.irqLevels[n] = this.irqLevels[n] ? 1 : 0;
  }

  /**
   * Nothing to re-drive: the interrupt controllers' loaded state already records these levels, and
   * driving them again would forge edges.
   */
  postLoad(): void {}
}
