/**
 * 256 bytes of PCI configuration space with three masks per byte: writable bits, write-1-to-clear
 * bits, and read-only bits the device itself changes ("dynamic"), plus the capability-list builder
 * and the reset image. It knows nothing of what the registers mean; PciFunction does.
 */
import { WiringError } from '../../src/util/errors.ts';
import { PCI_CAP_LIST_NEXT, PCI_CAPABILITY_LIST, PCI_CONFIG_HEADER_SIZE, PCI_CONFIG_SPACE_SIZE, PCI_STATUS, PCI_STATUS_CAP_LIST } from './pci-regs.ts';

const hex = (n: number) => `0x${n.toString(16)}`;

/** Accesses inside configuration space that do not cross a dword. */
export function isValidConfigAccess(offset: number, size: number): boolean {
  return (
    (size === 1 || size === 2 || size === 4) &&
    Number.isInteger(offset) &&
    offset >= 0 &&
    offset + size <= PCI_CONFIG_SPACE_SIZE &&
    (offset & 3) + size <= 4
  );
}

export class PciConfigSpace {
  /** The bytes as the guest reads them. */
  readonly bytes = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  readonly wmask = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  readonly w1cmask = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  /** Read-only bits the device changes (kept from a loaded state). */
  readonly dynamic = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  /** Bytes taken by the header and capabilities. */
  private readonly used = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  /** The bytes at reset, fixed by seal(). */
  private readonly image = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  private lastCap = 0;
  private isSealed = false;

  constructor() {
    this.used.fill(1, 0, PCI_CONFIG_HEADER_SIZE);
  }

  get sealed(): boolean {
    return this.isSealed;
  }

  /** Fix the reset image: the definition is complete. Idempotent. */
  seal(): void {
    if (this.isSealed) return;
    this.isSealed = true;
    this.image.set(this.bytes);
  }

  get8(offset: number): number {
    return this.bytes[offset]!;
  }

  get16(offset: number): number {
    return this.bytes[offset]! | (this.bytes[offset + 1]! << 8);
  }

  get32(offset: number): number {
    return (this.get16(offset) | (this.get16(offset + 2) << 16)) >>> 0;
  }

  /** Set `size` bytes of value at offset (the device's own registers and definition). */
  set(offset: number, size: number, value: number): void {
    for (let i = 0; i < size; i++) this.bytes[offset + i] = value >>> (i * 8);
  }

  /** Set `size` bytes of the write mask at offset. */
  setWmask(offset: number, size: number, mask: number): void {
    for (let i = 0; i < size; i++) this.wmask[offset + i] = mask >>> (i * 8);
  }

  /** Set or clear bits of one byte in the bytes and the reset image (header type bit 7). */
  setFixedBits(offset: number, mask: number, on: boolean): void {
    for (const a of [this.bytes, this.image]) {
      if (on) a[offset]! |= mask;
      else a[offset]! &= ~mask;
    }
  }

  /**
   * Add a capability of `length` bytes (id and next pointer included), chained at the end of the
   * list from 0x34: at `offset` when given (dword aligned, 0x40-0xFF), else at the first free
   * dword-aligned place from 0x40. Its bytes are read-only until setWriteMask. Returns its offset.
   */
  addCapability(id: number, length: number, offset?: number): number {
    if (!Number.isInteger(id) || id < 0 || id > 0xff || !Number.isInteger(length) || length < 2) {
      throw new WiringError(`capability ${hex(id)} of ${length} bytes is not valid`);
    }
    const free = (at: number) => at + length <= PCI_CONFIG_SPACE_SIZE && this.used.subarray(at, at + length).every((u) => u === 0);
    let at = offset ?? -1;
    for (let p = PCI_CONFIG_HEADER_SIZE; offset === undefined && p < PCI_CONFIG_SPACE_SIZE; p += 4) {
      if (free(p)) {
        at = p;
        break;
      }
    }
    if (!Number.isInteger(at) || at < PCI_CONFIG_HEADER_SIZE || (at & 3) !== 0 || !free(at)) {
      throw new WiringError(`capability ${hex(id)} of ${length} bytes does not fit${offset === undefined ? '' : ` at ${hex(offset)}`}`);
    }
    this.used.fill(1, at, at + length);
    this.bytes[at] = id;
    this.bytes[at + PCI_CAP_LIST_NEXT] = 0;
    if (this.lastCap === 0) this.bytes[PCI_CAPABILITY_LIST] = at;
    else this.bytes[this.lastCap + PCI_CAP_LIST_NEXT] = at;
    this.lastCap = at;
    this.bytes[PCI_STATUS]! |= PCI_STATUS_CAP_LIST;
    return at;
  }

  /** Set `size` bytes of a capability's body (inside a capability, after its id and next pointer). */
  defineBytes(offset: number, size: number, value: number): void {
    if (!Number.isInteger(offset) || offset < PCI_CONFIG_HEADER_SIZE || offset + size > PCI_CONFIG_SPACE_SIZE || this.used.subarray(offset, offset + size).some((u) => u === 0)) {
      throw new WiringError(`configuration bytes [${hex(offset)}, ${hex(offset + size)}) are not inside a capability`);
    }
    this.set(offset, size, value);
  }

  /** Make bits of `length` bytes writable; they must lie inside capabilities (not their headers' ids). */
  setWriteMask(offset: number, length: number, mask = 0xff): void {
    if (
      !Number.isInteger(offset) ||
      offset < PCI_CONFIG_HEADER_SIZE ||
      offset + length > PCI_CONFIG_SPACE_SIZE ||
      this.used.subarray(offset, offset + length).some((u) => u === 0)
    ) {
      throw new WiringError(`write mask [${hex(offset)}, ${hex(offset + length)}) is not inside a capability`);
    }
    this.wmask.fill(mask, offset, offset + length);
  }

  /** Read-only bits the device changes itself: a loaded state keeps them. */
  markDynamic(offset: number, length: number, mask = 0xff): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + length > PCI_CONFIG_SPACE_SIZE) {
      throw new WiringError(`dynamic bytes [${hex(offset)}, ${hex(offset + length)}) are outside configuration space`);
    }
    this.dynamic.fill(mask, offset, offset + length);
  }

  /** Little-endian read of a valid access. */
  read(offset: number, size: number): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = (v << 8) | this.bytes[offset + i]!;
    return v >>> 0;
  }

  /** A guest write of a valid access: writable bits take the value, write-1-to-clear bits clear. */
  write(offset: number, size: number, value: number): void {
    const c = this.bytes;
    for (let i = 0; i < size; i++) {
      const at = offset + i;
      const b = (value >>> (i * 8)) & 0xff;
      const w = this.wmask[at]!;
      c[at] = ((c[at]! & ~w) | (b & w)) & ~(b & this.w1cmask[at]!);
    }
  }

  /** Back to the reset image. */
  reset(): void {
    this.seal();
    this.bytes.set(this.image);
  }

  /** After loading bytes: every read-only bit that is not dynamic comes back from the definition. */
  keepDefinition(): void {
    for (let i = 0; i < PCI_CONFIG_SPACE_SIZE; i++) {
      const ro = ~(this.wmask[i]! | this.w1cmask[i]! | this.dynamic[i]!) & 0xff;
      this.bytes[i] = (this.image[i]! & ro) | (this.bytes[i]! & ~ro);
    }
  }
}
