/*
 * paging: two-level 32-bit paging with 4 KiB and 4 MiB pages. #PF error codes and CR2, CR0.WP,
 * accessed/dirty bits, INVLPG and CR3-reload flushing, CR4.PGE, page-crossing data accesses and
 * instruction fetches. Prints only what the SDM guarantees (never whether a stale TLB entry was used).
 */
#include "sys.h"

#define PG_P  0x001u  /* present */
#define PG_RW 0x002u  /* writable */
#define PG_US 0x004u  /* user */
#define PG_A  0x020u  /* accessed */
#define PG_D  0x040u  /* dirty */
#define PG_PS 0x080u  /* 4 MiB page (PDE) */
#define PG_G  0x100u  /* global */

#define V_NP    0x400000u  /* not present */
#define V_RO    0x401000u  /* user, read-only */
#define V_SUP   0x402000u  /* supervisor, writable */
#define V_AD    0x403000u  /* user, writable: accessed/dirty checks */
#define V_X1    0x404000u  /* present page followed by ... */
#define V_X2    0x405000u  /* ... a not-present one */
#define V_TLB   0x406000u  /* remapped between F(5) and F(6) */
#define V_FETCH 0x407000u  /* not present, jumped to */
#define V_G     0x408000u  /* global page */
#define V_BIG   0x800000u  /* 4 MiB page -> physical 0xC00000 */
#define V_PDRO  0xC00000u  /* PDE user read-only, PTE user writable */
#define V_PDSUP 0x1000000u /* PDE supervisor, PTE user */
#define F(n) (0x500000u + (n) * 0x1000u)  /* test frames (identity-mapped too) */

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt0[1024] __attribute__((aligned(4096)));
static uint32_t pt1[1024] __attribute__((aligned(4096)));
static uint32_t pt3[1024] __attribute__((aligned(4096)));
static uint32_t pt4[1024] __attribute__((aligned(4096)));

static volatile uint32_t target;
static volatile uint32_t sink;

static void do_read(void) { sink = *(volatile uint32_t *)target; }
static void do_write(void) { *(volatile uint32_t *)target = 0x5A5A5A5Au; }
static void do_call(void) { ((void (*)(void))target)(); }

static inline uint32_t rd(uint32_t a) { return *(volatile uint32_t *)a; }
static inline void wr(uint32_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static uint32_t *pte(uint32_t va) { return &pt1[(va >> 12) & 1023]; }

/* Expect a #PF with error code err (or none if err < 0) and CR2 = cr2. */
static void pf(const char *name, void (*fn)(void), int ring, uint32_t addr, int err, uint32_t cr2)
{
	target = addr;
	int v = sys_try(fn, ring);
	if (err < 0) {
		printf("%s: %s %s\n", name, v < 0 ? "no fault" : "fault", okfail(v < 0));
		return;
	}
	if (v < 0) {
		printf("%s: no fault FAIL\n", name);
		return;
	}
	printf("%s: vec=%02x err=%04x cr2=%08x %s\n", name, v, last_fault.err, last_fault.cr2,
	       okfail(v == 14 && last_fault.err == (uint32_t)err && last_fault.cr2 == cr2));
}

static const char *bits(uint32_t e)
{
	static char s[8];
	s[0] = 'a';
	s[1] = '=';
	s[2] = (e & PG_A) ? '1' : '0';
	s[3] = ' ';
	s[4] = 'd';
	s[5] = '=';
	s[6] = (e & PG_D) ? '1' : '0';
	s[7] = 0;
	return s;
}

int main(unsigned magic, struct multiboot_info *mbi)
{
	(void)magic;
	(void)mbi;
	serial_init();
	sys_init();
	puts("paging: start");

	uint32_t r[4];
	cpuid(1, 0, r);
	int has_pse = (r[3] >> 3) & 1, has_pge = (r[3] >> 13) & 1;

	for (uint32_t i = 0; i < 1024; i++) {
		pt0[i] = (i << 12) | PG_P | PG_RW | PG_US;
		pt1[i] = (0x400000u + (i << 12)) | PG_P | PG_RW | PG_US;
	}
	pt0[0] = 0;  /* null page not mapped */
	pd[0] = (uint32_t)pt0 | PG_P | PG_RW | PG_US;
	pd[1] = (uint32_t)pt1 | PG_P | PG_RW | PG_US;
	pd[3] = (uint32_t)pt3 | PG_P | PG_US;           /* read-only at the PDE */
	pd[4] = (uint32_t)pt4 | PG_P | PG_RW;           /* supervisor at the PDE */
	pt3[0] = F(8) | PG_P | PG_RW | PG_US;
	pt4[0] = F(9) | PG_P | PG_RW | PG_US;
	*pte(V_NP) = 0;
	*pte(V_RO) = F(1) | PG_P | PG_US;
	*pte(V_SUP) = F(2) | PG_P | PG_RW;
	*pte(V_AD) = F(3) | PG_P | PG_RW | PG_US;
	*pte(V_X1) = F(4) | PG_P | PG_RW | PG_US;
	*pte(V_X2) = 0;
	*pte(V_TLB) = F(5) | PG_P | PG_RW;
	*pte(V_FETCH) = 0;
	*pte(V_G) = F(5) | PG_P | PG_RW;
	wr(F(1), 0x11110001u);
	wr(F(5), 0x55555555u);
	wr(F(6), 0x66666666u);
	wr(0xC01234u, 0xB16B16u);  /* behind the 4 MiB page, written before paging is on */

	write_cr3((uint32_t)pd);
	write_cr0((read_cr0() | CR0_PG) & ~CR0_WP);
	printf("paging on: %s\n", okfail(rd(F(1)) == 0x11110001u && (read_cr0() & CR0_PG)));

	pf("#PF read not-present", do_read, 0, V_NP + 0x10, 0x0000, V_NP + 0x10);
	pf("#PF write not-present", do_write, 0, V_NP + 0x20, 0x0002, V_NP + 0x20);
	pf("#PF user read not-present", do_read, 3, V_NP + 0x30, 0x0004, V_NP + 0x30);
	pf("#PF user write not-present", do_write, 3, V_NP, 0x0006, V_NP);
	pf("#PF user read supervisor", do_read, 3, V_SUP + 4, 0x0005, V_SUP + 4);
	pf("#PF user write supervisor", do_write, 3, V_SUP + 8, 0x0007, V_SUP + 8);
	pf("user read read-only", do_read, 3, V_RO, -1, 0);
	printf("user read value: %s\n", okfail(sink == 0x11110001u));
	pf("#PF user write read-only", do_write, 3, V_RO + 0xFFC, 0x0007, V_RO + 0xFFC);
	pf("#PF user read pde supervisor", do_read, 3, V_PDSUP, 0x0005, V_PDSUP);
	pf("user read pde read-only", do_read, 3, V_PDRO, -1, 0);
	pf("#PF user write pde read-only", do_write, 3, V_PDRO, 0x0007, V_PDRO);
	pf("supervisor write pde read-only WP=0", do_write, 0, V_PDRO, -1, 0);

	write_cr0(read_cr0() & ~CR0_WP);
	pf("supervisor write read-only WP=0", do_write, 0, V_RO, -1, 0);
	printf("write landed: %s\n", okfail(rd(F(1)) == 0x5A5A5A5Au));
	write_cr0(read_cr0() | CR0_WP);
	pf("#PF supervisor write read-only WP=1", do_write, 0, V_RO + 4, 0x0003, V_RO + 4);
	write_cr0(read_cr0() & ~CR0_WP);

	/* Accessed and dirty bits. */
	pd[1] &= ~(PG_A | PG_D);
	*pte(V_AD) &= ~(PG_A | PG_D);
	invlpg(V_AD);
	printf("a/d before access: pde %s pte %s\n", bits(pd[1] & PG_A), bits(*pte(V_AD)));
	(void)rd(V_AD);
	printf("a/d after read: pde.a=%d pte %s\n", !!(pd[1] & PG_A), bits(*pte(V_AD)));
	wr(V_AD, 1);
	printf("a/d after write: pte %s\n", bits(*pte(V_AD)));
	*pte(V_AD) &= ~(PG_A | PG_D);
	invlpg(V_AD);
	wr(V_AD + 8, 2);
	printf("a/d after write first: pte %s\n", bits(*pte(V_AD)));
	*pte(V_RO) &= ~(PG_A | PG_D);
	invlpg(V_RO);
	pf("#PF user write read-only again", do_write, 3, V_RO, 0x0007, V_RO);
	printf("a/d after faulting write: pte.d=%d\n", !!(*pte(V_RO) & PG_D));
	*pte(V_NP) = F(7) | PG_P | PG_RW;  /* a not-present entry is never cached: no INVLPG needed */
	printf("not-present then present: %s\n", okfail(sys_try(do_read, 0) < 0));
	*pte(V_NP) = 0;
	invlpg(V_NP);

	/* Page-crossing accesses fault on the second page: CR2 = its first byte. */
	pf("#PF dword write crossing", do_write, 0, V_X2 - 2, 0x0002, V_X2);
	pf("#PF dword read crossing", do_read, 0, V_X2 - 1, 0x0000, V_X2);
	pf("#PF user dword read crossing", do_read, 3, V_X2 - 3, 0x0004, V_X2);

	/* Instruction fetch faults. */
	pf("#PF fetch not-present", do_call, 0, V_FETCH, 0x0000, V_FETCH);
	printf("fetch eip: %s\n", okfail(last_fault.eip == V_FETCH));
	pf("#PF user fetch supervisor", do_call, 3, V_SUP, 0x0005, V_SUP);
	/* mov $imm32, %eax starting 3 bytes before the not-present page */
	uint8_t *code = (uint8_t *)(V_X2 - 3);
	code[0] = 0xB8;
	code[1] = 0x11;
	code[2] = 0x22;
	pf("#PF fetch crossing", do_call, 0, V_X2 - 3, 0x0000, V_X2);
	printf("fetch crossing eip: %s\n", okfail(last_fault.eip == V_X2 - 3));

	/* TLB maintenance: only the state after INVLPG / CR3 reload is architectural. */
	(void)rd(V_TLB);
	*pte(V_TLB) = F(6) | PG_P | PG_RW;
	(void)rd(V_TLB);  /* may see the stale entry: not printed */
	invlpg(V_TLB);
	printf("invlpg: %s\n", okfail(rd(V_TLB) == 0x66666666u));
	*pte(V_TLB) = F(5) | PG_P | PG_RW;
	write_cr3(read_cr3());
	printf("cr3 reload: %s\n", okfail(rd(V_TLB) == 0x55555555u));
	*pte(V_TLB) = 0;
	write_cr3(read_cr3());
	pf("#PF after unmap and cr3 reload", do_read, 0, V_TLB, 0x0000, V_TLB);

	if (has_pse) {
		write_cr4(read_cr4() | CR4_PSE);
		pd[2] = 0xC00000u | PG_P | PG_RW | PG_PS;
		printf("pse 4M read: %s\n", okfail(rd(V_BIG + 0x1234) == 0xB16B16u));
		printf("pse 4M after read: pde %s\n", bits(pd[2]));
		wr(V_BIG + 0x3FFFFC, 7);
		printf("pse 4M after write: pde %s\n", bits(pd[2]));
		pd[2] = 0xC00000u | PG_P | PG_PS;  /* read-only supervisor 4M page */
		invlpg(V_BIG);
		write_cr0(read_cr0() | CR0_WP);
		pf("#PF write read-only 4M page", do_write, 0, V_BIG + 0x2000, 0x0003, V_BIG + 0x2000);
		pf("#PF user read supervisor 4M page", do_read, 3, V_BIG + 0x3000, 0x0005, V_BIG + 0x3000);
		write_cr0(read_cr0() & ~CR0_WP);
		pd[2] = 0;
		invlpg(V_BIG);
		pf("#PF 4M pde not present", do_read, 0, V_BIG + 0x5000, 0x0000, V_BIG + 0x5000);
	} else {
		puts("pse: not supported");
	}

	if (has_pge) {
		write_cr4(read_cr4() | CR4_PGE);
		*pte(V_G) = F(5) | PG_P | PG_RW | PG_G;
		invlpg(V_G);
		printf("pge global read: %s\n", okfail(rd(V_G) == 0x55555555u));
		*pte(V_G) = F(6) | PG_P | PG_RW | PG_G;
		write_cr3(read_cr3());
		(void)rd(V_G);  /* a global entry may survive the CR3 reload: not printed */
		write_cr4(read_cr4() & ~CR4_PGE);
		printf("pge cleared flushes global: %s\n", okfail(rd(V_G) == 0x66666666u));
		write_cr4(read_cr4() | CR4_PGE);
		*pte(V_G) = F(5) | PG_P | PG_RW | PG_G;
		invlpg(V_G);
		printf("invlpg flushes global: %s\n", okfail(rd(V_G) == 0x55555555u));
		write_cr4(read_cr4() & ~CR4_PGE);
	} else {
		puts("pge: not supported");
	}

	write_cr0(read_cr0() & ~CR0_PG);
	printf("paging off: %s\n", okfail(rd(F(1)) == 0x5A5A5A5Au));
	if (has_pse)
		printf("pse 4M write landed: %s\n", okfail(rd(0xFFFFFCu) == 7));
	puts("paging: done");
	return 0;
}
