/*
 * virtio-pci: the driver side of the virtio PCI transport (virtio 1.2 section 4.1), both
 * interfaces: modern (vendor capabilities pointing into memory BARs: common configuration, notify,
 * ISR, device configuration) and legacy (the I/O BAR 0 register block of transitional devices), with
 * MSI-X (table in a BAR, messages to the local APIC) or INTx. Guests using it include pci.h and
 * virtio-pci.h (and virtq.h for the rings).
 */
#ifndef VIRTIO_PCI_H
#define VIRTIO_PCI_H

#include "libg.h"
#include "pci.h"

#define VIRTIO_VENDOR 0x1AF4

/* Device status. */
#define VS_ACKNOWLEDGE 1
#define VS_DRIVER      2
#define VS_DRIVER_OK   4
#define VS_FEATURES_OK 8
#define VS_NEEDS_RESET 64
#define VS_FAILED      128

/* Transport feature bits. */
#define VF_INDIRECT_DESC 28
#define VF_EVENT_IDX     29
#define VF_VERSION_1     32

/* Vendor capability cfg_type. */
#define VIRTIO_PCI_CAP_COMMON 1
#define VIRTIO_PCI_CAP_NOTIFY 2
#define VIRTIO_PCI_CAP_ISR    3
#define VIRTIO_PCI_CAP_DEVICE 4

/* Modern common configuration. */
#define VC_DFSELECT     0x00
#define VC_DF           0x04
#define VC_GFSELECT     0x08
#define VC_GF           0x0C
#define VC_MSIX_CONFIG  0x10
#define VC_NUM_QUEUES   0x12
#define VC_STATUS       0x14
#define VC_CFG_GEN      0x15
#define VC_Q_SELECT     0x16
#define VC_Q_SIZE       0x18
#define VC_Q_MSIX       0x1A
#define VC_Q_ENABLE     0x1C
#define VC_Q_NOFF       0x1E
#define VC_Q_DESC       0x20
#define VC_Q_AVAIL      0x28
#define VC_Q_USED       0x30

/* Legacy I/O registers. */
#define VL_HOST_FEATURES  0x00
#define VL_GUEST_FEATURES 0x04
#define VL_QUEUE_PFN      0x08
#define VL_QUEUE_NUM      0x0C
#define VL_QUEUE_SEL      0x0E
#define VL_QUEUE_NOTIFY   0x10
#define VL_STATUS         0x12
#define VL_ISR            0x13
#define VL_MSIX_CONFIG    0x14
#define VL_MSIX_QUEUE     0x16
#define VL_CONFIG         0x14  /* device configuration without MSI-X; 0x18 with it */

#define VIRTIO_NO_VECTOR 0xFFFF

struct vp {
	struct pci_dev pci;
	int modern;
	int msix;
	/* Modern: the regions the capabilities describe. */
	volatile uint8_t *common, *isr, *devcfg, *notify;
	uint32_t notify_mult;
	volatile uint16_t *queue_notify[4]; /* per queue, found at set-up */
	/* Legacy: I/O BAR 0. */
	uint16_t io;
	/* MSI-X table (in a memory BAR), its size. */
	volatile uint32_t *msix_table;
	int msix_size;
};

/* Find the regions of the chosen interface and enable I/O, memory and bus mastering. Returns 0, or
   prints what is missing and returns -1. */
int vp_open(struct vp *v, const struct pci_dev *d, int modern);
void vp_set_status(struct vp *v, uint8_t s);
uint8_t vp_get_status(struct vp *v);
/* 64 feature bits (legacy: 32). */
uint64_t vp_device_features(struct vp *v);
void vp_driver_features(struct vp *v, uint64_t f);
uint8_t vp_cfg8(struct vp *v, uint32_t off);
uint16_t vp_cfg16(struct vp *v, uint32_t off);
uint32_t vp_cfg32(struct vp *v, uint32_t off);
/* MSI-X: entry i sends vector vectors[i] to the local APIC with ID apic_id; enables MSI-X. */
int vp_msix_enable(struct vp *v, int n, const uint8_t *vectors, uint8_t apic_id);
/* Route configuration changes to MSI-X entry `entry` (VIRTIO_NO_VECTOR: none); returns the
   value read back (VIRTIO_NO_VECTOR if the device refused). */
uint16_t vp_config_vector(struct vp *v, uint16_t entry);
uint16_t vp_queue_max(struct vp *v, uint16_t q);
/* Set up queue q with `size` entries and the rings at desc/avail/used (legacy: the rings must be
   laid out from the page-aligned desc as the legacy interface fixes them, and size is the
   maximum); MSI-X entry `entry`. Returns the MSI-X entry read back, or 0 without MSI-X. */
uint16_t vp_queue_setup(struct vp *v, uint16_t q, uint16_t size, uint32_t desc, uint32_t avail, uint32_t used, uint16_t entry);
void vp_notify(struct vp *v, uint16_t q);
/* Read (and so clear) the ISR: bit 0 queue, bit 1 configuration change. */
uint8_t vp_isr(struct vp *v);

#endif
