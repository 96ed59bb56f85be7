/**
 * Port 0x61, the PC's system control port B (QEMU models it in its pcspk device):
 *   bit 0  gate of PIT channel 2 (read/write)
 *   bit 1  speaker data enable (read/write; no sound is produced)
 *   bits 3:2  parity / I/O channel check disable (read/write, no effect)
 *   bit 4  refresh request toggle: flips every 15.085 us of virtual time (read only)
 *   bit 5  PIT channel 2 output (read only)
 *   bits 7:6  parity / I/O channel check errors: always 0
 * Linux calibrates the TSC by gating channel 2 through bit 0 and polling bit 5.
 */
import type { PortDevice } from '../../src/bus/io-bus.ts';
import type { VirtualClock } from '../../src/clock/clock.ts';
import type { StateObject } from '../../src/qom/object.ts';
import { PRIORITY_PIT } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';
import type { I8254 } from './i8254.ts';
import { P61_CHECK_MASK, P61_GATE2, REFRESH_PERIOD_NS } from '../../src/hw/i8254.ts';

export class Port61 implements PortDevice, StateObject {
  readonly typeName = 'pcspk';
  readonly stateVersion = 1;
  readonly postLoadPriority = PRIORITY_PIT;
  private readonly pit: I8254;
  private readonly clock: VirtualClock;
  /** Speaker data enable (bit 1), QEMU's pcspk data_on. */
  dataOn = 0;
  /** Bits 3:2 as last written. */
  checkBits = 0;

  constructor(pit: I8254, clock: VirtualClock) {
    this.pit = pit;
    this.clock = clock;
  }

  reset(): void {
    this.dataOn = 0;
    this.checkBits = 0;
  }

  ioRead(_offset: number, _size: number): number {
    const now = this.clock.now();
    const refresh = Math.floor(now / REFRESH_PERIOD_NS) & 1;
    return (
      this.pit.getGate(2) |
      (this.dataOn << 1) |
      this.checkBits |
      (refresh << 4) |
      (this.pit.getOut(2, now) << 5)
    );
  }

  ioWrite(_offset: number, _size: number, value: number): void {
    this.pit.setGate(2, value & P61_GATE2);
    this.dataOn = (value >> 1) & 1;
    this.checkBits = value & P61_CHECK_MASK;
  }

  visit(v: Visitor): void {
    this.dataOn = v.u8('data_on', this.dataOn) & 1;
    this.checkBits = v.u8('check_bits', this.checkBits) & P61_CHECK_MASK;
  }
}
