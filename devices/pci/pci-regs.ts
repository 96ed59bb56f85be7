/**
 * The PCI hardware ABI as plain numbers (PCI Local Bus Specification 3.0, Linux include/uapi/linux/
 * pci_regs.h names): configuration mechanism #1, the type 0 header, BAR bits, capability ids, the
 * MSI-X capability and table, and the PC's fixed INTx routing and firmware windows. Written once and
 * shared by the bus, the functions, the firmware step and (later) migration filters.
 */

// ---- Configuration mechanism #1 (I/O ports) ----

// CONFADD (a 32-bit register, answered only to aligned dword accesses) and CONFDATA (four ports;
// byte n reads byte n of the addressed dword) are at the PC's ports in src/hw/pc-layout.ts.
/** CONFADD bit 31: configuration cycles enabled. */
export const CONFADD_ENABLE = 0x80000000;
/** Bits CONFADD keeps: enable, bus (23:16), device (15:11), function (10:8), register (7:2). */
export const CONFADD_MASK = 0x80fffffc;
export const CONFADD_BUS_SHIFT = 16;
export const CONFADD_DEVFN_SHIFT = 8;
/** The dword register number, as a byte offset. */
export const CONFADD_REGISTER_MASK = 0xfc;

export const PCI_SLOTS = 32;
export const PCI_FUNCTIONS_PER_SLOT = 8;
export const PCI_DEVFNS = 256;

// ---- Type 0 configuration header ----

export const PCI_CONFIG_SPACE_SIZE = 0x100;
export const PCI_CONFIG_HEADER_SIZE = 0x40;
export const PCI_VENDOR_ID = 0x00;
export const PCI_DEVICE_ID = 0x02;
export const PCI_COMMAND = 0x04;
export const PCI_STATUS = 0x06;
export const PCI_REVISION_ID = 0x08;
/** Class code: programming interface at 0x09, sub-class at 0x0A, base class at 0x0B. */
export const PCI_CLASS_PROG = 0x09;
export const PCI_CLASS_DEVICE = 0x0a;
export const PCI_CACHE_LINE_SIZE = 0x0c;
export const PCI_LATENCY_TIMER = 0x0d;
export const PCI_HEADER_TYPE = 0x0e;
export const PCI_BIST = 0x0f;
export const PCI_BASE_ADDRESS_0 = 0x10;
export const PCI_NUM_BARS = 6;
/** One past the last BAR register byte. */
export const PCI_BASE_ADDRESS_END = 0x28;
export const PCI_CARDBUS_CIS = 0x28;
export const PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
export const PCI_SUBSYSTEM_ID = 0x2e;
/** Expansion ROM BAR: not implemented, reads 0 (so sizing it finds no ROM). */
export const PCI_ROM_ADDRESS = 0x30;
export const PCI_CAPABILITY_LIST = 0x34;
export const PCI_INTERRUPT_LINE = 0x3c;
export const PCI_INTERRUPT_PIN = 0x3d;
export const PCI_MIN_GNT = 0x3e;
export const PCI_MAX_LAT = 0x3f;

/** Header type: a normal device (type 0). */
export const PCI_HEADER_TYPE_NORMAL = 0x00;
/** Header type bit 7, on function 0: the slot has other functions. */
export const PCI_HEADER_TYPE_MULTI_FUNCTION = 0x80;

// Command register bits.
/** Respond to I/O space accesses (I/O BARs decode). */
export const PCI_COMMAND_IO = 0x0001;
/** Respond to memory space accesses (memory BARs decode). */
export const PCI_COMMAND_MEMORY = 0x0002;
/** Bus master: the function may issue memory writes (DMA, MSI/MSI-X messages). */
export const PCI_COMMAND_MASTER = 0x0004;
/** SERR# enable (kept, no effect). */
export const PCI_COMMAND_SERR = 0x0100;
/** INTx emulation disable: the function's INTx output is held deasserted. */
export const PCI_COMMAND_INTX_DISABLE = 0x0400;

// Status register bits.
/** Interrupt status (read-only): the function requests INTx, whatever INTx disable says. */
export const PCI_STATUS_INTERRUPT = 0x0008;
/** Capabilities list present at PCI_CAPABILITY_LIST (read-only). */
export const PCI_STATUS_CAP_LIST = 0x0010;
/** Error bits, write 1 to clear. */
export const PCI_STATUS_PARITY = 0x0100;
export const PCI_STATUS_SIG_TARGET_ABORT = 0x0800;
export const PCI_STATUS_REC_TARGET_ABORT = 0x1000;
export const PCI_STATUS_REC_MASTER_ABORT = 0x2000;
export const PCI_STATUS_SIG_SYSTEM_ERROR = 0x4000;
export const PCI_STATUS_DETECTED_PARITY = 0x8000;
export const PCI_STATUS_W1C =
  PCI_STATUS_PARITY |
  PCI_STATUS_SIG_TARGET_ABORT |
  PCI_STATUS_REC_TARGET_ABORT |
  PCI_STATUS_REC_MASTER_ABORT |
  PCI_STATUS_SIG_SYSTEM_ERROR |
  PCI_STATUS_DETECTED_PARITY;

// Base address register bits.
/** BAR bit 0: an I/O BAR (else memory). */
export const PCI_BASE_ADDRESS_SPACE_IO = 0x01;
/** Memory BAR bits 2:1: 00 a 32-bit BAR (the only kind modelled). */
export const PCI_BASE_ADDRESS_MEM_TYPE_MASK = 0x06;
/** Memory BAR bit 3: prefetchable. */
export const PCI_BASE_ADDRESS_MEM_PREFETCH = 0x08;
/** Address bits of a memory BAR. */
export const PCI_BASE_ADDRESS_MEM_MASK = 0xfffffff0;
/** Address bits of an I/O BAR. */
export const PCI_BASE_ADDRESS_IO_MASK = 0xfffffffc;
/** Smallest BARs the specification allows. */
export const PCI_BAR_MEM_MIN_SIZE = 16;
export const PCI_BAR_IO_MIN_SIZE = 4;
/** Largest 32-bit memory BAR we accept (2 GiB); I/O BARs are at most the whole 64 KiB port space. */
export const PCI_BAR_MEM_MAX_SIZE = 0x80000000;
export const PCI_BAR_IO_MAX_SIZE = 0x10000;
/** Space of a BAR as the bus sees it. */
export const PCI_BAR_SPACE_MEMORY = 0;
export const PCI_BAR_SPACE_IO = 1;

/** Interrupt pin register values: 0 none, 1..4 INTA#..INTD#. */
export const PCI_INTERRUPT_NONE = 0;
export const PCI_INTERRUPT_INTA = 1;
export const PCI_INTERRUPT_INTB = 2;
export const PCI_INTERRUPT_INTC = 3;
export const PCI_INTERRUPT_INTD = 4;

// ---- Capabilities ----

/** Capability header: id at +0, next pointer at +1. */
export const PCI_CAP_LIST_ID = 0;
export const PCI_CAP_LIST_NEXT = 1;
export const PCI_CAP_ID_PM = 0x01;
export const PCI_CAP_ID_MSI = 0x05;
/** Vendor-specific (virtio-pci's structures). */
export const PCI_CAP_ID_VNDR = 0x09;
export const PCI_CAP_ID_MSIX = 0x11;

// ---- MSI-X ----

/** Message control word, at +2 of the capability. */
export const PCI_MSIX_FLAGS = 2;
/** Table size minus 1 (read-only). */
export const PCI_MSIX_FLAGS_QSIZE = 0x07ff;
/** Function mask: every vector masked. */
export const PCI_MSIX_FLAGS_MASKALL = 0x4000;
/** MSI-X enable. */
export const PCI_MSIX_FLAGS_ENABLE = 0x8000;
/** Table offset/BIR dword at +4, PBA offset/BIR dword at +8; BIR in bits 2:0. */
export const PCI_MSIX_TABLE = 4;
export const PCI_MSIX_PBA = 8;
export const PCI_MSIX_BIR_MASK = 0x7;
export const PCI_MSIX_CAP_LENGTH = 12;
export const PCI_MSIX_MAX_VECTORS = 2048;
/** Table entry layout (16 bytes). */
export const PCI_MSIX_ENTRY_SIZE = 16;
export const PCI_MSIX_ENTRY_LOWER_ADDR = 0;
export const PCI_MSIX_ENTRY_UPPER_ADDR = 4;
export const PCI_MSIX_ENTRY_DATA = 8;
export const PCI_MSIX_ENTRY_VECTOR_CTRL = 12;
/** Vector control bit 0: the vector is masked (set at reset). */
export const PCI_MSIX_ENTRY_CTRL_MASKBIT = 0x1;
/** Message address bits 1:0 are read-only 0 (dword-aligned writes). */
export const PCI_MSIX_ENTRY_ADDR_MASK = 0xfffffffc;

// ---- The PC's host bridge, routing and firmware windows ----

/** Intel 82441FX (i440FX) host bridge, as QEMU's pc machine. */
export const I440FX_VENDOR_ID = 0x8086;
export const I440FX_DEVICE_ID = 0x1237;
export const I440FX_REVISION = 0x02;
/** Class 0x060000: bridge, host bridge. */
export const PCI_CLASS_BRIDGE_HOST = 0x060000;
/** QEMU's default subsystem ids for devices that set none. */
export const PCI_SUBVENDOR_ID_REDHAT_QUMRANET = 0x1af4;
export const PCI_SUBDEVICE_ID_QEMU = 0x1100;

/**
 * ISA IRQ of each PIRQ line A-D: the routing SeaBIOS programs into QEMU's PIIX3 (pci_irqs[] =
 * 10, 10, 11, 11), fixed here. The IOAPIC pin of each is the same number.
 */
export const PCI_PIRQ_IRQS: readonly number[] = [10, 10, 11, 11];

/** I/O BARs are assigned from here up (SeaBIOS: 0xC000-0xFFFF, "traditionally used for PCI I/O"). */
export const PCI_IO_WINDOW_BASE = 0xc000;
export const PCI_IO_WINDOW_END = 0x10000;
/** Memory BARs are assigned downwards from the IOAPIC (SeaBIOS's BUILD_PCIMEM_END)... */
export const PCI_MEM_WINDOW_END = 0xfec00000;
/** ...and must stay above the PCI hole's start, where RAM ends at the latest. */
export const PCI_MEM_WINDOW_BASE = 0xe0000000;
/** Memory BARs smaller than a page still get a page of address space (SeaBIOS PCI_DEVICE_MEM_MIN). */
export const PCI_DEVICE_MEM_MIN = 0x1000;

// The x86 MSI window (0xFEExxxxx) is MSI_ADDRESS_BASE/MASK in src/hw/apic-message.ts.
