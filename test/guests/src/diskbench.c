/*
 * diskbench: a virtio-blk benchmark driver. Finds 1AF4:1042 (modern) or 1AF4:1001 (transitional) on
 * PCI bus 0, keeps `depth` requests in flight (each completion is refilled at once), and runs the
 * phases its command line names, printing a line on COM1 before and after each so that a host can
 * time the phase by its own clock:
 *
 *   phase randread begin depth=16 size=4096
 *   phase randread end ops=64 bytes=262144 tsc=123456 blank=0
 *
 * `tsc` is the phase's TSC difference (virtual ns under godwit, whose TSC counts virtual time).
 *
 * Phases: randread, randwrite (4 KiB at offsets from a seeded xorshift32 PRNG, 4 KiB aligned,
 * within `span` MiB), seqread, seqwrite (`seqmib` MiB in 1 MiB requests from sector 0, wrapping
 * at the span), fill (`fill` MiB written in 1 MiB requests from sector 0: makes an overlay of that
 * size). A 1 MiB request is split into as few 4 KiB-multiple segments as seg_max allows.
 *
 * Data: each written sector starts with its sector number (32 bits) and 'GDWT'; the rest of it is
 * what the buffer held (stamping two words keeps the guest's share of the work small). A read
 * checks the first word of every sector: its own sector number (the virtioblk test disk's pattern
 * starts the same way), or, for a sector never written on a fresh sparse image, zeros (counted as
 * `blank`). Anything else is a failure, as is a status other than OK: the first few are printed,
 * and the run ends with exit(1) after the last phase.
 *
 * Command line (defaults): mode=modern|legacy (modern) irq=msix|intx (msix) depth=N (16, at most
 * 32) ops=N (64) seqmib=N (1) fill=N (0) span=MiB (the whole disk) seed=N (1)
 * phases=a,b,... (randread,randwrite,seqread,seqwrite) idle=0|1 (0: exit at the end; 1: stay
 * halted after the `diskbench done` line, for a host to save the machine). Buffers come from the
 * RAM above the image, so the sequential depth is cut to what fits (a 4 MiB machine gets 2
 * requests of 1 MiB).
 */
// qemu-skip: needs a disk image and -device virtio-blk-pci (bench/sections/disk.ts runs it under QEMU)
#include "sys.h"
#include "irqchip.h"
#include "pci.h"
#include "virtio-pci.h"
#include "virtq.h"

#define MAXSLOT 32
#define QSIZE 256
#define SEQ_BYTES (1u << 20)
#define RAND_BYTES 4096u
#define VEC_CONFIG 0x51
#define VEC_QUEUE 0x52
#define VEC_INTX 0x53
#define VEC_ALARM 0x54
#define ALARM_TICKS 1000000u /* local APIC timer counts (divide by 1) per alarm */
#define MAX_ALARMS 2000u      /* alarms in a row without a completion: the device is stuck */
#define MAGIC 0x54574447u     /* 'GDWT' */

#define BLK_F_SEG_MAX 2
#define T_IN 0
#define T_OUT 1
#define S_OK 0
#define S_NONE 0xAA

struct blk_hdr {
	uint32_t type, reserved;
	uint64_t sector;
} __attribute__((packed));

static struct vp vp;
static struct virtq vq;
static int opt_modern = 1, opt_msix = 1;
static uint8_t ring_mem[16384] __attribute__((aligned(4096)));
static volatile struct vring_desc itables[MAXSLOT][QSIZE] __attribute__((aligned(16)));
static struct blk_hdr hdrs[MAXSLOT];
static volatile uint8_t statuses[MAXSLOT];
static uint32_t slot_sector[MAXSLOT];
static uint8_t *heap, *heap_end;
static uint32_t capacity, seg_max;
static uint32_t failures, blank;
static volatile uint32_t config_irqs;

/* ---- command line ---- */

/* The value of key=... copied into out (at most n - 1 characters); 0 if absent. */
static int cmdline_str(const struct multiboot_info *mbi, const char *key, char *out, size_t n)
{
	if (!mbi || !(mbi->flags & MB_INFO_CMDLINE) || !mbi->cmdline)
		return 0;
	const char *p = (const char *)(uintptr_t)mbi->cmdline;
	size_t kl = strlen(key);
	for (;;) {
		while (*p == ' ')
			p++;
		if (!*p)
			return 0;
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			size_t i = 0;
			for (p += kl + 1; *p && *p != ' ' && i + 1 < n; p++)
				out[i++] = *p;
			out[i] = 0;
			return 1;
		}
		while (*p && *p != ' ')
			p++;
	}
}

/* ---- interrupts ---- */

static void queue_irq(struct frame *f)
{
	(void)f;
	if (!opt_msix)
		vp_isr(&vp); /* reading the ISR lowers the INTx line */
	lapic_eoi();
}

static void config_irq(struct frame *f)
{
	(void)f;
	config_irqs++;
	lapic_eoi();
}

static void alarm_irq(struct frame *f)
{
	(void)f;
	lapic_eoi();
}

/* Halt until the used ring has an entry; the local APIC timer is an alarm against a lost
   interrupt. Exits with status 4 if nothing completes for MAX_ALARMS alarms. */
static void wait_used(void)
{
	for (uint32_t i = 0; virtq_used_idx(&vq) == vq.last_used; i++) {
		if (i == MAX_ALARMS) {
			printf("timeout: no request completed (%u in the used ring)\n", virtq_used_idx(&vq));
			exit(4);
		}
		lapic_write(LAPIC_TMICT, ALARM_TICKS);
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	}
	lapic_write(LAPIC_TMICT, 0);
}

/* ---- the data ---- */

static void stamp(uint8_t *buf, uint32_t sector, uint32_t bytes)
{
	for (uint32_t off = 0; off < bytes; off += 512) {
		uint32_t *w = (uint32_t *)(buf + off);
		w[0] = sector + off / 512;
		w[1] = MAGIC;
	}
}

static int verify(const uint8_t *buf, uint32_t sector, uint32_t bytes)
{
	int good = 1;
	for (uint32_t off = 0; off < bytes; off += 512) {
		const uint32_t *w = (const uint32_t *)(buf + off);
		uint32_t s = sector + off / 512;
		if (w[0] == s)
			continue;
		if (w[0] == 0 && w[1] == 0)
			blank++;
		else
			good = 0;
	}
	return good;
}

/* ---- a phase ---- */

struct phase {
	const char *name;
	int write;
	uint32_t bytes; /* per request */
	uint32_t ops;
	int random;
};

static uint32_t rng = 1;

static uint32_t xorshift32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* Queue slot s's request: header, `bytes` of data at buf in segments, status. */
static void submit(int s, int write, uint32_t sector, uint8_t *buf, uint32_t bytes)
{
	uint32_t pages = bytes / 4096;
	uint32_t per = (pages + seg_max - 1) / seg_max; /* pages per segment */
	uint32_t seglen = per * 4096;
	volatile struct vring_desc *t = itables[s];
	int k = 0;
	hdrs[s].type = write ? T_OUT : T_IN;
	hdrs[s].reserved = 0;
	hdrs[s].sector = sector;
	statuses[s] = S_NONE;
	slot_sector[s] = sector;
	t[k].addr = (uint32_t)(uintptr_t)&hdrs[s];
	t[k].len = sizeof(hdrs[s]);
	t[k].flags = VRING_DESC_F_NEXT;
	t[k].next = (uint16_t)(k + 1);
	k++;
	for (uint32_t off = 0; off < bytes; off += seglen) {
		uint32_t n = bytes - off < seglen ? bytes - off : seglen;
		t[k].addr = (uint32_t)(uintptr_t)(buf + off);
		t[k].len = n;
		t[k].flags = (uint16_t)(VRING_DESC_F_NEXT | (write ? 0 : VRING_DESC_F_WRITE));
		t[k].next = (uint16_t)(k + 1);
		k++;
	}
	t[k].addr = (uint32_t)(uintptr_t)&statuses[s];
	t[k].len = 1;
	t[k].flags = VRING_DESC_F_WRITE;
	t[k].next = 0;
	k++;
	/* Slot s always owns descriptor s of the table: one INDIRECT descriptor. */
	vq.desc[s].addr = (uint32_t)(uintptr_t)t;
	vq.desc[s].len = 16u * (uint32_t)k;
	vq.desc[s].flags = VRING_DESC_F_INDIRECT;
	vq.desc[s].next = 0;
	virtq_add(&vq, (uint16_t)s);
}

static void run_phase(const struct phase *p, uint32_t depth, uint32_t span_sectors)
{
	uint32_t room = (uint32_t)(heap_end - heap) / p->bytes;
	if (depth > room)
		depth = room;
	if (depth > MAXSLOT)
		depth = MAXSLOT;
	uint32_t spb = p->bytes / 512; /* sectors per request */
	uint32_t positions = span_sectors / spb;
	if (depth == 0 || positions == 0) {
		printf("phase %s: %s\n", p->name, depth == 0 ? "no room for a buffer" : "span smaller than a request");
		failures++;
		return;
	}
	int free_slots[MAXSLOT];
	int nfree = 0;
	for (int s = (int)depth - 1; s >= 0; s--)
		free_slots[nfree++] = s;
	uint32_t seq = 0, submitted = 0, done = 0, bad = 0;
	uint32_t blank0 = blank;
	printf("phase %s begin depth=%u size=%u\n", p->name, depth, p->bytes);
	uint64_t t0 = rdtsc();
	while (done < p->ops) {
		while (submitted < p->ops && nfree > 0) {
			int s = free_slots[--nfree];
			uint32_t at = p->random ? xorshift32() % positions : seq++ % positions;
			uint8_t *buf = heap + (uint32_t)s * p->bytes;
			if (p->write)
				stamp(buf, at * spb, p->bytes);
			submit(s, p->write, at * spb, buf, p->bytes);
			submitted++;
		}
		if (virtq_publish(&vq))
			vp_notify(&vp, 0);
		wait_used();
		uint32_t id, len;
		while (virtq_take_used(&vq, &id, &len)) {
			if (id >= depth) {
				printf("phase %s: unknown used id %u\n", p->name, id);
				exit(1);
			}
			int s = (int)id;
			if (statuses[s] != S_OK || (!p->write && !verify(heap + (uint32_t)s * p->bytes, slot_sector[s], p->bytes))) {
				if (bad++ < 4)
					printf("phase %s: sector %u: status %u%s\n", p->name, slot_sector[s], statuses[s],
					       statuses[s] == S_OK ? ", data FAIL" : "");
			}
			free_slots[nfree++] = s;
			done++;
		}
	}
	uint64_t t1 = rdtsc();
	printf("phase %s end ops=%u bytes=%llu tsc=%llu blank=%u\n", p->name, done, (unsigned long long)done * p->bytes,
	       (unsigned long long)(t1 - t0), blank - blank0);
	failures += bad;
}

/* ---- set-up ---- */

static void setup_device(void)
{
	vp_set_status(&vp, 0);
	vp_set_status(&vp, VS_ACKNOWLEDGE);
	vp_set_status(&vp, VS_ACKNOWLEDGE | VS_DRIVER);
	uint64_t offered = vp_device_features(&vp);
	if (!(offered & (1ull << VF_INDIRECT_DESC))) {
		puts("the device offers no INDIRECT_DESC");
		exit(2);
	}
	uint64_t want = (1ull << VF_INDIRECT_DESC) | (1ull << BLK_F_SEG_MAX) | (opt_modern ? 1ull << VF_VERSION_1 : 0);
	vp_driver_features(&vp, offered & want);
	if (opt_modern) {
		vp_set_status(&vp, VS_ACKNOWLEDGE | VS_DRIVER | VS_FEATURES_OK);
		if (!(vp_get_status(&vp) & VS_FEATURES_OK)) {
			puts("FEATURES_OK refused");
			exit(2);
		}
	}
	uint8_t apic = (uint8_t)lapic_id();
	if (opt_msix) {
		static const uint8_t vectors[2] = { VEC_CONFIG, VEC_QUEUE };
		set_handler(VEC_CONFIG, config_irq);
		set_handler(VEC_QUEUE, queue_irq);
		if (vp_msix_enable(&vp, 2, vectors, apic) < 0)
			exit(2);
		vp_config_vector(&vp, 0);
	} else {
		uint8_t line = pci_read8(&vp.pci, PCI_INTERRUPT_LINE);
		set_handler(VEC_INTX, queue_irq);
		ioapic_set(line, IOA_LEVEL | IOA_ACTIVE_LOW | DM_FIXED | VEC_INTX, (uint32_t)apic << 24);
	}
	uint16_t max = vp_queue_max(&vp, 0);
	uint16_t size = opt_modern && max > QSIZE ? QSIZE : max;
	if (size < MAXSLOT || size > QSIZE || virtq_bytes(size) > sizeof(ring_mem)) {
		printf("queue size %u unusable\n", size);
		exit(2);
	}
	virtq_init(&vq, size, ring_mem, 0);
	vp_queue_setup(&vp, 0, size, virtq_desc_addr(&vq), virtq_avail_addr(&vq), virtq_used_addr(&vq), 1);
	vp_set_status(&vp, (uint8_t)(VS_ACKNOWLEDGE | VS_DRIVER | (opt_modern ? VS_FEATURES_OK : 0) | VS_DRIVER_OK));
	capacity = vp_cfg32(&vp, 0);
	seg_max = (offered >> BLK_F_SEG_MAX) & 1 ? vp_cfg32(&vp, 12) : 1;
	if (seg_max == 0 || seg_max > size - 2u)
		seg_max = size - 2u;
	set_handler(VEC_ALARM, alarm_irq);
	lapic_write(LAPIC_TDCR, 0xB);
	lapic_write(LAPIC_LVT_TIMER, VEC_ALARM);
}

int main(unsigned magic, struct multiboot_info *mbi)
{
	serial_init();
	sys_init();
	pic_remap(0x20, 0x28);
	lapic_setup();
	for (int pin = 0; pin < 24; pin++)
		ioapic_set(pin, IOA_MASKED, 0);
	cli();
	char mode[16] = "modern", irq[16] = "msix", phases[128] = "randread,randwrite,seqread,seqwrite";
	cmdline_str(mbi, "mode", mode, sizeof(mode));
	cmdline_str(mbi, "irq", irq, sizeof(irq));
	cmdline_str(mbi, "phases", phases, sizeof(phases));
	opt_modern = strcmp(mode, "legacy") != 0;
	opt_msix = strcmp(irq, "intx") != 0;
	uint32_t depth = cmdline_uint(magic, mbi, "depth", 16);
	uint32_t ops = cmdline_uint(magic, mbi, "ops", 64);
	uint32_t seqmib = cmdline_uint(magic, mbi, "seqmib", 1);
	uint32_t fill = cmdline_uint(magic, mbi, "fill", 0);
	uint32_t span = cmdline_uint(magic, mbi, "span", 0);
	uint32_t idle = cmdline_uint(magic, mbi, "idle", 0);
	rng = cmdline_uint(magic, mbi, "seed", 1);
	if (rng == 0)
		rng = 1;
	if (depth < 1 || depth > MAXSLOT) {
		printf("depth=%u is not 1..%u\n", depth, MAXSLOT);
		return 2;
	}
	/* Buffers: from the first 1 MiB boundary above the image to the end of RAM (at most 3 GiB). */
	extern char __image_end[];
	uint32_t top = mbi && (mbi->flags & MB_INFO_MEMORY) ? 0x100000u + mbi->mem_upper * 1024u : 0x400000u;
	heap = (uint8_t *)(((uintptr_t)__image_end + 0xFFFFFu) & ~(uintptr_t)0xFFFFF);
	heap_end = (uint8_t *)(uintptr_t)(top > 0xC0000000u ? 0xC0000000u : top);
	if (heap_end < heap)
		heap_end = heap;
	printf("diskbench: mode=%s irq=%s depth=%u ops=%u seqmib=%u fill=%u seed=%u phases=%s\n", opt_modern ? "modern" : "legacy",
	       opt_msix ? "msix" : "intx", depth, ops, seqmib, fill, rng, phases);
	static const uint16_t ids[] = { 0x1042, 0x1001 };
	struct pci_dev d;
	if (!pci_find(VIRTIO_VENDOR, ids, 2, &d)) {
		puts("no virtio-blk device");
		return 2;
	}
	if (vp_open(&vp, &d, opt_modern) < 0)
		return 2;
	setup_device();
	uint32_t span_sectors = span && span * 2048u < capacity ? span * 2048u : capacity;
	printf("disk: %u sectors, seg_max %u, span %u sectors, %u KiB of buffers\n", capacity, seg_max, span_sectors,
	       (uint32_t)(heap_end - heap) / 1024);
	for (char *p = phases; *p;) {
		char *e = p;
		while (*e && *e != ',')
			e++;
		char saved = *e;
		*e = 0;
		struct phase ph = { p, 0, RAND_BYTES, ops, 1 };
		if (strcmp(p, "randread") == 0) {
		} else if (strcmp(p, "randwrite") == 0) {
			ph.write = 1;
		} else if (strcmp(p, "seqread") == 0 || strcmp(p, "seqwrite") == 0 || strcmp(p, "fill") == 0) {
			ph.write = p[0] != 's' || p[3] == 'w';
			ph.bytes = SEQ_BYTES;
			ph.ops = p[0] == 'f' ? fill : seqmib;
			ph.random = 0;
		} else {
			printf("unknown phase '%s'\n", p);
			return 2;
		}
		run_phase(&ph, depth, p[0] == 'f' ? capacity : span_sectors);
		*e = saved;
		p = saved ? e + 1 : e;
	}
	uint8_t st = vp_get_status(&vp);
	if (config_irqs || !(st & VS_DRIVER_OK) || (st & (VS_NEEDS_RESET | VS_FAILED))) {
		printf("device status 0x%x, %u configuration interrupt(s)\n", st, config_irqs);
		failures++;
	}
	vp_set_status(&vp, 0);
	printf("diskbench done: %u failure(s)\n", failures);
	/* idle=1: stay (halted, woken by the alarm) for the host to save the machine. */
	while (idle) {
		lapic_write(LAPIC_TMICT, ALARM_TICKS);
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	}
	return failures ? 1 : 0;
}
