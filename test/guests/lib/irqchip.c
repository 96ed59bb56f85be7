/*
 * irqchip: local APIC / IOAPIC helpers, fw_cfg CPU count, spinlocks and AP start-up. See irqchip.h.
 */
#include "irqchip.h"

volatile uint32_t smp_arrivals;
ap_main_t smp_ap_main;                     /* read by ap_entry_c */
uint8_t smp_ap_stacks[SMP_MAX_CPUS][8192] __attribute__((aligned(16)));
static volatile uint32_t print_lock;

extern char smp_trampoline_start[], smp_trampoline_end[];

void lapic_setup(void)
{
	lapic_write(LAPIC_SVR, SVR_ENABLE | 0xFF);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_DFR, 0xFFFFFFFFu);
	lapic_write(LAPIC_LDR, 0);
	lapic_write(LAPIC_TMICT, 0);
	lapic_write(LAPIC_TDCR, 0xB);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_LVT_THERM, LVT_MASKED);
	lapic_write(LAPIC_LVT_PERF, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT1, LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
	lapic_esr();
	lapic_esr();
}

static int icr_idle(void)
{
	for (uint32_t i = 0; i < 1000000; i++)
		if (!(lapic_read(LAPIC_ICR_LO) & ICR_BUSY))
			return 1;
	return 0;
}

int lapic_ipi(uint32_t dest, uint32_t lo)
{
	if (!icr_idle())
		return -1;
	lapic_write(LAPIC_ICR_HI, dest << 24);
	lapic_write(LAPIC_ICR_LO, lo);
	return icr_idle() ? 0 : -1;
}

uint32_t ioapic_read(uint32_t reg)
{
	*(volatile uint32_t *)IOAPIC_BASE = reg;
	return *(volatile uint32_t *)(IOAPIC_BASE + 0x10);
}

void ioapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC_BASE = reg;
	*(volatile uint32_t *)(IOAPIC_BASE + 0x10) = v;
}

void ioapic_set(int pin, uint32_t lo, uint32_t hi)
{
	ioapic_write(IOAPIC_REDTBL + 2u * (uint32_t)pin + 1, hi);
	ioapic_write(IOAPIC_REDTBL + 2u * (uint32_t)pin, lo);
}

uint32_t ioapic_lo(int pin) { return ioapic_read(IOAPIC_REDTBL + 2u * (uint32_t)pin); }
uint32_t ioapic_hi(int pin) { return ioapic_read(IOAPIC_REDTBL + 2u * (uint32_t)pin + 1); }

uint32_t fwcfg_cpu_count(void)
{
	outw(0x510, 0x0005);
	uint32_t lo = inb(0x511);
	uint32_t hi = inb(0x511);
	return lo | hi << 8;
}

void spin_lock(volatile uint32_t *l)
{
	for (;;) {
		uint32_t v = 1;
		__asm__ volatile("xchgl %0, %1" : "+r"(v), "+m"(*l) : : "memory");
		if (v == 0)
			return;
		while (*l)
			relax();
	}
}

void spin_unlock(volatile uint32_t *l)
{
	__asm__ volatile("" ::: "memory");
	*l = 0;
}

int lprintf(const char *fmt, ...)
{
	va_list ap;
	uint32_t fl = read_eflags();
	cli();
	spin_lock(&print_lock);
	va_start(ap, fmt);
	int n = vprintf(fmt, ap);
	va_end(ap);
	spin_unlock(&print_lock);
	write_eflags(fl);
	return n;
}

void delay(uint32_t loops)
{
	for (volatile uint32_t i = 0; i < loops; i++)
		;
}

int wait_eq(volatile uint32_t *p, uint32_t want, uint32_t loops)
{
	for (uint32_t i = 0; i < loops; i++) {
		if (*p == want)
			return 1;
		relax();
	}
	return *p == want;
}

static void tick_handler(struct frame *f)
{
	(void)f;
	lapic_eoi();
}

int wait_eq_hlt(volatile uint32_t *p, uint32_t want, uint32_t max_waits)
{
	uint32_t fl = read_eflags();
	int ok = 0;
	set_handler(TICK_VECTOR, tick_handler);
	for (uint32_t i = 0; i < max_waits && !ok; i++) {
		if (*p == want) {
			ok = 1;
			break;
		}
		lapic_write(LAPIC_TDCR, 0xB);
		lapic_write(LAPIC_LVT_TIMER, TICK_VECTOR);
		lapic_write(LAPIC_TMICT, 20000);
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	}
	lapic_write(LAPIC_TMICT, 0);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	ok = ok || *p == want;
	write_eflags(fl);
	return ok;
}

void smp_prepare(ap_main_t fn)
{
	smp_ap_main = fn;
	memcpy((void *)SMP_TRAMPOLINE, smp_trampoline_start,
	       (size_t)(smp_trampoline_end - smp_trampoline_start));
}

/* Called by the 32-bit AP entry in apic-asm.S on the AP's own stack. */
void ap_entry_c(uint32_t id)
{
	static struct {
		uint16_t pad, limit;
		uint32_t base;
	} __attribute__((packed, aligned(4))) idtr_ap;
	idtr_ap.limit = sizeof(idt) - 1;
	idtr_ap.base = (uint32_t)idt;
	__asm__ volatile("lidt %0" : : "m"(idtr_ap.limit));
	atomic_inc(&smp_arrivals);
	smp_ap_main((int)id);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void smp_init_sipi(int dest)
{
	uint32_t sh = dest < 0 ? ICR_OTHERS : 0;
	uint32_t d = dest < 0 ? 0 : (uint32_t)dest;
	uint32_t vec = SMP_TRAMPOLINE >> 12;
	lapic_ipi(d, sh | DM_INIT | ICR_ASSERT);              /* INIT */
	lapic_ipi(d, sh | DM_INIT | ICR_LEVEL);               /* INIT level de-assert */
	delay(10000);
	lapic_ipi(d, sh | DM_SIPI | ICR_ASSERT | vec);        /* SIPI */
	delay(2000);
	lapic_ipi(d, sh | DM_SIPI | ICR_ASSERT | vec);        /* second SIPI (ignored if started) */
}
