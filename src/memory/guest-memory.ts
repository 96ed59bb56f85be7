/**
 * Guest memory as devices use it: read and write of 8/16/32/64 bits and byte ranges at guest-physical
 * addresses (DMA). It is for using memory, not for creating it. Accesses outside RAM read as all ones
 * and drop writes; `isRam` lets a device refuse a buffer that is not wholly in RAM.
 */
export interface GuestMemory {
  /** Bytes of RAM. */
  readonly ramSize: number;
  isRam(addr: number, length: number): boolean;
  read8(addr: number): number;
  read16(addr: number): number;
  read32(addr: number): number;
  read64(addr: number): bigint;
  write8(addr: number, value: number): void;
  write16(addr: number, value: number): void;
  write32(addr: number, value: number): void;
  write64(addr: number, value: bigint): void;
  /** Copy guest bytes into dest; bytes outside RAM read as 0xFF. */
  readBytes(addr: number, dest: Uint8Array): void;
  /** Copy src into guest RAM; bytes outside RAM are dropped. */
  writeBytes(addr: number, src: Uint8Array): void;
}
