/*
 * virtq: driver side of a split virtqueue. See virtq.h.
 */
#include "virtq.h"

static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }

uint32_t virtq_bytes(uint16_t size)
{
	uint32_t avail_end = 16u * size + 6u + 2u * size;
	uint32_t used = (avail_end + 4095u) & ~4095u;
	return used + 6u + 8u * size;
}

void virtq_init(struct virtq *q, uint16_t size, void *mem, int event_idx)
{
	uint8_t *m = mem;
	memset(m, 0, virtq_bytes(size));
	q->size = size;
	q->desc = (volatile struct vring_desc *)m;
	q->avail = (volatile uint16_t *)(m + 16u * size);
	q->used = (volatile uint32_t *)(m + ((16u * size + 6u + 2u * size + 4095u) & ~4095u));
	q->avail_idx = q->kicked_idx = q->last_used = q->next_free = 0;
	q->event_idx = event_idx;
}

uint32_t virtq_desc_addr(const struct virtq *q) { return (uint32_t)(uintptr_t)q->desc; }
uint32_t virtq_avail_addr(const struct virtq *q) { return (uint32_t)(uintptr_t)q->avail; }
uint32_t virtq_used_addr(const struct virtq *q) { return (uint32_t)(uintptr_t)q->used; }

void virtq_reset_batch(struct virtq *q) { q->next_free = 0; }

static void put(volatile struct vring_desc *d, const struct vbuf *b, uint16_t next, int more)
{
	d->addr = (uint32_t)(uintptr_t)b->addr;
	d->len = b->len;
	d->flags = (uint16_t)((b->write ? VRING_DESC_F_WRITE : 0) | (more ? VRING_DESC_F_NEXT : 0));
	d->next = next;
}

int virtq_chain(struct virtq *q, const struct vbuf *b, int n)
{
	if (n < 1 || q->next_free + n > q->size)
		return -1;
	uint16_t head = q->next_free;
	for (int i = 0; i < n; i++)
		put(&q->desc[head + i], &b[i], (uint16_t)(head + i + 1), i < n - 1);
	q->next_free = (uint16_t)(q->next_free + n);
	return head;
}

int virtq_chain_indirect(struct virtq *q, volatile struct vring_desc *table, const struct vbuf *b, int n)
{
	if (n < 1 || q->next_free + 1 > q->size)
		return -1;
	for (int i = 0; i < n; i++)
		put(&table[i], &b[i], (uint16_t)(i + 1), i < n - 1);
	uint16_t head = q->next_free++;
	q->desc[head].addr = (uint32_t)(uintptr_t)table;
	q->desc[head].len = 16u * (uint32_t)n;
	q->desc[head].flags = VRING_DESC_F_INDIRECT;
	q->desc[head].next = 0;
	return head;
}

void virtq_add(struct virtq *q, uint16_t head)
{
	q->avail[2 + q->avail_idx % q->size] = head;
	q->avail_idx++;
}

int virtq_publish(struct virtq *q)
{
	barrier();
	q->avail[1] = q->avail_idx;
	barrier();
	uint16_t old = q->kicked_idx, now = q->avail_idx;
	q->kicked_idx = now;
	if (q->event_idx) {
		uint16_t ev = (uint16_t)q->used[1 + 2 * q->size];
		return (uint16_t)(now - ev - 1) < (uint16_t)(now - old);
	}
	return !(q->used[0] & 1);
}

int virtq_take_used(struct virtq *q, uint32_t *id, uint32_t *len)
{
	barrier();
	if ((uint16_t)(q->used[0] >> 16) == q->last_used)
		return 0;
	barrier();
	volatile uint32_t *e = q->used + 1 + 2 * (q->last_used % q->size);
	*id = e[0];
	*len = e[1];
	q->last_used++;
	return 1;
}

void virtq_set_used_event(struct virtq *q, uint16_t idx) { q->avail[2 + q->size] = idx; }
void virtq_set_avail_flags(struct virtq *q, uint16_t flags) { q->avail[0] = flags; }
uint16_t virtq_used_idx(const struct virtq *q) { return (uint16_t)(q->used[0] >> 16); }
uint16_t virtq_avail_event(const struct virtq *q) { return (uint16_t)q->used[1 + 2 * q->size]; }
