/*
 * virtio-pci: the driver side of the transport, modern and legacy interfaces. See virtio-pci.h.
 */
#include "virtio-pci.h"

static volatile uint8_t *cap_region(const struct pci_dev *d, uint8_t cap, uint32_t *len)
{
	uint8_t bar = pci_read8(d, (uint8_t)(cap + 4));
	uint32_t off = pci_read32(d, (uint8_t)(cap + 8));
	*len = pci_read32(d, (uint8_t)(cap + 12));
	int io;
	if (bar > 5)
		return 0;
	uint32_t base = pci_bar(d, bar, &io);
	if (io || base == 0)
		return 0;
	return (volatile uint8_t *)(uintptr_t)(base + off);
}

int vp_open(struct vp *v, const struct pci_dev *d, int modern)
{
	memset(v, 0, sizeof(*v));
	v->pci = *d;
	v->modern = modern;
	pci_write16(d, PCI_COMMAND, (uint16_t)(pci_read16(d, PCI_COMMAND) | PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	if (modern) {
		for (uint8_t c = pci_find_cap(d, PCI_CAP_ID_VENDOR, 0); c; c = pci_find_cap(d, PCI_CAP_ID_VENDOR, c)) {
			uint8_t type = pci_read8(d, (uint8_t)(c + 3));
			uint32_t len;
			volatile uint8_t *p = cap_region(d, c, &len);
			if (type == VIRTIO_PCI_CAP_COMMON && !v->common)
				v->common = p;
			else if (type == VIRTIO_PCI_CAP_NOTIFY && !v->notify) {
				v->notify = p;
				v->notify_mult = pci_read32(d, (uint8_t)(c + 16));
			} else if (type == VIRTIO_PCI_CAP_ISR && !v->isr)
				v->isr = p;
			else if (type == VIRTIO_PCI_CAP_DEVICE && !v->devcfg)
				v->devcfg = p;
		}
		if (!v->common || !v->notify || !v->isr || !v->devcfg) {
			puts("virtio-pci: modern capabilities missing");
			return -1;
		}
	} else {
		int io;
		uint32_t base = pci_bar(d, 0, &io);
		if (!io || base == 0) {
			puts("virtio-pci: no legacy I/O BAR");
			return -1;
		}
		v->io = (uint16_t)base;
	}
	return 0;
}

static inline void w8(volatile uint8_t *p, uint32_t off, uint8_t x) { *(volatile uint8_t *)(p + off) = x; }
static inline void w16(volatile uint8_t *p, uint32_t off, uint16_t x) { *(volatile uint16_t *)(p + off) = x; }
static inline void w32(volatile uint8_t *p, uint32_t off, uint32_t x) { *(volatile uint32_t *)(p + off) = x; }
static inline uint8_t r8(volatile uint8_t *p, uint32_t off) { return *(volatile uint8_t *)(p + off); }
static inline uint16_t r16(volatile uint8_t *p, uint32_t off) { return *(volatile uint16_t *)(p + off); }
static inline uint32_t r32(volatile uint8_t *p, uint32_t off) { return *(volatile uint32_t *)(p + off); }

void vp_set_status(struct vp *v, uint8_t s)
{
	if (v->modern)
		w8(v->common, VC_STATUS, s);
	else
		outb((uint16_t)(v->io + VL_STATUS), s);
}

uint8_t vp_get_status(struct vp *v)
{
	return v->modern ? r8(v->common, VC_STATUS) : inb((uint16_t)(v->io + VL_STATUS));
}

uint64_t vp_device_features(struct vp *v)
{
	if (!v->modern)
		return inl((uint16_t)(v->io + VL_HOST_FEATURES));
	w32(v->common, VC_DFSELECT, 0);
	uint32_t lo = r32(v->common, VC_DF);
	w32(v->common, VC_DFSELECT, 1);
	uint32_t hi = r32(v->common, VC_DF);
	return ((uint64_t)hi << 32) | lo;
}

void vp_driver_features(struct vp *v, uint64_t f)
{
	if (!v->modern) {
		outl((uint16_t)(v->io + VL_GUEST_FEATURES), (uint32_t)f);
		return;
	}
	w32(v->common, VC_GFSELECT, 0);
	w32(v->common, VC_GF, (uint32_t)f);
	w32(v->common, VC_GFSELECT, 1);
	w32(v->common, VC_GF, (uint32_t)(f >> 32));
}

static uint16_t legacy_cfg(struct vp *v, uint32_t off)
{
	return (uint16_t)(v->io + (v->msix ? VL_CONFIG + 4 : VL_CONFIG) + off);
}

uint8_t vp_cfg8(struct vp *v, uint32_t off)
{
	return v->modern ? r8(v->devcfg, off) : inb(legacy_cfg(v, off));
}

uint16_t vp_cfg16(struct vp *v, uint32_t off)
{
	return v->modern ? r16(v->devcfg, off) : inw(legacy_cfg(v, off));
}

uint32_t vp_cfg32(struct vp *v, uint32_t off)
{
	return v->modern ? r32(v->devcfg, off) : inl(legacy_cfg(v, off));
}

int vp_msix_enable(struct vp *v, int n, const uint8_t *vectors, uint8_t apic_id)
{
	const struct pci_dev *d = &v->pci;
	uint8_t cap = pci_find_cap(d, PCI_CAP_ID_MSIX, 0);
	if (!cap) {
		puts("virtio-pci: no MSI-X capability");
		return -1;
	}
	uint16_t ctrl = pci_read16(d, (uint8_t)(cap + 2));
	v->msix_size = (ctrl & 0x7FF) + 1;
	uint32_t table = pci_read32(d, (uint8_t)(cap + 4));
	int io;
	uint32_t base = pci_bar(d, (int)(table & 7), &io);
	if (io || base == 0 || n > v->msix_size) {
		puts("virtio-pci: MSI-X table out of reach");
		return -1;
	}
	v->msix_table = (volatile uint32_t *)(uintptr_t)(base + (table & ~7u));
	/* Enable with the function masked, fill the entries, then unmask the function. */
	pci_write16(d, (uint8_t)(cap + 2), (uint16_t)(ctrl | MSIX_CTRL_ENABLE | MSIX_CTRL_MASK));
	for (int i = 0; i < n; i++) {
		volatile uint32_t *e = v->msix_table + 4 * i;
		e[0] = 0xFEE00000u | ((uint32_t)apic_id << 12);
		e[1] = 0;
		e[2] = vectors[i];
		e[3] = 0; /* unmasked */
	}
	pci_write16(d, (uint8_t)(cap + 2), (uint16_t)((ctrl | MSIX_CTRL_ENABLE) & ~MSIX_CTRL_MASK));
	pci_write16(d, PCI_COMMAND, (uint16_t)(pci_read16(d, PCI_COMMAND) | PCI_COMMAND_INTX_OFF));
	v->msix = 1;
	return 0;
}

uint16_t vp_config_vector(struct vp *v, uint16_t entry)
{
	if (v->modern) {
		w16(v->common, VC_MSIX_CONFIG, entry);
		return r16(v->common, VC_MSIX_CONFIG);
	}
	outw((uint16_t)(v->io + VL_MSIX_CONFIG), entry);
	return inw((uint16_t)(v->io + VL_MSIX_CONFIG));
}

uint16_t vp_queue_max(struct vp *v, uint16_t q)
{
	if (v->modern) {
		w16(v->common, VC_Q_SELECT, q);
		return r16(v->common, VC_Q_SIZE);
	}
	outw((uint16_t)(v->io + VL_QUEUE_SEL), q);
	return inw((uint16_t)(v->io + VL_QUEUE_NUM));
}

uint16_t vp_queue_setup(struct vp *v, uint16_t q, uint16_t size, uint32_t desc, uint32_t avail, uint32_t used, uint16_t entry)
{
	uint16_t got = 0;
	if (v->modern) {
		w16(v->common, VC_Q_SELECT, q);
		w16(v->common, VC_Q_SIZE, size);
		w32(v->common, VC_Q_DESC, desc);
		w32(v->common, VC_Q_DESC + 4, 0);
		w32(v->common, VC_Q_AVAIL, avail);
		w32(v->common, VC_Q_AVAIL + 4, 0);
		w32(v->common, VC_Q_USED, used);
		w32(v->common, VC_Q_USED + 4, 0);
		if (v->msix) {
			w16(v->common, VC_Q_MSIX, entry);
			got = r16(v->common, VC_Q_MSIX);
		}
		if (q < 4)
			v->queue_notify[q] = (volatile uint16_t *)(v->notify + (uint32_t)r16(v->common, VC_Q_NOFF) * v->notify_mult);
		w16(v->common, VC_Q_ENABLE, 1);
		return got;
	}
	(void)size;
	(void)avail;
	(void)used;
	outw((uint16_t)(v->io + VL_QUEUE_SEL), q);
	if (v->msix) {
		outw((uint16_t)(v->io + VL_MSIX_QUEUE), entry);
		got = inw((uint16_t)(v->io + VL_MSIX_QUEUE));
	}
	outl((uint16_t)(v->io + VL_QUEUE_PFN), desc >> 12);
	return got;
}

void vp_notify(struct vp *v, uint16_t q)
{
	if (!v->modern) {
		outw((uint16_t)(v->io + VL_QUEUE_NOTIFY), q);
		return;
	}
	if (q < 4 && v->queue_notify[q])
		*v->queue_notify[q] = q;
}

uint8_t vp_isr(struct vp *v)
{
	return v->modern ? r8(v->isr, 0) : inb((uint16_t)(v->io + VL_ISR));
}
