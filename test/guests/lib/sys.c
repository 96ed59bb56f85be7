/*
 * sys: GDT/IDT/TSS setup, interrupt dispatch, fault recovery and PIC helpers for system guests.
 * See sys.h.
 */
#include "sys.h"

struct gate idt[256] __attribute__((aligned(8)));
struct tss sys_tss __attribute__((aligned(128)));
struct fault_info last_fault;
volatile int sys_try_active;
volatile int last_vector;
uint32_t user_eflags;
uint32_t user_esp;
uint16_t user_seg[4] = { 0x23, 0x23, 0x23, 0x23 };

static handler_t handlers[256];
static uint8_t kstack[8192] __attribute__((aligned(16)));
static uint8_t ustack[8192] __attribute__((aligned(16)));
static uint8_t *const sys_kstack_top_p = kstack + sizeof(kstack);

extern char isr_stubs[];
void isr_dispatch(struct frame *f);

static struct {
	uint16_t pad;
	uint16_t limit;
	uint32_t base;
} __attribute__((packed, aligned(4))) gdtr, idtr;

void gdt_set(int sel, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	uint64_t d = 0;
	d |= limit & 0xFFFFu;
	d |= (uint64_t)(base & 0xFFFFFFu) << 16;
	d |= (uint64_t)access << 40;
	d |= (uint64_t)((limit >> 16) & 0xF) << 48;
	d |= (uint64_t)(flags & 0xF) << 52;
	d |= (uint64_t)(base >> 24) << 56;
	gdt[sel >> 3] = d;
}

void gdt_set_gate(int sel, uint16_t target_sel, uint32_t offset, int type, int dpl, int params)
{
	uint64_t d = 0;
	d |= offset & 0xFFFFu;
	d |= (uint64_t)target_sel << 16;
	d |= (uint64_t)(params & 0x1F) << 32;
	d |= (uint64_t)(0x80 | (dpl << 5) | type) << 40;
	d |= (uint64_t)(offset >> 16) << 48;
	gdt[sel >> 3] = d;
}

uint8_t gdt_access(int sel)
{
	return (uint8_t)(gdt[sel >> 3] >> 40);
}

uint32_t idt_stub(int vec)
{
	return (uint32_t)isr_stubs + 16u * (uint32_t)vec;
}

void idt_set(int vec, uint16_t sel, uint32_t offset, int type, int dpl, int present)
{
	struct gate *g = &idt[vec];
	g->off_lo = (uint16_t)offset;
	g->off_hi = (uint16_t)(offset >> 16);
	g->sel = sel;
	g->zero = 0;
	g->type_attr = (uint8_t)((present ? 0x80 : 0) | (dpl << 5) | type);
}

void idt_set_default(int vec)
{
	idt_set(vec, SEL_KCODE, idt_stub(vec), GATE_INT32, 0, 1);
}

void set_handler(int vec, handler_t h)
{
	handlers[vec] = h;
}

void tss_io_allow(uint16_t port, int allow)
{
	if (port >= 0x400)
		return;
	if (allow)
		sys_tss.iobitmap[port >> 3] &= (uint8_t)~(1u << (port & 7));
	else
		sys_tss.iobitmap[port >> 3] |= (uint8_t)(1u << (port & 7));
}

void sys_init(void)
{
	/* Same flat ring-0 segments as entry.S, with the accessed bit preset (LAR results are fixed). */
	gdt_set(SEL_KCODE, 0, 0xFFFFF, ACC_CODE0, FLG_G32);
	gdt_set(SEL_KDATA, 0, 0xFFFFF, ACC_DATA0, FLG_G32);
	gdt_set(0x18, 0, 0xFFFFF, ACC_CODE3, FLG_G32);
	gdt_set(0x20, 0, 0xFFFFF, ACC_DATA3, FLG_G32);
	memset(&sys_tss, 0, sizeof(sys_tss));
	sys_tss.esp0 = (uint32_t)sys_kstack_top_p;
	sys_tss.ss0 = SEL_KDATA;
	sys_tss.iomap = (uint16_t)__builtin_offsetof(struct tss, iobitmap);
	memset(sys_tss.iobitmap, 0xFF, sizeof(sys_tss.iobitmap));
	sys_tss.iobitmap_end = 0xFF;
	gdt_set(SEL_TSS, (uint32_t)&sys_tss, sizeof(sys_tss) - 1, ACC_TSS, 0);
	gdt_set(SEL_CODE16, 0, 0xFFFF, ACC_CODE0, FLG_16);
	gdt_set(SEL_DATA16, 0, 0xFFFF, ACC_DATA0, FLG_16);
	gdtr.limit = GDT_ENTRIES * 8 - 1;
	gdtr.base = (uint32_t)gdt;
	__asm__ volatile("lgdt %0" : : "m"(gdtr.limit));
	for (int v = 0; v < 256; v++)
		idt_set_default(v);
	idt_set(0x80, SEL_KCODE, idt_stub(0x80), GATE_TRAP32, 3, 1);
	idtr.limit = sizeof(idt) - 1;
	idtr.base = (uint32_t)idt;
	__asm__ volatile("lidt %0" : : "m"(idtr.limit));
	__asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
	__asm__ volatile("lldt %w0" : : "r"(0));  /* LDTR null: LDT references #GP */
	user_esp = (uint32_t)(ustack + sizeof(ustack));
}

static const char *const names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS", "#NP", "#SS",
	"#GP", "#PF", "r15", "#MF", "#AC", "#MC", "#XM",
};

void isr_dispatch(struct frame *f)
{
	uint32_t cr2 = f->vector == 14 ? read_cr2() : 0;
	handler_t h = handlers[f->vector];
	if (h) {
		h(f);
		return;
	}
	if (f->vector == 0x80 && f->eax == SYSCALL_EXIT && sys_try_active) {
		last_vector = -1;
		sys_recover();
	}
	if (sys_try_active && f->vector < 32) {
		last_fault.vector = f->vector;
		last_fault.err = f->err;
		last_fault.eip = f->eip;
		last_fault.cs = f->cs & 0xFFFF;
		last_fault.eflags = f->eflags;
		last_fault.cr2 = cr2;
		last_fault.esp = f->esp;
		last_fault.ss = f->ss & 0xFFFF;
		last_fault.frame_addr = (uint32_t)&f->eip;
		last_vector = (int)f->vector;
		sys_recover();
	}
	printf("unexpected %s vector %02x err=%04x eip=%08x cs=%04x eflags=%08x\n",
	       f->vector < 32 && names[f->vector] ? names[f->vector] : "int", f->vector, f->err, f->eip,
	       f->cs & 0xFFFF, f->eflags);
	exit(3);
}

void pic_remap(uint8_t base0, uint8_t base1)
{
	outb(0x20, 0x11);  /* ICW1: edge, cascade, ICW4 needed */
	outb(0xA0, 0x11);
	outb(0x21, base0); /* ICW2: vector base */
	outb(0xA1, base1);
	outb(0x21, 0x04);  /* ICW3: slave on IRQ2 */
	outb(0xA1, 0x02);  /* ICW3: slave id 2 */
	outb(0x21, 0x01);  /* ICW4: 8086 mode, normal EOI */
	outb(0xA1, 0x01);
	outb(0x21, 0xFF);  /* mask all */
	outb(0xA1, 0xFF);
}

void pic_eoi(int irq)
{
	if (irq >= 8)
		outb(0xA0, 0x20);
	outb(0x20, 0x20);
}

void pic_mask(int irq, int masked)
{
	uint16_t port = irq >= 8 ? 0xA1 : 0x21;
	uint8_t bit = (uint8_t)(1u << (irq & 7));
	uint8_t m = inb(port);
	outb(port, masked ? (uint8_t)(m | bit) : (uint8_t)(m & ~bit));
	if (irq >= 8 && !masked)
		pic_mask(2, 0);
}
