/**
 * What plugging a device into the board means, as data: the ports and MMIO ranges it answers, the
 * object path it has in the tree (with the object whose state is saved there), and its reset. The
 * board's plug() does all of it in one place (PcBoard.plug); devices get their IRQ lines and other
 * capabilities from a DeviceContext when they are built.
 */
import type { PortRange } from '../src/bus/io-bus.ts';
import type { MmioRange } from '../src/bus/mmio-bus.ts';
import type { VirtualClock } from '../src/clock/clock.ts';
import type { IrqLine, IrqSink } from '../src/irq.ts';
import type { GuestMemory } from '../src/memory/guest-memory.ts';
import type { StateObject } from '../src/qom/object.ts';
import type { PciFunction } from '../devices/pci/pci-function.ts';
import type { Drive } from './drive.ts';

export interface Plug {
  /** Its place in the object tree: /machine/<name>, or /machine/peripheral/<id> for -device ...,id=. */
  readonly path: string;
  /** The object saved at `path`, when the device has state. */
  readonly object?: StateObject;
  readonly ports?: readonly PortRange[];
  readonly mmio?: readonly MmioRange[];
  /** A PCI function to plug into bus 0 at `devfn` (from DeviceContext.pciDevfn). */
  readonly pci?: { readonly function: PciFunction; readonly devfn: number };
  /** Back to the power-on state (a guest-requested reset too). */
  reset?(): void;
  /** Parts plugged right after this one, each with its own path (a transport's virtio-backend). */
  readonly children?: readonly Plug[];
}

/** Events a device may raise towards the machine. */
export interface BoardEvents {
  /** isa-debug-exit: the guest asked to end the run with this status. */
  onDebugExit(status: number): void;
  /** A guest-requested reset (port 0x92 bit 0, 0xCF9, the keyboard controller). */
  onReset(): void;
}

/** The capabilities a device is built with: nothing of the CPU, the machine or the object tree. */
export interface DeviceContext {
  readonly clock: VirtualClock;
  readonly mem: GuestMemory;
  /** ISA IRQ lines 0-15 and IOAPIC inputs up to 23, as one sink. */
  readonly gsi: IrqSink;
  /** An IRQ line driving input `n` of `gsi`. */
  irq(n: number): IrqLine;
  readonly events: BoardEvents;
  /**
   * A PCI address (slot << 3) on bus 0 for a new function: `slot` when given (addr=), else the first
   * free slot; a ConfigError naming `option` when it is taken.
   */
  pciDevfn(slot: number | null, option: string): number;
  /**
   * The drive `id` (-drive ...,id=ID) for a device to use; a ConfigError naming `option` when there
   * is none or another device uses it already.
   */
  drive(id: string, option: string): Drive;
}
