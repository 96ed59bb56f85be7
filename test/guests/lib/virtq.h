/*
 * virtq: the driver side of a split virtqueue (virtio 1.2 section 2.7): descriptor allocation in
 * batches, direct and indirect chains, the available ring with EVENT_IDX notification
 * suppression, and the used ring. The rings are laid out as the legacy interface requires (the
 * available ring right after the table, the used ring on the next 4 KiB boundary), which the
 * modern interface accepts too.
 */
#ifndef VIRTQ_H
#define VIRTQ_H

#include "libg.h"

#define VRING_DESC_F_NEXT     1
#define VRING_DESC_F_WRITE    2
#define VRING_DESC_F_INDIRECT 4
#define VRING_AVAIL_F_NO_INTERRUPT 1

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
} __attribute__((packed));

/* A buffer of a chain: address, length, device-writable. */
struct vbuf {
	const volatile void *addr;
	uint32_t len;
	int write;
};

struct virtq {
	uint16_t size;
	volatile struct vring_desc *desc;
	volatile uint16_t *avail; /* flags, idx, ring[size], used_event */
	volatile uint32_t *used;  /* flags | idx << 16, then {id, len} pairs, then avail_event */
	uint16_t avail_idx;       /* next available index the driver will publish */
	uint16_t kicked_idx;      /* avail_idx at the last notification decision */
	uint16_t last_used;       /* next used index the driver will read */
	uint16_t next_free;       /* next descriptor of the current batch */
	int event_idx;
};

/* Bytes of ring memory a queue of `size` needs (4 KiB aligned memory). */
uint32_t virtq_bytes(uint16_t size);
void virtq_init(struct virtq *q, uint16_t size, void *mem, int event_idx);
uint32_t virtq_desc_addr(const struct virtq *q);
uint32_t virtq_avail_addr(const struct virtq *q);
uint32_t virtq_used_addr(const struct virtq *q);
/* Start a new batch of chains (all earlier ones must be used). */
void virtq_reset_batch(struct virtq *q);
/* Put a chain of n buffers in the table; returns its head, or -1 if the table is full. */
int virtq_chain(struct virtq *q, const struct vbuf *b, int n);
/* Put n buffers in `table` (n descriptors) and one INDIRECT descriptor in the table. */
int virtq_chain_indirect(struct virtq *q, volatile struct vring_desc *table, const struct vbuf *b, int n);
/* Make a head available (the index is published by virtq_publish). */
void virtq_add(struct virtq *q, uint16_t head);
/* Publish the new available index; returns 1 if the device must be notified (EVENT_IDX:
   vring_need_event on avail_event, else unless the device set NO_NOTIFY). */
int virtq_publish(struct virtq *q);
/* Take the next used element: 1 and its id and length, or 0 if there is none. */
int virtq_take_used(struct virtq *q, uint32_t *id, uint32_t *len);
/* EVENT_IDX: ask for an interrupt when the used index passes `idx`. */
void virtq_set_used_event(struct virtq *q, uint16_t idx);
/* avail.flags (NO_INTERRUPT without EVENT_IDX). */
void virtq_set_avail_flags(struct virtq *q, uint16_t flags);
uint16_t virtq_used_idx(const struct virtq *q);
uint16_t virtq_avail_event(const struct virtq *q);

#endif
