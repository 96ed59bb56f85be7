/*
 * dbgtrap: debug registers armed and disarmed by MOV DRn in the middle of straight-line code. The
 * architecture makes a MOV to DR7 (or DR0-DR3) take effect from the next instruction, so the access
 * right after it must trap, whatever the emulator's batches or a restore do. Each round arms a
 * breakpoint, touches the watched variable at once, and disarms it; the #DB handler counts hits per
 * DR6 bit and checks that the trap came right after the access (its EIP is the next instruction).
 * Rounds cover: data write (R/W 01) and read/write (R/W 11) breakpoints of 1, 2 and 4 bytes in each
 * of DR0-DR3, an access that misses the watched bytes, and an execute breakpoint (R/W 00) on the
 * next instruction after MOV DR7 (a fault before it runs, resumed with RF).
 */
#include "sys.h"

static volatile uint32_t var[4] __attribute__((aligned(16)));
static volatile uint32_t hits[4], misplaced, total;
static volatile uint32_t expect_eip;

static void db_handler(struct frame *f)
{
	uint32_t dr6;
	__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
	for (int n = 0; n < 4; n++)
		if (dr6 & (1u << n)) hits[n]++;
	if (f->eip != expect_eip) misplaced++;
	total++;
	uint32_t z = 0;
	__asm__ volatile("mov %0, %%dr6" : : "r"(z));
	f->eflags |= EFL_RF;  /* an execute breakpoint must not fire again on return */
}

static void set_dr(int n, uint32_t addr)
{
	switch (n) {
	case 0: __asm__ volatile("mov %0, %%dr0" : : "r"(addr)); break;
	case 1: __asm__ volatile("mov %0, %%dr1" : : "r"(addr)); break;
	case 2: __asm__ volatile("mov %0, %%dr2" : : "r"(addr)); break;
	default: __asm__ volatile("mov %0, %%dr3" : : "r"(addr)); break;
	}
}

/* Arm DR7 = dr7, store to *p at once, disarm. expect_eip is the instruction after the store. */
static void arm_write(uint32_t dr7, volatile uint32_t *p, uint32_t v)
{
	__asm__ volatile(
		"movl $1f, expect_eip\n\t"
		"mov %0, %%dr7\n\t"
		"movl %2, (%1)\n"
		"1:\n\t"
		"mov %3, %%dr7"
		: : "r"(dr7), "r"(p), "r"(v), "r"(0u) : "memory");
}

/* Arm DR7 = dr7, load from *p at once, disarm; returns the value read. */
static uint32_t arm_read(uint32_t dr7, volatile uint32_t *p)
{
	uint32_t v;
	__asm__ volatile(
		"movl $1f, expect_eip\n\t"
		"mov %1, %%dr7\n\t"
		"movl (%2), %0\n"
		"1:\n\t"
		"mov %3, %%dr7"
		: "=&r"(v) : "r"(dr7), "r"(p), "r"(0u) : "memory");
	return v;
}

/* An execute breakpoint on the instruction right after MOV DR7: a fault with EIP = that instruction. */
static void arm_exec(void)
{
	uint32_t dr7 = 0x00000001u;  /* L0, R/W 00, LEN 00 */
	__asm__ volatile(
		"movl $1f, %%eax\n\t"
		"movl %%eax, expect_eip\n\t"
		"mov %%eax, %%dr0\n\t"
		"mov %0, %%dr7\n"
		"1:\n\t"
		"nop\n\t"
		"mov %1, %%dr7"
		: : "r"(dr7), "r"(0u) : "eax", "memory");
}

int main(unsigned magic, struct multiboot_info *mbi)
{
	uint32_t rounds = cmdline_uint(magic, mbi, "rounds", 200);
	sys_init();
	set_handler(1, db_handler);
	uint32_t want[4] = {0, 0, 0, 0}, want_total = 0;
	for (uint32_t r = 0; r < rounds; r++) {
		int n = (int)(r & 3);
		uint32_t len = (r >> 2) % 3;                 /* LEN 00, 01, 11: 1, 2, 4 bytes */
		uint32_t lenbits = len == 2 ? 3u : len;
		uint32_t rw = (r >> 4) & 1 ? 3u : 1u;          /* write, or read/write */
		uint32_t dr7 = (1u << (n * 2)) | (((lenbits << 2) | rw) << (16 + n * 4));
		set_dr(n, (uint32_t)&var[n]);
		arm_write(dr7, &var[n], r);
		want[n]++, want_total++;
		if (rw == 3) {
			(void)arm_read(dr7, &var[n]);
			want[n]++, want_total++;
		}
		/* An access beside the watched bytes must not trap. */
		arm_write(dr7, &var[(n + 1) & 3], r);
		if ((r & 7) == 0) {
			arm_exec();
			want[0]++, want_total++;
		}
	}
	printf("dbgtrap: %u rounds\n", rounds);
	for (int n = 0; n < 4; n++) printf("  DR%d hits %u of %u\n", n, hits[n], want[n]);
	printf("  traps %u of %u, at the wrong instruction %u\n", total, want_total, misplaced);
	return 0;
}
