/**
 * The virtio-pci transport's registers as a driver sees them through the real board: the capability
 * list in QEMU's order, the PCI configuration access window onto the modern BAR, vector registers
 * refusing vectors the function lacks, and the legacy device configuration moving with MSI-X.
 */
import { describe, expect, it } from 'vitest';
import { Machine } from '../../../machine/machine.ts';
import { defaultMachineConfig } from '../../../machine/machine-config.ts';
import { MemoryBackend } from '../../../src/block/memory-backend.ts';
import { PCI_CONFIG_ADDRESS_PORT, PCI_CONFIG_DATA_PORT } from '../../../src/hw/pc-layout.ts';
import { diskDevices } from '../../guests/virtioblk-config.ts';

function machine(): Machine {
  const drives = [{ id: 'd0', file: 'disk', readOnly: false, snapshot: false, checkIdentity: true, backend: new MemoryBackend(1 << 20) }];
  return new Machine(defaultMachineConfig({ ramBytes: 2 << 20, devices: [...defaultMachineConfig().devices, ...diskDevices('split', true)], drives }), { serialOut: () => {}, log: () => {} });
}

/** Configuration space of 00:01.0 through mechanism #1, as a driver reads it. */
function cfg(m: Machine) {
  const at = (reg: number) => m.board.io.write(PCI_CONFIG_ADDRESS_PORT, 4, (0x80000000 | (1 << 11) | (reg & 0xfc)) >>> 0);
  return {
    read(reg: number, size: number): number {
      at(reg);
      return m.board.io.read(PCI_CONFIG_DATA_PORT + (reg & 3), size);
    },
    write(reg: number, size: number, value: number): void {
      at(reg);
      m.board.io.write(PCI_CONFIG_DATA_PORT + (reg & 3), size, value);
    },
  };
}

describe('virtio-pci registers through the board', () => {
  it('lists its capabilities as QEMU does: MSI-X, PCI cfg, notify, device, ISR, common', () => {
    const c = cfg(machine());
    expect([c.read(0, 2), c.read(2, 2), c.read(0x2c, 2), c.read(0x2e, 2)]).toEqual([0x1af4, 0x1001, 0x1af4, 2]);
    const list: string[] = [];
    for (let at = c.read(0x34, 1), n = 0; at !== 0 && n < 16; at = c.read(at + 1, 1), n++) {
      const id = c.read(at, 1);
      list.push(id === 0x09 ? `vndr${c.read(at + 3, 1)}@${at.toString(16)}` : `${id.toString(16)}@${at.toString(16)}`);
    }
    expect(list).toEqual(['11@98', 'vndr5@84', 'vndr2@70', 'vndr4@60', 'vndr3@50', 'vndr1@40']);
    expect(c.read(0x70 + 16, 4)).toBe(4); // notify_off_multiplier
  });

  it('the PCI configuration window reads and writes the modern BAR', () => {
    const m = machine();
    const c = cfg(m);
    const win = 0x84;
    const access = (offset: number, length: number) => {
      c.write(win + 4, 1, 4); // bar
      c.write(win + 8, 4, offset);
      c.write(win + 12, 4, length);
    };
    // num_queues (common configuration 0x12), then device_status written to ACKNOWLEDGE.
    access(0x12, 2);
    expect(c.read(win + 16, 2)).toBe(1);
    access(0x14, 1);
    c.write(win + 16, 1, 1);
    expect(c.read(win + 16, 1)).toBe(1);
    const t = m.board.objects.get('/machine/peripheral/disk0') as unknown as { common: { status: number } };
    expect(t.common.status).toBe(1);
    // A length of 3 or an offset past the BAR does nothing.
    access(0x4000, 4);
    c.write(win + 16, 4, 0xdeadbeef);
    access(0x12, 3); // aligned to 3, but 3 is not a width
    expect(c.read(win + 16, 4)).toBe(0xdeadbeef);
    expect(t.common.status).toBe(1);
  });

  it('a vector register refuses a vector the function lacks; legacy configuration moves with MSI-X', () => {
    const m = machine();
    const c = cfg(m);
    const io = (c.read(0x10, 4) & ~3) >>> 0;
    const mem = (c.read(0x20, 4) & ~0xf) >>> 0;
    const mmio = m.board.mem.mmio;
    mmio.write(mem + 0x10, 2, 1);
    expect(mmio.read(mem + 0x10, 2)).toBe(1);
    mmio.write(mem + 0x10, 2, 2);
    expect(mmio.read(mem + 0x10, 2)).toBe(0xffff);
    // Capacity (2048 sectors) at 0x14 without MSI-X, at 0x18 with it.
    expect(m.board.io.read(io + 0x14, 4)).toBe(2048);
    c.write(0x98 + 2, 2, 0x8000);
    expect(m.board.io.read(io + 0x18, 4)).toBe(2048);
  });
});
