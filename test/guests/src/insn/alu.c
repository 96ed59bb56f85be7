/*
 * ALU: ADD ADC SUB SBB AND OR XOR CMP TEST (register, memory-destination and immediate forms),
 * INC DEC NEG NOT, at 8/16/32 bits. The register form is printed; the memory form must agree.
 */
#include "report.h"

typedef uint32_t (*binfn)(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fo);
typedef uint32_t (*unfn)(uint32_t a, uint32_t fin, uint32_t *fo);

#define DEF_BIN(fn, insn, mod, acon)                                                       \
	static uint32_t fn(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fo)             \
	{                                                                                   \
		uint32_t f;                                                                 \
		__asm__ volatile(FLAGS_IN insn " %" mod "[b], %" mod "[a]" FLAGS_OUT        \
				 : [a] "+" acon(a), [fo] "=&r"(f)                            \
				 : [b] "q"(b), [fi] "r"(fin)                                  \
				 : "cc", "memory");                                          \
		*fo = f;                                                                    \
		return a;                                                                   \
	}

#define DEF_UN(fn, insn, mod, acon)                                                        \
	static uint32_t fn(uint32_t a, uint32_t fin, uint32_t *fo)                         \
	{                                                                                   \
		uint32_t f;                                                                 \
		__asm__ volatile(FLAGS_IN insn " %" mod "[a]" FLAGS_OUT                      \
				 : [a] "+" acon(a), [fo] "=&r"(f)                            \
				 : [fi] "r"(fin)                                              \
				 : "cc", "memory");                                          \
		*fo = f;                                                                    \
		return a;                                                                   \
	}

#define DEF_BIN3(op)                                  \
	DEF_BIN(op##8r, #op "b", "b", "q")           \
	DEF_BIN(op##16r, #op "w", "w", "q")          \
	DEF_BIN(op##32r, #op "l", "k", "q")          \
	DEF_BIN(op##8m, #op "b", "b", "m")           \
	DEF_BIN(op##16m, #op "w", "w", "m")          \
	DEF_BIN(op##32m, #op "l", "k", "m")

#define DEF_UN3(op)                                   \
	DEF_UN(op##8r, #op "b", "b", "q")            \
	DEF_UN(op##16r, #op "w", "w", "q")           \
	DEF_UN(op##32r, #op "l", "k", "q")           \
	DEF_UN(op##8m, #op "b", "b", "m")            \
	DEF_UN(op##16m, #op "w", "w", "m")           \
	DEF_UN(op##32m, #op "l", "k", "m")

DEF_BIN3(add)
DEF_BIN3(adc)
DEF_BIN3(sub)
DEF_BIN3(sbb)
DEF_BIN3(and)
DEF_BIN3(or)
DEF_BIN3(xor)
DEF_BIN3(cmp)
DEF_BIN3(test)
DEF_UN3(inc)
DEF_UN3(dec)
DEF_UN3(neg)
DEF_UN3(not)

struct binop {
	const char *name;
	binfn r[3];  /* register forms, 8/16/32 */
	binfn m[3];  /* memory-destination forms */
	uint32_t mask;
};

#define BINOP(op, mask) { #op, { op##8r, op##16r, op##32r }, { op##8m, op##16m, op##32m }, mask }

static const struct binop binops[] = {
	BINOP(add, F_ARITH), BINOP(adc, F_ARITH), BINOP(sub, F_ARITH),  BINOP(sbb, F_ARITH),
	BINOP(and, F_LOGIC), BINOP(or, F_LOGIC),  BINOP(xor, F_LOGIC),  BINOP(cmp, F_ARITH),
	BINOP(test, F_LOGIC),
};

struct unop {
	const char *name;
	unfn r[3];
	unfn m[3];
	uint32_t mask;
};

#define UNOP(op, mask) { #op, { op##8r, op##16r, op##32r }, { op##8m, op##16m, op##32m }, mask }

static const struct unop unops[] = {
	UNOP(inc, F_ARITH), UNOP(dec, F_ARITH), UNOP(neg, F_ARITH), UNOP(not, F_ARITH),
};

/* Garbage placed above the operand width; 8/16-bit ops must preserve it. */
#define UPPER 0xA5C3E100u

static const uint32_t *vals_for(int wi, unsigned *n)
{
	if (wi == 0) {
		*n = nvals8;
		return vals8;
	}
	if (wi == 1) {
		*n = nvals16;
		return vals16;
	}
	*n = nvals32;
	return vals32;
}

static void run_bin(binfn fn, uint32_t a, uint32_t b, struct res2 *r)
{
	r->r[0] = fn(a, b, FIN0, &r->f[0]);
	r->r[1] = fn(a, b, FIN1, &r->f[1]);
}

static void run_un(unfn fn, uint32_t a, struct res2 *r)
{
	r->r[0] = fn(a, FIN0, &r->f[0]);
	r->r[1] = fn(a, FIN1, &r->f[1]);
}

static void test_binops(void)
{
	for (unsigned o = 0; o < sizeof(binops) / sizeof(binops[0]); o++) {
		const struct binop *op = &binops[o];
		for (int wi = 0; wi < 3; wi++) {
			int bits = 8 << wi;
			uint32_t m = wmask(bits);
			unsigned n;
			const uint32_t *v = vals_for(wi, &n);
			for (unsigned i = 0; i < n; i++) {
				for (unsigned j = 0; j < n; j++) {
					uint32_t a = v[i], b = v[j];
					uint32_t up = bits == 32 ? 0 : UPPER & ~m;
					struct res2 rr, rm;
					run_bin(op->r[wi], a | up, b | (~up & ~m), &rr);
					run_bin(op->m[wi], a | up, b, &rm);
					pr2(op->name, bits, a, b, &rr, op->mask);
					if (!res_eq(&rr, &rm, bits, op->mask))
						mismatch(op->name, bits, a, b);
					if (((rr.r[0] | rr.r[1] | rm.r[0] | rm.r[1]) & ~m) != up ||
					    ((rr.r[0] & rr.r[1] & rm.r[0] & rm.r[1]) & ~m) != up)
						mismatch("upper", bits, a, b);
				}
			}
		}
	}
}

static void test_unops(void)
{
	for (unsigned o = 0; o < sizeof(unops) / sizeof(unops[0]); o++) {
		const struct unop *op = &unops[o];
		for (int wi = 0; wi < 3; wi++) {
			int bits = 8 << wi;
			uint32_t m = wmask(bits);
			unsigned n;
			const uint32_t *v = vals_for(wi, &n);
			for (unsigned i = 0; i < n; i++) {
				uint32_t a = v[i];
				uint32_t up = bits == 32 ? 0 : UPPER & ~m;
				struct res2 rr, rm;
				run_un(op->r[wi], a | up, &rr);
				run_un(op->m[wi], a | up, &rm);
				pr1(op->name, bits, a, &rr, op->mask);
				if (!res_eq(&rr, &rm, bits, op->mask))
					mismatch(op->name, bits, a, 0);
				if (((rr.r[0] | rr.r[1]) & ~m) != up || ((rr.r[0] & rr.r[1]) & ~m) != up)
					mismatch("upper", bits, a, 0);
			}
		}
	}
}

/* Immediate forms: 80/81/83 (incl. sign-extended imm8) and the short AL/AX/EAX encodings. */
#define DEF_IMM(fn, text, acon)                                                            \
	static uint32_t fn(uint32_t a, uint32_t fin, uint32_t *fo)                         \
	{                                                                                   \
		uint32_t f;                                                                 \
		__asm__ volatile(FLAGS_IN text FLAGS_OUT                                      \
				 : [a] "+" acon(a), [fo] "=&r"(f)                            \
				 : [fi] "r"(fin)                                              \
				 : "cc", "memory");                                          \
		*fo = f;                                                                    \
		return a;                                                                   \
	}

DEF_IMM(i_add32_7f, "addl $0x7f, %k[a]", "q")
DEF_IMM(i_add32_m1, "addl $-1, %k[a]", "q")
DEF_IMM(i_add32_big, "addl $0x12345678, %k[a]", "q")
DEF_IMM(i_add32_eax, "addl $0x80000000, %k[a]", "a")
DEF_IMM(i_adc32_m128, "adcl $-128, %k[a]", "q")
DEF_IMM(i_sub32_1, "subl $1, %k[a]", "m")
DEF_IMM(i_sbb32_eax, "sbbl $0x7fffffff, %k[a]", "a")
DEF_IMM(i_and32_ff00, "andl $0xffffff00, %k[a]", "q")
DEF_IMM(i_or32_80, "orl $0x80, %k[a]", "m")
DEF_IMM(i_xor32_m1, "xorl $-1, %k[a]", "q")
DEF_IMM(i_cmp32_7f, "cmpl $0x7f, %k[a]", "q")
DEF_IMM(i_cmp32_eax, "cmpl $0x80000000, %k[a]", "a")
DEF_IMM(i_test32_eax, "testl $0x80000001, %k[a]", "a")
DEF_IMM(i_test32_m, "testl $0x0000ff00, %k[a]", "m")
DEF_IMM(i_add16_m1, "addw $-1, %w[a]", "q")
DEF_IMM(i_add16_ax, "addw $0x8000, %w[a]", "a")
DEF_IMM(i_sub16_7fff, "subw $0x7fff, %w[a]", "m")
DEF_IMM(i_sbb16_m2, "sbbw $-2, %w[a]", "q")
DEF_IMM(i_adc8_al, "adcb $0x7f, %b[a]", "a")
DEF_IMM(i_add8_80, "addb $0x80, %b[a]", "q")
DEF_IMM(i_sub8_al, "subb $0x01, %b[a]", "a")
DEF_IMM(i_cmp8_m, "cmpb $0xff, %b[a]", "m")
DEF_IMM(i_test8_al, "testb $0x81, %b[a]", "a")
DEF_IMM(i_xor16_ax, "xorw $0x5555, %w[a]", "a")

struct immop {
	const char *name;
	int bits;
	unfn fn;
	uint32_t mask;
};

static const struct immop immops[] = {
	{ "add_i7f_", 32, i_add32_7f, F_ARITH },      { "add_im1_", 32, i_add32_m1, F_ARITH },
	{ "add_i12345678_", 32, i_add32_big, F_ARITH }, { "add_eax_i80000000_", 32, i_add32_eax, F_ARITH },
	{ "adc_im128_", 32, i_adc32_m128, F_ARITH },   { "sub_mem_i1_", 32, i_sub32_1, F_ARITH },
	{ "sbb_eax_i7fffffff_", 32, i_sbb32_eax, F_ARITH }, { "and_iffffff00_", 32, i_and32_ff00, F_LOGIC },
	{ "or_mem_i80_", 32, i_or32_80, F_LOGIC },     { "xor_im1_", 32, i_xor32_m1, F_LOGIC },
	{ "cmp_i7f_", 32, i_cmp32_7f, F_ARITH },       { "cmp_eax_i80000000_", 32, i_cmp32_eax, F_ARITH },
	{ "test_eax_i80000001_", 32, i_test32_eax, F_LOGIC }, { "test_mem_i0000ff00_", 32, i_test32_m, F_LOGIC },
	{ "add_im1_", 16, i_add16_m1, F_ARITH },      { "add_ax_i8000_", 16, i_add16_ax, F_ARITH },
	{ "sub_mem_i7fff_", 16, i_sub16_7fff, F_ARITH }, { "sbb_im2_", 16, i_sbb16_m2, F_ARITH },
	{ "adc_al_i7f_", 8, i_adc8_al, F_ARITH },      { "add_i80_", 8, i_add8_80, F_ARITH },
	{ "sub_al_i01_", 8, i_sub8_al, F_ARITH },      { "cmp_mem_iff_", 8, i_cmp8_m, F_ARITH },
	{ "test_al_i81_", 8, i_test8_al, F_LOGIC },    { "xor_ax_i5555_", 16, i_xor16_ax, F_LOGIC },
};

static void test_immops(void)
{
	for (unsigned o = 0; o < sizeof(immops) / sizeof(immops[0]); o++) {
		const struct immop *op = &immops[o];
		unsigned n;
		const uint32_t *v = vals_for(op->bits == 8 ? 0 : op->bits == 16 ? 1 : 2, &n);
		for (unsigned i = 0; i < n; i++) {
			struct res2 r;
			run_un(op->fn, v[i], &r);
			pr1(op->name, op->bits, v[i], &r, op->mask);
		}
	}
}

void test_alu(void)
{
	puts("# alu");
	test_binops();
	test_unops();
	test_immops();
}
