/*
 * irqchip: the local APIC of one CPU (xAPIC at 0xFEE00000). ID/version, APIC base MSR, SVR, TPR/PPR,
 * LDR/DFR, self-IPIs (service order by priority class, nesting, TPR masking, ISR/IRR/TMR),
 * ESR after an illegal vector, LVT read-back and masking, software disable, the timer (one-shot,
 * periodic, divide configuration, TSC-deadline when CPUID.1:ECX[24] says so), an NMI IPI, and
 * LINT0 as ExtINT (PIT IRQ0 through the 8259, virtual wire). Nothing printed depends on timing.
 * See README-apic.md.
 */
#include "sys.h"
#include "irqchip.h"

#define MODE_PLAIN 0  /* record and EOI */
#define MODE_NEST  1  /* 0x35 opens a window for 0x92 and 0x36 */

static volatile int mode;
static volatile uint32_t order[16], norder;
static volatile uint32_t nest_ppr35, nest_ppr92, nest_isr35_in92, nest_isr92_in92;
static volatile uint32_t illegal_count, spurious_count, nmi_count, nmi_isr_clear;
static volatile uint32_t timer_count, pit_ticks, pit_vec_ok, pit_isr_clear;

static void window(void) { __asm__ volatile("sti; nop; nop; nop; nop; nop; nop; cli" ::: "memory"); }
static void self_ipi(uint8_t vec) { lapic_ipi(0, ICR_SELF | DM_FIXED | vec); }

static int isr_empty(void)
{
	for (uint32_t i = 0; i < 8; i++)
		if (lapic_read(LAPIC_ISR + 0x10 * i))
			return 0;
	return 1;
}

static void print_bitmap(const char *name, uint32_t base)
{
	printf("%s", name);
	for (uint32_t i = 0; i < 8; i++)
		printf(" %08x", lapic_read(base + 0x10 * i));
	printf("\n");
}

static void print_order(const char *what, const char *want)
{
	char buf[64];
	int n = 0;
	for (uint32_t i = 0; i < norder && n < 56; i++) {
		const char *hex = "0123456789abcdef";
		if (i)
			buf[n++] = ' ';
		buf[n++] = hex[(order[i] >> 4) & 15];
		buf[n++] = hex[order[i] & 15];
	}
	buf[n] = 0;
	printf("%s: %s %s\n", what, buf, okfail(strcmp(buf, want) == 0));
	norder = 0;
}

static void vec_handler(struct frame *f)
{
	uint32_t v = f->vector;
	if (norder < 16)
		order[norder++] = v;
	if (mode == MODE_NEST && v == 0x35) {
		nest_ppr35 = lapic_read(LAPIC_PPR);
		self_ipi(0x36);
		self_ipi(0x92);
		window();
	} else if (mode == MODE_NEST && v == 0x92) {
		nest_ppr92 = lapic_read(LAPIC_PPR);
		nest_isr35_in92 = (uint32_t)lapic_bit(LAPIC_ISR, 0x35);
		nest_isr92_in92 = (uint32_t)lapic_bit(LAPIC_ISR, 0x92);
	}
	lapic_eoi();
}

static void illegal_handler(struct frame *f) { (void)f; illegal_count++; lapic_eoi(); }
static void spurious_handler(struct frame *f) { (void)f; spurious_count++; }
static void nmi_handler(struct frame *f) { (void)f; nmi_count++; nmi_isr_clear = (uint32_t)isr_empty(); }
static void timer_handler(struct frame *f) { (void)f; timer_count++; lapic_eoi(); }

static void pit_handler(struct frame *f)
{
	pit_ticks++;
	if (f->vector == 0x20)
		pit_vec_ok = 1;
	pit_isr_clear = (uint32_t)isr_empty();
	pic_eoi(0);
}

/* Halt until *p reaches n (interrupts enabled only inside sti;hlt). */
static int hlt_until(volatile uint32_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < 100000 && *p < n; i++)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	return *p >= n;
}

static void test_ids(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	printf("cpuid.1:edx.apic %s\n", okfail(r[3] & (1u << 9)));
	uint32_t base = (uint32_t)rdmsr(MSR_APIC_BASE);
	printf("apic base msr %08x (bsp, enabled) %s\n", base & 0xFFFFF900u, okfail((base & 0xFFFFF900u) == 0xFEE00900u));
	uint32_t id = lapic_read(LAPIC_ID), ver = lapic_read(LAPIC_VER);
	printf("id %08x %s\n", id, okfail(id == 0));
	printf("version %02x max lvt %u %s\n", ver & 0xFF, (ver >> 16) & 0xFF, okfail(ver == 0x00050014u));
	lapic_write(LAPIC_SVR, 0x1A5);
	uint32_t svr = lapic_read(LAPIC_SVR);
	lapic_write(LAPIC_SVR, 0x1FF);
	printf("svr %03x (vector bits 7:0 writable) %s\n", svr, okfail(svr == 0x1A5));
	printf("svr %03x %s\n", lapic_read(LAPIC_SVR), okfail(lapic_read(LAPIC_SVR) == 0x1FF));
	static const uint8_t tprs[] = { 0x00, 0x20, 0x5A, 0xFF };
	for (unsigned i = 0; i < sizeof(tprs); i++) {
		lapic_write(LAPIC_TPR, tprs[i]);
		uint32_t t = lapic_read(LAPIC_TPR), p = lapic_read(LAPIC_PPR);
		printf("tpr %02x ppr %02x %s\n", t, p, okfail(t == tprs[i] && p == tprs[i]));
	}
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LDR, 0x5A000000u);
	uint32_t ldr = lapic_read(LAPIC_LDR);
	lapic_write(LAPIC_DFR, 0x0FFFFFFFu);
	uint32_t dfr_c = lapic_read(LAPIC_DFR);
	lapic_write(LAPIC_DFR, 0xFFFFFFFFu);
	uint32_t dfr_f = lapic_read(LAPIC_DFR);
	lapic_write(LAPIC_LDR, 0);
	printf("ldr %08x dfr cluster %08x flat %08x %s\n", ldr, dfr_c, dfr_f,
	       okfail(ldr == 0x5A000000u && dfr_c == 0x0FFFFFFFu && dfr_f == 0xFFFFFFFFu));
}

static void test_self_ipis(void)
{
	static const uint8_t vecs[] = { 0x35, 0x92, 0x61, 0xE3 };
	for (unsigned i = 0; i < sizeof(vecs); i++)
		set_handler(vecs[i], vec_handler);
	set_handler(0x36, vec_handler);
	for (unsigned v = 0x45; v <= 0x65; v += 0x10)
		set_handler((int)v, vec_handler);
	cli();
	for (unsigned i = 0; i < sizeof(vecs); i++)
		self_ipi(vecs[i]);
	print_bitmap("irr", LAPIC_IRR);
	print_bitmap("isr", LAPIC_ISR);
	print_bitmap("tmr", LAPIC_TMR);
	printf("icr %08x (self, fixed, idle) %s\n", lapic_read(LAPIC_ICR_LO) & 0x000CDFFFu,
	       okfail((lapic_read(LAPIC_ICR_LO) & 0x000CDFFFu) == 0x000400E3u));
	window();
	print_order("self-ipi service order", "e3 92 61 35");
	print_bitmap("irr after", LAPIC_IRR);
	print_bitmap("isr after", LAPIC_ISR);

	mode = MODE_NEST;
	self_ipi(0x35);
	window();
	mode = MODE_PLAIN;
	print_order("nesting (0x36, 0x92 raised in 0x35's handler)", "35 92 36");
	printf("ppr in 35 %02x, in nested 92 %02x %s\n", nest_ppr35, nest_ppr92,
	       okfail(nest_ppr35 == 0x30 && nest_ppr92 == 0x90));
	printf("isr in nested 92: 35=%u 92=%u %s\n", nest_isr35_in92, nest_isr92_in92,
	       okfail(nest_isr35_in92 && nest_isr92_in92));
	printf("isr empty after eois %s\n", okfail(isr_empty()));

	/* TPR masking: a vector whose class is at or below the TPR class waits. */
	lapic_write(LAPIC_TPR, 0x50);
	self_ipi(0x45);
	self_ipi(0x55);
	self_ipi(0x65);
	window();
	print_order("tpr 50: delivered", "65");
	printf("tpr 50: waiting 45=%u 55=%u ppr %02x %s\n", lapic_bit(LAPIC_IRR, 0x45), lapic_bit(LAPIC_IRR, 0x55),
	       lapic_read(LAPIC_PPR), okfail(lapic_bit(LAPIC_IRR, 0x45) && lapic_bit(LAPIC_IRR, 0x55) && lapic_read(LAPIC_PPR) == 0x50));
	lapic_write(LAPIC_TPR, 0x4F);
	window();
	print_order("tpr 4f: delivered", "55");
	lapic_write(LAPIC_TPR, 0x00);
	window();
	print_order("tpr 00: delivered", "45");
	printf("irr empty %s\n", okfail(!lapic_bit(LAPIC_IRR, 0x45) && !lapic_bit(LAPIC_IRR, 0x55)));
}

static void test_esr(void)
{
	set_handler(0x0F, illegal_handler);
	lapic_esr();
	uint32_t before = lapic_esr();
	self_ipi(0x0F);
	window();
	uint32_t esr = lapic_esr();
	uint32_t again = lapic_esr();
	printf("esr before %02x %s\n", before, okfail(before == 0));
	printf("esr after self-ipi vector 0f: send illegal vector %s\n", okfail(esr & 0x20));
	printf("illegal vector not delivered %s\n", okfail(illegal_count == 0 && !lapic_bit(LAPIC_IRR, 0x0F)));
	printf("esr cleared by the next write %s\n", okfail(again == 0));
}

static void test_lvt(void)
{
	static const struct { uint32_t reg, val; } lvts[] = {
		{ LAPIC_LVT_TIMER, LVT_MASKED | LVT_PERIODIC | 0x40 },
		{ LAPIC_LVT_THERM, LVT_MASKED | 0x41 },
		{ LAPIC_LVT_PERF, LVT_MASKED | DM_NMI },
		{ LAPIC_LVT_LINT0, LVT_MASKED | DM_EXTINT },
		{ LAPIC_LVT_LINT1, LVT_MASKED | DM_NMI },
		{ LAPIC_LVT_ERROR, LVT_MASKED | 0x43 },
		{ LAPIC_LVT_LINT0, LVT_MASKED | LVT_LEVEL | 0x2000 | 0x44 },
	};
	for (unsigned i = 0; i < sizeof(lvts) / sizeof(lvts[0]); i++) {
		lapic_write(lvts[i].reg, lvts[i].val);
		uint32_t v = lapic_read(lvts[i].reg);
		printf("lvt %03x %08x %s\n", lvts[i].reg, v, okfail(v == lvts[i].val));
		lapic_write(lvts[i].reg, LVT_MASKED);
	}

	/* Software disable (SDM 10.4.7.2): every LVT mask bit is set and cannot be cleared while the
	   APIC is disabled; re-enabling leaves the masks set. (Whether interrupts already pending in
	   the IRR are still dispatched while disabled differs between implementations: not tested.) */
	lapic_write(LAPIC_LVT_TIMER, 0x40);
	lapic_write(LAPIC_LVT_ERROR, 0x43);
	lapic_write(LAPIC_SVR, 0x0FF);
	uint32_t t1 = lapic_read(LAPIC_LVT_TIMER), e1 = lapic_read(LAPIC_LVT_ERROR);
	lapic_write(LAPIC_LVT_TIMER, 0x40);
	uint32_t t2 = lapic_read(LAPIC_LVT_TIMER);
	lapic_write(LAPIC_SVR, 0x1FF);
	uint32_t t3 = lapic_read(LAPIC_LVT_TIMER);
	printf("svr disabled: lvt timer %08x error %08x masked %s\n", t1, e1,
	       okfail(t1 == (LVT_MASKED | 0x40) && e1 == (LVT_MASKED | 0x43)));
	printf("svr disabled: lvt mask cannot be cleared %s\n", okfail(t2 == (LVT_MASKED | 0x40)));
	printf("svr re-enabled: lvt timer still masked %s\n", okfail(t3 == (LVT_MASKED | 0x40)));
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
}

static void test_timer(void)
{
	set_handler(0x40, timer_handler);
	set_handler(0x41, timer_handler);
	set_handler(0x42, timer_handler);

	char buf[40];
	for (uint32_t d = 0; d < 16; d++) {
		lapic_write(LAPIC_TDCR, d);
		buf[2 * d] = "0123456789abcdef"[lapic_read(LAPIC_TDCR) & 15];
		buf[2 * d + 1] = d == 15 ? 0 : ' ';
	}
	printf("tdcr 0..f reads %s %s\n", buf, okfail(strcmp(buf, "0 1 2 3 0 1 2 3 8 9 a b 8 9 a b") == 0));

	/* One-shot: counting (divide by 128, masked, so that a stalled host cannot make it expire
	   before the read), then firing (divide by 1, 1 ms). */
	lapic_write(LAPIC_TDCR, 0xA);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | 0x40);
	lapic_write(LAPIC_TMICT, 10000000);
	uint32_t ict = lapic_read(LAPIC_TMICT), cct = lapic_read(LAPIC_TMCCT);
	printf("one-shot tmict %u, tmcct counting (0 < tmcct <= tmict) %s\n", ict, okfail(ict == 10000000 && cct <= ict && cct > 0));
	lapic_write(LAPIC_TMICT, 0);
	lapic_write(LAPIC_TDCR, 0xB);
	lapic_write(LAPIC_LVT_TIMER, 0x40);
	lapic_write(LAPIC_TMICT, 1000000);
	int fired = hlt_until(&timer_count, 1);
	cct = lapic_read(LAPIC_TMCCT);
	delay(20000);
	printf("one-shot fired %s, tmcct %u, once %s\n", okfail(fired), cct, okfail(timer_count == 1 && lapic_read(LAPIC_TMCCT) == 0));

	/* One-shot, masked: counts down to 0, no interrupt; unmasking later delivers nothing. */
	timer_count = 0;
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | 0x40);
	lapic_write(LAPIC_TMICT, 20000);
	uint32_t n = 0;
	while (lapic_read(LAPIC_TMCCT) != 0 && n < 100000000)
		n++;
	lapic_write(LAPIC_LVT_TIMER, 0x40);
	window();
	printf("one-shot masked: tmcct reaches 0, no interrupt %s\n", okfail(lapic_read(LAPIC_TMCCT) == 0 && timer_count == 0));

	/* Periodic, 100 us: five interrupts with HLT, masking stops them, unmasking resumes. */
	timer_count = 0;
	lapic_write(LAPIC_LVT_TIMER, LVT_PERIODIC | 0x41);
	lapic_write(LAPIC_TMICT, 100000);
	fired = hlt_until(&timer_count, 5);
	cct = lapic_read(LAPIC_TMCCT);
	printf("periodic: 5 interrupts %s, tmcct within the period %s\n", okfail(fired),
	       okfail(cct <= 100000));
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | LVT_PERIODIC | 0x41);
	window();  /* an expiry before the mask may already be pending in the IRR */
	uint32_t snap = timer_count, wraps = 0, prev = lapic_read(LAPIC_TMCCT);
	for (n = 0; wraps < 3 && n < 100000000; n++) {
		uint32_t c = lapic_read(LAPIC_TMCCT);
		if (c > prev)
			wraps++;
		prev = c;
	}
	window();
	printf("periodic masked: 3 reloads, no interrupt %s\n", okfail(wraps == 3 && timer_count == snap));
	lapic_write(LAPIC_LVT_TIMER, LVT_PERIODIC | 0x41);
	fired = hlt_until(&timer_count, snap + 2);
	printf("periodic unmasked: interrupts resume %s\n", okfail(fired));
	lapic_write(LAPIC_TMICT, 0);
	window();  /* drain an expiry already pending in the IRR */
	timer_count = 0;
	delay(50000);
	window();
	printf("tmict 0 stops the timer: tmcct %u %s\n", lapic_read(LAPIC_TMCCT), okfail(lapic_read(LAPIC_TMCCT) == 0 && timer_count == 0));

	/* Divide configuration: the count falls about 128 times slower with TDCR 0xA than with 0xB
	   (checked coarsely; up to three tries, for hosts that stall QEMU between the two loops). */
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | 0x40);
	int dec = 0, slower = 0;
	for (int t = 0; t < 3 && !(dec && slower); t++) {
		lapic_write(LAPIC_TDCR, 0xA);
		lapic_write(LAPIC_TMICT, 0xFFFFFFFFu);
		uint32_t a0 = lapic_read(LAPIC_TMCCT);
		delay(20000);
		uint32_t a1 = lapic_read(LAPIC_TMCCT);
		lapic_write(LAPIC_TDCR, 0xB);
		lapic_write(LAPIC_TMICT, 0xFFFFFFFFu);
		uint32_t b0 = lapic_read(LAPIC_TMCCT);
		delay(20000);
		uint32_t b1 = lapic_read(LAPIC_TMCCT);
		lapic_write(LAPIC_TMICT, 0);
		uint32_t da = a0 - a1, db = b0 - b1;
		dec = a1 < a0 && b1 < b0;
		slower = da > 0 && db / 8 > da;
	}
	printf("tmcct decreases %s\n", okfail(dec));
	printf("divide by 128 counts at least 8 times slower than by 1 %s\n", okfail(slower));

	/* TSC-deadline mode, only where CPUID.1:ECX[24] announces it. */
	uint32_t r[4];
	cpuid(1, 0, r);
	if (!(r[2] & (1u << 24))) {
		printf("tsc-deadline: not supported\n");
	} else {
		timer_count = 0;
		lapic_write(LAPIC_LVT_TIMER, LVT_TSC_DEADLINE | 0x42);
		lapic_write(LAPIC_TMICT, 12345);
		uint32_t tict = lapic_read(LAPIC_TMICT), tcct = lapic_read(LAPIC_TMCCT);
		wrmsr(MSR_TSC_DEADLINE, rdtsc() + 200000);
		int armed = rdmsr(MSR_TSC_DEADLINE) != 0;
		fired = hlt_until(&timer_count, 1);
		uint64_t after = rdmsr(MSR_TSC_DEADLINE);
		printf("tsc-deadline: tmict write ignored, tmcct 0 %s\n", okfail(tict == 0 && tcct == 0));
		printf("tsc-deadline: fires %s, msr cleared %s\n", okfail(armed && fired), okfail(after == 0));
		wrmsr(MSR_TSC_DEADLINE, rdtsc() + 100000000ull);
		wrmsr(MSR_TSC_DEADLINE, 0);
		timer_count = 0;
		delay(50000);
		window();
		printf("tsc-deadline: writing 0 disarms %s\n", okfail(timer_count == 0));
		lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	}
}

static void test_nmi(void)
{
	set_handler(2, nmi_handler);
	cli();
	lapic_ipi(lapic_id(), DM_NMI | ICR_ASSERT);
	uint32_t n;
	for (n = 0; n < 1000000 && !nmi_count; n++)
		relax();
	printf("nmi ipi to own id (physical): vector 2 with IF=0 %s, not in isr %s\n", okfail(nmi_count == 1),
	       okfail(nmi_isr_clear));
}

static void test_extint(void)
{
	set_handler(0x20, pit_handler);
	lapic_write(LAPIC_LVT_LINT0, DM_EXTINT);
	outb(0x43, 0x34);               /* channel 0, lobyte/hibyte, mode 2 */
	outb(0x40, 1193 & 0xFF);        /* ~1 kHz */
	outb(0x40, 1193 >> 8);
	pic_mask(0, 0);
	int ok = hlt_until(&pit_ticks, 3);
	printf("lint0 extint: pit irq0 through the 8259 %s, vector 20 %s, not in lapic isr %s\n", okfail(ok),
	       okfail(pit_vec_ok), okfail(pit_isr_clear));
	/* LINT0 masked: the 8259's request waits; an APIC timer interrupt ends the HLT. */
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED | DM_EXTINT);
	uint32_t snap = pit_ticks;
	timer_count = 0;
	lapic_write(LAPIC_TDCR, 0xB);
	lapic_write(LAPIC_LVT_TIMER, 0x40);
	lapic_write(LAPIC_TMICT, 5000000);   /* 5 ms: several PIT periods */
	hlt_until(&timer_count, 1);
	printf("lint0 masked: irq0 held %s\n", okfail(pit_ticks == snap));
	lapic_write(LAPIC_LVT_LINT0, DM_EXTINT);
	window();
	printf("lint0 unmasked: held irq0 delivered %s\n", okfail(pit_ticks > snap));
	pic_mask(0, 1);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED | DM_EXTINT);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
}

int main(unsigned magic, struct multiboot_info *mbi)
{
	(void)magic;
	(void)mbi;
	serial_init();
	sys_init();
	pic_remap(0x20, 0x28);
	lapic_setup();
	set_handler(0xFF, spurious_handler);
	puts("apic: local APIC of one CPU");
	test_ids();
	test_self_ipis();
	test_esr();
	test_lvt();
	test_timer();
	test_nmi();
	test_extint();
	printf("spurious interrupts %u %s\n", spurious_count, okfail(spurious_count == 0));
	puts("apic done");
	return 0;
}
