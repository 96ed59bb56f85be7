/*
 * String instructions: MOVS STOS LODS CMPS SCAS in byte/word/dword forms, without prefix and with
 * REP / REPE / REPNE, DF=0 and DF=1, ECX = 0, 1 and 7; overlapping REP MOVSB (byte-wise
 * propagation) in both directions; XLAT. Pointers are printed relative to their buffers.
 */
#include "report.h"

static uint8_t sbuf[128];
static uint8_t dbuf[128];

typedef uint32_t (*strfn)(uint32_t *si, uint32_t *di, uint32_t *cx, uint32_t *ax, uint32_t fin);

#define DEF_STR(fn, text)                                                                    \
	static uint32_t fn(uint32_t *si, uint32_t *di, uint32_t *cx, uint32_t *ax, uint32_t fin) \
	{                                                                                     \
		uint32_t f, s = *si, d = *di, c = *cx, a = *ax;                               \
		__asm__ volatile(FLAGS_IN text FLAGS_OUT "\n\tcld"                            \
				 : "+S"(s), "+D"(d), "+c"(c), "+a"(a), [fo] "=&r"(f)          \
				 : [fi] "r"(fin)                                              \
				 : "cc", "memory");                                          \
		*si = s;                                                                      \
		*di = d;                                                                      \
		*cx = c;                                                                      \
		*ax = a;                                                                      \
		return f;                                                                     \
	}

#define DEF_STR3(name, text) DEF_STR(name##b, text "b") DEF_STR(name##w, text "w") DEF_STR(name##l, text "l")

DEF_STR3(movs, "movs")
DEF_STR3(rep_movs, "rep movs")
DEF_STR3(stos, "stos")
DEF_STR3(rep_stos, "rep stos")
DEF_STR3(lods, "lods")
DEF_STR3(rep_lods, "rep lods")
DEF_STR3(cmps, "cmps")
DEF_STR3(repe_cmps, "repe cmps")
DEF_STR3(repne_cmps, "repne cmps")
DEF_STR3(scas, "scas")
DEF_STR3(repe_scas, "repe scas")
DEF_STR3(repne_scas, "repne scas")

struct strop {
	const char *name;
	strfn fn[3];
	int compares;  /* sets flags */
};

#define STROP(n, c) { #n, { n##b, n##w, n##l }, c }

static const struct strop strops[] = {
	STROP(movs, 0), STROP(rep_movs, 0),   STROP(stos, 0),       STROP(rep_stos, 0),
	STROP(lods, 0), STROP(rep_lods, 0),   STROP(cmps, 1),       STROP(repe_cmps, 1),
	STROP(repne_cmps, 1), STROP(scas, 1), STROP(repe_scas, 1), STROP(repne_scas, 1),
};

static void fill(void)
{
	for (unsigned i = 0; i < 128; i++) {
		sbuf[i] = (uint8_t)(i * 7 + 3);
		/* equal in runs of three bytes, then different; some bytes 0x5a for SCAS */
		dbuf[i] = ((i / 3) & 1) ? (uint8_t)(sbuf[i] ^ 0x55) : sbuf[i];
		if (i % 5 == 0)
			dbuf[i] = 0x5A;
	}
}

static uint32_t fnv(const uint8_t *p, unsigned n)
{
	uint32_t h = 0x811C9DC5u;
	for (unsigned i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x01000193u;
	return h;
}

static void test_strops(void)
{
	static const uint32_t cxs[] = { 0, 1, 7 };
	static const char sz[3] = { 'b', 'w', 'l' };
	for (unsigned o = 0; o < sizeof(strops) / sizeof(strops[0]); o++) {
		const struct strop *op = &strops[o];
		for (int wi = 0; wi < 3; wi++) {
			for (int df = 0; df < 2; df++) {
				for (unsigned k = 0; k < 3; k++) {
					uint32_t f[2], si = 0, di = 0, cx = 0, ax = 0;
					for (int run = 0; run < 2; run++) {
						fill();
						si = (uint32_t)(uintptr_t)(sbuf + (df ? 64 : 32));
						di = (uint32_t)(uintptr_t)(dbuf + (df ? 64 : 32));
						cx = cxs[k];
						ax = 0xA55A5A5A;
						f[run] = op->fn[wi](&si, &di, &cx, &ax,
								    (run ? FIN1 : FIN0) | (df ? F_DF : 0));
					}
					printf("%s%c df%d c%d = si%+d di%+d c%d a%08x f=%04x/%04x d%08x\n", op->name, sz[wi],
					       df, (int)cxs[k], (int)(si - (uint32_t)(uintptr_t)sbuf) - (df ? 64 : 32),
					       (int)(di - (uint32_t)(uintptr_t)dbuf) - (df ? 64 : 32), (int)cx, ax,
					       f[0] & (F_ARITH | F_DF), f[1] & (F_ARITH | F_DF), fnv(dbuf, 128));
				}
			}
		}
	}
}

static void test_overlap(void)
{
	for (int df = 0; df < 2; df++) {
		for (int wi = 0; wi < 3; wi++) {
			fill();
			uint32_t si = (uint32_t)(uintptr_t)(sbuf + (df ? 100 : 10));
			uint32_t di = si + (df ? -1 : 1) * (1u << wi);
			uint32_t cx = 20, ax = 0;
			strfn fn = wi == 0 ? rep_movsb : wi == 1 ? rep_movsw : rep_movsl;
			fn(&si, &di, &cx, &ax, FIN0 | (df ? F_DF : 0));
			printf("overlap rep movs%c df%d = ", "bwl"[wi], df);
			for (unsigned i = 0; i < 128; i++)
				printf("%02x", sbuf[i]);
			putchar('\n');
		}
	}
}

static void test_xlat(void)
{
	static uint8_t table[256];
	for (unsigned i = 0; i < 256; i++)
		table[i] = (uint8_t)(255 - i * 3);
	static const uint32_t as[] = { 0x00000000, 0x12345601, 0xFFFFFF80, 0xABCDEFFF };
	for (unsigned i = 0; i < 4; i++) {
		uint32_t a = as[i];
		__asm__ volatile("xlat" : "+a"(a) : "b"(table) : "memory");
		printf("xlat %08x = %08x\n", as[i], a);
	}
}

void test_string(void)
{
	puts("# string");
	test_strops();
	test_overlap();
	test_xlat();
}
