/*
 * Decimal adjust: DAA DAS (all AL, all AF/CF inputs; OF undefined), AAA AAS (AF/CF defined only),
 * AAM and AAD with bases 10, 16, 7, 255 and others (SF ZF PF defined only).
 */
#include "report.h"

#define F_DAA (F_CF | F_AF | F_SF | F_ZF | F_PF)
#define F_AAA (F_CF | F_AF)
#define F_AAM (F_SF | F_ZF | F_PF)

static uint32_t adj(int op, uint32_t ax, uint32_t fin, uint32_t *fo)
{
	uint32_t f;
	switch (op) {
	case 0: __asm__ volatile(FLAGS_IN "daa" FLAGS_OUT : "+a"(ax), [fo] "=&r"(f) : [fi] "r"(fin) : "cc"); break;
	case 1: __asm__ volatile(FLAGS_IN "das" FLAGS_OUT : "+a"(ax), [fo] "=&r"(f) : [fi] "r"(fin) : "cc"); break;
	case 2: __asm__ volatile(FLAGS_IN "aaa" FLAGS_OUT : "+a"(ax), [fo] "=&r"(f) : [fi] "r"(fin) : "cc"); break;
	case 3: __asm__ volatile(FLAGS_IN "aas" FLAGS_OUT : "+a"(ax), [fo] "=&r"(f) : [fi] "r"(fin) : "cc"); break;
	case 4: __asm__ volatile(FLAGS_IN "aam" FLAGS_OUT : "+a"(ax), [fo] "=&r"(f) : [fi] "r"(fin) : "cc"); break;
	case 5: __asm__ volatile(FLAGS_IN "aam $16" FLAGS_OUT : "+a"(ax), [fo] "=&r"(f) : [fi] "r"(fin) : "cc"); break;
	case 6: __asm__ volatile(FLAGS_IN "aam $7" FLAGS_OUT : "+a"(ax), [fo] "=&r"(f) : [fi] "r"(fin) : "cc"); break;
	case 7: __asm__ volatile(FLAGS_IN "aam $255" FLAGS_OUT : "+a"(ax), [fo] "=&r"(f) : [fi] "r"(fin) : "cc"); break;
	case 8: __asm__ volatile(FLAGS_IN "aam $1" FLAGS_OUT : "+a"(ax), [fo] "=&r"(f) : [fi] "r"(fin) : "cc"); break;
	case 9: __asm__ volatile(FLAGS_IN "aad" FLAGS_OUT : "+a"(ax), [fo] "=&r"(f) : [fi] "r"(fin) : "cc"); break;
	case 10: __asm__ volatile(FLAGS_IN "aad $16" FLAGS_OUT : "+a"(ax), [fo] "=&r"(f) : [fi] "r"(fin) : "cc"); break;
	case 11: __asm__ volatile(FLAGS_IN "aad $7" FLAGS_OUT : "+a"(ax), [fo] "=&r"(f) : [fi] "r"(fin) : "cc"); break;
	case 12: __asm__ volatile(FLAGS_IN "aad $255" FLAGS_OUT : "+a"(ax), [fo] "=&r"(f) : [fi] "r"(fin) : "cc"); break;
	default: __asm__ volatile(FLAGS_IN "aad $0" FLAGS_OUT : "+a"(ax), [fo] "=&r"(f) : [fi] "r"(fin) : "cc"); break;
	}
	*fo = f;
	return ax;
}

/* The upper half of EAX must survive every adjust instruction. */
#define EAX_UP 0x5A5A0000u

static void check_up(const char *name, uint32_t ax, uint32_t in)
{
	if ((ax & 0xFFFF0000u) != EAX_UP)
		mismatch(name, 16, in, ax);
}

static void test_daa_das(void)
{
	static const char *const names[2] = { "daa", "das" };
	static const uint32_t fins[4] = { 0x002, 0x002 | F_CF, 0x002 | F_AF, 0x002 | F_AF | F_CF | F_OF | F_SF | F_ZF | F_PF };
	for (int op = 0; op < 2; op++) {
		for (uint32_t al = 0; al < 256; al++) {
			printf("%s %02x =", names[op], al);
			for (int k = 0; k < 4; k++) {
				uint32_t f, in = EAX_UP | 0x3C00 | al;
				uint32_t ax = adj(op, in, fins[k], &f);
				printf(" %04x:%03x", ax & 0xFFFF, f & F_DAA);
				check_up(names[op], ax, in);
			}
			putchar('\n');
		}
	}
}

static void test_aaa_aas(void)
{
	static const char *const names[2] = { "aaa", "aas" };
	for (int op = 0; op < 2; op++) {
		for (uint32_t al = 0; al < 256; al++) {
			uint32_t ah = (al & 1) ? 0xFF : (al & 2) ? 0x00 : 0x12;
			printf("%s %02x%02x =", names[op], ah, al);
			for (int k = 0; k < 2; k++) {
				uint32_t f, in = EAX_UP | (ah << 8) | al;
				uint32_t ax = adj(op + 2, in, k ? (0x002 | F_AF) : (0x002 | F_CF), &f);
				printf(" %04x:%03x", ax & 0xFFFF, f & F_AAA);
				check_up(names[op], ax, in);
			}
			putchar('\n');
		}
	}
}

static void test_aam_aad(void)
{
	for (uint32_t al = 0; al < 256; al++) {
		printf("aam %02x =", al);
		for (int op = 4; op <= 8; op++) {
			uint32_t f0, f1, in = EAX_UP | 0xA500 | al;
			uint32_t ax = adj(op, in, FIN0, &f0);
			uint32_t ax1 = adj(op, in, FIN1, &f1);
			printf(" %04x:%03x/%03x", ax & 0xFFFF, f0 & F_AAM, f1 & F_AAM);
			check_up("aam", ax, in);
			if (ax != ax1)
				mismatch("aam", 16, in, (uint32_t)op);
		}
		putchar('\n');
	}
	static const uint32_t hs[] = { 0x00, 0x01, 0x09, 0x10, 0x7F, 0x80, 0xFF, 0x3C };
	for (unsigned h = 0; h < sizeof(hs) / sizeof(hs[0]); h++) {
		for (uint32_t al = 0; al < 256; al += 5) {
			uint32_t in = EAX_UP | (hs[h] << 8) | al;
			printf("aad %04x =", in & 0xFFFF);
			for (int op = 9; op <= 13; op++) {
				uint32_t f0, f1;
				uint32_t ax = adj(op, in, FIN0, &f0);
				uint32_t ax1 = adj(op, in, FIN1, &f1);
				printf(" %04x:%03x/%03x", ax & 0xFFFF, f0 & F_AAM, f1 & F_AAM);
				check_up("aad", ax, in);
				if (ax != ax1)
					mismatch("aad", 16, in, (uint32_t)op);
			}
			putchar('\n');
		}
	}
}

void test_bcd(void)
{
	puts("# bcd");
	test_daa_das();
	test_aaa_aas();
	test_aam_aad();
}
