/**
 * Port 0x80, the POST diagnostic port. Writes are accepted (Linux uses it as an I/O delay) and the
 * last value is kept; reads return all ones as on QEMU's pc machine.
 */
import type { PortDevice } from '../../src/bus/io-bus.ts';
import type { StateObject } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';

export class Port80 implements PortDevice, StateObject {
  readonly typeName = 'port80';
  readonly stateVersion = 1;
  /** Last POST code written. */
  lastCode = 0;

  reset(): void {
    this.lastCode = 0;
  }

  ioRead(_offset: number, size: number): number {
    return size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
  }

  ioWrite(_offset: number, _size: number, value: number): void {
    this.lastCode = value & 0xff;
  }

  visit(v: Visitor): void {
    this.lastCode = v.u8('last_code', this.lastCode);
  }
}
