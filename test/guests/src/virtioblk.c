/*
 * virtioblk: a virtio-blk driver. Scans PCI bus 0 for 1AF4:1042 (modern) or 1AF4:1001
 * (transitional), drives it through the interface and interrupt the command line names, and checks
 * every request type: reads (one buffer, scattered, 64 KiB), writes, FLUSH, GET_ID, WRITE_ZEROES
 * (with and without UNMAP), DISCARD, sixteen requests in flight at once, the error statuses (past
 * the end, partial sectors, unknown types and flags, too many segments) and, on a read-only disk,
 * that writes and write-zeroes fail with IOERR (a discard is OK and changes nothing). Every write is
 * undone at the end, so the disk image is unchanged.
 *
 * Command line: mode=modern|legacy irq=msix|intx indirect=0|1 event_idx=0|1 (defaults modern,
 * msix, 1, 1). The disk is test/guests/disk/make-disk.mjs's image (2048 sectors, a pattern that
 * names each sector), serial GODWITDISK0123456789. README-virtio.md has QEMU's command lines; the
 * expected outputs are QEMU's (test/guests/expected/virtioblk-*.txt). Nothing printed depends on
 * timing, on the order requests complete in or on how many interrupts arrive.
 */
// qemu-skip: needs a disk image and -device virtio-blk-pci: run test/guests/disk/qemu-virtioblk.sh (README-virtio.md)
#include "sys.h"
#include "irqchip.h"
#include "pci.h"
#include "virtio-pci.h"
#include "virtq.h"

#define DISK_SECTORS 2048
#define SERIAL "GODWITDISK0123456789"
#define MAXREQ 24
#define MAXSEG 20
#define QSIZE_MODERN 128
#define VEC_CONFIG 0x51
#define VEC_QUEUE 0x52
#define VEC_INTX 0x53
#define MAX_WAITS 200000 /* 20 us alarms: 4 s of guest time */

/* virtio-blk */
#define BLK_F_RO 5
#define BLK_F_BLK_SIZE 6
#define BLK_F_SEG_MAX 2
#define BLK_F_FLUSH 9
#define BLK_F_DISCARD 13
#define BLK_F_WRITE_ZEROES 14
#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define T_DISCARD 11
#define T_WRITE_ZEROES 13
#define S_OK 0
#define S_IOERR 1
#define S_UNSUPP 2
#define S_NONE 0xAA /* what the driver puts in a status byte before submitting */

struct blk_hdr {
	uint32_t type, reserved;
	uint64_t sector;
} __attribute__((packed));

struct dwz_seg {
	uint64_t sector;
	uint32_t count, flags;
} __attribute__((packed));

static struct vp vp;
static struct virtq vq;
static int opt_modern = 1, opt_msix = 1, opt_indirect = 1, opt_event_idx = 1;
static int readonly;

static uint8_t ring_mem[16384] __attribute__((aligned(4096)));
static volatile struct vring_desc itables[MAXREQ][MAXSEG + 2] __attribute__((aligned(16)));
static struct blk_hdr hdrs[MAXREQ];
static volatile uint8_t statuses[MAXREQ];
static uint8_t bufs[MAXREQ][4096] __attribute__((aligned(4096)));
static uint8_t big[65536] __attribute__((aligned(4096)));
static struct dwz_seg segs[MAXREQ][2];
static volatile uint32_t used_lens[MAXREQ];
static int16_t head_slot[256];
static int nslots;
static volatile uint32_t completed, config_irqs, bogus_ids;
static int failures;

/* ---- command line ---- */

/* Whether the command line has key=value (whole words). */
static int cmdline_is(const struct multiboot_info *mbi, const char *key, const char *value)
{
	if (!mbi || !(mbi->flags & MB_INFO_CMDLINE) || !mbi->cmdline)
		return 0;
	const char *p = (const char *)(uintptr_t)mbi->cmdline;
	size_t kl = strlen(key), vl = strlen(value);
	for (;;) {
		while (*p == ' ')
			p++;
		if (!*p)
			return 0;
		if (strncmp(p, key, kl) == 0 && p[kl] == '=' && strncmp(p + kl + 1, value, vl) == 0 &&
		    (p[kl + 1 + vl] == ' ' || p[kl + 1 + vl] == 0))
			return 1;
		while (*p && *p != ' ')
			p++;
	}
}

/* ---- the disk pattern (make-disk.mjs writes the same) ---- */

static uint8_t pattern(uint32_t sector, uint32_t i)
{
	if (i < 4)
		return (uint8_t)(sector >> (8 * i));
	return (uint8_t)(sector * 7 + (sector >> 8) * 3 + i * 13);
}

/* The pattern of `count` sectors from `sector`, xor `x` (0: the disk's own). */
static void fill(uint8_t *p, uint32_t sector, uint32_t count, uint8_t x)
{
	for (uint32_t s = 0; s < count; s++)
		for (uint32_t i = 0; i < 512; i++)
			p[s * 512 + i] = (uint8_t)(pattern(sector + s, i) ^ x);
}

/* 1 if p holds the pattern of `count` sectors from `sector` xor x. */
static int check(const uint8_t *p, uint32_t sector, uint32_t count, uint8_t x)
{
	for (uint32_t s = 0; s < count; s++)
		for (uint32_t i = 0; i < 512; i++)
			if (p[s * 512 + i] != (uint8_t)(pattern(sector + s, i) ^ x))
				return 0;
	return 1;
}

static int all_zero(const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* ---- interrupts ---- */

static void drain(void)
{
	uint32_t id, len;
	while (virtq_take_used(&vq, &id, &len)) {
		int s = id < 256 ? head_slot[id] : -1;
		if (s < 0) {
			bogus_ids++;
			continue;
		}
		used_lens[s] = len;
		head_slot[id] = -1;
		completed++;
	}
}

static void queue_irq(struct frame *f)
{
	(void)f;
	if (!opt_msix && (vp_isr(&vp) & 2))
		config_irqs++;
	drain();
	lapic_eoi();
}

static void config_irq(struct frame *f)
{
	(void)f;
	config_irqs++;
	lapic_eoi();
}

/* ---- requests ---- */

/* Request slot s: header, then the data buffers (readable for OUT-like types, else writable),
   then the status byte. Data: n pieces of len/n bytes of p. */
static void request(int s, uint32_t type, uint64_t sector, void *p, uint32_t len, int n, int data_write)
{
	struct vbuf b[MAXSEG + 2];
	int k = 0;
	hdrs[s].type = type;
	hdrs[s].reserved = 0;
	hdrs[s].sector = sector;
	statuses[s] = S_NONE;
	used_lens[s] = 0xFFFFFFFFu;
	b[k++] = (struct vbuf){ &hdrs[s], sizeof(hdrs[s]), 0 };
	for (int i = 0; i < n; i++)
		b[k++] = (struct vbuf){ (uint8_t *)p + i * (len / n), len / n, data_write };
	b[k++] = (struct vbuf){ &statuses[s], 1, 1 };
	int head = opt_indirect ? virtq_chain_indirect(&vq, itables[s], b, k) : virtq_chain(&vq, b, k);
	if (head < 0) {
		printf("request %d: descriptor table full\n", s);
		exit(3);
	}
	head_slot[head] = (int16_t)s;
	virtq_add(&vq, (uint16_t)head);
	if (s + 1 > nslots)
		nslots = s + 1;
}

/* Submit slots [0, nslots) with one notification (if the device wants one) and wait for all. */
static int run_batch(void)
{
	uint32_t want = completed + (uint32_t)nslots;
	if (opt_event_idx)
		virtq_set_used_event(&vq, (uint16_t)(vq.last_used + nslots - 1));
	if (virtq_publish(&vq))
		vp_notify(&vp, 0);
	int ok = wait_eq_hlt(&completed, want, MAX_WAITS);
	virtq_reset_batch(&vq);
	nslots = 0;
	if (!ok) {
		printf("timeout: %u of %u requests completed\n", completed, want);
		exit(4);
	}
	return ok;
}

static const char *sname(uint8_t s)
{
	switch (s) {
	case S_OK: return "OK";
	case S_IOERR: return "IOERR";
	case S_UNSUPP: return "UNSUPP";
	case S_NONE: return "none";
	default: return "bad";
	}
}

/* Print `what: <status> ok|FAIL` for one request expected to end with `want`. */
static int expect(const char *what, int s, uint8_t want)
{
	int good = statuses[s] == want;
	printf("%s: %s %s\n", what, sname(statuses[s]), okfail(good));
	failures += !good;
	return good;
}

static void result(const char *what, int good)
{
	printf("%s: %s\n", what, okfail(good));
	failures += !good;
}

/* One request: data buffer p of len bytes in n pieces. */
static uint8_t one(uint32_t type, uint64_t sector, void *p, uint32_t len, int n, int data_write)
{
	request(0, type, sector, p, len, n, data_write);
	run_batch();
	return statuses[0];
}

static uint8_t read_sectors(uint32_t sector, void *p, uint32_t count, int n)
{
	return one(T_IN, sector, p, count * 512, n, 1);
}

static uint8_t write_sectors(uint32_t sector, void *p, uint32_t count, int n)
{
	return one(T_OUT, sector, p, count * 512, n, 0);
}

static uint8_t dwz(uint32_t type, int nsegs, uint64_t sector, uint32_t count, uint32_t flags)
{
	for (int i = 0; i < nsegs; i++) {
		segs[0][i].sector = sector + (uint64_t)i * (count + 8);
		segs[0][i].count = count;
		segs[0][i].flags = flags;
	}
	return one(type, 0, segs[0], (uint32_t)(16 * nsegs), 1, 0);
}


/* ---- set-up ---- */

static const struct { int bit; const char *name; } FEATURES[] = {
	{ VF_VERSION_1, "VERSION_1" }, { VF_INDIRECT_DESC, "INDIRECT_DESC" }, { VF_EVENT_IDX, "EVENT_IDX" },
	{ BLK_F_SEG_MAX, "SEG_MAX" }, { BLK_F_RO, "RO" }, { BLK_F_BLK_SIZE, "BLK_SIZE" }, { BLK_F_FLUSH, "FLUSH" },
	{ BLK_F_DISCARD, "DISCARD" }, { BLK_F_WRITE_ZEROES, "WRITE_ZEROES" },
};

static void print_features(const char *what, uint64_t f)
{
	printf("%s:", what);
	for (unsigned i = 0; i < sizeof(FEATURES) / sizeof(FEATURES[0]); i++)
		if (f & (1ull << FEATURES[i].bit))
			printf(" %s", FEATURES[i].name);
	printf("\n");
}

static void setup_interrupts(void)
{
	uint8_t apic = (uint8_t)lapic_id();
	if (opt_msix) {
		static const uint8_t vectors[2] = { VEC_CONFIG, VEC_QUEUE };
		set_handler(VEC_CONFIG, config_irq);
		set_handler(VEC_QUEUE, queue_irq);
		if (vp_msix_enable(&vp, 2, vectors, apic) < 0)
			exit(2);
		printf("msi-x: %d vectors, config vector %s\n", vp.msix_size >= 2 ? 2 : vp.msix_size,
		       vp_config_vector(&vp, 0) == 0 ? "0 ok" : "refused FAIL");
	} else {
		uint8_t line = pci_read8(&vp.pci, PCI_INTERRUPT_LINE);
		uint8_t pin = pci_read8(&vp.pci, PCI_INTERRUPT_PIN);
		set_handler(VEC_INTX, queue_irq);
		/* PCI INTx: level triggered, active low (MP table); the firmware's line is the GSI. */
		ioapic_set(line, IOA_LEVEL | IOA_ACTIVE_LOW | DM_FIXED | VEC_INTX, (uint32_t)apic << 24);
		printf("intx: pin INT%c, line routed through the IOAPIC %s\n", pin >= 1 && pin <= 4 ? 'A' + pin - 1 : '?',
		       okfail(pin >= 1 && pin <= 4 && line > 0 && line < 24));
	}
}

static void setup_device(void)
{
	vp_set_status(&vp, 0);
	result("reset: status reads 0", vp_get_status(&vp) == 0);
	vp_set_status(&vp, VS_ACKNOWLEDGE);
	vp_set_status(&vp, VS_ACKNOWLEDGE | VS_DRIVER);
	uint64_t offered = vp_device_features(&vp);
	print_features("features offered", offered);
	readonly = (offered >> BLK_F_RO) & 1;
	uint64_t want = (1ull << BLK_F_SEG_MAX) | (1ull << BLK_F_RO) | (1ull << BLK_F_BLK_SIZE) | (1ull << BLK_F_FLUSH) |
			(1ull << BLK_F_DISCARD) | (1ull << BLK_F_WRITE_ZEROES);
	if (opt_modern)
		want |= 1ull << VF_VERSION_1;
	if (opt_indirect)
		want |= 1ull << VF_INDIRECT_DESC;
	if (opt_event_idx)
		want |= 1ull << VF_EVENT_IDX;
	uint64_t accepted = offered & want;
	if (opt_indirect && !(accepted & (1ull << VF_INDIRECT_DESC)))
		opt_indirect = 0;
	if (opt_event_idx && !(accepted & (1ull << VF_EVENT_IDX)))
		opt_event_idx = 0;
	vp_driver_features(&vp, accepted);
	print_features("features accepted", accepted);
	if (opt_modern) {
		vp_set_status(&vp, VS_ACKNOWLEDGE | VS_DRIVER | VS_FEATURES_OK);
		result("FEATURES_OK kept", (vp_get_status(&vp) & VS_FEATURES_OK) != 0);
	}
	setup_interrupts();
	uint16_t max = vp_queue_max(&vp, 0);
	uint16_t size = opt_modern && max > QSIZE_MODERN ? QSIZE_MODERN : max;
	printf("queue 0: max size %u, using %u\n", max, size);
	if (size == 0 || virtq_bytes(size) > sizeof(ring_mem)) {
		puts("queue size unusable");
		exit(2);
	}
	virtq_init(&vq, size, ring_mem, opt_event_idx);
	uint16_t vec = vp_queue_setup(&vp, 0, size, virtq_desc_addr(&vq), virtq_avail_addr(&vq), virtq_used_addr(&vq), 1);
	if (opt_msix)
		result("queue vector 1 accepted", vec == 1);
	for (int i = 0; i < 256; i++)
		head_slot[i] = -1;
	vp_set_status(&vp, (uint8_t)(VS_ACKNOWLEDGE | VS_DRIVER | (opt_modern ? VS_FEATURES_OK : 0) | VS_DRIVER_OK));
	printf("capacity %u sectors, blk_size %u, seg_max %u\n", vp_cfg32(&vp, 0), vp_cfg32(&vp, 20), vp_cfg32(&vp, 12));
	printf("discard: max %u sectors, %u segment(s), alignment %u\n", vp_cfg32(&vp, 36), vp_cfg32(&vp, 40), vp_cfg32(&vp, 44));
	printf("write zeroes: max %u sectors, %u segment(s), may unmap %u\n", vp_cfg32(&vp, 48), vp_cfg32(&vp, 52), vp_cfg8(&vp, 56));
	printf("read-only: %s\n", readonly ? "yes" : "no");
}

/* ---- tests ---- */

static void test_reads(void)
{
	static uint8_t id[32];
	memset(id, 0, sizeof(id));
	one(T_GET_ID, 0, id, 20, 1, 1);
	printf("get_id: \"%s\" %s\n", (char *)id, okfail(statuses[0] == S_OK && memcmp(id, SERIAL, 20) == 0));
	result("get_id used length 21", used_lens[0] == 21);
	result("read sector 0", read_sectors(0, bufs[0], 1, 1) == S_OK && check(bufs[0], 0, 1, 0));
	result("read sectors 100-107 into 8 buffers", read_sectors(100, bufs[1], 8, 8) == S_OK && check(bufs[1], 100, 8, 0));
	result("read used length 4097", used_lens[0] == 4097);
	result("read 64 KiB from sector 1024 in 16 pieces", read_sectors(1024, big, 128, 16) == S_OK && check(big, 1024, 128, 0));
	result("read the last sector", read_sectors(DISK_SECTORS - 1, bufs[0], 1, 1) == S_OK && check(bufs[0], DISK_SECTORS - 1, 1, 0));
}

static void test_writes(void)
{
	fill(bufs[2], 200, 4, 0x5A);
	result("write sectors 200-203 in 2 pieces", write_sectors(200, bufs[2], 4, 2) == S_OK);
	memset(bufs[3], 0, 2048);
	result("read back sectors 200-203", read_sectors(200, bufs[3], 4, 1) == S_OK && check(bufs[3], 200, 4, 0x5A));
	result("flush", one(T_FLUSH, 0, 0, 0, 0, 0) == S_OK);
	result("write zeroes sectors 300-315", dwz(T_WRITE_ZEROES, 1, 300, 16, 0) == S_OK);
	result("write zeroes sectors 316-319 with UNMAP", dwz(T_WRITE_ZEROES, 1, 316, 4, 1) == S_OK);
	memset(bufs[4], 0xFF, 4096);
	result("read back zeroes 296-303", read_sectors(296, bufs[4], 8, 1) == S_OK && check(bufs[4], 296, 4, 0) && all_zero(bufs[4] + 2048, 2048));
	memset(big, 0xFF, 8192);
	result("read back zeroes 312-327", read_sectors(312, big, 16, 2) == S_OK && all_zero(big, 4096) && check(big + 4096, 320, 8, 0));
	result("discard sectors 400-431", dwz(T_DISCARD, 1, 400, 32, 0) == S_OK);
}

/* Sixteen requests at once: eight writes and eight reads, then the writes read back. */
static void test_in_flight(void)
{
	for (int i = 0; i < 8; i++) {
		fill(bufs[i], 500 + (uint32_t)i, 1, (uint8_t)(0x10 + i));
		request(i, T_OUT, 500 + (uint64_t)i, bufs[i], 512, 1, 0);
	}
	for (int i = 0; i < 8; i++) {
		memset(bufs[8 + i], 0, 1024);
		request(8 + i, T_IN, 600 + 2 * (uint64_t)i, bufs[8 + i], 1024, 2, 1);
	}
	run_batch();
	int good = 1;
	for (int i = 0; i < 16; i++)
		good &= statuses[i] == S_OK;
	for (int i = 0; i < 8; i++)
		good &= check(bufs[8 + i], 600 + 2 * (uint32_t)i, 2, 0);
	result("16 requests in flight: 8 writes, 8 reads", good);
	for (int i = 0; i < 8; i++) {
		memset(bufs[i], 0, 512);
		request(i, T_IN, 500 + (uint64_t)i, bufs[i], 512, 1, 1);
	}
	run_batch();
	good = 1;
	for (int i = 0; i < 8; i++)
		good &= statuses[i] == S_OK && check(bufs[i], 500 + (uint32_t)i, 1, (uint8_t)(0x10 + i));
	result("8 reads in flight see the 8 writes", good);
	if (opt_event_idx)
		result("avail_event follows the available index", virtq_avail_event(&vq) == vq.avail_idx);
}

static void test_errors(void)
{
	read_sectors(DISK_SECTORS - 1, bufs[0], 2, 1);
	expect("read past the end", 0, S_IOERR);
	one(T_IN, 0, bufs[0], 511, 1, 1);
	expect("read of 511 bytes", 0, S_IOERR);
	one(T_IN, 1ull << 40, bufs[0], 512, 1, 1);
	expect("read of sector 2^40", 0, S_IOERR);
	write_sectors(DISK_SECTORS, bufs[0], 1, 1);
	expect("write past the end", 0, S_IOERR);
	one(0x63, 0, bufs[0], 512, 1, 1);
	expect("unknown type 0x63", 0, S_UNSUPP);
	dwz(T_DISCARD, 1, 0, 1, 1);
	expect("discard with UNMAP", 0, S_UNSUPP);
	dwz(T_WRITE_ZEROES, 1, 0, 1, 2);
	expect("write zeroes with an unknown flag", 0, S_UNSUPP);
	dwz(T_DISCARD, 2, 0, 1, 0);
	expect("discard of 2 segments", 0, S_UNSUPP);
	dwz(T_DISCARD, 1, DISK_SECTORS - 4, 8, 0);
	expect("discard past the end", 0, S_IOERR);
	dwz(T_WRITE_ZEROES, 1, DISK_SECTORS, 1, 0);
	expect("write zeroes past the end", 0, S_IOERR);
}

static void test_readonly(void)
{
	fill(bufs[0], 200, 1, 0x33);
	write_sectors(200, bufs[0], 1, 1);
	expect("write to the read-only disk", 0, S_IOERR);
	dwz(T_WRITE_ZEROES, 1, 200, 1, 0);
	expect("write zeroes on the read-only disk", 0, S_IOERR);
	/* A discard is a hint: QEMU (discard=ignore, its default) answers OK and changes nothing. */
	dwz(T_DISCARD, 1, 200, 1, 0);
	expect("discard on the read-only disk", 0, S_OK);
	result("flush on the read-only disk", one(T_FLUSH, 0, 0, 0, 0, 0) == S_OK);
	result("sector 200 unchanged", read_sectors(200, bufs[1], 1, 1) == S_OK && check(bufs[1], 200, 1, 0));
}

/* Put back what the writes changed, so the image is the same after every run. */
static void restore_disk(void)
{
	static const uint32_t ranges[][2] = { { 200, 4 }, { 300, 20 }, { 500, 8 } };
	int good = 1;
	for (unsigned i = 0; i < 3; i++) {
		fill(big, ranges[i][0], ranges[i][1], 0);
		good &= write_sectors(ranges[i][0], big, ranges[i][1], 1) == S_OK;
	}
	good &= one(T_FLUSH, 0, 0, 0, 0, 0) == S_OK;
	result("disk restored", good);
}

int main(unsigned magic, struct multiboot_info *mbi)
{
	(void)magic;
	serial_init();
	sys_init();
	pic_remap(0x20, 0x28); /* every 8259 line masked */
	lapic_setup();
	for (int pin = 0; pin < 24; pin++)
		ioapic_set(pin, IOA_MASKED, 0);
	cli();
	opt_modern = !cmdline_is(mbi, "mode", "legacy");
	opt_msix = !cmdline_is(mbi, "irq", "intx");
	opt_indirect = !cmdline_is(mbi, "indirect", "0");
	opt_event_idx = !cmdline_is(mbi, "event_idx", "0");
	printf("virtioblk: mode=%s irq=%s indirect=%d event_idx=%d\n", opt_modern ? "modern" : "legacy", opt_msix ? "msix" : "intx",
	       opt_indirect, opt_event_idx);
	static const uint16_t ids[] = { 0x1042, 0x1001 };
	struct pci_dev d;
	if (!pci_find(VIRTIO_VENDOR, ids, 2, &d)) {
		puts("no virtio-blk device");
		return 2;
	}
	puts("virtio-blk found");
	if (vp_open(&vp, &d, opt_modern) < 0)
		return 2;
	setup_device();
	test_reads();
	if (readonly) {
		test_readonly();
	} else {
		test_writes();
		test_in_flight();
		test_errors();
		restore_disk();
	}
	result("no configuration interrupt, no unknown used id", config_irqs == 0 && bogus_ids == 0);
	uint8_t st = vp_get_status(&vp);
	result("device status DRIVER_OK without NEEDS_RESET", (st & VS_DRIVER_OK) && !(st & (VS_NEEDS_RESET | VS_FAILED)));
	vp_set_status(&vp, 0);
	result("reset at the end", vp_get_status(&vp) == 0);
	printf("virtioblk done: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}
