/*
 * pci: PCI configuration mechanism #1 (CONFADD 0xCF8, CONFDATA 0xCFC), a bus-0 scan, capability
 * lists and BAR decoding, for guests that drive PCI devices. Linked into every guest that includes
 * pci.h (scripts/build-guests.sh). Firmware (SeaBIOS under QEMU, godwit's own set-up) has already
 * assigned the BARs and written the interrupt line when the guest starts.
 */
#ifndef PCI_H
#define PCI_H

#include "libg.h"

#define PCI_CONFADD  0xCF8
#define PCI_CONFDATA 0xCFC

/* Configuration-space registers. */
#define PCI_VENDOR_ID      0x00
#define PCI_DEVICE_ID      0x02
#define PCI_COMMAND        0x04
#define PCI_STATUS         0x06
#define PCI_REVISION       0x08
#define PCI_CLASS_PROG     0x09
#define PCI_HEADER_TYPE    0x0E
#define PCI_BAR0           0x10
#define PCI_SUBSYS_VENDOR  0x2C
#define PCI_SUBSYS_ID      0x2E
#define PCI_CAP_PTR        0x34
#define PCI_INTERRUPT_LINE 0x3C
#define PCI_INTERRUPT_PIN  0x3D

#define PCI_COMMAND_IO        0x0001
#define PCI_COMMAND_MEMORY    0x0002
#define PCI_COMMAND_MASTER    0x0004
#define PCI_COMMAND_INTX_OFF  0x0400
#define PCI_STATUS_CAP_LIST   0x0010
#define PCI_STATUS_INTX       0x0008

#define PCI_CAP_ID_MSIX   0x11
#define PCI_CAP_ID_VENDOR 0x09

/* MSI-X capability: message control at +2 (table size - 1 in bits 10:0, function mask bit 14,
   enable bit 15), table offset/BIR at +4, PBA offset/BIR at +8. */
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_CTRL_MASK   0x4000
#define MSIX_ENTRY_SIZE  16

struct pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
};

uint32_t pci_read32(const struct pci_dev *d, uint8_t off);
uint16_t pci_read16(const struct pci_dev *d, uint8_t off);
uint8_t pci_read8(const struct pci_dev *d, uint8_t off);
void pci_write32(const struct pci_dev *d, uint8_t off, uint32_t v);
void pci_write16(const struct pci_dev *d, uint8_t off, uint16_t v);
void pci_write8(const struct pci_dev *d, uint8_t off, uint8_t v);

/* First function on bus 0 with `vendor` and one of the n device ids; fills *out, returns 1. */
int pci_find(uint16_t vendor, const uint16_t *ids, int n, struct pci_dev *out);
/* Offset of the first capability with `id` after offset `after` (0: from the start), or 0. */
uint8_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t after);
/* BAR n: its base address (I/O or memory) and whether it is I/O. A 64-bit memory BAR placed above
   4 GiB, or an unassigned one, gives 0. */
uint32_t pci_bar(const struct pci_dev *d, int n, int *is_io);

#endif
