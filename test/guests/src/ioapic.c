/*
 * ioapic: the I/O APIC at 0xFEC00000 with one CPU and the 8259s fully masked. ID and version
 * registers, redirection entries (read-only bits), edge pins raised through pc-testdev
 * (0x2000 + n) and their service order, a masked edge (lost), a masked level pin (held until
 * unmasked), level pins (remote IRR while in service, LAPIC EOI broadcast re-delivering while the
 * line stays high, TMR set), the EOI register of version 0x20, physical and logical (flat and
 * cluster) destinations, delivery status, and PIT IRQ0 arriving on pin 2. See README-apic.md.
 */
#include "sys.h"
#include "irqchip.h"

static volatile uint32_t order[16], norder;
static volatile uint32_t tmr_seen[256];
static volatile uint32_t level_count, level_rirr[4], lower_at;
static volatile uint32_t eoi_count, eoi_rirr[4], eoi_irr_again;
static volatile uint32_t pit_pin2, pit_pin0;

static void window(void) { __asm__ volatile("sti; nop; nop; nop; nop; nop; nop; cli" ::: "memory"); }
static void line(int irq, int level) { outb((uint16_t)(0x2000 + irq), (uint8_t)level); }
static void pulse(int irq) { line(irq, 1); line(irq, 0); }
static int rirr(int pin) { return (ioapic_lo(pin) & IOA_REMOTE_IRR) ? 1 : 0; }

static void print_order(const char *what, const char *want)
{
	char buf[64];
	int n = 0;
	for (uint32_t i = 0; i < norder && n < 56; i++) {
		if (i)
			buf[n++] = ' ';
		buf[n++] = "0123456789abcdef"[(order[i] >> 4) & 15];
		buf[n++] = "0123456789abcdef"[order[i] & 15];
	}
	buf[n] = 0;
	printf("%s: %s %s\n", what, n ? buf : "none", okfail(strcmp(buf, want) == 0));
	norder = 0;
}

static void rec_handler(struct frame *f)
{
	if (norder < 16)
		order[norder++] = f->vector;
	tmr_seen[f->vector] = (uint32_t)lapic_bit(LAPIC_TMR, (int)f->vector);
	lapic_eoi();
}

/* Pin 10, level: lower the line on the third delivery. */
static void level_handler(struct frame *f)
{
	tmr_seen[f->vector] = (uint32_t)lapic_bit(LAPIC_TMR, (int)f->vector);
	if (level_count < 4)
		level_rirr[level_count] = (uint32_t)rirr(10);
	if (++level_count == lower_at)
		line(10, 0);
	lapic_eoi();
}

/* Pin 11, level: the EOI register while the line is high (re-sent), then after lowering it. */
static void eoi_handler(struct frame *f)
{
	(void)f;
	uint32_t n = eoi_count++;
	if (n == 0) {
		eoi_rirr[0] = (uint32_t)rirr(11);
		ioapic_eoi_reg(0x7B);
		eoi_rirr[1] = (uint32_t)rirr(11);
		eoi_irr_again = (uint32_t)lapic_bit(LAPIC_IRR, 0x7B);
		line(11, 0);
		ioapic_eoi_reg(0x7B);
		eoi_rirr[2] = (uint32_t)rirr(11);
	} else if (n == 1) {
		eoi_rirr[3] = (uint32_t)rirr(11);
	}
	lapic_eoi();
}

static void pit_handler(struct frame *f)
{
	if (f->vector == 0x62)
		pit_pin2++;
	else
		pit_pin0++;
	lapic_eoi();
}

static void drain(void)
{
	for (int i = 0; i < 10; i++)
		window();
}

static void test_regs(void)
{
	uint32_t id0 = ioapic_read(IOAPIC_ID);
	ioapic_write(IOAPIC_ID, 0x05000000u);
	uint32_t id = ioapic_read(IOAPIC_ID) & 0x0F000000u;
	ioapic_write(IOAPIC_ID, id0);
	printf("id register bits 27:24 writable: %08x %s\n", id, okfail(id == 0x05000000u));
	uint32_t ver = ioapic_read(IOAPIC_VER);
	printf("version %02x, max redirection entry %u %s\n", ver & 0xFF, (ver >> 16) & 0xFF, okfail(ver == 0x00170020u));

	/* Defined bits read back; delivery status (12) and remote IRR (14) are read-only. */
	ioapic_set(9, IOA_MASKED | IOA_LEVEL | IOA_REMOTE_IRR | IOA_ACTIVE_LOW | IOA_BUSY | IOA_DEST_LOGICAL | DM_LOWPRI | 0x51,
		   0xAB000000u);
	uint32_t lo = ioapic_lo(9), hi = ioapic_hi(9);
	printf("redirection 9: wrote 0001f951 ab000000, reads %08x %08x %s\n", lo, hi,
	       okfail(lo == 0x0001A951u && hi == 0xAB000000u));
	ioapic_set(9, IOA_MASKED | DM_FIXED | 0x69, 0);
	lo = ioapic_lo(9);
	printf("redirection 9: %08x %08x %s\n", lo, ioapic_hi(9), okfail(lo == 0x00010069u && ioapic_hi(9) == 0));
}

static void test_edge(void)
{
	static const struct { int pin; uint8_t vec; } pins[] = { { 5, 0x65 }, { 9, 0x39 }, { 10, 0xA0 }, { 11, 0x4B } };
	for (unsigned i = 0; i < 4; i++) {
		set_handler(pins[i].vec, rec_handler);
		ioapic_set(pins[i].pin, DM_FIXED | pins[i].vec, 0);
	}
	for (unsigned i = 0; i < 4; i++)
		pulse(pins[i].pin);
	printf("edge pins 5 9 10 11 raised with IF=0: lapic irr 65=%u 39=%u a0=%u 4b=%u %s\n", lapic_bit(LAPIC_IRR, 0x65),
	       lapic_bit(LAPIC_IRR, 0x39), lapic_bit(LAPIC_IRR, 0xA0), lapic_bit(LAPIC_IRR, 0x4B),
	       okfail(lapic_bit(LAPIC_IRR, 0x65) && lapic_bit(LAPIC_IRR, 0x39) && lapic_bit(LAPIC_IRR, 0xA0) &&
		      lapic_bit(LAPIC_IRR, 0x4B)));
	window();
	print_order("edge service order", "a0 65 4b 39");
	printf("edge: tmr clear %s\n", okfail(!tmr_seen[0x65] && !tmr_seen[0x39] && !tmr_seen[0xA0] && !tmr_seen[0x4B]));
	int idle = 1;
	for (unsigned i = 0; i < 4; i++)
		idle &= (ioapic_lo(pins[i].pin) & (IOA_BUSY | IOA_REMOTE_IRR)) == 0;
	printf("edge: delivery status and remote irr 0 %s\n", okfail(idle));

	/* Holding the line high raises one interrupt; lowering it raises none. */
	line(5, 1);
	drain();
	line(5, 0);
	drain();
	print_order("edge pin 5 held high then lowered", "65");

	/* Masked edge: ignored, nothing delivered when unmasked. */
	ioapic_set(5, IOA_MASKED | DM_FIXED | 0x65, 0);
	pulse(5);
	drain();
	ioapic_set(5, DM_FIXED | 0x65, 0);
	drain();
	print_order("edge on masked pin 5, then unmasked", "");
	pulse(5);
	drain();
	print_order("edge on unmasked pin 5", "65");
	for (unsigned i = 0; i < 4; i++)
		ioapic_set(pins[i].pin, IOA_MASKED | DM_FIXED | pins[i].vec, 0);
}

static void test_level(void)
{
	set_handler(0x7A, level_handler);
	ioapic_set(10, IOA_LEVEL | DM_FIXED | 0x7A, 0);
	lower_at = 3;
	line(10, 1);
	printf("level pin 10 raised with IF=0: remote irr %u, lapic irr %u, tmr %u %s\n", rirr(10), lapic_bit(LAPIC_IRR, 0x7A),
	       lapic_bit(LAPIC_TMR, 0x7A), okfail(rirr(10) && lapic_bit(LAPIC_IRR, 0x7A) && lapic_bit(LAPIC_TMR, 0x7A)));
	for (int i = 0; i < 100 && level_count < 3; i++)
		window();
	drain();
	printf("level: eoi re-delivers while high, line lowered on delivery 3: %u deliveries %s\n", level_count,
	       okfail(level_count == 3));
	printf("level: remote irr in the handlers %u %u %u, tmr %u %s\n", level_rirr[0], level_rirr[1], level_rirr[2],
	       tmr_seen[0x7A], okfail(level_rirr[0] && level_rirr[1] && level_rirr[2] && tmr_seen[0x7A]));
	printf("level: after the last eoi remote irr %u, isr %u %s\n", rirr(10), lapic_bit(LAPIC_ISR, 0x7A),
	       okfail(!rirr(10) && !lapic_bit(LAPIC_ISR, 0x7A)));

	/* Masked level pin with the line high: held, delivered on unmask. */
	level_count = 0;
	lower_at = 1;
	ioapic_set(10, IOA_MASKED | IOA_LEVEL | DM_FIXED | 0x7A, 0);
	line(10, 1);
	drain();
	uint32_t held = level_count;
	ioapic_set(10, IOA_LEVEL | DM_FIXED | 0x7A, 0);
	drain();
	printf("level pin 10 masked while high: %u deliveries, after unmask %u %s\n", held, level_count,
	       okfail(held == 0 && level_count == 1 && !rirr(10)));
	ioapic_set(10, IOA_MASKED | DM_FIXED | 0x7A, 0);

	/* The EOI register (version 0x20). */
	set_handler(0x7B, eoi_handler);
	ioapic_set(11, IOA_LEVEL | DM_FIXED | 0x7B, 0);
	line(11, 1);
	drain();
	printf("eoi register: remote irr %u, after eoi register write with the line high %u (re-sent, lapic irr %u) %s\n",
	       eoi_rirr[0], eoi_rirr[1], eoi_irr_again, okfail(eoi_rirr[0] && eoi_rirr[1] && eoi_irr_again));
	printf("eoi register: after lowering the line and writing it again %u; deliveries %u, remote irr in the second %u %s\n",
	       eoi_rirr[2], eoi_count, eoi_rirr[3], okfail(!eoi_rirr[2] && eoi_count == 2 && !eoi_rirr[3]));
	ioapic_set(11, IOA_MASKED | DM_FIXED | 0x7B, 0);
}

static void dest_case(const char *what, uint32_t lo_extra, uint8_t dest, int want)
{
	ioapic_set(9, lo_extra | DM_FIXED | 0x69, (uint32_t)dest << 24);
	pulse(9);
	drain();
	uint32_t got = norder;
	norder = 0;
	printf("pin 9 %s dest %02x: %s %s\n", what, dest, got ? "delivered" : "not delivered", okfail((int)got == want));
	if (got)
		printf("pin 9 delivery status after delivery %u %s\n", (ioapic_lo(9) >> 12) & 1, okfail(!(ioapic_lo(9) & IOA_BUSY)));
}

static void test_dest(void)
{
	set_handler(0x69, rec_handler);
	dest_case("physical", 0, 0x00, 1);
	dest_case("physical", 0, 0x01, 0);
	dest_case("physical broadcast", 0, 0xFF, 1);
	lapic_write(LAPIC_DFR, 0xFFFFFFFFu);
	lapic_write(LAPIC_LDR, 0x04000000u);
	dest_case("logical flat (ldr 04)", IOA_DEST_LOGICAL, 0x04, 1);
	dest_case("logical flat (ldr 04)", IOA_DEST_LOGICAL, 0x0B, 0);
	dest_case("logical flat (ldr 04)", IOA_DEST_LOGICAL, 0xFF, 1);
	lapic_write(LAPIC_DFR, 0x0FFFFFFFu);
	lapic_write(LAPIC_LDR, 0x21000000u);
	dest_case("logical cluster (ldr 21)", IOA_DEST_LOGICAL, 0x21, 1);
	dest_case("logical cluster (ldr 21)", IOA_DEST_LOGICAL, 0x23, 1);
	dest_case("logical cluster (ldr 21)", IOA_DEST_LOGICAL, 0x11, 0);
	dest_case("logical cluster (ldr 21)", IOA_DEST_LOGICAL, 0x22, 0);
	lapic_write(LAPIC_DFR, 0xFFFFFFFFu);
	lapic_write(LAPIC_LDR, 0);
	ioapic_set(9, IOA_MASKED | DM_FIXED | 0x69, 0);
}

static void test_pit(void)
{
	set_handler(0x60, pit_handler);
	set_handler(0x62, pit_handler);
	ioapic_set(0, DM_FIXED | 0x60, 0);
	ioapic_set(2, DM_FIXED | 0x62, 0);
	outb(0x43, 0x34);  /* channel 0, mode 2, ~1 kHz */
	outb(0x40, 1193 & 0xFF);
	outb(0x40, 1193 >> 8);
	for (int i = 0; i < 100000 && pit_pin2 < 3; i++)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	ioapic_set(0, IOA_MASKED | DM_FIXED | 0x60, 0);
	ioapic_set(2, IOA_MASKED | DM_FIXED | 0x62, 0);
	drain();
	printf("pit irq0 arrives on pin 2 %s, pin 0 silent %s\n", okfail(pit_pin2 >= 3), okfail(pit_pin0 == 0));
}

int main(unsigned magic, struct multiboot_info *mbi)
{
	(void)magic;
	(void)mbi;
	serial_init();
	sys_init();
	pic_remap(0x20, 0x28);  /* every 8259 line masked */
	lapic_setup();           /* LINT0 masked: no virtual wire */
	for (int pin = 0; pin < 24; pin++)
		ioapic_set(pin, IOA_MASKED, 0);
	static const int used[] = { 5, 9, 10, 11 };
	for (unsigned i = 0; i < 4; i++)
		line(used[i], 0);
	cli();
	puts("ioapic: I/O APIC, one CPU, 8259s masked");
	test_regs();
	test_edge();
	test_level();
	test_dest();
	test_pit();
	puts("ioapic done");
	return 0;
}
