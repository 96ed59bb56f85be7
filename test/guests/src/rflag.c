/*
 * rflag: EFLAGS.RF in the image an event handler gets (SDM vol. 3, 17.3.1.1). Faults push RF = 1
 * with EIP at the faulting instruction (#DE #UD #GP #NP #BR #PF), also into the old TSS when they go
 * through a task gate; traps and software interrupts push RF as it is, which is 0 once an
 * instruction has started (INT3, INTO, INT n, single-step traps, an interrupt between two
 * instructions); a single-step trap or an interrupt between two iterations of a REP instruction
 * pushes RF = 1; RF set by IRET or by a task switch is still set for an interrupt taken at once and
 * gone after the next instruction; an execute breakpoint on a REP instruction fires once, with RF = 0
 * in its image. See README-system.md.
 */
#include "sys.h"
#include "irqchip.h"

#define X(n) extern char x_##n[], x_##n##_at[], x_##n##_end[]
X(div0); X(ud2); X(gdtlim); X(npseg); X(bound); X(pf); X(int3); X(into); X(int30); X(step); X(steprep);
X(irqrep); X(iret); X(bprep); X(taskgp); X(jmpf);
#define RUN(n) ((void (*)(void))x_##n)()
extern char task_e_entry[], task_f_entry[], x_step_2[];
extern volatile uint32_t task_e_err;
extern volatile uint8_t rep_dst[16];

#define SEL_NP     0x58
#define SEL_TSS_E  0x60
#define SEL_TSS_F  0x68
#define V_TIMER    0x50
#define V_SELF     0x52

static int rf(uint32_t eflags) { return (eflags & EFL_RF) != 0; }

static const char *where(uint32_t eip, char *at, char *end)
{
	if (eip == (uint32_t)at)
		return "at";
	if (eip == (uint32_t)end)
		return "next";
	return "?";
}

/* A fault from a snippet through sys_try: vector, RF in the image, EIP at the instruction. */
static void fault(const char *name, char *fn, char *at, char *end, int vec)
{
	int v = sys_try((void (*)(void))fn, 0);
	if (v < 0) {
		printf("%s: no fault FAIL\n", name);
		return;
	}
	const char *w = where(last_fault.eip, at, end);
	int r = rf(last_fault.eflags);
	printf("%s: vec=%02x rf=%d eip=%s %s\n", name, v, r, w, okfail(v == vec && r == 1 && w[0] == 'a'));
}
#define FAULT(name, n, vec) fault(name, x_##n, x_##n##_at, x_##n##_end, vec)

/* Frames seen by the recording handlers. */
#define MAX_SEEN 8
static volatile uint32_t seen_eip[MAX_SEEN], seen_rf[MAX_SEEN], seen_ecx[MAX_SEEN], nseen;
static void record(struct frame *f)
{
	if (nseen < MAX_SEEN) {
		seen_eip[nseen] = f->eip;
		seen_rf[nseen] = (uint32_t)rf(f->eflags);
		seen_ecx[nseen] = f->ecx;
		nseen++;
	}
}
static void record_eoi(struct frame *f) { record(f); lapic_eoi(); }
/* Interrupted REP STOSB: record, then leave one iteration to do (the count only has to outlast the
   timer, whatever the emulator's speed). */
static void record_cut(struct frame *f)
{
	record_eoi(f);
	if (f->ecx > 1)
		f->ecx = 1;
}
static void record_resume(struct frame *f) { record(f); f->eflags |= EFL_RF; }

/* A trap or software interrupt from a snippet: one event, RF = 0, EIP after the instruction. */
static void trap(const char *name, int vec, char *fn, char *at, char *end)
{
	set_handler(vec, record);
	nseen = 0;
	((void (*)(void))fn)();
	set_handler(vec, 0);
	const char *w = nseen ? where(seen_eip[0], at, end) : "none";
	printf("%s: events=%u rf=%u eip=%s %s\n", name, nseen, seen_rf[0], w,
	       okfail(nseen == 1 && seen_rf[0] == 0 && w[0] == 'n'));
}
#define TRAP(name, vec, n) trap(name, vec, x_##n, x_##n##_at, x_##n##_end)

static struct tss tss_e, tss_f;
static uint8_t task_stacks[2][4096] __attribute__((aligned(16)));
static volatile uint32_t e_saved_eip, e_saved_eflags;

static void init_tss(struct tss *t, char *entry, uint8_t *stack_top, uint32_t eflags)
{
	memset(t, 0, sizeof(*t));
	t->eip = (uint32_t)entry;
	t->esp = (uint32_t)stack_top;
	t->eflags = eflags;
	t->cs = SEL_KCODE;
	t->ss = t->ds = t->es = t->fs = t->gs = SEL_KDATA;
	t->cr3 = read_cr3();
	t->iomap = sizeof(struct tss);  /* no I/O bitmap */
}

void task_e_body(void);
void task_e_body(void)
{
	e_saved_eip = sys_tss.eip;
	e_saved_eflags = sys_tss.eflags;
	sys_tss.eip = (uint32_t)x_taskgp_end;  /* skip the faulting instruction */
}

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt[1024] __attribute__((aligned(4096)));
#define REP_BASE  0x1000000u
#define REP_BYTES 0x1000000u

int main(unsigned magic, struct multiboot_info *mbi)
{
	(void)magic;
	(void)mbi;
	serial_init();
	sys_init();
	pic_remap(0x20, 0x28);
	lapic_setup();
	puts("rflag: start");

	/* Faults: RF = 1. */
	gdt_set(SEL_NP, 0, 0xFFFFF, ACC_DATA0 & 0x7F, FLG_G32);  /* not present */
	FAULT("#DE div by zero", div0, 0);
	FAULT("#UD ud2", ud2, 6);
	FAULT("#GP selector beyond the gdt", gdtlim, 13);
	FAULT("#NP not-present segment", npseg, 11);
	FAULT("#BR bound out of range", bound, 5);
	for (uint32_t i = 0; i < 1024; i++)
		pt[i] = (i << 12) | 3;
	pt[0x3FF] = 0;  /* 0x3FF000 not present */
	pd[0] = (uint32_t)pt | 3;
	write_cr3((uint32_t)pd);
	write_cr0(read_cr0() | CR0_PG);
	FAULT("#PF not-present page", pf, 14);
	write_cr0(read_cr0() & ~CR0_PG);

	/* Task switches: a fault through a task gate saves RF = 1 in the old TSS; RF loaded from a TSS
	   is gone after the new task's first instruction. */
	init_tss(&tss_e, task_e_entry, task_stacks[0] + sizeof(task_stacks[0]), 0x2);
	init_tss(&tss_f, task_f_entry, task_stacks[1] + sizeof(task_stacks[1]), 0x2 | EFL_RF);
	gdt_set(SEL_TSS_E, (uint32_t)&tss_e, sizeof(struct tss) - 1, ACC_TSS, 0);
	gdt_set(SEL_TSS_F, (uint32_t)&tss_f, sizeof(struct tss) - 1, ACC_TSS, 0);
	idt_set(13, SEL_TSS_E, 0, GATE_TASK, 0, 1);
	RUN(taskgp);
	idt_set_default(13);
	printf("#GP through a task gate: err=%04x saved rf=%d eip=%s %s\n", task_e_err, rf(e_saved_eflags),
	       where(e_saved_eip, x_taskgp_at, x_taskgp_end),
	       okfail(task_e_err == 0x80 && rf(e_saved_eflags) && e_saved_eip == (uint32_t)x_taskgp_at));
	set_handler(0x31, record);
	nseen = 0;
	RUN(jmpf);
	printf("jmp to a task whose tss has rf=1, int 0x31 first: rf=%u back in main: tr=%04x %s\n", seen_rf[0], read_tr(),
	       okfail(nseen == 1 && seen_rf[0] == 0 && read_tr() == SEL_TSS));
	set_handler(0x31, 0);

	/* Traps and software interrupts: RF as it is, 0. */
	TRAP("#BP int3", 3, int3);
	TRAP("#OF into", 4, into);
	TRAP("int 0x30", 0x30, int30);

	/* Single-step: RF = 0 after a whole instruction, 1 between REP iterations. */
	set_handler(1, record);
	nseen = 0;
	RUN(step);
	printf("single-step nop, nop: rf=%u %u eip=%s %s %s\n", seen_rf[0], seen_rf[1],
	       where(seen_eip[0], x_step_at, x_step_2), where(seen_eip[1], x_step_2, x_step_end),
	       okfail(nseen >= 2 && seen_rf[0] == 0 && seen_rf[1] == 0 && seen_eip[0] == (uint32_t)x_step_2 &&
		      seen_eip[1] == (uint32_t)x_step_end));
	nseen = 0;
	RUN(steprep);
	printf("single-step rep movsb, ecx=3: rf=%u %u %u eip=%s %s %s ecx=%u %u %u %s\n", seen_rf[0], seen_rf[1],
	       seen_rf[2], where(seen_eip[0], x_steprep_at, x_steprep_end), where(seen_eip[1], x_steprep_at, x_steprep_end),
	       where(seen_eip[2], x_steprep_at, x_steprep_end), seen_ecx[0], seen_ecx[1], seen_ecx[2],
	       okfail(nseen >= 3 && seen_rf[0] == 1 && seen_rf[1] == 1 && seen_rf[2] == 0 &&
		      seen_eip[0] == (uint32_t)x_steprep_at && seen_eip[1] == (uint32_t)x_steprep_at &&
		      seen_eip[2] == (uint32_t)x_steprep_end && seen_ecx[0] == 2 && seen_ecx[1] == 1 && seen_ecx[2] == 0 &&
		      rep_dst[0] == 0x11 && rep_dst[2] == 0x33 && rep_dst[3] == 0));
	set_handler(1, 0);

	/* External interrupts (LAPIC timer, one-shot, 20000 ticks at divide-by-1). The REP STOSB
	   writes up to 16 MiB from 16 MiB on, outside the image; the handler cuts it short. */
	set_handler(V_TIMER, record_cut);
	nseen = 0;
	lapic_write(LAPIC_LVT_TIMER, V_TIMER);
	lapic_write(LAPIC_TMICT, 20000);
	uint32_t count = REP_BYTES;
	__asm__ volatile("call x_irqrep" : "+c"(count) : "D"(REP_BASE) : "eax", "memory", "cc");
	printf("interrupt during rep stosb: events=%u rf=%u eip=%s %s\n", nseen, seen_rf[0],
	       where(seen_eip[0], x_irqrep_at, x_irqrep_end),
	       okfail(nseen == 1 && seen_rf[0] == 1 && seen_eip[0] == (uint32_t)x_irqrep_at && seen_ecx[0] > 0 &&
		      seen_ecx[0] < REP_BYTES && count == 0));
	set_handler(V_TIMER, record_eoi);
	nseen = 0;
	lapic_write(LAPIC_TMICT, 20000);
	sti();
	for (uint32_t i = 0; i < 100000000 && nseen == 0; i++)
		relax();
	cli();
	printf("interrupt between instructions: events=%u rf=%u %s\n", nseen, seen_rf[0],
	       okfail(nseen == 1 && seen_rf[0] == 0));
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);

	/* RF set by IRET: seen by an interrupt taken at once, gone after one instruction. */
	set_handler(0x31, record);
	set_handler(V_SELF, record_eoi);
	nseen = 0;
	__asm__ volatile("call x_iret" : : "a"(read_eflags() | EFL_RF) : "memory", "cc");
	printf("iret with rf=1, then int 0x31: rf=%u eip=%s %s\n", seen_rf[0], where(seen_eip[0], x_iret_at, x_iret_end),
	       okfail(nseen == 1 && seen_rf[0] == 0 && seen_eip[0] == (uint32_t)x_iret_end));
	nseen = 0;
	lapic_ipi(0, ICR_SELF | DM_FIXED | V_SELF);  /* pending: IF = 0 */
	__asm__ volatile("call x_iret" : : "a"(read_eflags() | EFL_RF | EFL_IF) : "memory", "cc");
	printf("iret with rf=1 if=1, interrupt pending: rf=%u eip=%s, then int 0x31: rf=%u eip=%s %s\n", seen_rf[0],
	       where(seen_eip[0], x_iret_at, x_iret_end), seen_rf[1], where(seen_eip[1], x_iret_at, x_iret_end),
	       okfail(nseen == 2 && seen_rf[0] == 1 && seen_eip[0] == (uint32_t)x_iret_at && seen_rf[1] == 0 &&
		      seen_eip[1] == (uint32_t)x_iret_end));

	/* An execute breakpoint on a REP instruction: one #DB (a fault without RF), the REP runs once. */
	set_handler(1, record_resume);
	nseen = 0;
	memset((void *)rep_dst, 0xFF, 8);
	__asm__ volatile("mov %0, %%dr0; mov %1, %%dr7" : : "r"(x_bprep_at), "r"(0x401u) : "memory");
	RUN(bprep);
	__asm__ volatile("mov %0, %%dr7" : : "r"(0x400u) : "memory");
	printf("execute breakpoint on rep stosb: events=%u rf=%u eip=%s stored=%02x%02x%02x%02x%02x%02x %s\n", nseen,
	       seen_rf[0], where(seen_eip[0], x_bprep_at, x_bprep_end), rep_dst[0], rep_dst[1], rep_dst[2], rep_dst[3],
	       rep_dst[4], rep_dst[5],
	       okfail(nseen == 1 && seen_rf[0] == 0 && seen_eip[0] == (uint32_t)x_bprep_at && rep_dst[4] == 0 &&
		      rep_dst[5] == 0xFF));
	set_handler(1, 0);

	puts("rflag: done");
	return 0;
}
