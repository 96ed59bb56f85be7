/*
 * Flag chains: a flag-setting instruction followed by instructions that keep some or all flags
 * (INC/DEC keep CF, rotates keep SF/ZF/PF, BT keeps ZF, shifts by 0 keep everything, MOV/LEA/
 * PUSH/POP/XCHG/LOOP keep everything) and then a consumer (ADC, SBB, SETcc, Jcc, PUSHF). Catches
 * lazy-flag evaluation that loses the older flags.
 */
#include "report.h"

struct chain_out {
	uint32_t a, b, c, d, f1, f2;
};

/* Runs body with EAX=a EBX=b, ECX/EDX preset, flags fin; PF1/PF2 save EFLAGS in ESI and EDI. */
#define CHAIN(fn, body)                                                                               \
	static void fn(uint32_t a, uint32_t b, uint32_t fin, struct chain_out *o)                       \
	{                                                                                             \
		uint32_t c = 0x7FFFFFFF, d = 0x00000005, f1, f2;                                      \
		__asm__ volatile(FLAGS_IN body                                                         \
				 : "+a"(a), "+b"(b), "+c"(c), "+d"(d), "=&S"(f1), "=&D"(f2)            \
				 : [fi] "m"(fin)                                                       \
				 : "cc", "memory");                                                   \
		o->a = a;                                                                             \
		o->b = b;                                                                             \
		o->c = c;                                                                             \
		o->d = d;                                                                             \
		o->f1 = f1;                                                                           \
		o->f2 = f2;                                                                           \
	}

#define PF1 "pushfl\n\tpopl %%esi\n\t"
#define PF2 "\n\tpushfl\n\tpopl %%edi"

CHAIN(ch_add_inc_adc, "addl %%ebx, %%eax\n\tincl %%ecx\n\t" PF1 "adcl $0, %%edx" PF2)
CHAIN(ch_sub_dec_sbb, "subl %%ebx, %%eax\n\tdecl %%ecx\n\t" PF1 "sbbl $0, %%edx" PF2)
CHAIN(ch_add_shl0, "addl %%ebx, %%eax\n\tmovl $32, %%ecx\n\tshll %%cl, %%edx\n\t" PF1 "leal 1(%%eax), %%edx\n\tadcl %%eax, %%edx" PF2)
CHAIN(ch_cmp_bt, "cmpl %%ebx, %%eax\n\tbtl $31, %%ebx\n\t" PF1 "setz %%cl\n\tsetc %%ch\n\tadcl %%eax, %%edx" PF2)
CHAIN(ch_sub_inc_cond, "subl %%ebx, %%eax\n\tincl %%edx\n\t" PF1 "setbe %%cl\n\tseta %%ch\n\tsbbl %%ebx, %%edx" PF2)
CHAIN(ch_and_rol, "andl %%ebx, %%eax\n\troll $1, %%edx\n\t" PF1 "rcrl $1, %%eax" PF2)
CHAIN(ch_add_rcr, "addl %%ebx, %%eax\n\trcrl $1, %%ecx\n\t" PF1 "adcl %%ebx, %%edx" PF2)
CHAIN(ch_add_keep, "addl %%ebx, %%eax\n\tpushl %%eax\n\tmovl %%ebx, %%ecx\n\tleal 4(%%ecx,%%eax,2), %%edx\n\t"
		   "xchgl %%ecx, %%edx\n\tpopl %%ebx\n\t" PF1 "adcl %%eax, %%ebx" PF2)
CHAIN(ch_add_loop, "addl %%ebx, %%eax\n\tmovl $3, %%ecx\n1:\tleal 1(%%edx), %%edx\n\tloop 1b\n\t" PF1
		   "sbbl %%ecx, %%edx" PF2)
CHAIN(ch_neg_cmc, "negl %%eax\n\tcmc\n\t" PF1 "adcl %%ebx, %%eax" PF2)
CHAIN(ch_mul_jo, "mull %%ebx\n\tmovl $0, %%ecx\n\tjno 1f\n\tmovl $1, %%ecx\n1:\tjnc 2f\n\taddl $2, %%ecx\n2:\t" PF1
		 "adcl %%ecx, %%ecx" PF2)
CHAIN(ch_inc_popf, "addl %%ebx, %%eax\n\tpushfl\n\tincl %%eax\n\tpopfl\n\t" PF1 "decl %%ebx" PF2)
CHAIN(ch_shr_jcc, "shrl $1, %%eax\n\tmovl $0, %%ecx\n\tjc 1f\n\torl $1, %%ecx\n1:\tjz 2f\n\torl $2, %%ecx\n2:\t"
		  "js 3f\n\torl $4, %%ecx\n3:\tjp 4f\n\torl $8, %%ecx\n4:\t" PF1 "rcll $1, %%ebx" PF2)
CHAIN(ch_sbb_setcc, "cmpl %%eax, %%ebx\n\tsbbl %%ecx, %%ecx\n\t" PF1 "setl %%dl\n\tsetle %%dh\n\tsetg %%al\n\tsetge %%ah" PF2)

struct chain {
	const char *name;
	void (*fn)(uint32_t a, uint32_t b, uint32_t fin, struct chain_out *o);
	uint32_t m1, m2;  /* defined flags at the first and second PUSHF */
};

static const struct chain chains[] = {
	{ "add inc adc", ch_add_inc_adc, F_ARITH, F_ARITH },
	{ "sub dec sbb", ch_sub_dec_sbb, F_ARITH, F_ARITH },
	{ "add shl0 adc", ch_add_shl0, F_ARITH, F_ARITH },
	{ "cmp bt adc", ch_cmp_bt, F_CF | F_ZF, F_ARITH },
	{ "sub inc setcc sbb", ch_sub_inc_cond, F_ARITH, F_ARITH },
	{ "and rol rcr", ch_and_rol, F_CF | F_SF | F_ZF | F_PF, F_CF | F_SF | F_ZF | F_PF },
	{ "add rcr adc", ch_add_rcr, F_ARITH, F_ARITH },
	{ "add push mov lea xchg pop adc", ch_add_keep, F_ARITH, F_ARITH },
	{ "add loop sbb", ch_add_loop, F_ARITH, F_ARITH },
	{ "neg cmc adc", ch_neg_cmc, F_ARITH, F_ARITH },
	{ "mul jo jc adc", ch_mul_jo, F_CF | F_OF, F_ARITH },
	{ "add pushf inc popf dec", ch_inc_popf, F_ARITH, F_ARITH },
	{ "shr jcc rcl", ch_shr_jcc, F_CF | F_ZF | F_SF | F_PF, F_CF | F_ZF | F_SF | F_PF },
	{ "cmp sbb setcc", ch_sbb_setcc, F_ARITH, F_ARITH },
};

void test_chain(void)
{
	puts("# chain");
	for (unsigned k = 0; k < sizeof(chains) / sizeof(chains[0]); k++) {
		const struct chain *ch = &chains[k];
		for (unsigned i = 0; i < nsvals32; i++) {
			for (unsigned j = 0; j < nsvals32; j++) {
				struct chain_out o;
				ch->fn(svals32[i], svals32[j], (i + j) & 1 ? FIN1 : FIN0, &o);
				printf("%s %08x,%08x = %08x %08x %08x %08x f=%04x,%04x\n", ch->name, svals32[i], svals32[j], o.a, o.b,
				       o.c, o.d, o.f1 & ch->m1, o.f2 & ch->m2);
			}
		}
	}
}
