/**
 * PCI on the board: the host bridge behind the real port bus (with 0xCF9 still resetting), the
 * firmware step at boot (BARs, decoding, interrupt line, ELCR, MP table), MSI through the board's
 * sink under every kernel-irqchip setting (0xFEExxxxx only), and a machine without PCI devices
 * keeping every ISA IRQ edge-triggered.
 */
import { describe, expect, it } from 'vitest';
import { PcBoard } from '../../machine/pc-board.ts';
import { defaultMachineConfig } from '../../machine/machine-config.ts';
import type { KernelIrqchip } from '../../machine/machine-config.ts';
import { PciFunction } from '../../devices/pci/pci-function.ts';
import { PCI_BASE_ADDRESS_0, PCI_COMMAND, PCI_INTERRUPT_INTA, PCI_INTERRUPT_LINE } from '../../devices/pci/pci-regs.ts';
import { ELCR_PORT, MP_TABLE_ADDRESS } from '../../src/hw/pc-layout.ts';

const host = { serialOut: () => {}, log: () => {} };

function board(mode: KernelIrqchip = 'split', onReset = () => {}) {
  return new PcBoard(defaultMachineConfig({ ramBytes: 8 << 20, kernelIrqchip: mode }), host, { onDebugExit: () => {}, onReset });
}

function config(b: PcBoard, devfn: number, register: number, size: number): number {
  b.io.write(0xcf8, 4, (0x80000000 | (devfn << 8) | (register & 0xfc)) >>> 0);
  return b.io.read(0xcfc + (register & 3), size);
}

/** A function with MSI-X (2 vectors) in BAR 1 and INTA#, plugged as the board plugs devices. */
function plugTestFunction(b: PcBoard): { fn: PciFunction; devfn: number } {
  const fn = new PciFunction({ vendorId: 0x1af4, deviceId: 0x1042, classCode: 0x010000, interruptPin: PCI_INTERRUPT_INTA });
  fn.addMsixExclusiveBar(2, 1);
  const devfn = b.deviceContext.pciDevfn(null, 'test');
  b.plug({ path: '/machine/peripheral/t0', pci: { function: fn, devfn } });
  return { fn, devfn };
}

/** The MP table's interrupt-source entries as [flags, bus, source irq, IOAPIC pin]. */
function mpInterrupts(b: PcBoard): number[][] {
  const mem = b.mem;
  const table = mem.read32(MP_TABLE_ADDRESS + 4);
  const count = mem.read16(table + 34);
  const out: number[][] = [];
  let at = table + 44;
  for (let i = 0; i < count; i++) {
    const type = mem.read8(at);
    if (type === 3) out.push([mem.read8(at + 2), mem.read8(at + 4), mem.read8(at + 5), mem.read8(at + 7)]);
    at += type === 0 ? 20 : 8;
  }
  return out;
}

describe('the PCI host on the board', () => {
  it('answers configuration mechanism #1 at 0xCF8/0xCFC with the i440FX at 00:00.0, and a byte to 0xCF9 still resets', () => {
    let resets = 0;
    const b = board('split', () => resets++);
    expect(b.objects.get('/machine/pci')?.typeName).toBe('i440fx-pcihost');
    expect(config(b, 0, 0, 4)).toBe(0x12378086);
    expect(config(b, 0, 8, 4) >>> 8).toBe(0x060000);
    expect(b.io.read(0xcf8, 4)).toBe(0x80000008);
    // Nothing at 00:01.0 before a device is plugged.
    expect(config(b, 8, 0, 4)).toBe(0xffffffff);
    b.io.write(0xcf9, 1, 0x06);
    expect(resets).toBe(1);
    // A dword to CONFADD with bit 10 set is an address, never a byte to 0xCF9.
    b.io.write(0xcf8, 4, 0x80000400);
    expect(resets).toBe(1);
  });

  it('runs the firmware step at boot: BARs assigned and decoding, the interrupt line, ELCR and the MP table', () => {
    const b = board();
    const { devfn } = plugTestFunction(b);
    expect(devfn).toBe(1 << 3);
    b.reset();
    b.writeFirmwareTables();
    const bar1 = config(b, devfn, PCI_BASE_ADDRESS_0 + 4, 4);
    expect(bar1).toBe(0xfebff000);
    expect(config(b, devfn, PCI_COMMAND, 2) & 0x7).toBe(0x7);
    // Slot 1, INTA# -> PIRQA -> IRQ 10.
    expect(config(b, devfn, PCI_INTERRUPT_LINE, 1)).toBe(10);
    expect(b.io.read(ELCR_PORT, 1)).toBe(0);
    expect(b.io.read(ELCR_PORT + 1, 1)).toBe(1 << 2);
    const ints = mpInterrupts(b);
    // PCI bus 0 is MP bus id 0 (Linux looks INTx up by bus number), ISA is id 1.
    expect(ints).toContainEqual([0x0f, 0, (1 << 2) | 0, 10]);
    expect(ints.filter(([, , , pin]) => pin === 10)).toHaveLength(1);
    expect(ints).toContainEqual([0, 1, 11, 11]);
    // The MSI-X table is reachable where the firmware put BAR 1.
    expect(b.mem.mmio.isMapped(bar1)).toBe(true);
  });

  it('without PCI devices: no ELCR bit, every ISA IRQ in the MP table, the bridge alone on the bus', () => {
    const b = board();
    b.writeFirmwareTables();
    expect(b.io.read(ELCR_PORT, 1)).toBe(0);
    expect(b.io.read(ELCR_PORT + 1, 1)).toBe(0);
    const ints = mpInterrupts(b);
    expect(ints.filter(([, bus]) => bus === 0)).toEqual([]);
    expect(ints).toHaveLength(15);
  });

  for (const mode of ['on', 'split', 'off'] as KernelIrqchip[]) {
    it(`${mode}: MSI-X reaches the local APIC through the board's sink, only at 0xFEExxxxx`, () => {
      const b = board(mode);
      const { fn } = plugTestFunction(b);
      b.reset();
      b.writeFirmwareTables();
      const lapic = b.lapics[0]!;
      lapic.mmioWrite(0xf0, 4, 0x1ff); // software-enable the APIC
      const irr = (vector: number) => (lapic.mmioRead(0x200 + 0x10 * (vector >>> 5), 4) >>> (vector & 31)) & 1;
      const table = config(b, 1 << 3, PCI_BASE_ADDRESS_0 + 4, 4) & ~0xf;
      // Vector 0 to APIC 0, vector 0x61; vector 1 to an address outside the window. The table takes
      // dword writes as a CPU makes them (writeSlow), not byte-wise DMA.
      const w = (at: number, v: number) => b.mem.writeSlow(at, 4, v);
      w(table + 0, 0xfee00000);
      w(table + 8, 0x61);
      w(table + 12, 0);
      w(table + 16, 0xfed00000);
      w(table + 24, 0x62);
      w(table + 28, 0);
      const cap = fn.msix!.capOffset;
      b.io.write(0xcf8, 4, 0x80000800 | (cap & 0xfc));
      b.io.write(0xcfc + ((cap + 2) & 3), 2, 0x8001);
      fn.notify(0);
      fn.notify(1);
      expect(irr(0x61)).toBe(1);
      expect(irr(0x62)).toBe(0);
    });
  }
});
