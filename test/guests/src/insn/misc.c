/*
 * The rest: XCHG, CMPXCHG (8/16/32, equal and not, register and locked memory), XADD, CMPXCHG8B,
 * CBW CWDE CWD CDQ, MOVZX MOVSX, LOOP LOOPE LOOPNE (ECX and CX counters) JECXZ JCXZ, CLC STC CMC,
 * MOV with moffs, BOUND (in range), one-byte NOP forms (NOP, 66 NOP, XCHG EAX,EAX, PAUSE).
 */
#include "report.h"

static uint32_t mem32[4];

static void test_xchg(void)
{
	static const uint32_t a = 0x11223344, b = 0xAABBCCDD;
	uint32_t x, y;
	x = a, y = b;
	__asm__ volatile("xchgl %0, %1" : "+r"(x), "+r"(y));
	printf("xchg32 rr = %08x %08x\n", x, y);
	x = a, y = b;
	__asm__ volatile("xchgl %%eax, %%ecx" : "+a"(x), "+c"(y));
	printf("xchg32 eax = %08x %08x\n", x, y);
	x = a, y = b;
	__asm__ volatile("xchgw %%ax, %%dx" : "+a"(x), "+d"(y));
	printf("xchg16 ax = %08x %08x\n", x, y);
	x = a, y = b;
	__asm__ volatile("xchgb %b0, %h1" : "+q"(x), "+Q"(y));
	printf("xchg8 rr = %08x %08x\n", x, y);
	x = a, mem32[0] = b;
	__asm__ volatile("xchgl %0, %1" : "+r"(x), "+m"(mem32[0]));
	printf("xchg32 rm = %08x %08x\n", x, mem32[0]);
	x = a, mem32[0] = b;
	__asm__ volatile("xchgw %w0, %1" : "+r"(x), "+m"(mem32[0]));
	printf("xchg16 rm = %08x %08x\n", x, mem32[0]);
	x = a, mem32[0] = b;
	__asm__ volatile("xchgb %h0, 1+%1" : "+Q"(x), "+m"(mem32[0]));
	printf("xchg8 rm = %08x %08x\n", x, mem32[0]);
}

/* CMPXCHG: op 0..2 = 8/16/32 register, 3..5 = 8/16/32 locked memory. */
static uint32_t cmpxchg(int op, uint32_t *acc, uint32_t dst, uint32_t src, uint32_t fin, uint32_t *fo)
{
	uint32_t f, a = *acc;
	mem32[1] = dst;
	switch (op) {
	case 0: __asm__ volatile(FLAGS_IN "cmpxchgb %b[s], %b[d]" FLAGS_OUT : "+a"(a), [d] "+q"(dst), [fo] "=&r"(f) : [s] "q"(src), [fi] "r"(fin) : "cc"); break;
	case 1: __asm__ volatile(FLAGS_IN "cmpxchgw %w[s], %w[d]" FLAGS_OUT : "+a"(a), [d] "+r"(dst), [fo] "=&r"(f) : [s] "r"(src), [fi] "r"(fin) : "cc"); break;
	case 2: __asm__ volatile(FLAGS_IN "cmpxchgl %k[s], %k[d]" FLAGS_OUT : "+a"(a), [d] "+r"(dst), [fo] "=&r"(f) : [s] "r"(src), [fi] "r"(fin) : "cc"); break;
	case 3: __asm__ volatile(FLAGS_IN "lock cmpxchgb %b[s], %[d]" FLAGS_OUT : "+a"(a), [d] "+m"(mem32[1]), [fo] "=&r"(f) : [s] "q"(src), [fi] "r"(fin) : "cc"); break;
	case 4: __asm__ volatile(FLAGS_IN "lock cmpxchgw %w[s], %[d]" FLAGS_OUT : "+a"(a), [d] "+m"(mem32[1]), [fo] "=&r"(f) : [s] "r"(src), [fi] "r"(fin) : "cc"); break;
	default: __asm__ volatile(FLAGS_IN "lock cmpxchgl %k[s], %[d]" FLAGS_OUT : "+a"(a), [d] "+m"(mem32[1]), [fo] "=&r"(f) : [s] "r"(src), [fi] "r"(fin) : "cc"); break;
	}
	*fo = f;
	*acc = a;
	return op < 3 ? dst : mem32[1];
}

static void test_cmpxchg(void)
{
	static const uint32_t accs[] = { 0x12345678, 0x80008080, 0xFFFFFFFF, 0x00000000 };
	static const uint32_t dsts[] = { 0x12345678, 0x7FFF7F7F, 0xFFFFFFFF, 0x00000001 };
	for (int op = 0; op < 6; op++) {
		int bits = 8 << (op % 3);
		for (unsigned i = 0; i < 4; i++) {
			for (unsigned j = 0; j < 4; j++) {
				uint32_t a0 = accs[i] | 0x5A000000u, a1 = a0, f0, f1;
				uint32_t d0 = cmpxchg(op, &a0, dsts[j], 0xCAFEBABE, FIN0, &f0);
				uint32_t d1 = cmpxchg(op, &a1, dsts[j], 0xCAFEBABE, FIN1, &f1);
				printf("cmpxchg%d%s a=%08x d=%08x = a=%08x d=%08x f=%04x/%04x\n", bits, op < 3 ? "" : "m", accs[i] | 0x5A000000u,
				       dsts[j], a0, d0, f0 & F_ARITH, f1 & F_ARITH);
				if (a0 != a1 || d0 != d1)
					mismatch("cmpxchg", bits, accs[i], dsts[j]);
			}
		}
	}
}

static void test_xadd(void)
{
	for (int wi = 0; wi < 3; wi++) {
		int bits = 8 << wi;
		for (unsigned i = 0; i < nsvals32; i++) {
			for (unsigned j = 0; j < nsvals32; j++) {
				uint32_t d = svals32[i], s = svals32[j], f, dm, sm, fm;
				switch (wi) {
				case 0:
					__asm__ volatile(FLAGS_IN "xaddb %b[s], %b[d]" FLAGS_OUT : [d] "+q"(d), [s] "+q"(s), [fo] "=&r"(f) : [fi] "r"(FIN0) : "cc");
					break;
				case 1:
					__asm__ volatile(FLAGS_IN "xaddw %w[s], %w[d]" FLAGS_OUT : [d] "+r"(d), [s] "+r"(s), [fo] "=&r"(f) : [fi] "r"(FIN0) : "cc");
					break;
				default:
					__asm__ volatile(FLAGS_IN "xaddl %k[s], %k[d]" FLAGS_OUT : [d] "+r"(d), [s] "+r"(s), [fo] "=&r"(f) : [fi] "r"(FIN0) : "cc");
					break;
				}
				printf("xadd%d %08x,%08x = %08x %08x f=%04x\n", bits, svals32[i], svals32[j], d, s, f & F_ARITH);
				mem32[2] = svals32[i];
				sm = svals32[j];
				switch (wi) {
				case 0:
					__asm__ volatile(FLAGS_IN "lock xaddb %b[s], %[d]" FLAGS_OUT : [d] "+m"(mem32[2]), [s] "+q"(sm), [fo] "=&r"(fm) : [fi] "r"(FIN1) : "cc");
					break;
				case 1:
					__asm__ volatile(FLAGS_IN "lock xaddw %w[s], %[d]" FLAGS_OUT : [d] "+m"(mem32[2]), [s] "+r"(sm), [fo] "=&r"(fm) : [fi] "r"(FIN1) : "cc");
					break;
				default:
					__asm__ volatile(FLAGS_IN "lock xaddl %k[s], %[d]" FLAGS_OUT : [d] "+m"(mem32[2]), [s] "+r"(sm), [fo] "=&r"(fm) : [fi] "r"(FIN1) : "cc");
					break;
				}
				dm = mem32[2];
				if (dm != d || sm != s || ((fm ^ f) & F_ARITH))
					mismatch("xaddm", bits, svals32[i], svals32[j]);
			}
		}
	}
}

static void test_cmpxchg8b(void)
{
	static uint64_t q64;
	uint32_t *q = (uint32_t *)&q64;
	static const uint32_t cases[4][2] = {
		{ 0x89ABCDEF, 0x01234567 }, { 0x89ABCDEF, 0x01234568 }, { 0x89ABCDEE, 0x01234567 }, { 0, 0 },
	};
	for (unsigned i = 0; i < 4; i++) {
		for (int k = 0; k < 2; k++) {
			uint32_t lo = cases[i][0], hi = cases[i][1], f;
			q[0] = 0x89ABCDEF;
			q[1] = 0x01234567;
			__asm__ volatile(FLAGS_IN "lock cmpxchg8b %[q]" FLAGS_OUT
					 : "+a"(lo), "+d"(hi), [q] "+m"(q64), [fo] "=&r"(f)
					 : "b"(0xFEEDFACE), "c"(0x0BADF00D), [fi] "r"(k ? FIN1 : FIN0)
					 : "cc");
			printf("cmpxchg8b %08x:%08x = %08x:%08x m=%08x:%08x f=%04x\n", cases[i][1], cases[i][0], hi, lo, q[1], q[0],
			       f & F_ARITH);
		}
	}
}

static void test_convert(void)
{
	for (unsigned i = 0; i < nvals32; i++) {
		uint32_t v = vals32[i], a, d;
		a = v;
		__asm__ volatile("cbtw" : "+a"(a));
		printf("cbw %08x = %08x", v, a);
		a = v;
		__asm__ volatile("cwtl" : "+a"(a));
		printf(" cwde = %08x", a);
		a = v, d = 0x5A5A5A5A;
		__asm__ volatile("cwtd" : "+a"(a), "+d"(d));
		printf(" cwd = %08x:%08x", d, a);
		a = v, d = 0x5A5A5A5A;
		__asm__ volatile("cltd" : "+a"(a), "+d"(d));
		printf(" cdq = %08x:%08x\n", d, a);
	}
	for (unsigned i = 0; i < nvals32; i++) {
		uint32_t v = vals32[i], r[6], m = vals32[i];
		r[0] = r[1] = r[2] = r[3] = r[4] = r[5] = 0xC3C3C3C3;
		__asm__ volatile("movzbl %b1, %0" : "+r"(r[0]) : "q"(v));
		__asm__ volatile("movzbw %1, %w0" : "+r"(r[1]) : "m"(m));
		__asm__ volatile("movzwl %w1, %0" : "+r"(r[2]) : "r"(v));
		__asm__ volatile("movsbl %1, %0" : "+r"(r[3]) : "m"(m));
		__asm__ volatile("movsbw %b1, %w0" : "+r"(r[4]) : "q"(v));
		__asm__ volatile("movswl %1, %0" : "+r"(r[5]) : "m"(m));
		printf("movx %08x = zb32 %08x zb16 %08x zw32 %08x sb32 %08x sb16 %08x sw32 %08x\n", v, r[0], r[1], r[2], r[3],
		       r[4], r[5]);
	}
}

static void test_loop(void)
{
	uint32_t a, c, f;
	static const uint32_t counts[] = { 1, 5, 0x00010003 };
	for (unsigned i = 0; i < 3; i++) {
		a = 0, c = counts[i];
		__asm__ volatile(FLAGS_IN "1:\tleal 1(%%eax), %%eax\n\tloop 1b" FLAGS_OUT : "+a"(a), "+c"(c), [fo] "=&r"(f) : [fi] "r"(FIN1) : "cc");
		printf("loop c=%08x = a=%08x c=%08x f=%04x\n", counts[i], a, c, f & F_ARITH);
	}
	/* CX counter (0x67): CX = 0 loops 65536 times and keeps the upper half of ECX */
	a = 0, c = 0x12340000;
	__asm__ volatile(FLAGS_IN "1:\tleal 1(%%eax), %%eax\n\t.byte 0x67\n\tloop 1b" FLAGS_OUT : "+a"(a), "+c"(c), [fo] "=&r"(f) : [fi] "r"(FIN0) : "cc");
	printf("loopw c=%08x = a=%08x c=%08x f=%04x\n", 0x12340000, a, c, f & F_ARITH);
	a = 0, c = 0x00050003;
	__asm__ volatile("1:\tincl %%eax\n\t.byte 0x67\n\tloop 1b" : "+a"(a), "+c"(c) : : "cc");
	printf("loopw c=%08x = a=%08x c=%08x\n", 0x00050003, a, c);
	static const uint32_t ecs[] = { 10, 2 };
	for (unsigned i = 0; i < 2; i++) {
		a = 0, c = ecs[i];
		__asm__ volatile("1:\tincl %%eax\n\ttestl %%eax, %%esi\n\tloope 1b" : "+a"(a), "+c"(c) : "S"(4) : "cc");
		printf("loope c=%08x = a=%08x c=%08x\n", ecs[i], a, c);
		a = 0, c = ecs[i];
		__asm__ volatile("1:\tincl %%eax\n\tcmpl %%eax, %%esi\n\tloopne 1b" : "+a"(a), "+c"(c) : "S"(5) : "cc");
		printf("loopne c=%08x = a=%08x c=%08x\n", ecs[i], a, c);
	}
	a = 0, c = 3;
	__asm__ volatile("1:\tincl %%eax\n\ttestl %%eax, %%esi\n\t.byte 0x67\n\tloopz 1b" : "+a"(a), "+c"(c) : "S"(8) : "cc");
	printf("loopew c=00000003 = a=%08x c=%08x\n", a, c);
	static const uint32_t jcs[] = { 0, 1, 0x10000, 0xFFFF0000 };
	for (unsigned i = 0; i < 4; i++) {
		uint32_t t1 = 0, t2 = 0;
		c = jcs[i];
		__asm__ volatile("jecxz 1f\n\tjmp 2f\n1:\tmovl $1, %0\n2:" : "+r"(t1) : "c"(c));
		__asm__ volatile("jcxz 1f\n\tjmp 2f\n1:\tmovl $1, %0\n2:" : "+r"(t2) : "c"(c));
		printf("jecxz c=%08x = %u jcxz = %u\n", c, t1, t2);
	}
}

static void test_flagops(void)
{
	static const uint32_t fins[] = { FIN0, FIN1, 0x002 | F_CF, 0x002 | F_ZF | F_SF };
	for (unsigned i = 0; i < 4; i++) {
		uint32_t f1, f2, f3;
		__asm__ volatile(FLAGS_IN "clc" FLAGS_OUT : [fo] "=&r"(f1) : [fi] "r"(fins[i]) : "cc");
		__asm__ volatile(FLAGS_IN "stc" FLAGS_OUT : [fo] "=&r"(f2) : [fi] "r"(fins[i]) : "cc");
		__asm__ volatile(FLAGS_IN "cmc" FLAGS_OUT : [fo] "=&r"(f3) : [fi] "r"(fins[i]) : "cc");
		printf("flags f=%04x = clc %04x stc %04x cmc %04x\n", fins[i], f1 & F_ARITH, f2 & F_ARITH, f3 & F_ARITH);
	}
}

static void test_moffs(void)
{
	uint32_t a;
	mem32[3] = 0x87654321;
	__asm__ volatile("movl mem32+12, %%eax" : "=a"(a) : : "memory");
	printf("moffs ld32 = %08x", a);
	a = 0xFFFFFFFF;
	__asm__ volatile("movw mem32+13, %%ax" : "+a"(a) : : "memory");
	printf(" ld16 = %08x", a);
	a = 0xFFFFFFFF;
	__asm__ volatile("movb mem32+15, %%al" : "+a"(a) : : "memory");
	printf(" ld8 = %08x", a);
	a = 0x000000AB;
	__asm__ volatile("movb %%al, mem32+12" : : "a"(a) : "memory");
	printf(" st8 = %08x", mem32[3]);
	a = 0x0000CDEF;
	__asm__ volatile("movw %%ax, mem32+13" : : "a"(a) : "memory");
	printf(" st16 = %08x\n", mem32[3]);
}

static void test_bound_nop(void)
{
	static int32_t bounds[2] = { -5, 100 };
	static int16_t bounds16[2] = { -5, 100 };
	int32_t idx[3] = { -5, 0, 100 };
	for (int i = 0; i < 3; i++) {
		__asm__ volatile("boundl %0, %1" : : "r"(idx[i]), "m"(bounds));
		__asm__ volatile("boundw %w0, %1" : : "r"(idx[i]), "m"(bounds16));
	}
	uint32_t a = 0x12345678, b = 0x9ABCDEF0;
	/* one-byte NOP forms only: 0F 1F (multi-byte NOP) is a P6 instruction */
	__asm__ volatile("nop\n\t.byte 0x66, 0x90\n\txchgl %%eax, %%eax\n\t.byte 0xf3, 0x90" : "+a"(a), "+b"(b));
	printf("bound nop = %08x %08x\n", a, b);
}

/* Register aliasing: the accumulator (or the same register) as both operands. */
static void test_alias(void)
{
	uint32_t a, c, f;
	a = 0x12345678, c = 0x9ABCDEF0;
	__asm__ volatile(FLAGS_IN "cmpxchgl %%ecx, %%eax" FLAGS_OUT : "+a"(a), [fo] "=&r"(f) : "c"(c), [fi] "r"(FIN0) : "cc");
	printf("cmpxchg eax,eax = %08x f=%04x\n", a, f & F_ARITH);
	a = 0x12345678, c = 0x9ABCDEF0;
	__asm__ volatile(FLAGS_IN "cmpxchgb %%ah, %%al" FLAGS_OUT : "+a"(a), [fo] "=&r"(f) : [fi] "r"(FIN0) : "cc");
	printf("cmpxchg al,ah = %08x f=%04x\n", a, f & F_ARITH);
	a = 0x80000001;
	__asm__ volatile(FLAGS_IN "xaddl %%eax, %%eax" FLAGS_OUT : "+a"(a), [fo] "=&r"(f) : [fi] "r"(FIN0) : "cc");
	printf("xadd eax,eax = %08x f=%04x\n", a, f & F_ARITH);
	a = 0x000080FF;
	__asm__ volatile(FLAGS_IN "xaddb %%al, %%ah" FLAGS_OUT : "+a"(a), [fo] "=&r"(f) : [fi] "r"(FIN0) : "cc");
	printf("xadd ah,al = %08x f=%04x\n", a, f & F_ARITH);
	a = 0x12345678;
	__asm__ volatile("xchgb %%al, %%ah\n\txchgw %%ax, %%ax\n\txchgl %%eax, %%eax" : "+a"(a));
	printf("xchg self = %08x\n", a);
	a = 0x0000FFFF;
	__asm__ volatile(FLAGS_IN "subl %%eax, %%eax" FLAGS_OUT : "+a"(a), [fo] "=&r"(f) : [fi] "r"(FIN1) : "cc");
	printf("sub eax,eax = %08x f=%04x\n", a, f & F_ARITH);
	a = 0x0000FFFF;
	__asm__ volatile(FLAGS_IN "sbbl %%eax, %%eax" FLAGS_OUT : "+a"(a), [fo] "=&r"(f) : [fi] "r"(FIN1) : "cc");
	printf("sbb eax,eax cf1 = %08x f=%04x\n", a, f & F_ARITH);
	a = 0x40000000;
	__asm__ volatile(FLAGS_IN "imull %%eax, %%eax" FLAGS_OUT : "+a"(a), [fo] "=&r"(f) : [fi] "r"(FIN0) : "cc");
	printf("imul eax,eax = %08x f=%04x\n", a, f & (F_CF | F_OF));
	a = 0x1234, c = 3;
	__asm__ volatile(FLAGS_IN "shldw %%cl, %%ax, %%ax" FLAGS_OUT : "+a"(a), [fo] "=&r"(f) : "c"(c), [fi] "r"(FIN0) : "cc");
	printf("shld ax,ax,3 = %08x f=%04x\n", a, f & (F_CF | F_ZF | F_SF | F_PF));
	a = 0x00000010, c = 0xFFFFFFFF;
	__asm__ volatile(FLAGS_IN "btl %%eax, %%eax\n\tbtsl %%ecx, %%eax" FLAGS_OUT : "+a"(a), [fo] "=&r"(f) : "c"(c), [fi] "r"(FIN0) : "cc");
	printf("bt eax,eax = %08x f=%04x\n", a, f & F_CF);
}

void test_misc(void)
{
	puts("# misc");
	test_xchg();
	test_cmpxchg();
	test_xadd();
	test_cmpxchg8b();
	test_convert();
	test_loop();
	test_flagops();
	test_moffs();
	test_bound_nop();
	test_alias();
}
