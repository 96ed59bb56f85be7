/** devices/virtio/descriptor-chain.ts: valid chains, and every hostile descriptor table refused without throwing. */
import { describe, expect, it } from 'vitest';
import { PAGE_HOLE, PAGE_ROM, PhysicalMemory } from '../../../src/memory/physical-memory.ts';
import { DescChain, walkChain } from '../../../devices/virtio/descriptor-chain.ts';
import { DESC_F_INDIRECT as I, DESC_F_NEXT as N, DESC_F_WRITE as W } from '../../../devices/virtio/virtio-regs.ts';

const RAM = 1 << 20;
const TABLE = 0x10000;
const SIZE = 8;
const MMIO = 0x80000;

function setup() {
  const mem = new PhysicalMemory(RAM);
  // A page handed to an MMIO device in the middle of RAM: a device must never touch it.
  mem.setPageKind(MMIO, 0x1000, PAGE_HOLE);
  const touched: number[] = [];
  mem.mmio.register(MMIO, 0x1000, {
    mmioRead: (off: number) => {
      touched.push(off);
      return 0;
    },
    mmioWrite: (off: number) => {
      touched.push(off);
    },
  });
  mem.setPageKind(0x90000, 0x1000, PAGE_ROM);
  const desc = (table: number, i: number, addr: number, len: number, flags: number, next = 0, hi = 0) => {
    const d = table + 16 * i;
    mem.write32(d, addr);
    mem.write32(d + 4, hi);
    mem.write32(d + 8, len >>> 0);
    mem.write16(d + 12, flags);
    mem.write16(d + 14, next);
  };
  const walk = (head: number, indirect = true, size = SIZE) => {
    const out = new DescChain(256);
    return { problem: walkChain(mem, TABLE, size, head, indirect, out), out };
  };
  return { mem, desc, walk, touched };
}

function segments(out: DescChain): [number, number, number][] {
  const s: [number, number, number][] = [];
  for (let i = 0; i < out.count; i++) s.push([out.addr[i]!, out.len[i]!, out.writable[i]!]);
  return s;
}

describe('descriptor chains', () => {
  it('a direct chain: readable buffers, then writable ones; zero-length descriptors are skipped', () => {
    const { desc, walk } = setup();
    desc(TABLE, 3, 0x20000, 16, N, 5);
    desc(TABLE, 5, 0x20100, 0, N, 0);
    desc(TABLE, 0, 0x21000, 512, N | W, 7);
    desc(TABLE, 7, 0x22000, 1, W);
    const { problem, out } = walk(3);
    expect(problem).toBeNull();
    expect(segments(out)).toEqual([
      [0x20000, 16, 0],
      [0x21000, 512, 1],
      [0x22000, 1, 1],
    ]);
    expect([out.readableBytes, out.writableBytes, out.head]).toEqual([16, 513, 3]);
  });

  it('an indirect table at the head, and after direct descriptors', () => {
    const { desc, walk } = setup();
    const T = 0x30000;
    desc(T, 0, 0x20000, 16, N, 1);
    desc(T, 1, 0x21000, 4096, N | W, 2);
    desc(T, 2, 0x22000, 1, W);
    desc(TABLE, 2, T, 48, I | W); // WRITE on the table descriptor is ignored
    let r = walk(2);
    expect(r.problem).toBeNull();
    expect(segments(r.out)).toEqual([
      [0x20000, 16, 0],
      [0x21000, 4096, 1],
      [0x22000, 1, 1],
    ]);
    const T2 = 0x31000;
    desc(T2, 0, 0x21000, 4096, N | W, 1);
    desc(T2, 1, 0x22000, 1, W);
    desc(TABLE, 1, 0x23000, 8, N, 4);
    desc(TABLE, 4, T2, 32, I);
    r = walk(1);
    expect(r.problem).toBeNull();
    expect(segments(r.out)).toEqual([
      [0x23000, 8, 0],
      [0x21000, 4096, 1],
      [0x22000, 1, 1],
    ]);
  });

  it('indexes outside the table', () => {
    const { desc, walk } = setup();
    expect(walk(SIZE).problem).toMatch(/head/);
    expect(walk(0xffff).problem).toMatch(/head/);
    desc(TABLE, 0, 0x20000, 16, N, SIZE);
    expect(walk(0).problem).toMatch(/next 8/);
    desc(0x30000, 0, 0x20000, 16, N, 2);
    desc(TABLE, 0, 0x30000, 32, I);
    expect(walk(0).problem).toMatch(/next 2/);
  });

  it('loops, in the table and in an indirect table', () => {
    const { desc, walk } = setup();
    desc(TABLE, 0, 0x20000, 16, N, 0);
    expect(walk(0).problem).toMatch(/loops/);
    desc(TABLE, 1, 0x20000, 16, N, 2);
    desc(TABLE, 2, 0x20000, 16, N, 1);
    expect(walk(1).problem).toMatch(/loops/);
    desc(0x30000, 0, 0x20000, 16, N, 1);
    desc(0x30000, 1, 0x20000, 16, N, 0);
    desc(TABLE, 3, 0x30000, 32, I);
    expect(walk(3).problem).toMatch(/loops/);
  });

  it('chains longer than the queue (direct part plus an indirect table)', () => {
    const { desc, walk } = setup();
    for (let i = 0; i < 6; i++) desc(TABLE, i, 0x20000, 16, N, i + 1);
    desc(TABLE, 6, 0x30000, 16 * SIZE, I);
    for (let i = 0; i < SIZE; i++) desc(0x30000, i, 0x20000, 16, i < SIZE - 1 ? N : 0, i + 1);
    expect(walk(0).problem).toMatch(/longer than the queue/);
    // The same table alone fits exactly.
    expect(walk(6).problem).toBeNull();
  });

  it('illegal indirect descriptors', () => {
    const { desc, walk } = setup();
    const T = 0x30000;
    desc(T, 0, 0x20000, 16, 0);
    desc(TABLE, 0, T, 16, I);
    expect(walk(0, false).problem).toMatch(/without VIRTIO_F_INDIRECT_DESC/);
    desc(TABLE, 0, T, 16, I | N, 1);
    expect(walk(0).problem).toMatch(/with NEXT/);
    for (const len of [0, 8, 17, 0xfffffff0]) {
      desc(TABLE, 0, T, len, I);
      expect(walk(0).problem, `length ${len}`).toMatch(/indirect table/);
    }
    desc(TABLE, 0, T, 16 * (SIZE + 1), I);
    expect(walk(0).problem).toMatch(/longer than the queue/);
    // Nested: an indirect descriptor inside the table.
    desc(T, 0, T + 0x100, 16, I);
    desc(TABLE, 0, T, 16, I);
    expect(walk(0).problem).toMatch(/nested/);
  });

  it('indirect tables and buffers that are not RAM: beyond RAM, ROM, holes and MMIO, high address bits, absurd lengths', () => {
    const { desc, walk, touched } = setup();
    const cases: [number, number, number][] = [
      [RAM - 8, 16, 0],
      [RAM, 1, 0],
      [0x90000, 16, 0],
      [MMIO, 16, 0],
      [MMIO - 8, 16, 0],
      [0x20000, 16, 1],
      [0x20000, 0xffffffff, 0],
      [0xfffffff0, 16, 0xffffffff],
    ];
    for (const [addr, len, hi] of cases) {
      desc(TABLE, 0, addr, len, 0, 0, hi);
      expect(walk(0).problem, `buffer ${addr}+${len} hi ${hi}`).toMatch(/not RAM/);
    }
    for (const [addr, hi] of [
      [RAM - 8, 0],
      [0x90000, 0],
      [MMIO, 0],
      [MMIO - 8, 0],
      [0x20000, 1],
      [0xfffffff0, 0xffffffff],
    ]) {
      desc(TABLE, 0, addr!, 16, I, 0, hi);
      expect(walk(0).problem, `table ${addr} hi ${hi}`).toMatch(/not RAM/);
    }
    expect(touched).toEqual([]);
  });

  it('a device-readable buffer after a device-writable one', () => {
    const { desc, walk } = setup();
    desc(TABLE, 0, 0x20000, 1, W | N, 1);
    desc(TABLE, 1, 0x20000, 16, 0);
    expect(walk(0).problem).toMatch(/readable buffer after/);
  });
});
