/* insn: line printers shared by the test files. */
#include "report.h"

static void pr_res(int bits, uint32_t r0, uint32_t r1, uint32_t f0, uint32_t f1, uint32_t mask)
{
	int w = hexw(bits);
	r0 &= wmask(bits);
	r1 &= wmask(bits);
	if (r0 == r1)
		printf(" = %0*x", w, r0);
	else
		printf(" = %0*x/%0*x", w, r0, w, r1);
	printf(" f=%04x/%04x\n", f0 & mask, f1 & mask);
}

void pr2(const char *name, int bits, uint32_t a, uint32_t b, const struct res2 *r, uint32_t mask)
{
	int w = hexw(bits);
	printf("%s%d %0*x,%0*x", name, bits, w, a & wmask(bits), w, b & wmask(bits));
	pr_res(bits, r->r[0], r->r[1], r->f[0], r->f[1], mask);
}

void pr1(const char *name, int bits, uint32_t a, const struct res2 *r, uint32_t mask)
{
	int w = hexw(bits);
	printf("%s%d %0*x", name, bits, w, a & wmask(bits));
	pr_res(bits, r->r[0], r->r[1], r->f[0], r->f[1], mask);
}

void mismatch(const char *what, int bits, uint32_t a, uint32_t b)
{
	printf("MISMATCH %s%d %08x,%08x\n", what, bits, a, b);
}

int res_eq(const struct res2 *x, const struct res2 *y, int bits, uint32_t mask)
{
	uint32_t m = wmask(bits);
	for (int i = 0; i < 2; i++)
		if (((x->r[i] ^ y->r[i]) & m) || ((x->f[i] ^ y->f[i]) & mask))
			return 0;
	return 1;
}

void pr_tail(int bits, const struct res2 *r, uint32_t mask)
{
	pr_res(bits, r->r[0], r->r[1], r->f[0], r->f[1], mask);
}
