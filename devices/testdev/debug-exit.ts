/**
 * QEMU's isa-debug-exit as QEMU's pc machine is configured with `iobase=0xf4,iosize=4`: ports
 * 0xF4-0xF7 accept byte, word and dword writes, and a write of v asks the emulator to exit with
 * status (v << 1) | 1 of the whole value written, so a guest can never report 0. Reads return all
 * ones. A write that runs past 0xF7 is split by the bus, and the first part to arrive ends the run
 * (QEMU exits on it too).
 */
import type { IoBus, PortDevice } from '../../src/bus/io-bus.ts';
import { IO_16, IO_32, IO_8 } from '../../src/bus/io-bus.ts';
import type { StateObject } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';

/** The port QEMU's pc machine and kvm-unit-tests use. */
export const DEBUG_EXIT_PORT = 0xf4;
/** Ports the device covers (QEMU's iosize=4). */
export const DEBUG_EXIT_PORTS = 4;

export class DebugExit implements PortDevice, StateObject {
  readonly typeName = 'isa-debug-exit';
  readonly stateVersion = 1;
  private readonly onExit: (code: number) => void;

  /** `onExit` gets (v << 1) | 1 computed without 32-bit overflow (up to 2^33 - 1 for dword writes). */
  constructor(onExit: (code: number) => void) {
    this.onExit = onExit;
  }

  /** Map 0xF4-0xF7 for every access width: a dword write must reach the device whole. */
  registerPorts(bus: IoBus): void {
    bus.register(DEBUG_EXIT_PORT, DEBUG_EXIT_PORTS, this, IO_8 | IO_16 | IO_32);
  }

  reset(): void {}

  ioRead(_offset: number, size: number): number {
    return size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
  }

  ioWrite(_offset: number, size: number, value: number): void {
    const v = size === 4 ? value >>> 0 : value & ((1 << (size * 8)) - 1);
    this.onExit(v * 2 + 1);
  }

  visit(_v: Visitor): void {}
}
