/**
 * VIRTIO_PCI_CAP_PCI_CFG (virtio 1.2 section 4.1.4.9): a window through configuration space onto the
 * modern BAR, for firmware that cannot map BARs. The driver writes the capability's `bar`, `offset`
 * and `length`; a write to `pci_cfg_data` then writes that many bytes at that offset of the BAR, and
 * a read of `pci_cfg_data` first fills it from there. Only the modern memory BAR is reachable, with
 * a length of 1, 2 or 4 and an offset aligned to it inside the BAR; anything else does nothing (the
 * data bytes keep what was last written). QEMU ignores `bar`; godwit requires the modern BAR's number.
 */
import type { PciBarHandler } from '../pci/pci-bar.ts';
import type { PciConfigHooks, PciFunction } from '../pci/pci-function.ts';
import { PCI_CAP_ID_VNDR } from '../pci/pci-regs.ts';
import {
  CAP_BAR,
  CAP_CFG_TYPE,
  CAP_LEN,
  CAP_LENGTH,
  CAP_OFFSET,
  PCI_CFG_CAP_DATA,
  VIRTIO_PCI_CAP_PCI_CFG,
  VIRTIO_PCI_CFG_CAP_SIZE,
} from './virtio-pci-regs.ts';

function getBytes(a: Uint8Array, at: number, size: number): number {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = (v << 8) | a[at + i]!;
  return v >>> 0;
}

function setBytes(a: Uint8Array, at: number, size: number, value: number): void {
  for (let i = 0; i < size; i++) a[at + i] = value >>> (8 * i);
}

export class PciCfgWindow {
  /** Where the capability sits in configuration space. */
  readonly at: number;
  private readonly bar: number;
  private readonly barSize: number;
  private readonly target: PciBarHandler;

  constructor(at: number, bar: number, barSize: number, target: PciBarHandler) {
    this.at = at;
    this.bar = bar;
    this.barSize = barSize;
    this.target = target;
  }

  /** Add the capability to a function being defined: bar, offset, length and data writable. */
  define(fn: PciFunction): void {
    const at = this.at;
    fn.addCapability(PCI_CAP_ID_VNDR, VIRTIO_PCI_CFG_CAP_SIZE, at);
    fn.defineConfig(at + CAP_LEN, 1, VIRTIO_PCI_CFG_CAP_SIZE);
    fn.defineConfig(at + CAP_CFG_TYPE, 1, VIRTIO_PCI_CAP_PCI_CFG);
    fn.setWriteMask(at + CAP_BAR, 1);
    fn.setWriteMask(at + CAP_OFFSET, 8);
    fn.setWriteMask(at + PCI_CFG_CAP_DATA, 4);
  }

  /** The function's configuration hooks (`config` gives its configuration bytes). */
  hooks(config: () => Uint8Array): PciConfigHooks {
    const data = this.at + PCI_CFG_CAP_DATA;
    const touches = (offset: number, size: number) => offset < data + 4 && data < offset + size;
    return {
      configRead: (offset, size) => {
        if (touches(offset, size)) this.access(config(), false);
      },
      configWrite: (offset, size) => {
        if (touches(offset, size)) this.access(config(), true);
      },
    };
  }

  private access(c: Uint8Array, write: boolean): void {
    const at = this.at;
    const offset = getBytes(c, at + CAP_OFFSET, 4);
    const length = getBytes(c, at + CAP_LENGTH, 4);
    if (c[at + CAP_BAR] !== this.bar || (length !== 1 && length !== 2 && length !== 4)) return;
    if (offset % length !== 0 || offset + length > this.barSize) return;
    if (write) this.target.write(offset, length, getBytes(c, at + PCI_CFG_CAP_DATA, length));
    else setBytes(c, at + PCI_CFG_CAP_DATA, length, this.target.read(offset, length));
  }
}
