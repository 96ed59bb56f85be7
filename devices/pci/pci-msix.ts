/**
 * MSI-X (PCI 3.0 section 6.8.2): a table of vectors (message address, data, vector control) and a
 * pending-bit array (PBA) that live in memory BARs, and the enable and function-mask bits of the
 * capability's message control word in configuration space.
 *
 * A vector is masked when MSI-X is disabled, when the function mask is set, or when its own mask bit
 * is (QEMU's msix_is_masked). Notifying a masked vector sets its pending bit; the moment it becomes
 * unmasked (a table write, a message control write) the pending bit is cleared and the message sent.
 * The message goes to `send`, which the function gates by bus mastering (an MSI is a memory write).
 *
 * Guest accesses: table and PBA read at any size and offset (the bytes at that offset); the table
 * takes only aligned dword writes (the specification leaves anything else undefined; QEMU refuses
 * them too), with address bits 1:0 and vector control bits 31:1 read-only 0; the PBA is read-only.
 */
import type { Visitor } from '../../src/visit/visitor.ts';
import {
  PCI_MSIX_ENTRY_ADDR_MASK,
  PCI_MSIX_ENTRY_CTRL_MASKBIT,
  PCI_MSIX_ENTRY_DATA,
  PCI_MSIX_ENTRY_LOWER_ADDR,
  PCI_MSIX_ENTRY_SIZE,
  PCI_MSIX_ENTRY_UPPER_ADDR,
  PCI_MSIX_ENTRY_VECTOR_CTRL,
  PCI_MSIX_FLAGS,
  PCI_MSIX_FLAGS_ENABLE,
  PCI_MSIX_FLAGS_MASKALL,
} from './pci-regs.ts';

/** Where MSI messages go: the board connects it to the APIC bus (KVM_SIGNAL_MSI or the userspace bus). */
export interface MsiSink {
  /** A message write: a 32-bit guest-physical address (0xFEExxxxx for an interrupt) and its data. */
  signalMsi(address: number, data: number): void;
}

/** Bytes of a PBA for `vectors` vectors: whole QWORDs (QEMU: QEMU_ALIGN_UP(n, 64) / 8). */
export function msixPbaBytes(vectors: number): number {
  return Math.ceil(vectors / 64) * 8;
}

function get32(a: Uint8Array, i: number): number {
  return (a[i]! | (a[i + 1]! << 8) | (a[i + 2]! << 16) | (a[i + 3]! << 24)) >>> 0;
}

function set32(a: Uint8Array, i: number, v: number): void {
  a[i] = v;
  a[i + 1] = v >>> 8;
  a[i + 2] = v >>> 16;
  a[i + 3] = v >>> 24;
}

/** Little-endian bytes [offset, offset + size) of `a` (the caller keeps them inside). */
function getBytes(a: Uint8Array, offset: number, size: number): number {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = (v << 8) | a[offset + i]!;
  return v >>> 0;
}

export class Msix {
  readonly vectors: number;
  /** The vector table, 16 bytes per vector, as the guest sees it. */
  readonly table: Uint8Array;
  /** Pending bits, one per vector, in whole QWORDs. */
  readonly pba: Uint8Array;
  /** Offset of the capability in configuration space. */
  readonly capOffset: number;
  private readonly config: Uint8Array;
  private readonly send: (addressLo: number, addressHi: number, data: number) => void;

  /**
   * `config` is the function's configuration space (the message control word is read from it at
   * capOffset + 2); `send` delivers a message.
   */
  constructor(
    config: Uint8Array,
    capOffset: number,
    vectors: number,
    send: (addressLo: number, addressHi: number, data: number) => void,
  ) {
    this.config = config;
    this.capOffset = capOffset;
    this.vectors = vectors;
    this.send = send;
    this.table = new Uint8Array(vectors * PCI_MSIX_ENTRY_SIZE);
    this.pba = new Uint8Array(msixPbaBytes(vectors));
    this.reset();
  }

  /** Power-on state: every vector masked, nothing pending (the control word is config space). */
  reset(): void {
    this.table.fill(0);
    this.pba.fill(0);
    for (let v = 0; v < this.vectors; v++) this.table[v * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
  }

  private get control(): number {
    const at = this.capOffset + PCI_MSIX_FLAGS;
    return this.config[at]! | (this.config[at + 1]! << 8);
  }

  get enabled(): boolean {
    return (this.control & PCI_MSIX_FLAGS_ENABLE) !== 0;
  }

  /** Every vector is masked: MSI-X disabled, or the function mask set. */
  get functionMasked(): boolean {
    const c = this.control;
    return (c & PCI_MSIX_FLAGS_ENABLE) === 0 || (c & PCI_MSIX_FLAGS_MASKALL) !== 0;
  }

  private entryMasked(vector: number): boolean {
    return (this.table[vector * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL]! & PCI_MSIX_ENTRY_CTRL_MASKBIT) !== 0;
  }

  isMasked(vector: number): boolean {
    return this.functionMasked || this.entryMasked(vector);
  }

  isPending(vector: number): boolean {
    return (this.pba[vector >>> 3]! & (1 << (vector & 7))) !== 0;
  }

  /** The device signals `vector`: sent now if unmasked, else left pending. Other numbers are ignored. */
  notify(vector: number): void {
    if (!Number.isInteger(vector) || vector < 0 || vector >= this.vectors) return;
    if (this.isMasked(vector)) {
      this.pba[vector >>> 3]! |= 1 << (vector & 7);
      return;
    }
    this.deliver(vector);
  }

  private deliver(vector: number): void {
    const e = vector * PCI_MSIX_ENTRY_SIZE;
    const t = this.table;
    this.send(get32(t, e + PCI_MSIX_ENTRY_LOWER_ADDR), get32(t, e + PCI_MSIX_ENTRY_UPPER_ADDR), get32(t, e + PCI_MSIX_ENTRY_DATA));
  }

  /** A vector that was masked and is no longer sends what it had pending. */
  private maskChanged(vector: number, wasMasked: boolean): void {
    if (!wasMasked || this.isMasked(vector)) return;
    if (this.isPending(vector)) {
      this.pba[vector >>> 3]! &= ~(1 << (vector & 7));
      this.deliver(vector);
    }
  }

  /**
   * After a configuration write covered the control word: `wasFunctionMasked` is what
   * functionMasked said before it. Unmasking sends what is pending, as QEMU's msix_write_config.
   */
  controlWritten(wasFunctionMasked: boolean): void {
    if (!this.enabled || this.functionMasked === wasFunctionMasked) return;
    for (let v = 0; v < this.vectors; v++) this.maskChanged(v, wasFunctionMasked || this.entryMasked(v));
  }

  /** A read inside the table ([offset, offset + size) lies within it). */
  tableRead(offset: number, size: number): number {
    return getBytes(this.table, offset, size);
  }

  /** A write inside the table: aligned dwords only; unmasking a pending vector sends it. */
  tableWrite(offset: number, size: number, value: number): void {
    if (size !== 4 || (offset & 3) !== 0) return;
    const vector = offset >>> 4;
    const field = offset & (PCI_MSIX_ENTRY_SIZE - 1);
    if (field === PCI_MSIX_ENTRY_LOWER_ADDR) value &= PCI_MSIX_ENTRY_ADDR_MASK;
    else if (field === PCI_MSIX_ENTRY_VECTOR_CTRL) value &= PCI_MSIX_ENTRY_CTRL_MASKBIT;
    const was = this.isMasked(vector);
    set32(this.table, offset, value);
    this.maskChanged(vector, was);
  }

  /** A read inside the PBA. */
  pbaRead(offset: number, size: number): number {
    return getBytes(this.pba, offset, size);
  }

  get tableBytes(): number {
    return this.table.length;
  }

  get pbaBytes(): number {
    return this.pba.length;
  }

  /**
   * Table and PBA. Loading keeps the read-only bits at 0 (address bits 1:0, vector control bits
   * 31:1, pending bits past the last vector) and sends nothing: a vector left pending and unmasked
   * (which no guest can produce) waits for its next mask change.
   */
  visit(v: Visitor): void {
    v.u8Array('table', this.table);
    v.u8Array('pba', this.pba);
    if (v.mode !== 'load') return;
    for (let e = 0; e < this.table.length; e += PCI_MSIX_ENTRY_SIZE) {
      this.table[e + PCI_MSIX_ENTRY_LOWER_ADDR]! &= PCI_MSIX_ENTRY_ADDR_MASK & 0xff;
      set32(this.table, e + PCI_MSIX_ENTRY_VECTOR_CTRL, get32(this.table, e + PCI_MSIX_ENTRY_VECTOR_CTRL) & PCI_MSIX_ENTRY_CTRL_MASKBIT);
    }
    for (let bit = this.vectors; bit < this.pba.length * 8; bit++) this.pba[bit >>> 3]! &= ~(1 << (bit & 7));
  }
}
