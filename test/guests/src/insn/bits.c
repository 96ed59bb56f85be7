/*
 * Bit instructions: BSF BSR (16/32, register and memory source), BT BTS BTR BTC (register
 * forms with register and immediate offsets; memory forms with register offsets beyond the dword
 * and negative, and immediate offsets), BSWAP. After BT* only CF is defined and ZF is unaffected;
 * after BSF/BSR only ZF, and the destination is undefined for a zero source.
 */
#include "report.h"

#define F_BT (F_CF | F_ZF)

static uint32_t bsx(int op, int bits, uint32_t a, uint32_t fin, uint32_t *fo)
{
	uint32_t d = 0xCCCCCCCC, f, am = a;
	switch (op * 64 + bits) {
	case 16:
		__asm__ volatile(FLAGS_IN "bsfw %w[a], %w[d]" FLAGS_OUT : [d] "+r"(d), [fo] "=&r"(f) : [a] "r"(a), [fi] "r"(fin) : "cc");
		break;
	case 32:
		__asm__ volatile(FLAGS_IN "bsfl %k[a], %k[d]" FLAGS_OUT : [d] "+r"(d), [fo] "=&r"(f) : [a] "m"(am), [fi] "r"(fin) : "cc");
		break;
	case 80:
		__asm__ volatile(FLAGS_IN "bsrw %w[a], %w[d]" FLAGS_OUT : [d] "+r"(d), [fo] "=&r"(f) : [a] "m"(am), [fi] "r"(fin) : "cc");
		break;
	default:
		__asm__ volatile(FLAGS_IN "bsrl %k[a], %k[d]" FLAGS_OUT : [d] "+r"(d), [fo] "=&r"(f) : [a] "r"(a), [fi] "r"(fin) : "cc");
		break;
	}
	*fo = f;
	return d;
}

static void test_bsx(void)
{
	static const char *const names[2] = { "bsf", "bsr" };
	static const uint32_t extra[] = { 0x00010000, 0x00100100, 0x40000000, 0x00000300, 0x8000 };
	for (int op = 0; op < 2; op++) {
		for (int bits = 16; bits <= 32; bits += 16) {
			for (unsigned i = 0; i < nvals32 + 5; i++) {
				uint32_t a = (i < nvals32 ? vals32[i] : extra[i - nvals32]) & wmask(bits);
				uint32_t f0, f1;
				uint32_t d0 = bsx(op, bits, a, FIN0, &f0);
				uint32_t d1 = bsx(op, bits, a, FIN1, &f1);
				printf("%s%d %0*x = ", names[op], bits, hexw(bits), a);
				if (a == 0)
					printf("-");
				else
					printf("%0*x", hexw(bits), d0 & wmask(bits));
				printf(" f=%04x/%04x\n", f0 & F_ZF, f1 & F_ZF);
				if (a != 0 && d0 != d1)
					mismatch(names[op], bits, a, 0);
				if (bits == 16 && a != 0 && (d0 >> 16) != 0xCCCC)
					mismatch("bsxupper", bits, a, 0);
			}
		}
	}
}

/* BT/BTS/BTR/BTC register destination with register offset. op: 0 bt 1 bts 2 btr 3 btc. */
static uint32_t btreg(int op, int bits, uint32_t a, uint32_t off, uint32_t fin, uint32_t *fo)
{
	uint32_t f;
	switch (op * 64 + bits) {
	case 16: __asm__ volatile(FLAGS_IN "btw %w[o], %w[a]" FLAGS_OUT : [a] "+r"(a), [fo] "=&r"(f) : [o] "r"(off), [fi] "r"(fin) : "cc"); break;
	case 32: __asm__ volatile(FLAGS_IN "btl %k[o], %k[a]" FLAGS_OUT : [a] "+r"(a), [fo] "=&r"(f) : [o] "r"(off), [fi] "r"(fin) : "cc"); break;
	case 80: __asm__ volatile(FLAGS_IN "btsw %w[o], %w[a]" FLAGS_OUT : [a] "+r"(a), [fo] "=&r"(f) : [o] "r"(off), [fi] "r"(fin) : "cc"); break;
	case 96: __asm__ volatile(FLAGS_IN "btsl %k[o], %k[a]" FLAGS_OUT : [a] "+r"(a), [fo] "=&r"(f) : [o] "r"(off), [fi] "r"(fin) : "cc"); break;
	case 144: __asm__ volatile(FLAGS_IN "btrw %w[o], %w[a]" FLAGS_OUT : [a] "+r"(a), [fo] "=&r"(f) : [o] "r"(off), [fi] "r"(fin) : "cc"); break;
	case 160: __asm__ volatile(FLAGS_IN "btrl %k[o], %k[a]" FLAGS_OUT : [a] "+r"(a), [fo] "=&r"(f) : [o] "r"(off), [fi] "r"(fin) : "cc"); break;
	case 208: __asm__ volatile(FLAGS_IN "btcw %w[o], %w[a]" FLAGS_OUT : [a] "+r"(a), [fo] "=&r"(f) : [o] "r"(off), [fi] "r"(fin) : "cc"); break;
	default: __asm__ volatile(FLAGS_IN "btcl %k[o], %k[a]" FLAGS_OUT : [a] "+r"(a), [fo] "=&r"(f) : [o] "r"(off), [fi] "r"(fin) : "cc"); break;
	}
	*fo = f;
	return a;
}

/* Immediate-offset register forms, compared against btreg. */
static uint32_t btimm(int op, uint32_t a, uint32_t fin, uint32_t *fo)
{
	uint32_t f;
	switch (op) {
	case 0: __asm__ volatile(FLAGS_IN "btl $35, %k[a]" FLAGS_OUT : [a] "+r"(a), [fo] "=&r"(f) : [fi] "r"(fin) : "cc"); break;
	case 1: __asm__ volatile(FLAGS_IN "btsl $35, %k[a]" FLAGS_OUT : [a] "+r"(a), [fo] "=&r"(f) : [fi] "r"(fin) : "cc"); break;
	case 2: __asm__ volatile(FLAGS_IN "btrl $35, %k[a]" FLAGS_OUT : [a] "+r"(a), [fo] "=&r"(f) : [fi] "r"(fin) : "cc"); break;
	default: __asm__ volatile(FLAGS_IN "btcw $19, %w[a]" FLAGS_OUT : [a] "+r"(a), [fo] "=&r"(f) : [fi] "r"(fin) : "cc"); break;
	}
	*fo = f;
	return a;
}

static const char *const btnames[4] = { "bt", "bts", "btr", "btc" };

static void test_bt_reg(void)
{
	static const uint32_t offs[] = { 0, 1, 5, 15, 16, 17, 31, 32, 33, 100, 0xFFFFFFFF, 0x80000003 };
	static const uint32_t av[] = { 0x00000000, 0xFFFFFFFF, 0x12345678, 0x80000001 };
	for (int op = 0; op < 4; op++) {
		for (int bits = 16; bits <= 32; bits += 16) {
			for (unsigned i = 0; i < 4; i++) {
				for (unsigned k = 0; k < sizeof(offs) / sizeof(offs[0]); k++) {
					struct res2 r;
					uint32_t a = av[i] & wmask(bits);
					r.r[0] = btreg(op, bits, a, offs[k], FIN0, &r.f[0]);
					r.r[1] = btreg(op, bits, a, offs[k], FIN1, &r.f[1]);
					printf("%s%d %0*x,%08x", btnames[op], bits, hexw(bits), a, offs[k]);
					pr_tail(bits, &r, F_BT);
				}
			}
		}
		for (unsigned i = 0; i < 4; i++) {
			struct res2 r, e;
			int bits = op == 3 ? 16 : 32;
			uint32_t a = av[i] & wmask(bits);
			r.r[0] = btimm(op, a, FIN0, &r.f[0]);
			r.r[1] = btimm(op, a, FIN1, &r.f[1]);
			e.r[0] = btreg(op, bits, a, op == 3 ? 19 : 35, FIN0, &e.f[0]);
			e.r[1] = btreg(op, bits, a, op == 3 ? 19 : 35, FIN1, &e.f[1]);
			if (!res_eq(&r, &e, bits, F_BT))
				mismatch(btnames[op], bits, a, 0x1111);
		}
	}
}

static uint32_t bitbuf[16];
static uint32_t bitbuf_inv;  /* BTS runs on the inverted pattern so that it has bits to set */

static uint32_t bitbuf_orig(unsigned i)
{
	return (0x01234567u * (i + 1)) ^ 0xA5A5A5A5u ^ bitbuf_inv;
}

static void bitbuf_fill(int op)
{
	bitbuf_inv = op == 1 ? 0xFFFFFFFFu : 0;
	for (unsigned i = 0; i < 16; i++)
		bitbuf[i] = bitbuf_orig(i);
}

/* Memory forms with a register offset relative to &bitbuf[8]; imm != 0 uses `btx $imm, mem`. */
static uint32_t btmem(int op, int bits, uint32_t off, uint32_t fin)
{
	uint32_t f;
	uint32_t *p = &bitbuf[8];
	switch (op * 64 + bits) {
	case 16: __asm__ volatile(FLAGS_IN "btw %w[o], (%[p])" FLAGS_OUT : [fo] "=&r"(f) : [o] "r"(off), [p] "r"(p), [fi] "r"(fin) : "cc", "memory"); break;
	case 32: __asm__ volatile(FLAGS_IN "btl %k[o], (%[p])" FLAGS_OUT : [fo] "=&r"(f) : [o] "r"(off), [p] "r"(p), [fi] "r"(fin) : "cc", "memory"); break;
	case 80: __asm__ volatile(FLAGS_IN "btsw %w[o], (%[p])" FLAGS_OUT : [fo] "=&r"(f) : [o] "r"(off), [p] "r"(p), [fi] "r"(fin) : "cc", "memory"); break;
	case 96: __asm__ volatile(FLAGS_IN "btsl %k[o], (%[p])" FLAGS_OUT : [fo] "=&r"(f) : [o] "r"(off), [p] "r"(p), [fi] "r"(fin) : "cc", "memory"); break;
	case 144: __asm__ volatile(FLAGS_IN "btrw %w[o], (%[p])" FLAGS_OUT : [fo] "=&r"(f) : [o] "r"(off), [p] "r"(p), [fi] "r"(fin) : "cc", "memory"); break;
	case 160: __asm__ volatile(FLAGS_IN "btrl %k[o], (%[p])" FLAGS_OUT : [fo] "=&r"(f) : [o] "r"(off), [p] "r"(p), [fi] "r"(fin) : "cc", "memory"); break;
	case 208: __asm__ volatile(FLAGS_IN "btcw %w[o], (%[p])" FLAGS_OUT : [fo] "=&r"(f) : [o] "r"(off), [p] "r"(p), [fi] "r"(fin) : "cc", "memory"); break;
	default: __asm__ volatile(FLAGS_IN "btcl %k[o], (%[p])" FLAGS_OUT : [fo] "=&r"(f) : [o] "r"(off), [p] "r"(p), [fi] "r"(fin) : "cc", "memory"); break;
	}
	return f;
}

static uint32_t btmemimm(int op, uint32_t fin)
{
	uint32_t f;
	uint32_t *p = &bitbuf[8];
	switch (op) {
	case 0: __asm__ volatile(FLAGS_IN "btl $36, (%[p])" FLAGS_OUT : [fo] "=&r"(f) : [p] "r"(p), [fi] "r"(fin) : "cc", "memory"); break;
	case 1: __asm__ volatile(FLAGS_IN "btsw $20, (%[p])" FLAGS_OUT : [fo] "=&r"(f) : [p] "r"(p), [fi] "r"(fin) : "cc", "memory"); break;
	case 2: __asm__ volatile(FLAGS_IN "btrl $63, 4(%[p])" FLAGS_OUT : [fo] "=&r"(f) : [p] "r"(p), [fi] "r"(fin) : "cc", "memory"); break;
	default: __asm__ volatile(FLAGS_IN "btcl $7, -4(%[p])" FLAGS_OUT : [fo] "=&r"(f) : [p] "r"(p), [fi] "r"(fin) : "cc", "memory"); break;
	}
	return f;
}

/* Prints CF results and which dwords of bitbuf changed. */
static void bitbuf_report(uint32_t f)
{
	printf(" f=%04x", f & F_BT);
	int any = 0;
	for (unsigned i = 0; i < 16; i++) {
		if (bitbuf[i] != bitbuf_orig(i)) {
			printf(" [%d]=%08x", (int)i - 8, bitbuf[i]);
			any = 1;
		}
	}
	if (!any)
		printf(" -");
	putchar('\n');
}

static void test_bt_mem(void)
{
	static const uint32_t offs[] = {
		0, 5, 31, 32, 33, 63, 100, 255, 0xFFFFFFFF, 0xFFFFFFE0, 0xFFFFFFDF, 0xFFFFFF38, 0xFFFFFF00,
	};
	for (int op = 0; op < 4; op++) {
		for (int bits = 16; bits <= 32; bits += 16) {
			for (unsigned k = 0; k < sizeof(offs) / sizeof(offs[0]); k++) {
				bitbuf_fill(op);
				uint32_t f = btmem(op, bits, offs[k], (k & 1) ? FIN1 : FIN0);
				printf("%sm%d %08x", btnames[op], bits, offs[k]);
				bitbuf_report(f);
			}
		}
		bitbuf_fill(op);
		uint32_t f = btmemimm(op, (op & 1) ? FIN1 : FIN0);
		printf("%smi", btnames[op]);
		bitbuf_report(f);
	}
}

static void test_bswap(void)
{
	for (unsigned i = 0; i < nvals32; i++) {
		uint32_t a = vals32[i], b = vals32[i];
		__asm__ volatile("bswap %0" : "+r"(a));
		__asm__ volatile("bswap %%eax" : "+a"(b));
		printf("bswap %08x = %08x\n", vals32[i], a);
		if (a != b)
			mismatch("bswap", 32, vals32[i], b);
	}
}

void test_bits(void)
{
	puts("# bits");
	test_bsx();
	test_bt_reg();
	test_bt_mem();
	test_bswap();
}
