/*
 * Conditions: SETcc, CMOVcc (32-bit register, 16-bit memory source), Jcc short and near, for all
 * 16 conditions over all 32 combinations of CF PF ZF SF OF (AF toggled along). CMOVcc is a P6
 * instruction; it runs last in the suite.
 */
#include "report.h"

#define CC(cc, bit)                                                                              \
	do {                                                                                     \
		uint32_t s = 0, c = 0x11111111, w = 0x22222222, j = 0, jn = 0;                   \
		uint32_t one = 0xC0DE0001, m16 = 0x3333ABCD;                                     \
		__asm__ volatile(FLAGS_IN "set" #cc " %b[s]\n\t"                                 \
				 "cmov" #cc "l %[one], %[c]\n\t"                                \
				 "cmov" #cc "w %[m16], %w[w]\n\t"                               \
				 "j" #cc " 1f\n\t"                                              \
				 "movl $0, %[j]\n\t"                                            \
				 "jmp 2f\n"                                                     \
				 "1:\tmovl $1, %[j]\n"                                           \
				 "2:\t%{disp32%} j" #cc " 3f\n\t"                                 \
				 "movl $0, %[jn]\n\t"                                           \
				 "jmp 4f\n"                                                     \
				 "3:\tmovl $1, %[jn]\n"                                          \
				 "4:"                                                           \
				 : [s] "+q"(s), [c] "+r"(c), [w] "+r"(w), [j] "+r"(j), [jn] "+r"(jn) \
				 : [one] "r"(one), [m16] "m"(m16), [fi] "r"(fin)                   \
				 : "cc");                                                       \
		set |= (s & 1) << bit;                                                           \
		if (s > 1)                                                                       \
			mismatch("set" #cc, 8, fin, s);                                          \
		cmv |= (c == one ? 1u : 0u) << bit;                                              \
		if (c != one && c != 0x11111111)                                                 \
			mismatch("cmov" #cc, 32, fin, c);                                        \
		cmvw |= (w == 0x2222ABCD ? 1u : 0u) << bit;                                      \
		if (w != 0x2222ABCD && w != 0x22222222)                                          \
			mismatch("cmov" #cc, 16, fin, w);                                        \
		jcc |= j << bit;                                                                 \
		jnear |= jn << bit;                                                              \
	} while (0)

void test_cond(void)
{
	puts("# cond");
	static const uint32_t fl[5] = { F_CF, F_PF, F_ZF, F_SF, F_OF };
	for (uint32_t k = 0; k < 64; k++) {
		uint32_t fin = 0x002;
		for (int b = 0; b < 5; b++)
			if (k & (1u << b))
				fin |= fl[b];
		if (k & 32)
			fin |= F_AF;
		uint32_t set = 0, cmv = 0, cmvw = 0, jcc = 0, jnear = 0;
		CC(o, 0);
		CC(no, 1);
		CC(b, 2);
		CC(ae, 3);
		CC(e, 4);
		CC(ne, 5);
		CC(be, 6);
		CC(a, 7);
		CC(s, 8);
		CC(ns, 9);
		CC(p, 10);
		CC(np, 11);
		CC(l, 12);
		CC(ge, 13);
		CC(le, 14);
		CC(g, 15);
		printf("cond f=%04x set=%04x cmov=%04x cmovw=%04x jcc=%04x jnear=%04x\n", fin, set, cmv, cmvw, jcc,
		       jnear);
	}
}
