/**
 * Where things are on QEMU's pc machine, which godwit follows: fixed I/O ports, ISA IRQ lines and
 * physical addresses. The one place these numbers are written; devices, the board, the firmware
 * tables and the migration filters import them.
 */

/** COM1, the 16550A UART: 8 ports, ISA IRQ 4. */
export const COM1_PORT = 0x3f8;
export const COM1_PORTS = 8;
export const COM1_IRQ = 4;

/** The 8259 pair: master command/data, slave command/data, and the ELCR (edge/level) pair. */
export const PIC_MASTER_PORT = 0x20;
export const PIC_SLAVE_PORT = 0xa0;
export const ELCR_PORT = 0x4d0;
/** The slave 8259 cascades into master input 2. */
export const PIC_CASCADE_IRQ = 2;

/** The 8254 PIT: channels 0-2 and the control word at 0x40-0x43; channel 0 drives ISA IRQ 0. */
export const PIT_PORT = 0x40;
export const PIT_PORTS = 4;
export const PIT_IRQ = 0;
/** Port 0x61: PIT channel 2 gate and speaker, and the channel 2 output (NMI status and control). */
export const PORT61 = 0x61;

/** The MC146818 RTC/CMOS: index and data ports, ISA IRQ 8. */
export const RTC_PORT = 0x70;
export const RTC_PORTS = 2;
export const RTC_IRQ = 8;

/** POST code port (writes ignored). */
export const PORT80 = 0x80;
/** System control port A: fast A20 and fast reset. */
export const PORT92 = 0x92;

/** PCI configuration mechanism #1: CONFADD (32-bit) and CONFDATA; 0xCF9 is PIIX's reset control. */
export const PCI_CONFIG_ADDRESS_PORT = 0xcf8;
export const PCI_CONFIG_DATA_PORT = 0xcfc;
export const PIIX_RCR_PORT = 0xcf9;

/** QEMU's fw_cfg, traditional I/O interface: selector (16-bit) and data (8-bit). */
export const FW_CFG_PORT = 0x510;
export const FW_CFG_PORTS = 2;

/** isa-debug-exit as QEMU's pc machine and kvm-unit-tests use it: iobase=0xf4, iosize=4. */
export const DEBUG_EXIT_PORT = 0xf4;
export const DEBUG_EXIT_PORTS = 4;

/** Local APIC register page (default IA32_APIC_BASE) and the IOAPIC, both 4 KiB windows. */
export const LAPIC_BASE = 0xfee00000;
export const IOAPIC_BASE = 0xfec00000;
export const APIC_WINDOW_SIZE = 0x1000;
/** ISA IRQ 0 (the PIT) arrives at IOAPIC pin 2, as on every PC (the MP table says so too). */
export const IOAPIC_PIT_PIN = 2;

/** Legacy holes below 1 MiB: the VGA window (nothing answers) and the BIOS area (read-only). */
export const VGA_HOLE_BASE = 0xa0000;
export const VGA_HOLE_SIZE = 0x20000;
export const BIOS_AREA_BASE = 0xc0000;
export const BIOS_AREA_SIZE = 0x40000;
/** Where godwit writes the MP floating pointer and table: the BIOS area Linux scans. */
export const MP_TABLE_ADDRESS = 0xf5a00;
