/*
 * Self-modifying code: code written to a buffer, run, patched and run again (an immediate, an
 * instruction straddling a 4 KiB boundary, a store into the next instruction followed by a jump,
 * a patch-and-call loop). Catches decoded-instruction caches that miss invalidation.
 */
#include "report.h"

static uint8_t smc_buf[8192] __attribute__((aligned(4096)));

typedef uint32_t (*codefn)(void);

static void make_executable(void)
{
#ifdef NATIVE
	int r;
	/* mprotect(buf, 8192, PROT_READ | PROT_WRITE | PROT_EXEC) */
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(125), "b"(smc_buf), "c"(8192), "d"(7) : "memory");
	if (r != 0)
		printf("mprotect failed %d\n", r);
#endif
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t call(uint8_t *p)
{
	codefn fn = (codefn)(uintptr_t)p;
	return fn();
}

void test_smc(void)
{
	puts("# smc");
	make_executable();
	memset(smc_buf, 0x90, sizeof(smc_buf));

	/* a: mov eax, imm32; ret -- then patch the immediate */
	uint8_t *a = smc_buf + 16;
	a[0] = 0xB8;
	put32(a + 1, 0x11111111);
	a[5] = 0xC3;
	uint32_t r1 = call(a);
	put32(a + 1, 0x22222222);
	uint32_t r2 = call(a);
	a[1] = 0x33;
	uint32_t r3 = call(a);
	printf("smc imm = %08x %08x %08x\n", r1, r2, r3);

	/* b: the same instruction straddling the page boundary (opcode and a byte on page 0) */
	uint8_t *b = smc_buf + 4096 - 2;
	b[0] = 0xB8;
	put32(b + 1, 0x44444444);
	b[5] = 0xC3;
	r1 = call(b);
	b[3] = 0x55;  /* on the second page */
	r2 = call(b);
	b[0] = 0xB9;  /* mov ecx, imm32: EAX no longer set; make it return ECX via a changed tail */
	b[5] = 0x89;  /* mov eax, ecx */
	b[6] = 0xC8;
	b[7] = 0xC3;
	r3 = call(b);
	printf("smc page = %08x %08x %08x\n", r1, r2, r3);

	/* c: code that stores into the next instruction, then jumps to it */
	uint8_t *c = smc_buf + 256;
	uint8_t *target = c + 9;
	c[0] = 0xB0; /* mov al, 0x99 */
	c[1] = 0x99;
	c[2] = 0xA2; /* mov [target + 1], al */
	put32(c + 3, (uint32_t)(uintptr_t)(target + 1));
	c[7] = 0xEB; /* jmp short +0 */
	c[8] = 0x00;
	target[0] = 0xB8; /* mov eax, 0x00000011 */
	put32(target + 1, 0x00000011);
	target[5] = 0xC3;
	r1 = call(c);
	r2 = call(c); /* already patched */
	target[1] = 0x11;
	r3 = call(c);
	printf("smc self = %08x %08x %08x\n", r1, r2, r3);

	/* d: patch-and-call loop: mov eax, 0; add eax, imm32; ret */
	uint8_t *d = smc_buf + 512;
	d[0] = 0xB8;
	put32(d + 1, 0);
	d[5] = 0x05;
	d[10] = 0xC3;
	uint32_t sum = 0;
	for (uint32_t i = 0; i < 50; i++) {
		put32(d + 6, i * 0x01010101u);
		sum = sum * 3 + call(d);
	}
	printf("smc loop = %08x\n", sum);

	/* e: a loop in the buffer whose body is rewritten between runs (inc -> dec) */
	uint8_t *e = smc_buf + 1024;
	e[0] = 0xB9; /* mov ecx, 10 */
	put32(e + 1, 10);
	e[5] = 0x31; /* xor eax, eax */
	e[6] = 0xC0;
	e[7] = 0x40; /* inc eax */
	e[8] = 0xE2; /* loop -3 */
	e[9] = 0xFD;
	e[10] = 0xC3;
	r1 = call(e);
	e[7] = 0x48; /* dec eax */
	r2 = call(e);
	printf("smc body = %08x %08x\n", r1, r2);
}
