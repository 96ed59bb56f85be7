// qemu: -icount shift=0
/*
 * irqwin: an interrupt is taken at the instruction boundary the architecture defines, and at no
 * other. Each case makes an interrupt pending behind something that holds it off, removes the
 * obstacle with one instruction, and checks the EIP the handler sees (the next instruction to run)
 * against a label in the code:
 *   sti       STI with a vector pending: taken after the instruction that follows STI (shadow)
 *   popf      POPF setting IF: taken right after POPF (no shadow)
 *   iret      IRET to code with IF set: taken before the first instruction at the target
 *   hlt       STI; HLT with the APIC timer armed: the handler returns to the instruction after HLT
 *   tpr       a TPR write that lowers the priority below a pending vector: taken right after it
 *   eoi       EOI in a handler running with IF set: the lower vector it held off comes right after
 *   pic-imr   unmasking a pending 8259 line (through LINT0 ExtINT): right after the OUT
 *   ioapic    unmasking an asserted level pin of the IOAPIC: right after the MMIO write
 *   testdev   raising a pc-testdev line with IF set: right after the OUT
 *   mov-ss    MOV SS: the APIC timer fires inside a run of `mov ss; nop` pairs and is never taken
 *             between a MOV SS and the instruction after it
 * The device lines are pc-testdev's: ISA IRQ 3 (through the 8259), ISA IRQs 9 and 10 (through the IOAPIC, masked at the 8259).
 * Each case runs `rounds` times (default 20) and prints how many were taken at the right place.
 */
#include "sys.h"
#include "irqchip.h"

#define V_LOW    0x50
#define V_HIGH   0x90
#define V_TIMER  0xA0
#define V_PIC    0x30   /* 8259 master base */
#define V_IOAPIC 0x60

static volatile uint32_t expect_eip, seen_eip, taken;

static void record(struct frame *f) { seen_eip = f->eip; taken++; }
static void lapic_handler(struct frame *f) { record(f); lapic_eoi(); }
static void pic_handler(struct frame *f) { record(f); outb(0x20, 0x20); }

/* The IOAPIC case: the line stays asserted, so the handler masks the pin before its EOI. */
static void ioapic_handler(struct frame *f)
{
	record(f);
	ioapic_set(9, IOA_LEVEL | IOA_MASKED | V_IOAPIC, 0);
	outb(0x2009, 0);
	lapic_eoi();
}

/* The EOI case: the high vector's handler opens IF, then EOIs with the low vector pending. */
static void high_handler(struct frame *f)
{
	(void)f;
	__asm__ volatile(
		"sti\n\t"
		"nop\n\t"
		"movl $1f, expect_eip\n\t"
		"movl $0, 0xFEE000B0\n"
		"1:\n\t"
		"nop\n\t"
		"cli"
		::: "memory");
}

static void self_ipi(uint32_t vector) { lapic_ipi(0, ICR_SELF | DM_FIXED | vector); }

static int check(void)
{
	int ok = taken == 1 && seen_eip == expect_eip;
	taken = 0;
	seen_eip = 0;
	return ok;
}

static int case_sti(void)
{
	cli();
	self_ipi(V_LOW);
	__asm__ volatile("movl $1f, expect_eip\n\tsti\n\tnop\n1:\n\tnop\n\tcli" ::: "memory");
	return check();
}

static int case_popf(void)
{
	cli();
	self_ipi(V_LOW);
	__asm__ volatile("movl $1f, expect_eip\n\tpushl $0x202\n\tpopf\n1:\n\tnop\n\tcli" ::: "memory");
	return check();
}

static int case_iret(void)
{
	cli();
	self_ipi(V_LOW);
	__asm__ volatile(
		"movl $1f, expect_eip\n\t"
		"pushl $0x202\n\t"
		"pushl %%cs\n\t"
		"pushl $1f\n\t"
		"iret\n"
		"1:\n\t"
		"nop\n\t"
		"cli"
		::: "memory");
	return check();
}

static int case_hlt(void)
{
	cli();
	lapic_write(LAPIC_TDCR, 0xB);
	lapic_write(LAPIC_LVT_TIMER, V_TIMER);
	lapic_write(LAPIC_TMICT, 5000);
	__asm__ volatile("movl $1f, expect_eip\n\tsti\n\thlt\n1:\n\tcli" ::: "memory");
	return check();
}

static int case_tpr(void)
{
	cli();
	lapic_write(LAPIC_TPR, 0xF0);
	self_ipi(V_LOW);
	sti();
	__asm__ volatile("nop\n\tmovl $1f, expect_eip\n\tmovl $0, 0xFEE00080\n1:\n\tnop\n\tcli" ::: "memory");
	return check();
}

static int case_eoi(void)
{
	cli();
	self_ipi(V_LOW);   /* held off by IF until the high vector's handler opens it, then by PPR */
	self_ipi(V_HIGH);
	__asm__ volatile("sti\n\tnop\n\tnop\n\tcli" ::: "memory");
	return check();
}

static int case_pic_imr(void)
{
	cli();
	outb(0x21, 0xFF);
	outb(0x2003, 1);     /* IRQ3 asserted (edge) while masked */
	sti();
	__asm__ volatile("nop\n\tmovl $1f, expect_eip\n\toutb %%al, $0x21\n1:\n\tnop\n\tcli" : : "a"(0xF7) : "memory");
	outb(0x2003, 0);
	outb(0x21, 0xFF);
	return check();
}

static int case_ioapic(void)
{
	cli();
	ioapic_set(9, IOA_LEVEL | IOA_MASKED | V_IOAPIC, 0);
	outb(0x2009, 1);     /* GSI 9 asserted, pin masked */
	sti();
	volatile uint32_t *sel = (volatile uint32_t *)IOAPIC_BASE, *win = (volatile uint32_t *)(IOAPIC_BASE + 0x10);
	*sel = IOAPIC_REDTBL + 2 * 9;
	__asm__ volatile("nop\n\tmovl $1f, expect_eip\n\tmovl %1, (%0)\n1:\n\tnop\n\tcli" : : "r"(win), "r"(IOA_LEVEL | V_IOAPIC) : "memory");
	return check();
}

static int case_testdev(void)
{
	cli();
	ioapic_set(10, V_LOW, 0);   /* edge, unmasked */
	sti();
	__asm__ volatile("nop\n\tmovl $1f, expect_eip\n\toutb %%al, %%dx\n1:\n\tnop\n\tcli" : : "a"(1), "d"(0x200A) : "memory");
	outb(0x200A, 0);
	ioapic_set(10, IOA_MASKED | V_LOW, 0);
	return check();
}

/* The timer fires inside 2000 `mov ss; nop` pairs: never between a MOV SS and the NOP after it. */
extern char ss_run[], ss_run_end[];
static int case_mov_ss(uint32_t count)
{
	cli();
	lapic_write(LAPIC_TDCR, 0xB);
	lapic_write(LAPIC_LVT_TIMER, V_TIMER);
	lapic_write(LAPIC_TMICT, count);
	__asm__ volatile(
		"movl %%ss, %%eax\n\t"
		"sti\n\t"
		".globl ss_run\nss_run:\n\t"
		".rept 2000\n\tmovl %%eax, %%ss\n\tnop\n\t.endr\n\t"
		".globl ss_run_end\nss_run_end:\n\t"
		"cli"
		::: "eax", "memory");
	lapic_write(LAPIC_TMICT, 0);
	__asm__ volatile("sti\n\tnop\n\tcli" ::: "memory");  /* a timer that fired too late lands here */
	uint32_t at = seen_eip, from = (uint32_t)ss_run;
	int ok = taken == 1 && at >= from && at <= (uint32_t)ss_run_end && ((at - from) % 3) == 0;
	taken = 0;
	seen_eip = 0;
	return ok;
}

int main(unsigned magic, struct multiboot_info *mbi)
{
	uint32_t rounds = cmdline_uint(magic, mbi, "rounds", 20);
	sys_init();
	lapic_setup();
	set_handler(V_LOW, lapic_handler);
	set_handler(V_HIGH, high_handler);
	set_handler(V_TIMER, lapic_handler);
	set_handler(V_IOAPIC, ioapic_handler);
	set_handler(V_PIC + 3, pic_handler);
	/* 8259 pair at 0x30/0x38, all masked; LINT0 ExtINT passes its INTR to the CPU. */
	outb(0x20, 0x11); outb(0x21, V_PIC); outb(0x21, 4); outb(0x21, 1);
	outb(0xA0, 0x11); outb(0xA1, V_PIC + 8); outb(0xA1, 2); outb(0xA1, 1);
	outb(0x21, 0xFF); outb(0xA1, 0xFF);
	lapic_write(LAPIC_LVT_LINT0, DM_EXTINT);
	static const struct { const char *name; int (*fn)(void); } cases[] = {
		{"sti", case_sti}, {"popf", case_popf}, {"iret", case_iret}, {"hlt", case_hlt},
		{"tpr", case_tpr}, {"eoi", case_eoi}, {"pic-imr", case_pic_imr}, {"ioapic", case_ioapic},
		{"testdev", case_testdev},
	};
	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint32_t good = 0;
		for (uint32_t r = 0; r < rounds; r++) good += (uint32_t)cases[c].fn();
		printf("%-8s %u of %u at the right instruction\n", cases[c].name, good, rounds);
	}
	uint32_t good = 0;
	for (uint32_t r = 0; r < rounds; r++) good += (uint32_t)case_mov_ss(50 + 37 * r);
	printf("%-8s %u of %u never inside the MOV SS shadow\n", "mov-ss", good, rounds);
	return 0;
}
