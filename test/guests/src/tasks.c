/*
 * tasks: hardware task switching (JMP to a TSS, CALL through a task gate and IRET back with NT and
 * the back link, INT through an IDT task gate, an exception with an error code through a task gate,
 * busy bits), then, separately, virtual-8086 mode (INT n with IOPL 0 and with IOPL 3).
 */
#include "sys.h"

#define SEL_TSS_A 0x40
#define SEL_TSS_B 0x48
#define SEL_GATE_B 0x50
#define SEL_TSS_C 0x58
#define SEL_TSS_E 0x60
#define V86_BASE 0x30000u

extern char task_a_entry[], task_b_entry[], task_c_entry[], task_e_entry[];
extern char main_jmp_a[], main_call_b[], main_int41[], main_gp[], main_gp_at[], main_gp_next[];
extern char main_jmp_short[], main_jmp_short_at[];
extern char main_call_busy[], main_call_busy_at[], main_jmp_busy[], main_jmp_busy_at[];
extern char v86_enter[], v86_code[], v86_int[], v86_after[], v86_code_end[];
extern volatile uint32_t task_e_err, v86_eflags;

static struct tss tss_a, tss_b, tss_c, tss_e;
static uint8_t stacks[4][4096] __attribute__((aligned(16)));

struct seen {
	uint16_t tr, link;
	uint32_t eflags;
	uint8_t acc_self, acc_main;
	int runs;
};
static struct seen seen_a, seen_b, seen_c, seen_e;
static volatile uint32_t e_saved_eip;

static void init_tss(struct tss *t, char *entry, int stack)
{
	memset(t, 0, sizeof(*t));
	t->eip = (uint32_t)entry;
	t->esp = (uint32_t)(stacks[stack] + sizeof(stacks[stack]));
	t->eflags = 0x2;
	t->cs = SEL_KCODE;
	t->ss = t->ds = t->es = t->fs = t->gs = SEL_KDATA;
	t->cr3 = read_cr3();
	t->iomap = sizeof(struct tss);  /* no I/O bitmap */
}

static void record(struct seen *s, struct tss *t, int self)
{
	s->tr = read_tr();
	s->link = t->link;
	s->eflags = read_eflags();
	s->acc_self = gdt_access(self);
	s->acc_main = gdt_access(SEL_TSS);
	s->runs++;
}

void task_a_body(void);
void task_b_body(void);
void task_c_body(void);
void task_e_body(void);
void task_a_body(void) { record(&seen_a, &tss_a, SEL_TSS_A); }
void task_b_body(void) { record(&seen_b, &tss_b, SEL_TSS_B); }
void task_c_body(void) { record(&seen_c, &tss_c, SEL_TSS_C); }
void task_e_body(void)
{
	record(&seen_e, &tss_e, SEL_TSS_E);
	e_saved_eip = sys_tss.eip;
	sys_tss.eip = (uint32_t)main_gp_next;  /* skip the faulting instruction */
}

static void show(const char *name, struct seen *s, uint16_t tr, uint16_t link, int nt, uint8_t self, uint8_t main_acc)
{
	int ok = s->runs == 1 && s->tr == tr && s->link == link && !!(s->eflags & EFL_NT) == nt &&
		 s->acc_self == self && s->acc_main == main_acc;
	printf("%s: tr=%04x link=%04x nt=%d type=%x main-type=%x %s\n", name, s->tr, s->link,
	       !!(s->eflags & EFL_NT), s->acc_self & 0xF, s->acc_main & 0xF, okfail(ok));
}

static void after(const char *name, int self)
{
	uint32_t fl = read_eflags();
	printf("%s back in main: tr=%04x nt=%d type=%x main-type=%x %s\n", name, read_tr(), !!(fl & EFL_NT),
	       gdt_access(self) & 0xF, gdt_access(SEL_TSS) & 0xF,
	       okfail(read_tr() == SEL_TSS && !(fl & EFL_NT) && (gdt_access(self) & 0xF) == 9 &&
		      (gdt_access(SEL_TSS) & 0xF) == 0xB));
}

static volatile struct frame v86_frame;
static volatile uint32_t v86_frame_eip_addr;
static void v86_int_handler(struct frame *f)
{
	v86_frame = *f;
	v86_frame_eip_addr = (uint32_t)&f->eip;
	last_vector = (int)f->vector;
	sys_recover();
}

int main(unsigned magic, struct multiboot_info *mbi)
{
	(void)magic;
	(void)mbi;
	serial_init();
	sys_init();
	pic_remap(0x20, 0x28);
	puts("tasks: start");

	init_tss(&tss_a, task_a_entry, 0);
	init_tss(&tss_b, task_b_entry, 1);
	init_tss(&tss_c, task_c_entry, 2);
	init_tss(&tss_e, task_e_entry, 3);
	gdt_set(SEL_TSS_A, (uint32_t)&tss_a, sizeof(struct tss) - 1, ACC_TSS, 0);
	gdt_set(SEL_TSS_B, (uint32_t)&tss_b, sizeof(struct tss) - 1, ACC_TSS, 0);
	gdt_set_gate(SEL_GATE_B, SEL_TSS_B, 0, GATE_TASK, 0, 0);
	gdt_set(SEL_TSS_C, (uint32_t)&tss_c, sizeof(struct tss) - 1, ACC_TSS, 0);
	gdt_set(SEL_TSS_E, (uint32_t)&tss_e, sizeof(struct tss) - 1, ACC_TSS, 0);
	printf("main: tr=%04x type=%x\n", read_tr(), gdt_access(SEL_TSS) & 0xF);

	/* JMP to a TSS: no link, no NT, the old task's busy bit is cleared. */
	((void (*)(void))main_jmp_a)();
	show("jmp task a", &seen_a, SEL_TSS_A, 0, 0, 0x8B, 0x89);
	printf("jmp back in main: tr=%04x a-type=%x main-type=%x %s\n", read_tr(), gdt_access(SEL_TSS_A) & 0xF,
	       gdt_access(SEL_TSS) & 0xF,
	       okfail(read_tr() == SEL_TSS && (gdt_access(SEL_TSS_A) & 0xF) == 9 && (gdt_access(SEL_TSS) & 0xF) == 0xB));

	/* CALL through a task gate: back link, NT, both busy; IRET returns. */
	((void (*)(void))main_call_b)();
	show("call gate task b", &seen_b, SEL_TSS_B, SEL_TSS, 1, 0x8B, 0x8B);
	after("iret from b", SEL_TSS_B);

	/* INT through an IDT task gate. */
	idt_set(0x41, SEL_TSS_C, 0, GATE_TASK, 0, 1);
	((void (*)(void))main_int41)();
	show("int 0x41 task c", &seen_c, SEL_TSS_C, SEL_TSS, 1, 0x8B, 0x8B);
	after("iret from c", SEL_TSS_C);

	/* #GP through a task gate: error code pushed on the handler task's stack. */
	idt_set(13, SEL_TSS_E, 0, GATE_TASK, 0, 1);
	((void (*)(void))main_gp)();
	idt_set_default(13);
	show("#GP task e", &seen_e, SEL_TSS_E, SEL_TSS, 1, 0x8B, 0x8B);
	printf("#GP task e: err=%04x saved eip=%s %s\n", task_e_err, e_saved_eip == (uint32_t)main_gp_at ? "at" : "?",
	       okfail(task_e_err == 0x80 && e_saved_eip == (uint32_t)main_gp_at));
	after("iret from e", SEL_TSS_E);

	/* Busy checks. */
	int v = sys_try((void (*)(void))main_call_busy, 0);
	printf("#GP call busy tss: vec=%02x err=%04x eip=%s %s\n", v, last_fault.err,
	       last_fault.eip == (uint32_t)main_call_busy_at ? "at" : "?",
	       okfail(v == 13 && last_fault.err == SEL_TSS && last_fault.eip == (uint32_t)main_call_busy_at));
	v = sys_try((void (*)(void))main_jmp_busy, 0);
	printf("#GP jmp busy tss: vec=%02x err=%04x eip=%s %s\n", v, last_fault.err,
	       last_fault.eip == (uint32_t)main_jmp_busy_at ? "at" : "?",
	       okfail(v == 13 && last_fault.err == SEL_TSS && last_fault.eip == (uint32_t)main_jmp_busy_at));

	/* #TS: a 32-bit TSS whose limit is below 0x67. */
	gdt_set(0x68, (uint32_t)&tss_a, 0x50, ACC_TSS, 0);
	v = sys_try((void (*)(void))main_jmp_short, 0);
	printf("#TS jmp to tss with limit 0x50: vec=%02x err=%04x eip=%s %s\n", v, last_fault.err,
	       last_fault.eip == (uint32_t)main_jmp_short_at ? "at" : "?",
	       okfail(v == 10 && last_fault.err == 0x68 && last_fault.eip == (uint32_t)main_jmp_short_at));
	printf("after #TS: tr=%04x main-type=%x %s\n", read_tr(), gdt_access(SEL_TSS) & 0xF,
	       okfail(read_tr() == SEL_TSS && (gdt_access(SEL_TSS) & 0xF) == 0xB));

	/* Virtual-8086 mode. */
	memcpy((void *)V86_BASE, v86_code, (size_t)(v86_code_end - v86_code));
	uint32_t int_off = (uint32_t)(v86_int - v86_code), after_off = (uint32_t)(v86_after - v86_code);
	v86_eflags = EFL_VM | 0x2;
	v = sys_try((void (*)(void))v86_enter, 0);
	printf("v86 int 0x31 IOPL 0: vec=%02x err=%04x cs=%04x eip=%04x vm=%d %s\n", v, last_fault.err, last_fault.cs,
	       last_fault.eip, !!(last_fault.eflags & EFL_VM),
	       okfail(v == 13 && last_fault.err == 0 && last_fault.cs == 0x3000 && last_fault.eip == int_off &&
		      (last_fault.eflags & EFL_VM)));
	v86_eflags = EFL_VM | EFL_IOPL3 | 0x2;
	v = sys_try((void (*)(void))v86_enter, 0);
	printf("v86 int 0x31 IOPL 3 DPL 0 gate: vec=%02x err=%04x %s\n", v, last_fault.err,
	       okfail(v == 13 && last_fault.err == 0x31 * 8 + 2));
	idt_set(0x31, SEL_KCODE, idt_stub(0x31), GATE_INT32, 3, 1);
	set_handler(0x31, v86_int_handler);
	v = sys_try((void (*)(void))v86_enter, 0);
	struct frame f = *(struct frame *)&v86_frame;
	printf("v86 int 0x31 IOPL 3: vec=%02x cs=%04x eip=%04x ss=%04x esp=%04x ax=%04x vm=%d %s\n", v, f.cs & 0xFFFF,
	       f.eip, f.ss & 0xFFFF, f.esp, f.eax & 0xFFFF, !!(f.eflags & EFL_VM),
	       okfail(v == 0x31 && (f.cs & 0xFFFF) == 0x3000 && f.eip == after_off && (f.ss & 0xFFFF) == 0x3000 &&
		      f.esp == 0xFFF0 && (f.eax & 0xFFFF) == 0x1234 && (f.eflags & EFL_VM)));
	printf("v86 pushed es=%04x ds=%04x fs=%04x gs=%04x %s\n", f.v86_es & 0xFFFF, f.v86_ds & 0xFFFF,
	       f.v86_fs & 0xFFFF, f.v86_gs & 0xFFFF,
	       okfail((f.v86_es & 0xFFFF) == 0x3002 && (f.v86_ds & 0xFFFF) == 0x3001 && (f.v86_fs & 0xFFFF) == 0x3003 &&
		      (f.v86_gs & 0xFFFF) == 0x3004));
	printf("v86 segments nulled in handler: ds=%04x es=%04x fs=%04x gs=%04x %s\n", f.ds & 0xFFFF, f.es & 0xFFFF,
	       f.fs & 0xFFFF, f.gs & 0xFFFF,
	       okfail(((f.ds | f.es | f.fs | f.gs) & 0xFFFF) == 0));
	printf("v86 frame at esp0-36: %s\n", okfail(v86_frame_eip_addr == sys_tss.esp0 - 36));
	set_handler(0x31, 0);
	idt_set_default(0x31);

	puts("tasks: done");
	return 0;
}
