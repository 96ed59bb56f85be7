/*
 * ring3: privilege levels. IRET to ring 3 with a TSS, an int 0x80 trap gate (DPL 3) and its stack
 * switch, a DPL-0 gate from ring 3, a 32-bit call gate with two parameters, LAR/LSL/VERR/VERW and
 * ARPL, data segment nulling on IRET to ring 3, IOPL and the I/O permission bitmap.
 */
#include "sys.h"

extern char u_syscall[], u_syscall81[], u_int30[], u_int30_at[], u_int3[], u_int3_at[], u_callgate[], cg_target[];
extern char u_segs[], u_out_e0[], u_out_e0_at[], u_inb_e0[], u_inb_80[], u_inb_80_at[];
extern char u_inb_510[], u_inb_510_at[];
extern volatile uint32_t sc_result, cg_user_esp_before, cg_user_esp_after, cg_user_cs_after;
extern char u_popf[];
extern volatile uint32_t popf_result;
extern volatile uint32_t cg_esp, cg_frame[6], cg_cs, io_byte;
extern volatile uint16_t seg_seen[4];

#define FN(p) ((void (*)(void))(p))

static volatile uint32_t sc_frame_eip_addr, sc_cs, sc_ss, sc_esp, sc_ebx, sc_handler_cs, sc_eflags;

static void syscall_handler(struct frame *f)
{
	if (f->eax == SYSCALL_EXIT) {
		last_vector = -1;
		sys_recover();
	}
	uint16_t cs;
	__asm__ volatile("movw %%cs, %0" : "=r"(cs));
	sc_handler_cs = cs;
	sc_frame_eip_addr = (uint32_t)&f->eip;
	sc_cs = f->cs & 0xFFFF;
	sc_ss = f->ss & 0xFFFF;
	sc_esp = f->esp;
	sc_ebx = f->ebx;
	sc_eflags = read_eflags();
	f->eax = 0x600D;
}

/* Selector probes, run in ring 0 and in ring 3. */
static const uint16_t probe_sel[] = { 0x00, 0x08, 0x12, 0x1B, 0x20, 0x23, 0x28, 0x43, 0x48, 0x50, 0x58, 0x60, 0x80 };
#define NPROBE (sizeof(probe_sel) / sizeof(probe_sel[0]))
struct probe {
	uint32_t lar, lsl;
	uint8_t zlar, zlsl, zverr, zverw;
};
static struct probe probes[2][NPROBE];
static int probe_ring;

static void run_probes(void)
{
	for (unsigned i = 0; i < NPROBE; i++) {
		struct probe *p = &probes[probe_ring][i];
		uint32_t sel = probe_sel[i];
		uint32_t a = 0xEEEEEEEE, l = 0xEEEEEEEE;
		uint8_t z1, z2, z3, z4;
		__asm__ volatile("lar %2, %0; setz %1" : "+r"(a), "=q"(z1) : "r"(sel) : "cc");
		__asm__ volatile("lsl %2, %0; setz %1" : "+r"(l), "=q"(z2) : "r"(sel) : "cc");
		__asm__ volatile("verr %w1; setz %0" : "=q"(z3) : "r"(sel) : "cc");
		__asm__ volatile("verw %w1; setz %0" : "=q"(z4) : "r"(sel) : "cc");
		p->lar = a;
		p->lsl = l;
		p->zlar = z1;
		p->zlsl = z2;
		p->zverr = z3;
		p->zverw = z4;
	}
}

static void print_probes(int ring)
{
	for (unsigned i = 0; i < NPROBE; i++) {
		struct probe *p = &probes[ring][i];
		printf("ring %d sel %04x: lar zf=%d", ring * 3, probe_sel[i], p->zlar);
		if (p->zlar)
			printf(" ar=%08x", p->lar & 0x00F0FF00u);
		printf(" lsl zf=%d", p->zlsl);
		if (p->zlsl)
			printf(" limit=%08x", p->lsl);
		printf(" verr=%d verw=%d\n", p->zverr, p->zverw);
	}
}

static uint32_t arpl(uint32_t dst, uint32_t src, int *zf)
{
	uint8_t z;
	__asm__ volatile("arpl %w2, %w0; setz %1" : "+r"(dst), "=q"(z) : "r"(src) : "cc");
	*zf = z;
	return dst & 0xFFFF;
}

static void fault_line(const char *name, int v, uint32_t err, char *at)
{
	printf("%s: vec=%02x err=%04x eip=%s %s\n", name, v, last_fault.err,
	       last_fault.eip == (uint32_t)at ? "at" : "?",
	       okfail(v == 13 && last_fault.err == err && last_fault.eip == (uint32_t)at));
}

int main(unsigned magic, struct multiboot_info *mbi)
{
	(void)magic;
	(void)mbi;
	serial_init();
	sys_init();
	puts("ring3: start");

	pic_remap(0x20, 0x28);  /* all lines masked: ring 3 may run with IF=1 */

	/* System call through the DPL-3 trap gate at 0x80. */
	set_handler(0x80, syscall_handler);
	user_eflags = EFL_IF;
	int v = sys_try(FN(u_syscall), 3);
	printf("int 0x80 from ring 3: returned=%d result=%04x %s\n", v, sc_result, okfail(v < 0 && sc_result == 0x600D));
	printf("handler cs=%04x frame cs=%04x ss=%04x %s\n", sc_handler_cs, sc_cs, sc_ss,
	       okfail(sc_handler_cs == SEL_KCODE && sc_cs == SEL_UCODE && sc_ss == SEL_UDATA));
	printf("stack switch: frame at esp0-20 %s, user esp saved %s\n",
	       okfail(sc_frame_eip_addr == sys_tss.esp0 - 20), okfail(sc_esp == sc_ebx));
	printf("trap gate keeps IF=1: %s\n", okfail((sc_eflags & EFL_IF) != 0));
	set_handler(0x80, 0);
	idt_set(0x81, SEL_KCODE, idt_stub(0x81), GATE_INT32, 3, 1);
	set_handler(0x81, syscall_handler);
	user_eflags = EFL_IF;
	sc_result = 0;
	v = sys_try(FN(u_syscall81), 3);
	printf("int 0x81 interrupt gate DPL 3: result=%04x clears IF: %s\n", sc_result,
	       okfail(v < 0 && (sc_eflags & EFL_IF) == 0));
	set_handler(0x81, 0);

	/* POPF from ring 3 flips IF and IOPL bits: IOPL 0 keeps both, IOPL 3 takes IF only. */
	v = sys_try(FN(u_popf), 3);
	printf("popf ring 3 IOPL 0: if=%d iopl=%d %s\n", !!(popf_result & EFL_IF), (int)(popf_result >> 12) & 3,
	       okfail(v < 0 && !(popf_result & EFL_IF) && !(popf_result & EFL_IOPL3)));
	user_eflags = EFL_IOPL3;
	v = sys_try(FN(u_popf), 3);
	printf("popf ring 3 IOPL 3: if=%d iopl=%d %s\n", !!(popf_result & EFL_IF), (int)(popf_result >> 12) & 3,
	       okfail(v < 0 && (popf_result & EFL_IF) && (popf_result & EFL_IOPL3) == EFL_IOPL3));

	/* DPL-0 gates from ring 3. */
	v = sys_try(FN(u_int30), 3);
	fault_line("#GP int 0x30 DPL 0 gate", v, 0x30 * 8 + 2, u_int30_at);
	v = sys_try(FN(u_int3), 3);
	fault_line("#GP int3 DPL 0 gate", v, 3 * 8 + 2, u_int3_at);
	idt_set(3, SEL_KCODE, idt_stub(3), GATE_INT32, 3, 1);
	v = sys_try(FN(u_int3), 3);
	printf("int3 DPL 3 gate: vec=%02x cs=%04x eip=%s %s\n", v, last_fault.cs,
	       last_fault.eip == (uint32_t)u_int3_at + 1 ? "next" : "?",
	       okfail(v == 3 && last_fault.cs == SEL_UCODE && last_fault.eip == (uint32_t)u_int3_at + 1));
	idt_set_default(3);

	/* Call gate to ring 0 with two parameters. */
	gdt_set_gate(0x40, SEL_KCODE, (uint32_t)cg_target, GATE_CALL32, 3, 2);
	v = sys_try(FN(u_callgate), 3);
	printf("call gate: returned=%d target cs=%04x %s\n", v, cg_cs, okfail(v < 0 && cg_cs == SEL_KCODE));
	printf("call gate frame: cs=%04x p1=%04x p2=%04x ss=%04x %s\n", cg_frame[1], cg_frame[2], cg_frame[3],
	       cg_frame[5],
	       okfail(cg_frame[1] == SEL_UCODE && cg_frame[2] == 0x2222 && cg_frame[3] == 0x1111 &&
		      cg_frame[5] == SEL_UDATA));
	printf("call gate stacks: inner esp0-24 %s, outer esp saved %s, retf 8 pops params %s, cs back %04x\n",
	       okfail(cg_esp == sys_tss.esp0 - 24), okfail(cg_frame[4] == cg_user_esp_before),
	       okfail(cg_user_esp_after == cg_user_esp_before + 8), cg_user_cs_after & 0xFFFF);

	/* LAR / LSL / VERR / VERW. */
	gdt_set(0x48, 0, 0xFFFFF, 0xF9, FLG_G32);   /* execute-only code, DPL 3 */
	gdt_set(0x50, 0, 0xFFFFF, 0xF1, FLG_G32);   /* read-only data, DPL 3 */
	gdt_set(0x58, 0x1000, 0x12345, 0x93, FLG_B32); /* data, DPL 0, byte granular */
	gdt_set(0x60, 0, 0xFFFFF, 0x9F, FLG_G32);   /* conforming readable code, DPL 0 */
	probe_ring = 0;
	run_probes();
	probe_ring = 1;
	v = sys_try(run_probes, 3);
	print_probes(0);
	print_probes(1);
	printf("probes in ring 3: %s\n", okfail(v < 0));

	int zf;
	uint32_t r = arpl(0x0010, 0x0003, &zf);
	printf("arpl 0010,0003: %04x zf=%d %s\n", r, zf, okfail(r == 0x13 && zf));
	r = arpl(0x0013, 0x0001, &zf);
	printf("arpl 0013,0001: %04x zf=%d %s\n", r, zf, okfail(r == 0x13 && !zf));

	/* IRET to ring 3 nulls DS/ES/FS/GS holding DPL-0 data or non-conforming code. */
	user_seg[0] = SEL_KDATA;
	user_seg[1] = SEL_UDATA;
	user_seg[2] = 0x60;
	user_seg[3] = SEL_KCODE;
	v = sys_try(FN(u_segs), 3);
	printf("iret to ring 3 segments: ds=%04x es=%04x fs=%04x gs=%04x %s\n", seg_seen[0], seg_seen[1],
	       seg_seen[2], seg_seen[3],
	       okfail(v < 0 && seg_seen[0] == 0 && seg_seen[1] == SEL_UDATA && seg_seen[2] == 0x60 &&
		      seg_seen[3] == 0));

	/* I/O permission bitmap with IOPL 0. */
	for (uint16_t p = 0xE0; p < 0xE4; p++)
		tss_io_allow(p, 1);
	outl(0xE0, 0);
	v = sys_try(FN(u_out_e0), 3);
	printf("iopb allowed outl 0xe0: %s value %s\n", v < 0 ? "no fault" : "fault", okfail(v < 0 && inl(0xE0) == 0xCAFE0001u));
	v = sys_try(FN(u_inb_e0), 3);
	printf("iopb allowed inb 0xe0: %s %s\n", v < 0 ? "no fault" : "fault", okfail(v < 0 && io_byte == 0x01));
	tss_io_allow(0xE3, 0);
	outl(0xE0, 0);
	v = sys_try(FN(u_out_e0), 3);
	fault_line("#GP iopb outl 0xe0 with 0xe3 denied", v, 0, u_out_e0_at);
	printf("denied write not done: %s\n", okfail(inl(0xE0) == 0));
	v = sys_try(FN(u_inb_80), 3);
	fault_line("#GP iopb denied inb 0x80", v, 0, u_inb_80_at);
	v = sys_try(FN(u_inb_510), 3);
	fault_line("#GP port beyond bitmap 0x510", v, 0, u_inb_510_at);
	user_eflags = EFL_IOPL3;
	v = sys_try(FN(u_out_e0), 3);
	printf("iopl 3 outl 0xe0: %s %s\n", v < 0 ? "no fault" : "fault", okfail(v < 0 && inl(0xE0) == 0xCAFE0001u));

	puts("ring3: done");
	return 0;
}
