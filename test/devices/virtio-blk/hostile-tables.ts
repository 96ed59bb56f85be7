/**
 * Hostile guest memory for the virtio-blk property test: a memory map with an MMIO page and a ROM page
 * inside RAM, a GuestMemory that records every device write and flags those outside the allowed
 * bytes, and a generator of descriptor tables (sane request chains, then damaged: whole
 * descriptors replaced, or one field made hostile) that also says which bytes the device may write.
 */
import type { GuestMemory } from '../../../src/memory/guest-memory.ts';
import { PAGE_HOLE, PAGE_ROM, PhysicalMemory } from '../../../src/memory/physical-memory.ts';
import { DESC_F_INDIRECT, DESC_F_NEXT, DESC_F_WRITE, usedRingBytes } from '../../../devices/virtio/virtio-regs.ts';
import type { Rng } from '../../migration/filters/gen.ts';

export const RAM = 1 << 20;
export const DESC = 0x10000;
export const AVAIL = 0x18000;
export const USED = 0x19000;
export const CELLS = 0x40000; // 512-byte cells, each starting with a plausible request header
export const CELLS_END = 0x7f000;
export const MMIO = 0x80000;
export const ROM = 0x81000;
export const TABLES = 0xa0000; // indirect tables, 0x200 bytes apart
export const TABLE_COUNT = 16;
export const STATUS_AREA = 0x7f000; // status bytes of the sane chains
export const DISK_SECTORS = 64;

/** GuestMemory over RAM that fails the test on a write outside the allowed bytes, and records status bytes. */
export class CheckedMemory implements GuestMemory {
  readonly ramSize: number;
  allowed: Uint8Array = new Uint8Array(0);
  readonly bad: string[] = [];
  readonly statusWrites: number[] = [];
  readonly ram: PhysicalMemory;
  constructor(ram: PhysicalMemory) {
    this.ram = ram;
    this.ramSize = ram.ramSize;
  }
  private check(addr: number, len: number, what: string): void {
    for (let i = 0; i < len; i++) {
      if (!(this.allowed[addr + i] === 1)) {
        this.bad.push(`${what} at 0x${(addr + i).toString(16)}`);
        return;
      }
    }
  }
  isRam(a: number, l: number) {
    return this.ram.isRam(a, l);
  }
  read8(a: number) {
    return this.ram.read8(a);
  }
  read16(a: number) {
    return this.ram.read16(a);
  }
  read32(a: number) {
    return this.ram.read32(a);
  }
  read64(a: number) {
    return this.ram.read64(a);
  }
  readBytes(a: number, d: Uint8Array) {
    this.ram.readBytes(a, d);
  }
  write8(a: number, v: number) {
    this.check(a, 1, 'write8');
    this.statusWrites.push(v);
    this.ram.write8(a, v);
  }
  write16(a: number, v: number) {
    this.check(a, 2, 'write16');
    this.ram.write16(a, v);
  }
  write32(a: number, v: number) {
    this.check(a, 4, 'write32');
    this.ram.write32(a, v);
  }
  write64(a: number, v: bigint) {
    this.check(a, 8, 'write64');
    this.ram.write64(a, v);
  }
  writeBytes(a: number, s: Uint8Array) {
    this.check(a, s.length, 'writeBytes');
    this.ram.writeBytes(a, s);
  }
}

export function makeRam(): { ram: PhysicalMemory; touches: { n: number } } {
  const ram = new PhysicalMemory(RAM);
  const touches = { n: 0 };
  ram.setPageKind(MMIO, 0x1000, PAGE_HOLE);
  ram.mmio.register(MMIO, 0x1000, {
    mmioRead: () => {
      touches.n++;
      return 0;
    },
    mmioWrite: () => {
      touches.n++;
    },
  });
  ram.setPageKind(ROM, 0x1000, PAGE_ROM);
  return { ram, touches };
}


export type Desc = [addr: number, hi: number, len: number, flags: number, next: number];

/** Random descriptor contents, mostly hostile. */
export function randomDescriptor(r: Rng, size: number, inTable: boolean): Desc {
  let addr: number;
  let hi = 0;
  const pick = r.below(100);
  if (pick < 45) addr = CELLS + 512 * r.below((CELLS_END - CELLS) / 512) + (r.below(4) === 0 ? r.below(512) : 0);
  else if (pick < 55) addr = r.pick([DESC, AVAIL, USED, USED + 8, TABLES + 0x200 * r.below(TABLE_COUNT)]) + r.below(64);
  else if (pick < 65) addr = r.pick([MMIO, ROM, MMIO - 8, ROM - 3]);
  else if (pick < 75) addr = RAM - r.below(1024);
  else if (pick < 80) {
    addr = r.u32();
    hi = r.pick([1, 0xffffffff, r.u32()]);
  } else addr = r.u32() % RAM;
  let len = r.pick([0, 1, 15, 16, 17, 20, 512, 513, 1024, 4096, r.below(8192), 0xffffffff, 0x80000000, 16 * r.below(size + 2)]);
  let flags = 0;
  if (r.below(3) !== 0) flags |= DESC_F_NEXT;
  if (r.below(2) === 0) flags |= DESC_F_WRITE;
  if (r.below(inTable ? 20 : 8) === 0) {
    flags |= DESC_F_INDIRECT;
    if (r.below(4) !== 0) flags &= ~DESC_F_NEXT;
    addr = TABLES + 0x200 * r.below(TABLE_COUNT);
    hi = 0;
    len = r.below(6) === 0 ? r.below(100) : 16 * (1 + r.below(8));
  }
  const next = r.below(5) === 0 ? r.below(0x10000) : r.below(size + 1);
  return [addr, hi, len, flags, next];
}

/** A sane request chain: header, data buffers, status byte (then the caller damages some of it). */
export function saneChain(r: Rng, statusAt: number): Desc[] {
  const cell = () => CELLS + 512 * r.below((CELLS_END - CELLS) / 512);
  const out: Desc[] = [[cell(), 0, 16, 0, 0]];
  const write = r.bool();
  for (let i = r.below(3); i > 0; i--) out.push([cell() + 16, 0, r.pick([16, 32, 256, 480, 496]), write ? DESC_F_WRITE : 0, 0]);
  out.push([statusAt, 0, 1, DESC_F_WRITE, 0]);
  return out;
}

/** Lay out everything the device may look at; returns which bytes it may write. */
export function layout(r: Rng, ram: PhysicalMemory, size: number, indirect: boolean): { allowed: Uint8Array; heads: number[] } {
  const hostility = r.pick([0, 0.02, 0.1, 0.5]);
  const tables = [DESC, ...Array.from({ length: TABLE_COUNT }, (_, t) => TABLES + 0x200 * t)];
  const overTable = (addr: number, len: number) =>
    (addr < DESC + 16 * size && addr + len > DESC) || (addr < TABLES + 0x200 * TABLE_COUNT && addr + len > TABLES);
  const main: Desc[] = [];
  const indirectTables: Desc[][] = [];
  const heads: number[] = [];
  let status = STATUS_AREA;
  // Sane chains first, packed into the table (or into an indirect table).
  while (main.length < size) {
    const chain = saneChain(r, status++);
    if (indirect && indirectTables.length < TABLE_COUNT && r.below(3) === 0) {
      const t = indirectTables.length;
      indirectTables.push(chain.map((d, i) => [d[0], d[1], d[2], d[3] | (i < chain.length - 1 ? DESC_F_NEXT : 0), i + 1] as Desc));
      heads.push(main.length);
      main.push([TABLES + 0x200 * t, 0, 16 * chain.length, DESC_F_INDIRECT, 0]);
      continue;
    }
    if (main.length + chain.length > size) {
      main.push(randomDescriptor(r, size, false));
      continue;
    }
    heads.push(main.length);
    chain.forEach((d, i) => main.push([d[0], d[1], d[2], d[3] | (i < chain.length - 1 ? DESC_F_NEXT : 0), main.length + 1]));
  }
  while (indirectTables.length < TABLE_COUNT) indirectTables.push(Array.from({ length: 8 }, () => randomDescriptor(r, size, true)));
  // Damage: replace a descriptor by a random one, or change one of its fields to something hostile.
  const damage = (d: Desc, inTable: boolean): Desc => {
    if (r.below(1000) >= hostility * 1000) return d;
    const [addr, hi, len, flags, next] = d;
    switch (r.below(5)) {
      case 0:
        return randomDescriptor(r, size, inTable);
      case 1:
        return [r.pick([MMIO, MMIO + 0x10, ROM, RAM - 1, RAM - 8, RAM, 0xfffff000]), r.below(4) === 0 ? 1 : 0, len, flags, next];
      case 2:
        return [addr, hi, r.pick([0xffffffff, 0x80000000, RAM, 0x100000 - (addr % 0x100000) + 1, 0]), flags, next];
      case 3:
        return [addr, hi, len, flags, r.pick([size, 0xffff, r.below(size), next + 1])];
      default:
        return [addr, hi, len, flags ^ r.pick([DESC_F_WRITE, DESC_F_NEXT, DESC_F_INDIRECT]), next];
    }
  };
  const allowed = new Uint8Array(RAM);
  const put = (table: number, i: number, d: Desc) => {
    let [addr, hi, len, flags, next] = d;
    // Writable buffers never overlap descriptor tables, so that the allowed bytes stay what they are.
    if (flags & DESC_F_WRITE && !(flags & DESC_F_INDIRECT) && overTable(hi === 0 ? addr : RAM, len)) flags &= ~DESC_F_WRITE;
    const a = table + 16 * i;
    ram.write32(a, addr >>> 0);
    ram.write32(a + 4, hi >>> 0);
    ram.write32(a + 8, len >>> 0);
    ram.write16(a + 12, flags);
    ram.write16(a + 14, next);
    if (flags & DESC_F_WRITE && !(flags & DESC_F_INDIRECT) && hi === 0 && ram.isRam(addr, len)) allowed.fill(1, addr, addr + len);
  };
  main.forEach((d, i) => put(tables[0]!, i, damage(d, false)));
  indirectTables.forEach((t, k) => t.forEach((d, i) => put(tables[k + 1]!, i, damage(d, true))));
  // Cells: a plausible header (type, sector), then random bytes.
  for (let c = CELLS; c < CELLS_END; c += 512) {
    ram.write32(c, r.pick([0, 0, 1, 1, 4, 8, 11, 13, 0x80000000, r.u32()]));
    ram.write32(c + 4, 0);
    ram.write32(c + 8, r.below(3) === 0 ? r.u32() : r.below(DISK_SECTORS + 4));
    ram.write32(c + 12, r.below(8) === 0 ? r.u32() : 0);
    for (let i = 16; i < 64; i += 16) {
      ram.write32(c + i, r.below(DISK_SECTORS + 2));
      ram.write32(c + i + 8, r.below(4));
      ram.write32(c + i + 12, r.below(6) === 0 ? r.u32() : r.below(2));
    }
  }
  allowed.fill(1, USED, USED + usedRingBytes(size));
  return { allowed, heads };
}

