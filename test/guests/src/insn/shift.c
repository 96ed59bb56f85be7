/*
 * Shifts and rotates: SHL SHR SAR ROL ROR RCL RCR at 8/16/32 bits with counts 0..33 and
 * counts the CPU masks to 5 bits; the CL form is printed, the D1 (by one), C1 (imm8) and memory
 * forms must agree. SHLD/SHRD at 16/32 bits (CL form printed, imm form compared).
 */
#include "report.h"

typedef uint32_t (*shfn)(uint32_t a, uint32_t c, uint32_t fin, uint32_t *fo);
typedef uint32_t (*dshfn)(uint32_t a, uint32_t b, uint32_t c, uint32_t fin, uint32_t *fo);

#define DEF_SH(fn, text, acon)                                                             \
	static uint32_t fn(uint32_t a, uint32_t c, uint32_t fin, uint32_t *fo)             \
	{                                                                                   \
		uint32_t f;                                                                 \
		__asm__ volatile(FLAGS_IN text FLAGS_OUT                                      \
				 : [a] "+" acon(a), [fo] "=&r"(f)                            \
				 : [fi] "r"(fin), "c"(c)                                      \
				 : "cc", "memory");                                          \
		*fo = f;                                                                    \
		return a;                                                                   \
	}

#define DEF_SH_W(op, sfx, mod, bits)                                                  \
	DEF_SH(op##bits##_cl, #op sfx " %%cl, %" mod "[a]", "q")                     \
	DEF_SH(op##bits##_m, #op sfx " %%cl, %" mod "[a]", "m")                      \
	DEF_SH(op##bits##_1, #op sfx " %" mod "[a]", "q")                            \
	DEF_SH(op##bits##_i4, #op sfx " $4, %" mod "[a]", "q")                       \
	DEF_SH(op##bits##_i33, #op sfx " $33, %" mod "[a]", "q")

#define DEF_SH3(op) DEF_SH_W(op, "b", "b", 8) DEF_SH_W(op, "w", "w", 16) DEF_SH_W(op, "l", "k", 32)

DEF_SH3(shl)
DEF_SH3(shr)
DEF_SH3(sar)
DEF_SH3(rol)
DEF_SH3(ror)
DEF_SH3(rcl)
DEF_SH3(rcr)

#define K_SHL 0
#define K_SHR 1
#define K_SAR 2
#define K_ROL 3
#define K_ROR 4
#define K_RCL 5
#define K_RCR 6

struct shop {
	const char *name;
	int kind;
	shfn cl[3], m[3], one[3], i4[3], i33[3];
};

#define SHOP(op, kind)                                                                       \
	{ #op, kind, { op##8_cl, op##16_cl, op##32_cl }, { op##8_m, op##16_m, op##32_m },      \
	  { op##8_1, op##16_1, op##32_1 }, { op##8_i4, op##16_i4, op##32_i4 },                 \
	  { op##8_i33, op##16_i33, op##32_i33 } }

static const struct shop shops[] = {
	SHOP(shl, K_SHL), SHOP(shr, K_SHR), SHOP(sar, K_SAR), SHOP(rol, K_ROL),
	SHOP(ror, K_ROR), SHOP(rcl, K_RCL), SHOP(rcr, K_RCR),
};

static const uint32_t counts[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
	18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 64, 255,
};
#define NCOUNTS (sizeof(counts) / sizeof(counts[0]))

/* The flags the SDM defines after a shift/rotate of `bits` by `c` (before masking). */
static uint32_t sh_mask(int kind, int bits, uint32_t c)
{
	uint32_t cm = c & 31;
	if (cm == 0)
		return F_ARITH;  /* no flag is touched */
	uint32_t of = cm == 1 ? F_OF : 0;
	switch (kind) {
	case K_SHL:
	case K_SHR:
		return (cm < (uint32_t)bits ? F_CF : 0) | F_PF | F_ZF | F_SF | of;
	case K_SAR:
		return F_CF | F_PF | F_ZF | F_SF | of;
	default:
		/* rotates: CF and (for one) OF written, the others untouched */
		return F_CF | F_PF | F_AF | F_ZF | F_SF | of;
	}
}

static void run_sh(shfn fn, uint32_t a, uint32_t c, struct res2 *r)
{
	r->r[0] = fn(a, c, FIN0, &r->f[0]);
	r->r[1] = fn(a, c, FIN1, &r->f[1]);
}

static void test_shops(void)
{
	for (unsigned o = 0; o < sizeof(shops) / sizeof(shops[0]); o++) {
		const struct shop *op = &shops[o];
		for (int wi = 0; wi < 3; wi++) {
			int bits = 8 << wi;
			const uint32_t *v = wi == 0 ? svals8 : wi == 1 ? svals16 : svals32;
			unsigned n = wi == 0 ? nsvals8 : wi == 1 ? nsvals16 : nsvals32;
			for (unsigned i = 0; i < n; i++) {
				for (unsigned k = 0; k < NCOUNTS; k++) {
					uint32_t a = v[i], c = counts[k];
					uint32_t mask = sh_mask(op->kind, bits, c);
					struct res2 r, r2;
					run_sh(op->cl[wi], a, c, &r);
					printf("%s%d %0*x,%02x", op->name, bits, hexw(bits), a, c);
					pr_tail(bits, &r, mask);
					run_sh(op->m[wi], a, c, &r2);
					if (!res_eq(&r, &r2, bits, mask))
						mismatch(op->name, bits, a, c);
					if (c == 1) {
						run_sh(op->one[wi], a, 0, &r2);
						if (!res_eq(&r, &r2, bits, mask))
							mismatch(op->name, bits, a, 0xD1);
					}
					if (c == 4 || c == 33) {
						run_sh(c == 4 ? op->i4[wi] : op->i33[wi], a, 0, &r2);
						if (!res_eq(&r, &r2, bits, mask))
							mismatch(op->name, bits, a, 0xC100 | c);
					}
				}
			}
		}
	}
}

#define DEF_DSH(fn, text, acon)                                                            \
	static uint32_t fn(uint32_t a, uint32_t b, uint32_t c, uint32_t fin, uint32_t *fo) \
	{                                                                                   \
		uint32_t f;                                                                 \
		__asm__ volatile(FLAGS_IN text FLAGS_OUT                                      \
				 : [a] "+" acon(a), [fo] "=&r"(f)                            \
				 : [b] "r"(b), [fi] "r"(fin), "c"(c)                          \
				 : "cc", "memory");                                          \
		*fo = f;                                                                    \
		return a;                                                                   \
	}

DEF_DSH(shld16_cl, "shldw %%cl, %w[b], %w[a]", "r")
DEF_DSH(shld32_cl, "shldl %%cl, %k[b], %k[a]", "r")
DEF_DSH(shrd16_cl, "shrdw %%cl, %w[b], %w[a]", "r")
DEF_DSH(shrd32_cl, "shrdl %%cl, %k[b], %k[a]", "r")
DEF_DSH(shld16_m, "shldw %%cl, %w[b], %w[a]", "m")
DEF_DSH(shld32_m, "shldl %%cl, %k[b], %k[a]", "m")
DEF_DSH(shrd16_m, "shrdw %%cl, %w[b], %w[a]", "m")
DEF_DSH(shrd32_m, "shrdl %%cl, %k[b], %k[a]", "m")
DEF_DSH(shld16_i4, "shldw $4, %w[b], %w[a]", "r")
DEF_DSH(shld32_i4, "shldl $4, %k[b], %k[a]", "r")
DEF_DSH(shrd16_i4, "shrdw $4, %w[b], %w[a]", "r")
DEF_DSH(shrd32_i4, "shrdl $4, %k[b], %k[a]", "r")
DEF_DSH(shld32_i33, "shldl $33, %k[b], %k[a]", "m")
DEF_DSH(shrd32_i33, "shrdl $33, %k[b], %k[a]", "m")

struct dshop {
	const char *name;
	int bits;
	dshfn cl, m, i4, i33;
};

static const struct dshop dshops[] = {
	{ "shld", 16, shld16_cl, shld16_m, shld16_i4, 0 },
	{ "shld", 32, shld32_cl, shld32_m, shld32_i4, shld32_i33 },
	{ "shrd", 16, shrd16_cl, shrd16_m, shrd16_i4, 0 },
	{ "shrd", 32, shrd32_cl, shrd32_m, shrd32_i4, shrd32_i33 },
};

static void run_dsh(dshfn fn, uint32_t a, uint32_t b, uint32_t c, struct res2 *r)
{
	r->r[0] = fn(a, b, c, FIN0, &r->f[0]);
	r->r[1] = fn(a, b, c, FIN1, &r->f[1]);
}

static void test_dshops(void)
{
	static const uint32_t bvals[] = { 0x89ABCDEF, 0x00000001 };
	for (unsigned o = 0; o < sizeof(dshops) / sizeof(dshops[0]); o++) {
		const struct dshop *op = &dshops[o];
		int bits = op->bits;
		const uint32_t *v = bits == 16 ? svals16 : svals32;
		unsigned n = bits == 16 ? nsvals16 : nsvals32;
		for (unsigned i = 0; i < n; i++) {
			for (unsigned j = 0; j < 2; j++) {
				for (unsigned k = 0; k < NCOUNTS; k++) {
					uint32_t a = v[i], b = bvals[j] & wmask(bits), c = counts[k];
					uint32_t cm = c & 31;
					if (cm > (uint32_t)bits)
						continue;  /* result and flags undefined */
					uint32_t mask = cm == 0 ? F_ARITH
								: F_CF | F_PF | F_ZF | F_SF | (cm == 1 ? F_OF : 0);
					struct res2 r, r2;
					run_dsh(op->cl, a, b, c, &r);
					printf("%s%d %0*x,%0*x,%02x", op->name, bits, hexw(bits), a, hexw(bits), b, c);
					pr_tail(bits, &r, mask);
					run_dsh(op->m, a, b, c, &r2);
					if (!res_eq(&r, &r2, bits, mask))
						mismatch(op->name, bits, a, c);
					if (c == 4 || (c == 33 && op->i33)) {
						run_dsh(c == 4 ? op->i4 : op->i33, a, b, 0, &r2);
						if (!res_eq(&r, &r2, bits, mask))
							mismatch(op->name, bits, a, 0xC100 | c);
					}
				}
			}
		}
	}
}

void test_shift(void)
{
	puts("# shift");
	test_shops();
	test_dshops();
}
