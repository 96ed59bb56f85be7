/**
 * QEMU's isa-debug-exit as QEMU's pc machine is configured with `iobase=0xf4,iosize=4`: ports
 * 0xF4-0xF7 accept byte, word and dword writes, and a write of v asks the emulator to exit with
 * status (v << 1) | 1 of the whole value written, so a guest can never report 0. Reads return all
 * ones. A write that runs past 0xF7 is split by the bus, and the first part to arrive ends the run
 * (QEMU exits on it too).
 */
import type { PortDevice } from '../../src/bus/io-bus.ts';
import type { StateObject } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';

export class DebugExit implements PortDevice, StateObject {
  readonly typeName = 'isa-debug-exit';
  readonly stateVersion = 1;
  private readonly onExit: (code: number) => void;

  /** `onExit` gets (v << 1) | 1 computed without 32-bit overflow (up to 2^33 - 1 for dword writes). */
  constructor(onExit: (code: number) => void) {
    this.onExit = onExit;
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
