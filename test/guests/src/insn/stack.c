/*
 * Stack: PUSH/POP forms (imm8/imm32/imm16, register, memory, 16-bit), PUSH ESP, POP ESP, POP to
 * memory addressed through ESP, PUSHA/POPA (32/16), PUSHF/POPF (32/16; only CF PF AF ZF SF DF OF
 * are compared), ENTER with nesting levels 0, 1, 3 (32- and 16-bit), LEAVE, CALL and RET imm16.
 * Each test runs on a private stack; addresses are printed relative to it (S+offset).
 */
#include "report.h"

/* 64 KiB-aligned so that 16-bit stack pointers are the same in every build */
uint32_t pstack[128] __attribute__((used, aligned(65536)));
uint32_t stk_save __attribute__((used));
uint32_t regs_out[8] __attribute__((used));  /* eax ebx ecx edx esi edi ebp esp */
uint32_t stk_mem[4] __attribute__((used));

#define STACK_TOP "pstack+384"

/* Runs `body` with ESP = STACK_TOP, EBP = pstack+320 and known register values. */
#define STACK_TEST(body)                                                                        \
	__asm__ volatile("pushal\n\t"                                                           \
			 "movl %%esp, stk_save\n\t"                                             \
			 "movl $" STACK_TOP ", %%esp\n\t"                                       \
			 "movl $0x11111111, %%eax\n\tmovl $0x22222222, %%ebx\n\t"                \
			 "movl $0x33333333, %%ecx\n\tmovl $0x44444444, %%edx\n\t"                \
			 "movl $0x55555555, %%esi\n\tmovl $0x66666666, %%edi\n\t"                \
			 "movl $pstack+320, %%ebp\n\t" body "\n\t"                              \
			 "movl %%eax, regs_out\n\tmovl %%ebx, regs_out+4\n\t"                   \
			 "movl %%ecx, regs_out+8\n\tmovl %%edx, regs_out+12\n\t"                \
			 "movl %%esi, regs_out+16\n\tmovl %%edi, regs_out+20\n\t"               \
			 "movl %%ebp, regs_out+24\n\tmovl %%esp, regs_out+28\n\t"               \
			 "movl stk_save, %%esp\n\t"                                             \
			 "popal\n\tcld"                                                         \
			 :                                                                      \
			 :                                                                      \
			 : "memory", "cc")

static uint32_t pattern(unsigned i)
{
	return 0xEE000000u + i * 0x00010001u;
}

static void stack_fill(void)
{
	for (unsigned i = 0; i < 128; i++)
		pstack[i] = pattern(i);
	/* a frame chain for ENTER: [S+320] -> S+352 -> S+368 */
	pstack[80] = (uint32_t)(uintptr_t)&pstack[88];
	pstack[79] = 0xF0000079;
	pstack[78] = 0xF0000078;
	pstack[77] = 0xF0000077;
	pstack[76] = 0xF0000076;
	stk_mem[0] = 0xA0A0A0A0;
	stk_mem[1] = 0xB1B1B1B1;
	stk_mem[2] = 0xC2C2C2C2;
	stk_mem[3] = 0xD3D3D3D3;
}

void test_stack(void);

static void pr_val(uint32_t v)
{
	uint32_t base = (uint32_t)(uintptr_t)pstack;
	uint32_t code = (uint32_t)(uintptr_t)test_stack;
	if (v - base < 0x10000)
		printf("S+%03x", v - base);
	else if (v - code < 0x4000)
		printf("T+%03x", v - code);  /* a return address in this function */
	else
		printf("%08x", v);
}

static void stack_report(const char *name)
{
	static const char *const rn[8] = { "eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp" };
	static const uint32_t rin[6] = { 0x11111111, 0x22222222, 0x33333333, 0x44444444, 0x55555555, 0x66666666 };
	printf("%s:", name);
	for (int i = 0; i < 8; i++) {
		if (i < 6 && regs_out[i] == rin[i])
			continue;
		printf(" %s=", rn[i]);
		pr_val(regs_out[i]);
	}
	printf(" |");
	for (unsigned i = 0; i < 128; i++) {
		uint32_t orig = pattern(i);
		if (i == 80)
			orig = (uint32_t)(uintptr_t)&pstack[88];
		else if (i >= 76 && i <= 79)
			orig = 0xF0000000u + 0x70 + (i - 70);
		if (pstack[i] != orig) {
			printf(" [%03x]=", i * 4);
			pr_val(pstack[i]);
		}
	}
	for (unsigned i = 0; i < 4; i++) {
		printf(" m%u=", i);
		pr_val(stk_mem[i]);
	}
	putchar('\n');
}

#define RUN(name, body)              \
	do {                         \
		stack_fill();        \
		STACK_TEST(body);    \
		stack_report(name);  \
	} while (0)

void test_stack(void)
{
	puts("# stack");
	RUN("push imm", "pushl $0x12345678\n\tpushl $-2\n\tpushl $0x7f\n\tpushl $0x80\n\tpushw $0x1234\n\tpushw $-3");
	RUN("push reg", "pushl %%eax\n\tpushw %%bx\n\tpushl %%ecx\n\tpushw %%dx");
	RUN("push mem", "pushl stk_mem\n\tpushw stk_mem+4\n\tpushl stk_mem+8");
	RUN("pop", "pushl $0x12345678\n\tpushl $0x9abcdef0\n\tpopw %%dx\n\tpopw %%cx\n\tpopl %%esi\n\tpopl stk_mem\n\tpopw stk_mem+4");
	RUN("push esp", "pushl %%esp\n\tpushw %%sp\n\tpushl (%%esp)\n\tpushl 4(%%esp)");
	RUN("pop esp", "pushl $pstack+256\n\tpopl %%esp\n\tpushl $0x77777777");
	RUN("pop 16 sp", "pushw $0x1234\n\tpopw %%sp\n\tmovl %%esp, %%eax\n\tmovl $" STACK_TOP ", %%esp");
	RUN("pop mem esp", "pushl $0xaabbccdd\n\tpushl $0x01020304\n\tpushl $0x05060708\n\tpopl 4(%%esp)\n\tpopl (%%esp)");
	RUN("pop mem16 esp", "pushl $0x11112222\n\tpushl $0x33334444\n\tpopw 2(%%esp)\n\tpopw (%%esp)");
	RUN("push mem esp", "pushl $0x5555aaaa\n\tpushl (%%esp)\n\tpushw 2(%%esp)\n\tpushl 6(%%esp)");
	RUN("call mem esp", "pushl $1f\n\tcall *(%%esp)\n\tjmp 2f\n1:\tmovl (%%esp), %%eax\n\tmovl 4(%%esp), %%ebx\n\t"
			    "subl $2f, %%eax\n\tsubl $1b, %%ebx\n\tret\n2:\tpopl %%ecx\n\tsubl $1b, %%ecx");
	RUN("pop mem esp idx", "pushl $1\n\tpushl $2\n\tpushl $3\n\tmovl $1, %%ecx\n\tpopl (%%esp,%%ecx,4)");
	RUN("pusha", "movl $0x77777777, %%ebp\n\tpushal\n\tmovl $0, %%eax\n\tmovl $0, %%ebx\n\tmovl $0, %%ecx\n\t"
		     "movl $0, %%edx\n\tmovl $0, %%esi\n\tmovl $0, %%edi\n\tmovl $0, %%ebp\n\tmovl $0x88888888, 12(%%esp)\n\tpopal");
	RUN("pusha16", "pushaw\n\tmovl $0, %%eax\n\tmovl $0, %%ebx\n\tmovl $0xffffffff, %%ecx\n\tmovl $0, %%edx\n\t"
		       "movl $0, %%esi\n\tmovl $0, %%edi\n\tmovl $0, %%ebp\n\tpopaw");
	RUN("pushf popf", "pushl $0x0cd5\n\tpopfl\n\tpushfl\n\tpopl %%eax\n\tandl $0x0cd5, %%eax\n\t"
			  "pushl $0x0400\n\tpopfl\n\tpushfl\n\tpopl %%ebx\n\tandl $0x0cd5, %%ebx\n\t"
			  "pushl $0\n\tpopfl\n\tpushfl\n\tpopl %%ecx\n\tandl $0x0cd5, %%ecx\n\t"
			  "pushw $0x0891\n\tpopfw\n\tpushfw\n\tpopw %%dx\n\tandl $0x0cd5, %%edx\n\t"
			  "pushl $0x0044\n\tpopfl\n\tpushfw\n\tpushl $0\n\tpopfl\n\tpopfw\n\tpushfl\n\tpopl %%esi\n\t"
			  "andl $0x0cd5, %%esi\n\tcld\n\tmovl $0, -4(%%esp)\n\tmovl $0, -8(%%esp)");
	RUN("lahf sahf", "movl $0xd5d5d5d5, %%eax\n\tsahf\n\tmovl $0, %%eax\n\tlahf\n\tmovl %%eax, %%ebx\n\t"
			 "movl $0x2a00, %%eax\n\tsahf\n\tlahf\n\tmovl %%eax, %%ecx\n\t"
			 "pushl $0x0cd5\n\tpopfl\n\tmovl $0, %%eax\n\tsahf\n\tpushfl\n\tpopl %%edx\n\tandl $0x0cd5, %%edx\n\tcld\n\tmovl $0, -4(%%esp)");
	RUN("enter 0", "enter $16, $0");
	RUN("enter 1", "enter $8, $1");
	RUN("enter 3", "enter $12, $3");
	RUN("enter 3 leave", "enter $12, $3\n\tmovl %%esp, %%eax\n\tleave");
	RUN("enter 33", "enter $4, $33");
	RUN("enterw 2", "enterw $8, $2");
	RUN("leave", "movl $pstack+256, %%ebp\n\tleave");
	RUN("leavew", "movl $pstack+256, %%ebp\n\tleavew");
	RUN("call ret", "call 1f\n1:\tpopl %%eax\n\tsubl $1b, %%eax\n\t"
			"pushl $0x99999999\n\tcall 2f\n\tjmp 3f\n2:\tret $4\n3:\tmovl %%esp, %%ebx\n\t"
			"call 4f\n\tjmp 5f\n4:\tmovl (%%esp), %%ecx\n\tsubl $4b, %%ecx\n\tret\n5:");
	RUN("call indirect", "movl $1f, %%edx\n\tcall *%%edx\n\tjmp 2f\n1:\tmovl $0xabababab, %%esi\n\tret\n2:\t"
			     "movl $3f, stk_mem\n\tcall *stk_mem\n\tjmp 4f\n3:\tmovl $0xcdcdcdcd, %%edi\n\tret\n4:");
}
