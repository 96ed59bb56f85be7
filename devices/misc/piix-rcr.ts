/**
 * The Reset Control Register of the PIIX3 PCI-to-ISA bridge (QEMU's piix "rcr"), at I/O port 0xCF9,
 * byte accesses only. Writing a value with bit 2 (RCPU) set resets the system, whatever bit 1 (SRST,
 * hard or soft) says, as on QEMU; the register itself then keeps its value. Otherwise the write is
 * kept, bit 1 only (the reset type), and reads return it.
 *
 * The register sits inside the PCI configuration address port CONFADD (0xCF8-0xCFB, dword access):
 * the device takes all four ports so that a dword or word access to 0xCF8 is never split into a byte
 * write to 0xCF9 (that would reset the machine whenever a configuration address has bit 10 set).
 * Every access but a byte at 0xCF9 reads all ones and writes nothing. On the PC the PCI host
 * (devices/pci/pci-host.ts) holds 0xCF8-0xCFB and hands it every access that is not a dword at
 * 0xCF8 (CONFADD), with its offset from 0xCF8; mapped alone (tests), it takes the four ports itself.
 */
import type { PortDevice } from '../../src/bus/io-bus.ts';
import type { StateObject } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';
import { PCI_CONFIG_ADDRESS_PORT, PIIX_RCR_PORT } from '../../src/hw/pc-layout.ts';

/** System reset type: 1 hard, 0 soft. */
export const RCR_SRST = 0x02;
/** Reset CPU: a write with this bit set resets. */
export const RCR_RCPU = 0x04;

const RCR_OFFSET = PIIX_RCR_PORT - PCI_CONFIG_ADDRESS_PORT;

export class PiixRcr implements PortDevice, StateObject {
  readonly typeName = 'piix-rcr';
  readonly stateVersion = 1;
  private readonly onReset: () => void;
  /** The reset type bit last written (QEMU keeps `val & 2`). */
  rcr = 0;

  constructor(onReset: () => void) {
    this.onReset = onReset;
  }

  reset(): void {
    this.rcr = 0;
  }

  ioRead(offset: number, size: number): number {
    if (offset === RCR_OFFSET && size === 1) return this.rcr;
    return size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
  }

  ioWrite(offset: number, size: number, value: number): void {
    if (offset !== RCR_OFFSET || size !== 1) return;
    if (value & RCR_RCPU) {
      this.onReset();
      return;
    }
    this.rcr = value & RCR_SRST;
  }

  visit(v: Visitor): void {
    this.rcr = v.u8('rcr', this.rcr) & RCR_SRST;
  }
}
