/*
 * LEA with every 32-bit addressing form (base, base+disp8/disp32, SIB with each scale, no base,
 * disp32 only, EBP and ESP bases, wrap-around) and the 16-bit addressing forms (0x67 prefix) with
 * 32- and 16-bit destinations (0x66: the upper half of the destination is kept).
 */
#include "report.h"

/* Register values loaded before the LEAs run. */
#define R_EAX "0xAAAA5555"
#define R_EBX "0x1234FFF0"
#define R_ECX "0x00000030"
#define R_EDX "0x80000000"
#define R_ESI "0xFFFF0020"
#define R_EDI "0x00008000"
#define R_EBP "0x00007FF0"

#define LEA_FORMS(X)                                                  \
	X(0, "leal", "(%%ebx)", "%%eax")                            \
	X(1, "leal", "0x12(%%ebx)", "%%eax")                        \
	X(2, "leal", "-0x80(%%ebx)", "%%eax")                       \
	X(3, "leal", "0x7f(%%ebx)", "%%eax")                        \
	X(4, "leal", "0x80(%%ebx)", "%%eax")                        \
	X(5, "leal", "0x12345678(%%ebx)", "%%eax")                  \
	X(6, "leal", "(%%ebx,%%ecx)", "%%eax")                      \
	X(7, "leal", "(%%ebx,%%ecx,2)", "%%eax")                    \
	X(8, "leal", "(%%ebx,%%ecx,4)", "%%eax")                    \
	X(9, "leal", "(%%ebx,%%ecx,8)", "%%eax")                    \
	X(10, "leal", "-4(%%ebx,%%ecx,8)", "%%eax")                 \
	X(11, "leal", "0x1000(%%ebx,%%ecx,4)", "%%eax")             \
	X(12, "leal", "0x100(,%%ecx,4)", "%%eax")                   \
	X(13, "leal", "(,%%ecx,1)", "%%eax")                        \
	X(14, "leal", "0x12345678", "%%eax")                        \
	X(15, "leal", "(%%ebp)", "%%eax")                           \
	X(16, "leal", "-1(%%ebp,%%ecx,2)", "%%eax")                 \
	X(17, "leal", "(%%ecx,%%ebp)", "%%eax")                     \
	X(18, "leal", "(%%edx,%%edx)", "%%eax")                     \
	X(19, "leal", "0x10(%%esi,%%esi,8)", "%%eax")               \
	X(20, "leal", "0x7fffffff(%%edx)", "%%eax")                 \
	X(21, "leal", "(%%eax,%%eax,2)", "%%eax")                   \
	X(22, "leal", "1(%%edi,%%edi,4)", "%%edi")                  \
	X(23, "leal", "(%%esi)", "%%ecx")                           \
	X(24, "leal", "(%%bx,%%si)", "%%eax")                       \
	X(25, "leal", "(%%bx,%%di)", "%%eax")                       \
	X(26, "leal", "(%%bp,%%si)", "%%eax")                       \
	X(27, "leal", "(%%bp,%%di)", "%%eax")                       \
	X(28, "leal", "(%%si)", "%%eax")                            \
	X(29, "leal", "(%%di)", "%%eax")                            \
	X(30, "leal", "(%%bx)", "%%eax")                            \
	X(31, "leal", "0x10(%%bp)", "%%eax")                        \
	X(32, "leal", "-0x20(%%bx,%%si)", "%%eax")                  \
	X(33, "leal", "0x7f(%%bp,%%di)", "%%eax")                   \
	X(34, "leal", "0x1234(%%bx,%%di)", "%%eax")                 \
	X(35, "leal", "0xfff0(%%si)", "%%eax")                      \
	X(36, "leal", "-0x7000(%%di)", "%%eax")                     \
	X(37, "leaw", "(%%bx,%%si)", "%%ax")                        \
	X(38, "leaw", "0x7f(%%bp,%%di)", "%%ax")                    \
	X(39, "leaw", "0x12(%%bx)", "%%dx")                         \
	X(40, "leaw", "0x12345678(%%ebx)", "%%ax")                  \
	X(41, "leaw", "(%%ebx,%%ecx,8)", "%%si")                    \
	X(42, "leal", "0x1234", "%%eax")                            \
	X(43, "addr16 leal", "0x8765", "%%eax")

#define LEA_EMIT(n, op, ea, dst)                                                   \
	"movl $" R_EAX ", %%eax\n\tmovl $" R_EBX ", %%ebx\n\tmovl $" R_ECX ", %%ecx\n\t" \
	"movl $" R_EDX ", %%edx\n\tmovl $" R_ESI ", %%esi\n\tmovl $" R_EDI ", %%edi\n\t" \
	"movl $" R_EBP ", %%ebp\n\t" op " " ea ", " dst "\n\t"                          \
	"movl %%eax, lea_out+" #n "*16\n\tmovl %%ecx, lea_out+" #n "*16+4\n\t"           \
	"movl %%edx, lea_out+" #n "*16+8\n\tmovl %%esi, lea_out+" #n "*16+12\n\t"        \
	"movl %%edi, lea_edi+" #n "*4\n\t"

#define LEA_NAME(n, op, ea, dst) op " " ea ", " dst,
#define LEA_DST(n, op, ea, dst) dst,

uint32_t lea_out[64][4] __attribute__((used));
uint32_t lea_edi[64] __attribute__((used));
uint32_t lea_esp[2] __attribute__((used));

static const char *const lea_names[] = { LEA_FORMS(LEA_NAME) };
static const char *const lea_dsts[] = { LEA_FORMS(LEA_DST) };

/* Prints an asm-template string with its %% turned into %. */
static void put_tmpl(const char *s)
{
	for (; *s; s++) {
		if (s[0] == '%' && s[1] == '%')
			s++;
		putchar(*s);
	}
}

void test_lea(void)
{
	puts("# lea");
	__asm__ volatile("pushal\n\t" LEA_FORMS(LEA_EMIT)
			 "movl $0x30, %%ecx\n\t"
			 "leal 4(%%esp,%%ecx,2), %%eax\n\tsubl %%esp, %%eax\n\tmovl %%eax, lea_esp\n\t"
			 "leal -8(%%esp), %%eax\n\tsubl %%esp, %%eax\n\tmovl %%eax, lea_esp+4\n\t"
			 "popal"
			 :
			 :
			 : "memory", "cc");
	for (unsigned n = 0; n < sizeof(lea_names) / sizeof(lea_names[0]); n++) {
		const char *d = lea_dsts[n];
		uint32_t v;
		/* the destination register named in the form */
		if (!strcmp(d, "%%edi"))
			v = lea_edi[n];
		else if (!strcmp(d, "%%ecx"))
			v = lea_out[n][1];
		else if (!strcmp(d, "%%dx"))
			v = lea_out[n][2];
		else if (!strcmp(d, "%%si"))
			v = lea_out[n][3];
		else
			v = lea_out[n][0];
		put_tmpl(lea_names[n]);
		printf(" = %08x\n", v);
	}
	printf("leal 4(%%esp,%%ecx,2) - esp = %08x\n", lea_esp[0]);
	printf("leal -8(%%esp) - esp = %08x\n", lea_esp[1]);
}
