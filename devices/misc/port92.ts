/**
 * Port 0x92, system control port A (QEMU's port92): bit 1 opens the A20 gate, bit 0 requests a
 * fast reset (the bit itself is not kept). Reads return the last value written without bit 0.
 *
 * There is no keyboard controller, so this port is the only A20 control: the gate is open at reset
 * (as a BIOS leaves it, and as multiboot and Linux kernels expect), and bit 1 reads as set.
 */
import type { PortDevice } from '../../src/bus/io-bus.ts';
import type { StateObject } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';

/** Fast reset request. */
export const PORT92_RESET = 0x01;
/** A20 gate enable. */
export const PORT92_A20 = 0x02;

export class Port92 implements PortDevice, StateObject {
  readonly typeName = 'port92';
  readonly stateVersion = 1;
  private readonly setA20: (enabled: boolean) => void;
  private readonly onReset: () => void;
  /** Last value written, bit 0 cleared (QEMU's outport). */
  outport = PORT92_A20;

  constructor(setA20: (enabled: boolean) => void, onReset: () => void) {
    this.setA20 = setA20;
    this.onReset = onReset;
  }

  reset(): void {
    this.outport = PORT92_A20;
    this.setA20(true);
  }

  ioRead(_offset: number, _size: number): number {
    return this.outport;
  }

  ioWrite(_offset: number, _size: number, value: number): void {
    const val = value & 0xff;
    this.outport = val & ~PORT92_RESET;
    this.setA20((val & PORT92_A20) !== 0);
    if (val & PORT92_RESET) this.onReset();
  }

  visit(v: Visitor): void {
    this.outport = v.u8('outport', this.outport) & ~PORT92_RESET;
  }

  /** The A20 state lives in the memory system; tell it again after a load. */
  postLoad(): void {
    this.setA20((this.outport & PORT92_A20) !== 0);
  }
}
