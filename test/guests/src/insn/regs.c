/*
 * Register encodings and prefixes: 8-bit operations on AH CH DH BH (ModRM reg/rm 4..7), MOV with
 * immediates to every 8/16/32-bit register, and prefixes that must not change the result:
 * repeated 0x66, segment overrides on LEA and register operations, REP on non-string
 * instructions, branch hints, LOCK on memory read-modify-write instructions.
 */
#include "report.h"

uint32_t regs_res[8] __attribute__((used));
uint32_t regs_mem __attribute__((used));

/* Loads known values into all general registers but ESP/EBP, runs body, stores them. */
#define REGS_TEST(body)                                                                     \
	__asm__ volatile("pushal\n\t"                                                       \
			 "movl $0x11223344, %%eax\n\tmovl $0x55667788, %%ebx\n\t"            \
			 "movl $0x99aabbcc, %%ecx\n\tmovl $0xddeeff01, %%edx\n\t"            \
			 "movl $0x02468ace, %%esi\n\tmovl $0x13579bdf, %%edi\n\t"            \
			 "pushl $0x002\n\tpopfl\n\t" body "\n\t"                             \
			 "movl %%eax, regs_res\n\tmovl %%ebx, regs_res+4\n\t"               \
			 "movl %%ecx, regs_res+8\n\tmovl %%edx, regs_res+12\n\t"            \
			 "movl %%esi, regs_res+16\n\tmovl %%edi, regs_res+20\n\t"           \
			 "pushfl\n\tpopl regs_res+24\n\t"                                   \
			 "popal"                                                            \
			 :                                                                  \
			 :                                                                  \
			 : "memory", "cc")

static void report(const char *name, uint32_t fmask)
{
	printf("%s: %08x %08x %08x %08x %08x %08x f=%04x m=%08x\n", name, regs_res[0], regs_res[1], regs_res[2],
	       regs_res[3], regs_res[4], regs_res[5], regs_res[6] & fmask, regs_mem);
}

#define RUN(name, fmask, body)         \
	do {                           \
		regs_mem = 0xCAFEF00D; \
		REGS_TEST(body);       \
		report(name, fmask);   \
	} while (0)

void test_regs(void)
{
	puts("# regs");
	RUN("mov8 imm", 0, "movb $0xa1, %%al\n\tmovb $0xa2, %%cl\n\tmovb $0xa3, %%dl\n\tmovb $0xa4, %%bl\n\t"
			   "movb $0xa5, %%ah\n\tmovb $0xa6, %%ch\n\tmovb $0xa7, %%dh\n\tmovb $0xa8, %%bh");
	RUN("mov16 imm", 0, "movw $0xb1b1, %%ax\n\tmovw $0xb2b2, %%cx\n\tmovw $0xb3b3, %%dx\n\tmovw $0xb4b4, %%bx\n\t"
			    "movw $0xb6b6, %%si\n\tmovw $0xb7b7, %%di");
	RUN("mov8 rr", 0, "movb %%ah, %%bl\n\tmovb %%al, %%ch\n\tmovb %%dh, %%dl\n\tmovb %%bh, %%ah");
	RUN("add8 hi", F_ARITH, "addb %%ah, %%bh\n\tadcb %%ch, %%dh\n\tsubb %%bh, %%ah");
	RUN("alu8 hi lo", F_ARITH, "xorb %%al, %%ch\n\torb %%dh, %%bl\n\tandb %%ah, %%cl\n\tcmpb %%bh, %%dl");
	RUN("inc dec hi", F_ARITH, "incb %%ah\n\tdecb %%ch\n\tincb %%dh\n\tnegb %%bh\n\tnotb %%dl");
	RUN("shift hi", F_CF | F_ZF | F_SF | F_PF, "shlb $1, %%ah\n\trorb $3, %%ch\n\tsarb %%cl, %%dh\n\tshrb $1, %%bh");
	RUN("xchg hi", 0, "xchgb %%ah, %%dh\n\txchgb %%bh, %%cl\n\txchgb %%ch, regs_mem+1");
	RUN("mem hi", F_ARITH, "addb %%bh, regs_mem\n\tmovb regs_mem+3, %%dh\n\tsubb %%ch, regs_mem+2");
	RUN("movzx hi", 0, "movzbl %%ah, %%esi\n\tmovsbl %%bh, %%edi\n\tmovzbw %%dh, %%cx\n\tmovsbw %%ch, %%bx");
	RUN("setcc hi", 0, "cmpl %%eax, %%ebx\n\tsetb %%ah\n\tsetg %%bh\n\tsetne %%ch\n\tsetbe %%dh");
	RUN("mul hi", F_CF | F_OF, "mulb %%ah\n\tmovl %%eax, %%esi\n\tmovl $0x11223344, %%eax\n\timulb %%bh");
	RUN("div hi", 0, "movl $0x00001234, %%eax\n\tdivb %%dh");
	RUN("66 66 prefix", F_ARITH, ".byte 0x66, 0x66\n\taddl %%ebx, %%eax");  /* = addw %bx, %ax */
	RUN("seg lea", 0, ".byte 0x26\n\tleal 8(%%esi,%%edi,2), %%eax\n\t.byte 0x64\n\tleal 0x10(%%ebx), %%ecx");
	RUN("seg reg op", F_ARITH, ".byte 0x2e\n\taddl %%ebx, %%eax\n\t.byte 0x65\n\tsubl %%ecx, %%edx");
	RUN("rep nonstring", F_ARITH, ".byte 0xf3\n\taddl %%ebx, %%eax\n\t.byte 0xf2\n\tincl %%ecx\n\t.byte 0xf3\n\txorl %%esi, %%edi");
	RUN("branch hint", 0, "xorl %%esi, %%esi\n\tcmpl %%eax, %%eax\n\t.byte 0x3e\n\tje 1f\n\tmovl $1, %%esi\n1:\t"
			      ".byte 0x2e\n\tjne 2f\n\tmovl $2, %%edi\n2:");
	RUN("lock mem", F_ARITH, "lock addl %%eax, regs_mem\n\tlock incl regs_mem\n\tlock notl regs_mem\n\t"
			   "lock btsl $3, regs_mem\n\tlock orb %%ah, regs_mem+1");
	RUN("lock adc sbb", F_ARITH, "stc\n\tlock adcl %%ebx, regs_mem\n\tlock sbbw %%cx, regs_mem+2\n\tlock negb regs_mem\n\t"
			       "lock xchgl %%edx, regs_mem");
	RUN("66 67 prefix mix", F_ARITH, "movl $0x00010004, %%ebx\n\tmovl $0x2000fffe, %%esi\n\t"
				   "leaw 0x10(%%bx,%%si), %%ax\n\tleal 0x10(%%bx,%%si), %%ecx\n\t"
				   "leaw 0x10(%%ebx,%%esi), %%dx");
}
