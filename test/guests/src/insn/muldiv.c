/*
 * MUL and IMUL (one-operand 8/16/32, two-operand 16/32 register and memory, three-operand with
 * imm8 and imm16/32), DIV and IDIV 8/16/32 (dividends built as q*d+r so nothing faults).
 * After MUL/IMUL only CF and OF are defined; after DIV/IDIV no flag is.
 */
#include "report.h"

#define F_MUL (F_CF | F_OF)

/* One-operand forms: returns the low half, *hi the high half (AH, DX, EDX). */
static uint32_t mul1(int bits, int sign, uint32_t a, uint32_t b, uint32_t fin, uint32_t *hi, uint32_t *fo)
{
	uint32_t lo, h = 0, f;
	switch (bits * 2 + sign) {
	case 16:
		__asm__ volatile(FLAGS_IN "mulb %b[b]" FLAGS_OUT : "+a"(a), [fo] "=&r"(f) : [b] "q"(b), [fi] "r"(fin) : "cc");
		lo = a & 0xFF;
		h = (a >> 8) & 0xFF;
		break;
	case 17:
		__asm__ volatile(FLAGS_IN "imulb %b[b]" FLAGS_OUT : "+a"(a), [fo] "=&r"(f) : [b] "q"(b), [fi] "r"(fin) : "cc");
		lo = a & 0xFF;
		h = (a >> 8) & 0xFF;
		break;
	case 32:
		__asm__ volatile(FLAGS_IN "mulw %w[b]" FLAGS_OUT : "+a"(a), "=d"(h), [fo] "=&r"(f) : [b] "m"(b), [fi] "r"(fin) : "cc");
		lo = a;
		break;
	case 33:
		__asm__ volatile(FLAGS_IN "imulw %w[b]" FLAGS_OUT : "+a"(a), "=d"(h), [fo] "=&r"(f) : [b] "m"(b), [fi] "r"(fin) : "cc");
		lo = a;
		break;
	case 64:
		__asm__ volatile(FLAGS_IN "mull %k[b]" FLAGS_OUT : "+a"(a), "=d"(h), [fo] "=&r"(f) : [b] "r"(b), [fi] "r"(fin) : "cc");
		lo = a;
		break;
	default:
		__asm__ volatile(FLAGS_IN "imull %k[b]" FLAGS_OUT : "+a"(a), "=d"(h), [fo] "=&r"(f) : [b] "r"(b), [fi] "r"(fin) : "cc");
		lo = a;
		break;
	}
	*fo = f;
	*hi = h & wmask(bits);
	return lo & wmask(bits);
}

static uint32_t imul2(int bits, int mem, uint32_t a, uint32_t b, uint32_t fin, uint32_t *fo)
{
	uint32_t f;
	if (bits == 16) {
		if (mem)
			__asm__ volatile(FLAGS_IN "imulw %w[b], %w[a]" FLAGS_OUT : [a] "+r"(a), [fo] "=&r"(f) : [b] "m"(b), [fi] "r"(fin) : "cc");
		else
			__asm__ volatile(FLAGS_IN "imulw %w[b], %w[a]" FLAGS_OUT : [a] "+r"(a), [fo] "=&r"(f) : [b] "r"(b), [fi] "r"(fin) : "cc");
	} else {
		if (mem)
			__asm__ volatile(FLAGS_IN "imull %k[b], %k[a]" FLAGS_OUT : [a] "+r"(a), [fo] "=&r"(f) : [b] "m"(b), [fi] "r"(fin) : "cc");
		else
			__asm__ volatile(FLAGS_IN "imull %k[b], %k[a]" FLAGS_OUT : [a] "+r"(a), [fo] "=&r"(f) : [b] "r"(b), [fi] "r"(fin) : "cc");
	}
	*fo = f;
	return a;
}

/* Three-operand forms: d = b * imm; which picks the immediate. */
static uint32_t imul3(int bits, int which, uint32_t b, uint32_t fin, uint32_t *fo)
{
	uint32_t d = 0x5A5A5A5A, f;
	switch (bits * 4 + which) {
	case 64:
		__asm__ volatile(FLAGS_IN "imulw $-3, %w[b], %w[d]" FLAGS_OUT : [d] "+r"(d), [fo] "=&r"(f) : [b] "r"(b), [fi] "r"(fin) : "cc");
		break;
	case 65:
		__asm__ volatile(FLAGS_IN "imulw $0x1234, %w[b], %w[d]" FLAGS_OUT : [d] "+r"(d), [fo] "=&r"(f) : [b] "m"(b), [fi] "r"(fin) : "cc");
		break;
	case 66:
		__asm__ volatile(FLAGS_IN "imulw $0x7f, %w[b], %w[d]" FLAGS_OUT : [d] "+r"(d), [fo] "=&r"(f) : [b] "r"(b), [fi] "r"(fin) : "cc");
		break;
	case 128:
		__asm__ volatile(FLAGS_IN "imull $-3, %k[b], %k[d]" FLAGS_OUT : [d] "+r"(d), [fo] "=&r"(f) : [b] "r"(b), [fi] "r"(fin) : "cc");
		break;
	case 129:
		__asm__ volatile(FLAGS_IN "imull $0x12345, %k[b], %k[d]" FLAGS_OUT : [d] "+r"(d), [fo] "=&r"(f) : [b] "m"(b), [fi] "r"(fin) : "cc");
		break;
	default:
		__asm__ volatile(FLAGS_IN "imull $0x7f, %k[b], %k[d]" FLAGS_OUT : [d] "+r"(d), [fo] "=&r"(f) : [b] "r"(b), [fi] "r"(fin) : "cc");
		break;
	}
	*fo = f;
	/* 16-bit forms must keep the upper half of the destination */
	if (bits == 16 && (d >> 16) != 0x5A5A)
		mismatch("imul3upper", 16, b, (uint32_t)which);
	return d & wmask(bits);
}

static void test_mul(void)
{
	static const char *const names[2] = { "mul", "imul" };
	for (int sign = 0; sign < 2; sign++) {
		for (int wi = 0; wi < 3; wi++) {
			int bits = 8 << wi, w = hexw(bits);
			const uint32_t *v = wi == 0 ? vals8 : wi == 1 ? vals16 : vals32;
			unsigned n = wi == 0 ? nvals8 : wi == 1 ? nvals16 : nvals32;
			for (unsigned i = 0; i < n; i++) {
				for (unsigned j = 0; j < n; j++) {
					uint32_t h0, h1, f0, f1;
					uint32_t l0 = mul1(bits, sign, v[i], v[j], FIN0, &h0, &f0);
					uint32_t l1 = mul1(bits, sign, v[i], v[j], FIN1, &h1, &f1);
					printf("%s%d %0*x,%0*x = %0*x:%0*x f=%04x/%04x\n", names[sign], bits, w, v[i], w,
					       v[j], w, h0, w, l0, f0 & F_MUL, f1 & F_MUL);
					if (h0 != h1 || l0 != l1)
						mismatch(names[sign], bits, v[i], v[j]);
				}
			}
		}
	}
	for (int wi = 1; wi < 3; wi++) {
		int bits = 8 << wi, w = hexw(bits);
		const uint32_t *v = wi == 1 ? vals16 : vals32;
		unsigned n = wi == 1 ? nvals16 : nvals32;
		for (unsigned i = 0; i < n; i++) {
			for (unsigned j = 0; j < n; j++) {
				struct res2 r, rm;
				r.r[0] = imul2(bits, 0, v[i], v[j], FIN0, &r.f[0]);
				r.r[1] = imul2(bits, 0, v[i], v[j], FIN1, &r.f[1]);
				rm.r[0] = imul2(bits, 1, v[i], v[j], FIN0, &rm.f[0]);
				rm.r[1] = imul2(bits, 1, v[i], v[j], FIN1, &rm.f[1]);
				pr2("imul2_", bits, v[i], v[j], &r, F_MUL);
				if (!res_eq(&r, &rm, bits, F_MUL))
					mismatch("imul2m", bits, v[i], v[j]);
			}
		}
		for (int which = 0; which < 3; which++) {
			for (unsigned j = 0; j < n; j++) {
				struct res2 r;
				r.r[0] = imul3(bits, which, v[j], FIN0, &r.f[0]);
				r.r[1] = imul3(bits, which, v[j], FIN1, &r.f[1]);
				printf("imul3_%d_%d %0*x", which, bits, w, v[j]);
				pr_tail(bits, &r, F_MUL);
			}
		}
	}
}

/* DIV/IDIV of hi:lo by d at `bits` (the dividend is 2*bits wide). */
static void divide(int bits, int sign, uint32_t hi, uint32_t lo, uint32_t d, uint32_t *q, uint32_t *r)
{
	uint32_t a, dx;
	switch (bits * 2 + sign) {
	case 16:
		a = (hi << 8) | lo;
		__asm__ volatile("divb %b[d]" : "+a"(a) : [d] "q"(d) : "cc");
		*q = a & 0xFF;
		*r = (a >> 8) & 0xFF;
		break;
	case 17:
		a = (hi << 8) | lo;
		__asm__ volatile("idivb %b[d]" : "+a"(a) : [d] "q"(d) : "cc");
		*q = a & 0xFF;
		*r = (a >> 8) & 0xFF;
		break;
	case 32:
		a = lo;
		dx = hi;
		__asm__ volatile("divw %w[d]" : "+a"(a), "+d"(dx) : [d] "m"(d) : "cc");
		*q = a & 0xFFFF;
		*r = dx & 0xFFFF;
		break;
	case 33:
		a = lo;
		dx = hi;
		__asm__ volatile("idivw %w[d]" : "+a"(a), "+d"(dx) : [d] "r"(d) : "cc");
		*q = a & 0xFFFF;
		*r = dx & 0xFFFF;
		break;
	case 64:
		a = lo;
		dx = hi;
		__asm__ volatile("divl %k[d]" : "+a"(a), "+d"(dx) : [d] "r"(d) : "cc");
		*q = a;
		*r = dx;
		break;
	default:
		a = lo;
		dx = hi;
		__asm__ volatile("idivl %k[d]" : "+a"(a), "+d"(dx) : [d] "m"(d) : "cc");
		*q = a;
		*r = dx;
		break;
	}
}

static int64_t sext(uint32_t v, int bits)
{
	return bits == 32 ? (int64_t)(int32_t)v : bits == 16 ? (int64_t)(int16_t)v : (int64_t)(int8_t)v;
}

static void test_div(void)
{
	static const char *const names[2] = { "div", "idiv" };
	for (int sign = 0; sign < 2; sign++) {
		for (int wi = 0; wi < 3; wi++) {
			int bits = 8 << wi, w = hexw(bits);
			uint32_t m = wmask(bits);
			const uint32_t *dv = wi == 0 ? vals8 : wi == 1 ? vals16 : vals32;
			unsigned nd = wi == 0 ? nvals8 : wi == 1 ? nvals16 : nvals32;
			const uint32_t *qv = wi == 0 ? svals8 : wi == 1 ? svals16 : svals32;
			unsigned nq = wi == 0 ? nsvals8 : wi == 1 ? nsvals16 : nsvals32;
			for (unsigned i = 0; i < nd; i++) {
				uint32_t d = dv[i];
				if (d == 0)
					continue;
				for (unsigned j = 0; j < nq; j++) {
					for (int rk = 0; rk < 2; rk++) {
						uint64_t dividend;
						if (!sign) {
							uint64_t rem = rk ? d - 1 : 0;
							dividend = (uint64_t)qv[j] * d + rem;
						} else {
							int64_t sq = sext(qv[j], bits), sd = sext(d, bits);
							int64_t prod = sq * sd;
							int64_t ad = sd < 0 ? -sd : sd;
							int64_t rem = rk ? ad - 1 : 0;
							dividend = (uint64_t)(prod < 0 ? prod - rem : prod + rem);
						}
						uint32_t lo = (uint32_t)dividend & m;
						uint32_t hi = (uint32_t)(dividend >> bits) & m;
						uint32_t q, r;
						divide(bits, sign, hi, lo, d, &q, &r);
						printf("%s%d %0*x:%0*x/%0*x = %0*x,%0*x\n", names[sign], bits, w, hi, w, lo, w, d,
						       w, q, w, r);
					}
				}
			}
		}
	}
	/* the most negative quotient is representable */
	uint32_t q, r;
	divide(32, 1, 0xFFFFFFFF, 0x80000000, 1, &q, &r);
	printf("idiv32 ffffffff:80000000/00000001 = %08x,%08x\n", q, r);
	divide(16, 1, 0xFFFF, 0x8000, 1, &q, &r);
	printf("idiv16 ffff:8000/0001 = %04x,%04x\n", q, r);
	divide(8, 1, 0xFF, 0x80, 1, &q, &r);
	printf("idiv8 ff:80/01 = %02x,%02x\n", q, r);
	divide(32, 1, 0x3FFFFFFF, 0xFFFFFFFF, 0x80000000, &q, &r);
	printf("idiv32 3fffffff:ffffffff/80000000 = %08x,%08x\n", q, r);
}

void test_muldiv(void)
{
	puts("# muldiv");
	test_mul();
	test_div();
}
