/**
 * The MultiProcessor Specification 1.4 table (chapter 4 of the spec) that tells a kernel about
 * the CPUs, buses, the IOAPIC and the interrupt routing without ACPI, as Firecracker and SeaBIOS
 * write it: a floating pointer "_MP_" followed by the "PCMP" configuration table.
 */

export interface MpTableOptions {
  cpus: number;
  /** CPUID.1 EAX (signature) and EDX (features) for the processor entries. */
  cpuSignature: number;
  cpuFeatures: number;
  ioapicId: number;
  ioapicAddress: number;
  lapicAddress: number;
  /** PCI devices' INTx routing: [slot, pin (1 = INTA), ioapic pin]. */
  pciIrqs: [number, number, number][];
}

const ISA_BUS = 0;
const PCI_BUS = 1;
/** IOAPIC pin of each ISA IRQ (IRQ 0 arrives on pin 2; IRQ 2 is the 8259 cascade). */
export function isaIrqToIoapicPin(irq: number): number {
  return irq === 0 ? 2 : irq;
}

function checksum(bytes: Uint8Array, start: number, end: number): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum = (sum + bytes[i]!) & 0xff;
  return (0x100 - sum) & 0xff;
}

/** Build the floating pointer and configuration table to be placed at `address` (16-byte aligned). */
export function buildMpTable(o: MpTableOptions, address: number): Uint8Array {
  const entries: number[][] = [];
  const u16 = (v: number) => [v & 0xff, (v >>> 8) & 0xff];
  const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
  const text = (s: string, n: number) => Array.from({ length: n }, (_, i) => (i < s.length ? s.charCodeAt(i) : 0x20));
  for (let i = 0; i < o.cpus; i++) {
    // Processor: type 0, APIC id, APIC version, flags (enabled, bootstrap), signature, features.
    entries.push([0, i, 0x14, 1 | (i === 0 ? 2 : 0), ...u32(o.cpuSignature), ...u32(o.cpuFeatures), ...u32(0), ...u32(0)]);
  }
  entries.push([1, PCI_BUS, ...text('PCI', 6)]);
  entries.push([1, ISA_BUS, ...text('ISA', 6)]);
  // IOAPIC: type 2, id, version 0x20, flags enabled, address.
  entries.push([2, o.ioapicId, 0x20, 1, ...u32(o.ioapicAddress)]);
  for (let irq = 0; irq < 16; irq++) {
    if (irq === 2) continue;
    // Interrupt source: type 3, INT, flags conforming (ISA: edge, active high), bus, irq, ioapic, pin.
    entries.push([3, 0, 0, 0, ISA_BUS, irq, o.ioapicId, isaIrqToIoapicPin(irq)]);
  }
  for (const [slot, pin, ioapicPin] of o.pciIrqs) {
    // PCI INTx: level triggered, active low (flags 0x0F), source irq = slot << 2 | (pin - 1).
    entries.push([3, 0, 0x0f, 0, PCI_BUS, (slot << 2) | (pin - 1), o.ioapicId, ioapicPin]);
  }
  // Local interrupt sources: ExtINT to LINT0 of the BSP, NMI to LINT1 of all.
  entries.push([4, 3, 0, 0, ISA_BUS, 0, 0, 0]);
  entries.push([4, 1, 0, 0, ISA_BUS, 0, 0xff, 1]);

  const body = entries.flat();
  const tableLength = 44 + body.length;
  const out = new Uint8Array(16 + tableLength);
  const tableAddr = address + 16;
  // Floating pointer.
  out.set([0x5f, 0x4d, 0x50, 0x5f, ...u32(tableAddr), 1, 4, 0, 0, 0, 0, 0, 0], 0);
  out[10] = checksum(out, 0, 16);
  // Configuration table header.
  const header = [
    ...text('PCMP', 4),
    ...u16(tableLength),
    4, // spec revision 1.4
    0, // checksum
    ...text('GODWIT', 8),
    ...text('PC', 12),
    ...u32(0), // OEM table pointer
    ...u16(0), // OEM table size
    ...u16(entries.length),
    ...u32(o.lapicAddress),
    ...u16(0), // extended table length
    0, // extended checksum
    0, // reserved
  ];
  out.set(header, 16);
  out.set(body, 16 + 44);
  out[16 + 7] = checksum(out, 16, 16 + tableLength);
  return out;
}
