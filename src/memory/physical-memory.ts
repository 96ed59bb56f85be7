/**
 * Guest-physical memory: RAM in one ArrayBuffer with typed views, page-granular ROM and holes inside
 * it, and the MMIO bus for everything that is not RAM. The CPU reads RAM through the typed views on
 * its fast path and calls readSlow/writeSlow for everything else.
 *
 * A20: when the gate is closed, address bit 20 of CPU accesses is forced to zero; the CPU applies
 * `a20Mask` when it translates. Device DMA is not affected, as on a PC.
 *
 * Dirty log (docs/architecture.md section 7, diff snapshots): one byte per RAM page, set by every
 * path that writes RAM: writeSlow, device DMA (GuestMemory), loaders, and the CPU when it fills a
 * write TLB entry (markDirty), so that its fast path stays a TLB hit. takeDirtyPages() returns the
 * log and starts a new one, dropping every CPU's TLB (onMapChange) so that the next write to a page
 * marks it again, as KVM's dirty logging write-protects pages. Loading a lazy chunk (faultIn) only
 * brings saved bytes back and marks nothing.
 *
 * Written pages (src/memory/zero-pages.ts): one byte per page, set by the same paths as the dirty
 * log but never cleared, and for every page whose bytes may have come from a snapshot; a page not
 * marked is zero, so a save need not read it.
 */
import type { GuestMemory } from './guest-memory.ts';
import type { RamPager } from './ram-pager.ts';
import { MmioBus } from '../bus/mmio-bus.ts';
import { ConfigError } from '../util/errors.ts';
import { declarePageHint } from './zero-pages.ts';

/** Page kinds inside [0, ramSize). */
export const PAGE_RAM = 0;
/** Read-only: reads come from the RAM array, writes are dropped. */
export const PAGE_ROM = 1;
/** Nothing answers: reads return all ones, writes are dropped (unless the MMIO bus claims it). */
export const PAGE_HOLE = 2;
/**
 * Or'ed onto a page's kind while its bytes are still in the snapshot file (lazy restore): every
 * access then takes a slow path, which loads the page's chunk first (faultIn) and clears the bit.
 */
export const PAGE_LAZY = 0x80;

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

/** Largest RAM we map: RAM must end below the PCI hole at 0xE0000000. */
export const MAX_RAM_BYTES = 0xe0000000;

export class PhysicalMemory implements GuestMemory {
  readonly ramSize: number;
  readonly buffer: ArrayBuffer;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  /** PAGE_RAM, PAGE_ROM or PAGE_HOLE for each 4 KiB page of [0, ramSize). */
  readonly pageKind: Uint8Array;
  readonly mmio = new MmioBus();
  /** 0xFFFFFFFF with the A20 gate open, 0xFFEFFFFF with it closed. */
  a20Mask = 0xffffffff | 0;
  /** Called when the page map or the A20 gate changes, so the CPU can flush its TLB. */
  onMapChange: () => void = () => {};
  /** One byte per page of [0, ramSize): non-zero when the page was written since the log started. */
  private dirty: Uint8Array;
  /** One byte per page: non-zero when the page may hold non-zero bytes (written, loaded or restored). */
  private readonly written: Uint8Array;
  /** Whether RAM started as a snapshot's image (adopted) rather than zeros. */
  private readonly adopted: boolean;

  /** Fills lazy chunks; null once every chunk is loaded (or for RAM that was never lazy). */
  private pager: RamPager | null = null;
  /** Next chunk the background prefetch looks at. */
  private prefetchNext = 0;
  private lazyChunks = 0;

  /**
   * `ram`: bytes to use as RAM instead of fresh zeros (a restored snapshot's RAM image: no copy);
   * its length must be ramSize and it must start its own ArrayBuffer.
   */
  constructor(ramSize: number, ram: Uint8Array | null = null) {
    if (!Number.isInteger(ramSize) || ramSize < 1 << 20 || ramSize % PAGE_SIZE !== 0 || ramSize > MAX_RAM_BYTES) {
      throw new ConfigError(`RAM size ${ramSize} must be a multiple of 4 KiB between 1 MiB and 3.5 GiB`);
    }
    if (ram !== null && (ram.length !== ramSize || ram.byteOffset !== 0 || ram.buffer.byteLength !== ramSize)) {
      throw new ConfigError(`a RAM image of ${ram.length} bytes cannot be RAM of ${ramSize} bytes`);
    }
    this.ramSize = ramSize;
    this.u8 = ram ?? new Uint8Array(ramSize);
    this.buffer = this.u8.buffer as ArrayBuffer;
    this.u16 = new Uint16Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.pageKind = new Uint8Array(ramSize >>> PAGE_SHIFT);
    this.dirty = new Uint8Array(ramSize >>> PAGE_SHIFT);
    this.written = new Uint8Array(ramSize >>> PAGE_SHIFT);
    this.adopted = ram !== null;
    // An adopted image may hold anything (attachPager narrows it to the chunks with data).
    if (this.adopted) this.written.fill(1);
    declarePageHint(this.u8, this.written);
  }

  // ---- Dirty log ----

  /** Marks page `page` (a RAM page number) written. */
  markDirty(page: number): void {
    this.dirty[page] = 1;
    this.written[page] = 1;
  }

  /** Whether page `page` was written since the log started. */
  isDirty(page: number): boolean {
    return this.dirty[page] !== 0;
  }

  /** Marks the pages of [addr, addr + length) written. */
  private markRange(addr: number, length: number): void {
    if (length <= 0) return;
    const first = addr >>> PAGE_SHIFT;
    const end = ((addr + length - 1) >>> PAGE_SHIFT) + 1;
    this.dirty.fill(1, first, end);
    this.written.fill(1, first, end);
  }

  /**
   * RAM's bytes were replaced by a snapshot's (a restore that copied them in): any page may now be
   * non-zero. An adopted image is marked when it is adopted instead.
   */
  loadedWhole(): void {
    if (!this.adopted) this.written.fill(1);
  }

  /**
   * Starts a new dirty log: no page is dirty, and every CPU forgets its translations so that its
   * next write to any page marks it again.
   */
  startDirtyLog(): void {
    this.dirty = new Uint8Array(this.dirty.length);
    this.onMapChange();
  }

  /**
   * The pages written since the log started (one byte per page, non-zero = written), and a new log
   * from here (startDirtyLog). For diff snapshots and live migration.
   */
  takeDirtyPages(): Uint8Array {
    const taken = this.dirty;
    this.startDirtyLog();
    return taken;
  }

  /** Mark [base, base + length) as ROM or a hole (page granular). */
  setPageKind(base: number, length: number, kind: number): void {
    const first = base >>> PAGE_SHIFT;
    const last = Math.min((base + length - 1) >>> PAGE_SHIFT, this.pageKind.length - 1);
    for (let p = first; p <= last; p++) this.pageKind[p] = kind | (this.pageKind[p]! & PAGE_LAZY);
    this.onMapChange();
  }

  // ---- Lazy RAM (lazy restore) ----

  /** Loads RAM's chunks through `pager` on first access; chunks without data are zero already. */
  attachPager(pager: RamPager): void {
    const pages = pager.chunkPages;
    if (pager.chunks !== Math.ceil(this.pageKind.length / pages)) {
      throw new ConfigError(`a RAM pager of ${pager.chunks} chunks cannot page ${this.ramSize} bytes of RAM`);
    }
    // A page keeps its kind with PAGE_LAZY or'ed on. Most pages are RAM (0): whole chunks are
    // filled at once, and the few others (ROM, holes: found natively) get their kind back after;
    // a loop over every page costs milliseconds per GiB on this path, which runs once, cold.
    const kinds = this.pageKind;
    const special: number[] = [];
    for (const kind of [PAGE_ROM, PAGE_HOLE, PAGE_ROM | PAGE_LAZY, PAGE_HOLE | PAGE_LAZY]) {
      for (let p = kinds.indexOf(kind); p >= 0; p = kinds.indexOf(kind, p + 1)) special.push(p, kind);
    }
    const lazy = new Uint8Array(pager.chunks);
    for (let c = 0; c < pager.chunks; c++) {
      if (!pager.hasData(c)) continue;
      kinds.fill(PAGE_LAZY, c * pages, Math.min((c + 1) * pages, kinds.length));
      lazy[c] = 1;
      this.lazyChunks++;
    }
    for (let i = 0; i < special.length; i += 2) {
      const p = special[i]!;
      if (lazy[Math.floor(p / pages)] !== 0) kinds[p] = special[i + 1]! | PAGE_LAZY;
    }
    // A chunk without data is zero, and stays so until written.
    if (this.adopted) {
      for (let c = 0; c < pager.chunks; c++) if (!pager.hasData(c)) this.written.fill(0, c * pages, Math.min((c + 1) * pages, this.written.length));
    }
    this.pager = this.lazyChunks > 0 ? pager : null;
    this.onMapChange();
  }

  /** Number of chunks still to load from the snapshot. */
  get lazyChunksLeft(): number {
    return this.lazyChunks;
  }

  /** Loads the chunk holding `page` (a lazy page) and returns the page's kind. */
  faultIn(page: number): number {
    const pager = this.pager!;
    const c = Math.floor(page / pager.chunkPages);
    pager.load(c);
    const end = Math.min((c + 1) * pager.chunkPages, this.pageKind.length);
    for (let p = c * pager.chunkPages; p < end; p++) this.pageKind[p]! &= ~PAGE_LAZY;
    if (--this.lazyChunks === 0) this.pager = null;
    return this.pageKind[page]!;
  }

  /**
   * Loads up to `maxChunks` lazy chunks in address order (a background prefetch between batches:
   * what the guest sees does not depend on it). Returns the number of chunks still lazy.
   */
  prefetch(maxChunks: number): number {
    const pager = this.pager;
    if (pager === null) return 0;
    for (let done = 0; done < maxChunks && this.pager !== null && this.prefetchNext < pager.chunks; this.prefetchNext++) {
      const page = this.prefetchNext * pager.chunkPages;
      if ((this.pageKind[page]! & PAGE_LAZY) === 0) continue;
      this.faultIn(page);
      done++;
    }
    return this.lazyChunks;
  }

  /** Loads every lazy chunk: before RAM is read whole (a save, a hash). */
  materializeAll(): void {
    while (this.pager !== null) this.prefetch(64);
  }

  /** Loads the lazy chunks of [addr, addr + length). */
  private materialize(addr: number, length: number): void {
    if (this.pager === null || length <= 0) return;
    const last = Math.min((addr + length - 1) >>> PAGE_SHIFT, this.pageKind.length - 1);
    for (let p = addr >>> PAGE_SHIFT; p <= last && this.pager !== null; p++) if ((this.pageKind[p]! & PAGE_LAZY) !== 0) this.faultIn(p);
  }

  setA20(enabled: boolean): void {
    const mask = enabled ? 0xffffffff | 0 : ~(1 << 20);
    if (mask !== this.a20Mask) {
      this.a20Mask = mask;
      this.onMapChange();
    }
  }

  get a20Enabled(): boolean {
    return this.a20Mask === (0xffffffff | 0);
  }

  /** True when addr is plain RAM that the CPU may read and write through the typed views. */
  isPlainRam(addr: number): boolean {
    if (addr >>> 0 >= this.ramSize) return false;
    let kind = this.pageKind[addr >>> PAGE_SHIFT]!;
    if (kind >= PAGE_LAZY) kind = this.faultIn(addr >>> PAGE_SHIFT);
    return kind === PAGE_RAM;
  }

  isRam(addr: number, length: number): boolean {
    if (addr < 0 || length < 0 || addr + length > this.ramSize) return false;
    if (length === 0) return true;
    this.materialize(addr, length);
    const last = (addr + length - 1) >>> PAGE_SHIFT;
    for (let p = addr >>> PAGE_SHIFT; p <= last; p++) if (this.pageKind[p] !== PAGE_RAM) return false;
    return true;
  }

  // ---- Slow path: any size-aligned-or-not access of 1, 2 or 4 bytes within one page. ----

  readSlow(addr: number, size: number): number {
    addr >>>= 0;
    if (addr >= this.ramSize) return this.mmio.read(addr, size);
    let kind = this.pageKind[addr >>> PAGE_SHIFT]!;
    if (kind >= PAGE_LAZY) kind = this.faultIn(addr >>> PAGE_SHIFT);
    if (kind !== PAGE_HOLE) {
      const u8 = this.u8;
      if (size === 1) return u8[addr]!;
      if (size === 2) return u8[addr]! | (u8[addr + 1]! << 8);
      return (u8[addr]! | (u8[addr + 1]! << 8) | (u8[addr + 2]! << 16) | (u8[addr + 3]! << 24)) >>> 0;
    }
    return this.mmio.read(addr, size);
  }

  writeSlow(addr: number, size: number, value: number): void {
    addr >>>= 0;
    if (addr < this.ramSize) {
      let kind = this.pageKind[addr >>> PAGE_SHIFT]!;
      if (kind >= PAGE_LAZY) kind = this.faultIn(addr >>> PAGE_SHIFT);
      if (kind === PAGE_RAM) {
        const u8 = this.u8;
        this.dirty[addr >>> PAGE_SHIFT] = 1;
        this.written[addr >>> PAGE_SHIFT] = 1;
        u8[addr] = value;
        if (size > 1) u8[addr + 1] = value >>> 8;
        if (size > 2) {
          u8[addr + 2] = value >>> 16;
          u8[addr + 3] = value >>> 24;
        }
        return;
      }
      if (kind === PAGE_ROM) return;
    }
    this.mmio.write(addr, size, value);
  }

  // ---- GuestMemory: device DMA. Accesses may cross pages; each byte goes where it belongs. ----

  read8(addr: number): number {
    return this.readSlow(addr, 1);
  }
  read16(addr: number): number {
    return this.read8(addr) | (this.read8(addr + 1) << 8);
  }
  read32(addr: number): number {
    if ((addr & 3) === 0 && this.isPlainRam(addr)) return this.i32[addr >>> 2]! >>> 0;
    return (this.read16(addr) | (this.read16(addr + 2) << 16)) >>> 0;
  }
  read64(addr: number): bigint {
    return BigInt(this.read32(addr)) | (BigInt(this.read32(addr + 4)) << 32n);
  }
  write8(addr: number, value: number): void {
    this.writeSlow(addr, 1, value & 0xff);
  }
  write16(addr: number, value: number): void {
    this.write8(addr, value);
    this.write8(addr + 1, value >>> 8);
  }
  write32(addr: number, value: number): void {
    if ((addr & 3) === 0 && this.isPlainRam(addr)) {
      this.dirty[addr >>> PAGE_SHIFT] = 1;
      this.written[addr >>> PAGE_SHIFT] = 1;
      this.i32[addr >>> 2] = value;
      return;
    }
    this.write16(addr, value);
    this.write16(addr + 2, value >>> 16);
  }
  write64(addr: number, value: bigint): void {
    this.write32(addr, Number(value & 0xffffffffn));
    this.write32(addr + 4, Number((value >> 32n) & 0xffffffffn));
  }
  readBytes(addr: number, dest: Uint8Array): void {
    if (this.isRam(addr, dest.length)) {
      dest.set(this.u8.subarray(addr, addr + dest.length));
      return;
    }
    for (let i = 0; i < dest.length; i++) dest[i] = this.read8(addr + i);
  }
  writeBytes(addr: number, src: Uint8Array): void {
    if (this.isRam(addr, src.length)) {
      this.markRange(addr, src.length);
      this.u8.set(src, addr);
      return;
    }
    for (let i = 0; i < src.length; i++) this.write8(addr + i, src[i]!);
  }

  /** Load an image into RAM or ROM regardless of page kind (loaders, firmware tables). */
  load(addr: number, bytes: Uint8Array): void {
    if (addr < 0 || addr + bytes.length > this.ramSize) {
      throw new ConfigError(
        `image of ${bytes.length} bytes at 0x${addr.toString(16)} does not fit in ${this.ramSize >>> 20} MiB of RAM`,
      );
    }
    this.materialize(addr, bytes.length);
    this.markRange(addr, bytes.length);
    this.u8.set(bytes, addr);
  }
}
