/*
 * The disk check: a pattern written to /dev/vda (64 KiB, or 4 MiB in bench mode), fsync and sync,
 * the device reopened and its buffer cache dropped (BLKFLSBUF), the data read back and compared.
 */
#include "checks.h"

#define TEST_DISK_BYTES (64u * 1024)
#define BENCH_DISK_BYTES (4u * 1024 * 1024)
#define CHUNK (64u * 1024)

static uint32_t chunk[CHUNK / 4];

/* The disk pattern: a word per 4-byte offset, from a multiplicative hash of the offset. */
static uint32_t pattern_word(uint32_t index)
{
	uint32_t x = index * 0x9e3779b1u + 0x7f4a7c15u;
	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	x ^= x >> 12;
	return x;
}

/* FNV-1a over 32-bit words. */
static uint32_t checksum_words(uint32_t sum, const uint32_t *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sum ^= w[i];
		sum *= 16777619u;
	}
	return sum;
}

void disk_test(void)
{
	uint32_t bytes = bench ? BENCH_DISK_BYTES : TEST_DISK_BYTES;
	long fd = sys_open("/dev/vda", O_RDWR, 0);
	if (fd == -ENOENT || fd == -ENXIO || fd == -ENODEV) {
		out_str("init: disk: /dev/vda not present, skipped\n");
		return;
	}
	if (fd < 0) {
		fail("open /dev/vda", fd);
		return;
	}
	uint64_t size = 0;
	long r = syscall3(SYS_ioctl, fd, BLKGETSIZE64, &size);
	if (r < 0) {
		fail("BLKGETSIZE64", r);
		sys_close((int)fd);
		return;
	}
	out_str("init: disk: /dev/vda, ");
	out_udec((uint32_t)(size >> 9));
	out_str(" sectors\n");
	if (size < bytes) {
		bytes = (uint32_t)size & ~(CHUNK - 1);
		if (bytes == 0) {
			fail("disk smaller than 64 KiB", (long)size);
			sys_close((int)fd);
			return;
		}
	}

	uint32_t t0 = now_us();
	uint32_t sum = 2166136261u;
	for (uint32_t off = 0; off < bytes; off += CHUNK) {
		for (uint32_t i = 0; i < CHUNK / 4; i++)
			chunk[i] = pattern_word(off / 4 + i);
		sum = checksum_words(sum, chunk, CHUNK / 4);
		r = write_all((int)fd, chunk, CHUNK);
		if (r < 0) {
			fail("write /dev/vda", r);
			sys_close((int)fd);
			return;
		}
	}
	r = syscall1(SYS_fsync, fd);
	if (r < 0)
		fail("fsync /dev/vda", r);
	syscall0(SYS_sync);
	sys_close((int)fd);
	uint32_t t1 = now_us();

	/* Reopen and drop the buffer cache so the data comes back from the device. */
	fd = sys_open("/dev/vda", O_RDONLY, 0);
	if (fd < 0) {
		fail("reopen /dev/vda", fd);
		return;
	}
	r = syscall2(SYS_ioctl, fd, BLKFLSBUF);
	if (r < 0)
		fail("BLKFLSBUF", r);
	uint32_t back = 2166136261u;
	uint32_t bad_words = 0;
	for (uint32_t off = 0; off < bytes; off += CHUNK) {
		memset(chunk, 0, CHUNK);
		r = read_all((int)fd, chunk, CHUNK);
		if (r != (long)CHUNK) {
			fail("read /dev/vda", r);
			sys_close((int)fd);
			return;
		}
		for (uint32_t i = 0; i < CHUNK / 4; i++)
			if (chunk[i] != pattern_word(off / 4 + i))
				bad_words++;
		back = checksum_words(back, chunk, CHUNK / 4);
	}
	sys_close((int)fd);
	uint32_t t2 = now_us();

	out_str("init: disk: wrote ");
	out_udec(bytes / 1024);
	out_str(" KiB, checksum ");
	out_hex(sum, 8);
	out_str("; read back ");
	out_hex(back, 8);
	out_str(bad_words == 0 ? ": ok\n" : ": MISMATCH\n");
	if (bad_words != 0)
		fail("disk words differ", (long)bad_words);
	out_str("init~ disk: write+sync ");
	out_udec(t1 - t0);
	out_str(" us, read ");
	out_udec(t2 - t1);
	out_str(" us\n");
}
