/*
 * pci: configuration mechanism #1, bus-0 scan, capabilities, BARs. See pci.h.
 */
#include "pci.h"

static uint32_t address(const struct pci_dev *d, uint8_t off)
{
	return 0x80000000u | ((uint32_t)d->bus << 16) | ((uint32_t)d->dev << 11) | ((uint32_t)d->fn << 8) | (off & 0xFCu);
}

uint32_t pci_read32(const struct pci_dev *d, uint8_t off)
{
	outl(PCI_CONFADD, address(d, off));
	return inl(PCI_CONFDATA);
}

uint16_t pci_read16(const struct pci_dev *d, uint8_t off)
{
	outl(PCI_CONFADD, address(d, off));
	return inw((uint16_t)(PCI_CONFDATA + (off & 2)));
}

uint8_t pci_read8(const struct pci_dev *d, uint8_t off)
{
	outl(PCI_CONFADD, address(d, off));
	return inb((uint16_t)(PCI_CONFDATA + (off & 3)));
}

void pci_write32(const struct pci_dev *d, uint8_t off, uint32_t v)
{
	outl(PCI_CONFADD, address(d, off));
	outl(PCI_CONFDATA, v);
}

void pci_write16(const struct pci_dev *d, uint8_t off, uint16_t v)
{
	outl(PCI_CONFADD, address(d, off));
	outw((uint16_t)(PCI_CONFDATA + (off & 2)), v);
}

void pci_write8(const struct pci_dev *d, uint8_t off, uint8_t v)
{
	outl(PCI_CONFADD, address(d, off));
	outb((uint16_t)(PCI_CONFDATA + (off & 3)), v);
}

int pci_find(uint16_t vendor, const uint16_t *ids, int n, struct pci_dev *out)
{
	for (int dev = 0; dev < 32; dev++) {
		for (int fn = 0; fn < 8; fn++) {
			struct pci_dev d = { 0, (uint8_t)dev, (uint8_t)fn, 0, 0 };
			uint32_t id = pci_read32(&d, PCI_VENDOR_ID);
			if ((id & 0xFFFF) == 0xFFFF) {
				if (fn == 0)
					break; /* no device in this slot */
				continue;
			}
			d.vendor = (uint16_t)id;
			d.device = (uint16_t)(id >> 16);
			for (int i = 0; i < n; i++) {
				if (d.vendor == vendor && d.device == ids[i]) {
					*out = d;
					return 1;
				}
			}
			/* Functions 1-7 exist only on multi-function devices. */
			if (fn == 0 && !(pci_read8(&d, PCI_HEADER_TYPE) & 0x80))
				break;
		}
	}
	return 0;
}

uint8_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t after)
{
	if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	uint8_t p = after ? pci_read8(d, (uint8_t)(after + 1)) : pci_read8(d, PCI_CAP_PTR);
	/* At most 48 capabilities fit in the 192 bytes after the header: stop a looping list. */
	for (int guard = 0; guard < 48 && p >= 0x40; guard++) {
		p &= 0xFC;
		if (pci_read8(d, p) == id)
			return p;
		p = pci_read8(d, (uint8_t)(p + 1));
	}
	return 0;
}

uint32_t pci_bar(const struct pci_dev *d, int n, int *is_io)
{
	uint8_t off = (uint8_t)(PCI_BAR0 + 4 * n);
	uint32_t v = pci_read32(d, off);
	if (v & 1) {
		*is_io = 1;
		return v & ~3u;
	}
	*is_io = 0;
	if ((v & 6) == 4 && n < 5 && pci_read32(d, (uint8_t)(off + 4)) != 0)
		return 0; /* 64-bit BAR above 4 GiB: out of reach without PAE */
	return v & ~15u;
}
