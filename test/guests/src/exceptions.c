/*
 * exceptions: every exception a 486-class CPU raises from a simple snippet, with the vector, the
 * error code the SDM specifies and the saved EIP (at = faulting instruction, next = after it).
 */
#include "sys.h"

#define X(n) extern char x_##n[], x_##n##_at[], x_##n##_end[]
X(div0); X(idiv); X(step); X(icebp); X(int3); X(into); X(into_nof); X(bound); X(bound_in);
X(ud2); X(ud0); X(lockreg); X(esc38); X(fpu); X(wait); X(cli); X(hlt); X(movcr0); X(nullss);
X(gdtlim); X(ldtsel); X(rodata); X(rodata_read); X(cslimit); X(jmpdata); X(len16); X(len15);
X(sslimit); X(npseg); X(ssnp); X(ssro); X(ssdpl); X(dsxo); X(npgate); X(ac); X(ac_ring0); X(extirq);
extern char x_step_2[], cslim_code[], scratch[];

enum { AT = 1, NEXT = 2, ANY = 3 };

static const char *where(uint32_t eip, char *at, char *end)
{
	if (eip == (uint32_t)at)
		return "at";
	if (eip == (uint32_t)end)
		return "next";
	return "";
}

/* Runs a snippet; expect vector vec (-1: none) with error code err and EIP kind. */
static void check(const char *name, char *fn, char *at, char *end, int ring, int vec, uint32_t err, int eipk)
{
	int v = sys_try((void (*)(void))fn, ring);
	if (v < 0 && vec < 0) {
		printf("%s: no fault ok\n", name);
		return;
	}
	if (v < 0) {
		printf("%s: no fault FAIL\n", name);
		return;
	}
	const char *w = where(last_fault.eip, at, end);
	int ok = v == vec && last_fault.err == err &&
		 ((eipk == AT && w[0] == 'a') || (eipk == NEXT && w[0] == 'n') || eipk == ANY);
	if (eipk == ANY)
		printf("%s: vec=%02x err=%04x %s\n", name, v, last_fault.err, okfail(ok));
	else if (w[0])
		printf("%s: vec=%02x err=%04x eip=%s %s\n", name, v, last_fault.err, w, okfail(ok));
	else
		printf("%s: vec=%02x err=%04x eip=%08x %s\n", name, v, last_fault.err, last_fault.eip, okfail(ok));
}
#define CHECK(name, n, ring, vec, err, eipk) check(name, x_##n, x_##n##_at, x_##n##_end, ring, vec, err, eipk)

static volatile int steps;
static volatile uint32_t step_first;
static void db_step(struct frame *f)
{
	if (steps++ == 0)
		step_first = f->eip;
	if (f->eip == (uint32_t)x_step_end || steps > 10)
		f->eflags &= ~EFL_TF;
}

int main(unsigned magic, struct multiboot_info *mbi)
{
	(void)magic;
	(void)mbi;
	serial_init();
	sys_init();
	puts("exceptions: start");

	CHECK("#DE div by zero", div0, 0, 0, 0, AT);
	CHECK("#DE idiv overflow", idiv, 0, 0, 0, AT);

	set_handler(1, db_step);
	int v = sys_try((void (*)(void))x_step, 0);
	set_handler(1, 0);
	printf("#DB single-step: steps=%d first=%s %s\n", steps,
	       step_first == (uint32_t)x_step_2 ? "after-1st-nop" : "?",
	       okfail(v < 0 && steps == 3 && step_first == (uint32_t)x_step_2));
	CHECK("#DB icebp", icebp, 0, 1, 0, NEXT);
	CHECK("#BP int3", int3, 0, 3, 0, NEXT);
	CHECK("#OF into OF=1", into, 0, 4, 0, NEXT);
	CHECK("#OF into OF=0", into_nof, 0, -1, 0, NEXT);
	CHECK("#BR bound out of range", bound, 0, 5, 0, AT);
	CHECK("#BR bound in range", bound_in, 0, -1, 0, AT);
	CHECK("#UD ud2", ud2, 0, 6, 0, AT);
	CHECK("#UD 0f ff", ud0, 0, 6, 0, AT);
	CHECK("#UD lock add reg", lockreg, 0, 6, 0, AT);
	CHECK("#UD 0f 38 ff", esc38, 0, 6, 0, AT);

	uint32_t cr0 = read_cr0();
	write_cr0((cr0 & ~(CR0_MP | CR0_TS)) | CR0_EM);
	CHECK("#NM x87 with EM=1", fpu, 0, 7, 0, AT);
	write_cr0((cr0 & ~CR0_EM) | CR0_MP | CR0_TS);
	CHECK("#NM wait with MP=1 TS=1", wait, 0, 7, 0, AT);
	write_cr0((cr0 & ~(CR0_EM | CR0_MP)) | CR0_TS);
	CHECK("wait with MP=0 TS=1", wait, 0, -1, 0, AT);
	write_cr0(cr0);

	CHECK("#GP cli ring 3 IOPL 0", cli, 3, 13, 0, AT);
	CHECK("#GP hlt ring 3", hlt, 3, 13, 0, AT);
	CHECK("#GP mov cr0 ring 3", movcr0, 3, 13, 0, AT);
	user_eflags = EFL_IOPL3;
	CHECK("cli ring 3 IOPL 3", cli, 3, -1, 0, AT);
	CHECK("#GP null ss", nullss, 0, 13, 0, AT);
	CHECK("#GP selector beyond gdt limit", gdtlim, 0, 13, 0x80, AT);
	CHECK("#GP ldt selector without ldt", ldtsel, 0, 13, 0x0C, AT);

	gdt_set(0x40, 0, 0xFFFFF, 0x91, FLG_G32);  /* read-only data */
	CHECK("#GP write read-only segment", rodata, 0, 13, 0, AT);
	CHECK("read read-only segment", rodata_read, 0, -1, 0, AT);
	gdt_set(0x48, (uint32_t)cslim_code, 1, ACC_CODE0, FLG_B32);
	v = sys_try((void (*)(void))x_cslimit, 0);
	printf("#GP past code segment limit: vec=%02x err=%04x cs=%04x eip=%08x %s\n", v, last_fault.err,
	       last_fault.cs, last_fault.eip,
	       okfail(v == 13 && last_fault.err == 0 && last_fault.cs == 0x48 && last_fault.eip == 2));
	CHECK("#GP far jump to data segment", jmpdata, 0, 13, 0x10, AT);
	CHECK("#GP 16-byte instruction", len16, 0, 13, 0, AT);
	CHECK("15-byte instruction", len15, 0, -1, 0, AT);

	gdt_set(0x50, 0, 0x1FF, ACC_DATA0, FLG_G32);  /* 2 MiB stack segment */
	CHECK("#SS beyond stack limit", sslimit, 0, 12, 0, AT);
	gdt_set(0x58, 0, 0xFFFFF, ACC_DATA0 & 0x7F, FLG_G32);  /* not present */
	CHECK("#NP not-present data segment", npseg, 0, 11, 0x58, AT);
	CHECK("#SS mov ss not-present", ssnp, 0, 12, 0x58, AT);
	CHECK("#GP mov ss read-only data", ssro, 0, 13, 0x40, AT);
	CHECK("#GP mov ss dpl 3 data in ring 0", ssdpl, 0, 13, 0x20, AT);
	gdt_set(0x60, 0, 0xFFFFF, 0x99, FLG_G32);  /* execute-only code */
	CHECK("#GP mov ds execute-only code", dsxo, 0, 13, 0x60, AT);
	idt_set(0x42, SEL_KCODE, idt_stub(0x42), GATE_INT32, 0, 0);
	CHECK("#NP not-present gate", npgate, 0, 11, 0x42 * 8 + 2, AT);
	idt_set_default(0x42);

	/* Faults while delivering a fault: #UD then #NP (EXT = 1); #NP then #NP gives #DF(0). */
	idt_set(6, SEL_KCODE, idt_stub(6), GATE_INT32, 0, 0);
	CHECK("#NP delivering #UD (EXT)", ud2, 0, 11, 6 * 8 + 3, ANY);
	idt_set_default(6);
	idt_set(11, SEL_KCODE, idt_stub(11), GATE_INT32, 0, 0);
	CHECK("#DF #NP while delivering #NP", npseg, 0, 8, 0, ANY);
	idt_set_default(11);

	/* External interrupt through a not-present gate: EXT = 1. */
	pic_remap(0x20, 0x28);
	pic_mask(5, 0);
	idt_set(0x25, SEL_KCODE, idt_stub(0x25), GATE_INT32, 0, 0);
	outb(0x2005, 1);
	CHECK("#NP hardware irq gate (EXT)", extirq, 0, 11, 0x25 * 8 + 3, ANY);
	outb(0x2005, 0);
	pic_eoi(5);
	pic_mask(5, 1);
	idt_set_default(0x25);

	write_cr0(read_cr0() | CR0_AM);
	user_eflags = EFL_AC;
	CHECK("#AC misaligned ring 3", ac, 3, 17, 0, AT);
	CHECK("misaligned ring 3 AC=0", ac, 3, -1, 0, AT);
	write_eflags(read_eflags() | EFL_AC);
	CHECK("misaligned ring 0 AC=1", ac_ring0, 0, -1, 0, AT);
	write_eflags(read_eflags() & ~EFL_AC);
	write_cr0(read_cr0() & ~CR0_AM);
	user_eflags = EFL_AC;
	CHECK("misaligned ring 3 AM=0", ac, 3, -1, 0, AT);

	puts("exceptions: done");
	return 0;
}
