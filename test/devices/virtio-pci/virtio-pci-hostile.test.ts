/**
 * The virtio-pci transport is hostile ground (docs/architecture.md section 6): random accesses of every
 * width to every register it has, through the real board (PCI configuration space by 0xCF8/0xCFC, the
 * legacy I/O BAR, the modern BAR's common configuration, ISR, device configuration and notification
 * regions, the MSI-X table and pending bits), with random bytes where the rings may point and random
 * BAR moves, never throw out of the machine; the guest keeps running; and whatever state the guest
 * made saves, converts to the other shape and loads there, and converts back to the same tree.
 */
import { describe, expect, it } from 'vitest';
import { Machine } from '../../../machine/machine.ts';
import { defaultMachineConfig } from '../../../machine/machine-config.ts';
import { restoreSnapshot, saveSnapshot } from '../../../machine/snapshot.ts';
import { builtinFilters } from '../../../migration/filters/builtin.ts';
import { FilterRegistry } from '../../../migration/registry.ts';
import { decodeSnapshot } from '../../../migration/decode.ts';
import { encodeSnapshotBytes } from '../../../migration/encode.ts';
import { MemoryBackend } from '../../../src/block/memory-backend.ts';
import { PCI_CONFIG_ADDRESS_PORT, PCI_CONFIG_DATA_PORT } from '../../../src/hw/pc-layout.ts';
import { diffTrees } from '../../../src/visit/state-tree.ts';
import { diskDevices, type DiskShape } from '../../guests/virtioblk-config.ts';
import { Rng } from '../../migration/filters/gen.ts';
import type { VirtioPci } from '../../../devices/virtio-pci/virtio-pci.ts';
import type { VirtioBlkPci } from '../../../devices/virtio-blk-pci/virtio-blk-pci.ts';

const DISK = '/machine/peripheral/disk0';
const RAM = 2 << 20;
const registry = new FilterRegistry().registerAll(builtinFilters());

function machine(shape: DiskShape, readOnly: boolean): Machine {
  const drives = [{ id: 'd0', file: 'disk', readOnly, snapshot: false, checkIdentity: false, backend: new MemoryBackend(64 * 1024, { readOnly }) }];
  const devices = [...defaultMachineConfig().devices, ...diskDevices(shape, true)];
  return new Machine(defaultMachineConfig({ ramBytes: RAM, devices, drives, kernelIrqchip: shape === 'split' ? 'off' : 'on' }), { serialOut: () => {}, log: () => {} });
}

function transport(m: Machine): VirtioPci {
  const o = m.board.objects.get(DISK)!;
  return o.typeName === 'virtio-blk-pci' ? (o as VirtioBlkPci).transport : (o as VirtioPci);
}

const SIZES = [1, 2, 4];

/** One random guest access to the transport. */
function poke(m: Machine, r: Rng): void {
  const t = transport(m);
  const fn = t.fn;
  const devfn = t.devfn;
  const size = r.pick(SIZES);
  const value = r.bool() ? r.u32() : r.pick([0, 1, 0xff, 0xffff, 0xffffffff, 0x80000000, 4, 0x1000, 256, 255]);
  const which = r.below(12);
  const io = m.board.io;
  const mmio = m.board.mem.mmio;
  const bar = (i: number) => fn.configRead(0x10 + 4 * i, 4);
  if (which === 0) {
    // Configuration space: any register (BAR moves and decoding switched off too; firmware set it up).
    const reg = r.below(0x40) * 4;
    io.write(PCI_CONFIG_ADDRESS_PORT, 4, (0x80000000 | (devfn << 8) | reg) >>> 0);
    const port = PCI_CONFIG_DATA_PORT + (size === 4 ? 0 : size === 2 ? 2 * r.below(2) : r.below(4));
    if (r.below(8) === 0) io.read(port, size);
    else if (reg === 0x04 && r.below(4) !== 0) io.write(port, 2, 0x7);
    else io.write(port, size, value & (size === 4 ? 0xffffffff : (1 << (size * 8)) - 1));
    return;
  }
  if (which <= 2) {
    // The legacy I/O BAR (offsets past its end too).
    const base = bar(0) & ~3;
    const at = base + r.below(0x40);
    if (r.bool()) io.read(at, size);
    else io.write(at, size, value & (size === 4 ? 0xffffffff : (1 << (size * 8)) - 1));
    return;
  }
  if (which <= 7) {
    // The modern BAR: mostly the common configuration and notifications.
    const base = (bar(4) & ~0xf) >>> 0;
    const region = r.pick([0, 0, 0, 0x1000, 0x2000, 0x3000, 0x3000]);
    const at = base + region + (region === 0 ? r.below(0x40) : r.below(0x20));
    if (!mmio.isMapped(at)) return;
    if (r.below(4) === 0) mmio.read(at, size);
    else mmio.write(at, size, value);
    return;
  }
  if (which === 8) {
    // The MSI-X table and pending bits.
    const base = (bar(1) & ~0xf) >>> 0;
    const at = base + r.pick([0, 0x800]) + r.below(0x20);
    if (!mmio.isMapped(at)) return;
    if (r.bool()) mmio.read(at, 4);
    else mmio.write(at, 4, r.pick([value, 0, 1, 0xfee00000, 0x41]));
    return;
  }
  if (which === 10) {
    // A driver's set-up through the legacy registers, with a random ring page, then a notification.
    const base = bar(0) & ~3;
    io.write(base + 0x12, 1, 0);
    io.write(base + 0x12, 1, 3);
    io.write(base + 0x04, 4, r.bool() ? r.u32() : r.pick([0, 1 << 28, 1 << 29]));
    io.write(base + 0x0e, 2, r.below(4) === 0 ? r.below(3) : 0);
    io.write(base + 0x08, 4, r.below(4) !== 0 ? RING_PAGE : r.u32());
    io.write(base + 0x12, 1, 7);
    if (r.bool()) writeRequests(m, r);
    io.write(base + 0x10, 2, 0);
    return;
  }
  // Random bytes where the rings are (descriptors, available ring, used ring), or anywhere in RAM.
  const at = r.below(4) !== 0 ? RING_PAGE * 4096 + r.below(3 * 4096) : r.below(RAM - 8);
  const word = r.pick([r.u32(), r.below(256), RING_PAGE * 4096 + r.below(8192), r.below(0x10000) << 16, 0xffffffff]);
  m.board.mem.write32(at - (at % 4), word);
  if (r.below(3) === 0) io.write((bar(0) & ~3) + 0x10, 2, 0);
}

/** The page a driver-like set-up puts the queue on (256 entries: three pages), and its buffers. */
const RING_PAGE = 0x100;
const BUFFERS = 0x120000;

/** A few well-formed requests (header, data, status) on a clean ring, for the scribbles to spoil. */
function writeRequests(m: Machine, r: Rng): void {
  const mem = m.board.mem;
  const ring = RING_PAGE * 4096;
  for (let i = 0; i < 3 * 4096; i += 4) mem.write32(ring + i, 0);
  const n = 1 + r.below(8);
  for (let k = 0; k < n; k++) {
    const header = BUFFERS + k * 0x2000;
    mem.write32(header, r.pick([0, 1, 4, 8, 11, 13, 0x63]));
    mem.write32(header + 8, r.below(160));
    mem.write32(header + 12, 0);
    const d = ring + k * 3 * 16;
    const desc = (at: number, addr: number, len: number, flags: number, next: number) => {
      mem.write32(at, addr);
      mem.write32(at + 4, 0);
      mem.write32(at + 8, len);
      mem.write32(at + 12, flags | (next << 16));
    };
    desc(d, header, 16, 1, k * 3 + 1);
    desc(d + 16, header + 0x100, r.pick([512, 1024, 4096, 511]), 1 | 2, k * 3 + 2);
    desc(d + 32, header + 0x1f00, 1, 2, 0);
    mem.write16(ring + 256 * 16 + 4 + 2 * k, k * 3);
  }
  mem.write16(ring + 256 * 16 + 2, n);
}

describe('virtio-pci under random guest accesses', () => {
  for (const [shape, readOnly, seed] of [
    ['combined', false, 1],
    ['split', false, 2],
    ['combined', true, 4],
  ] as const) {
    it(`${shape}${readOnly ? ', read-only disk' : ''}: nothing throws, and every state converts and loads in the other shape`, () => {
      const r = new Rng(seed);
      const m = machine(shape, readOnly);
      const other: DiskShape = shape === 'combined' ? 'split' : 'combined';
      const seen = new Set<string>();
      for (let round = 0; round < 12; round++) {
        for (let i = 0; i < 400; i++) {
          poke(m, r);
          const t = transport(m);
          if (t.common.live) seen.add('live');
          if (t.common.queues[0]!.ready) seen.add('queue ready');
          if (t.common.queues[0]!.lastAvailIdx !== 0) seen.add('requests taken');
          if (t.common.queues[0]!.usedIdx !== 0) seen.add('requests completed');
          if (t.msixEnabled) seen.add('msix');
          if (t.common.status & 0x40) seen.add('needs reset');
        }
        // Virtual time moves on (requests complete); the CPU runs whatever is in RAM.
        const result = m.run({ maxInsns: m.board.retiredInstructions() + 30_000 });
        if (transport(m).common.queues[0]!.usedIdx !== 0) seen.add('requests completed');
        expect(['max-insns', 'halted', 'triple-fault', 'shutdown']).toContain(result.reason);
        const snapshot = saveSnapshot(m);
        const bytes = encodeSnapshotBytes(snapshot);
        const there = machine(other, readOnly);
        const { chain } = restoreSnapshot(there, decodeSnapshot(bytes));
        expect(chain.length).toBeGreaterThan(0);
        // Back to this shape: the same tree as saved.
        const back = saveSnapshot(there).objects;
        const mine = [...snapshot.objects].filter(([p]) => p.startsWith(DISK)).map(([, o]) => o);
        const theirs = [...back].filter(([p]) => p.startsWith(DISK)).map(([, o]) => o);
        const converted = shape === 'combined' ? registry.get('virtio-pci+virtio-blk->virtio-blk-pci')!.apply(theirs, { path: DISK, virtualTimeNs: 0n }) : registry.get('virtio-blk-pci->virtio-pci+virtio-blk')!.apply(theirs, { path: DISK, virtualTimeNs: 0n });
        converted.forEach((n, k) => expect(diffTrees(n.fields, mine[k]!.fields), `round ${round}`).toEqual([]));
      }
      // The random driver got the device through its states, not only its registers.
      expect([...seen].sort()).toEqual(expect.arrayContaining(['live', 'needs reset', 'queue ready', 'requests completed', 'requests taken']));
    });
  }
});
