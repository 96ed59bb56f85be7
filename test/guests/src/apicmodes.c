/*
 * apicmodes (1 CPU): the local APIC timer across LVT mode switches, a TSC-deadline arm as Linux 6.1
 * does it, and IA32_APIC_BASE's global enable.
 *
 * Between one-shot and periodic the running count goes on (hardware, KVM's apic_update_lvtt): a
 * periodic count switched to one-shot after two periods fires once more at the end of its period
 * and stops; a one-shot switched to periodic mid-count reloads; a one-shot that reached 0 stays
 * stopped when switched to periodic. A switch to TSC-deadline mode stops the count and clears TMICT.
 * Linux 6.1 arms the TSC-deadline timer with MFENCE after the LVT write and "mfence; lfence" before
 * the MSR write, whatever CPUID says about SSE2. Clearing IA32_APIC_BASE's enable clears
 * CPUID.1:EDX.APIC; setting it again gives the xAPIC ID its initial value back. The timer runs at
 * divide-by-1 (1 GHz: counts of 20000-50000 ticks are 20-50 us); nothing printed depends on timing.
 * See README-apic.md.
 */
#include "sys.h"
#include "irqchip.h"

#define V_TIMER 0x50
#define COUNT   50000u

static volatile uint32_t timer_count;
static void timer_handler(struct frame *f) { (void)f; timer_count++; lapic_eoi(); }
static void spurious_handler(struct frame *f) { (void)f; }

/* Spin with interrupts enabled until timer_count reaches n, or give up (no HLT: a stopped timer
   must not leave the guest halted for good). */
static int wait_count(uint32_t n)
{
	sti();
	for (uint32_t i = 0; i < 2000000 && timer_count < n; i++)
		relax();
	cli();
	return timer_count >= n;
}

/* Some time with interrupts enabled: far longer than any count used here, in QEMU too. */
static void idle(void)
{
	sti();
	delay(400000);
	cli();
}

/* How many interrupts, without numbers that could depend on timing. */
static const char *how_many(uint32_t n) { return n == 0 ? "none" : n == 1 ? "one" : "several"; }
static const char *yesno(uint32_t v) { return v ? "yes" : "no"; }

static uint32_t cpuid_apic(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	return (r[3] >> 9) & 1;
}

static void timer_modes(void)
{
	/* Periodic, two periods, then one-shot. */
	timer_count = 0;
	lapic_write(LAPIC_LVT_TIMER, LVT_PERIODIC | V_TIMER);
	lapic_write(LAPIC_TMICT, COUNT);
	int two = wait_count(2);
	lapic_write(LAPIC_LVT_TIMER, V_TIMER);
	uint32_t ict = lapic_read(LAPIC_TMICT), cct = lapic_read(LAPIC_TMCCT);
	int one = wait_count(3);
	uint32_t after = lapic_read(LAPIC_TMCCT);
	idle();
	printf("periodic -> one-shot after 2 periods: tmict=%u counting=%s, interrupts after the switch: %s, "
	       "then counting=%s %s\n", ict, yesno(cct), how_many(timer_count - 2), yesno(after),
	       okfail(two && ict == COUNT && cct > 0 && cct < COUNT && one && timer_count == 3 && after == 0));

	/* One-shot, switched to periodic mid-count. */
	lapic_write(LAPIC_TMICT, 0);
	timer_count = 0;
	lapic_write(LAPIC_LVT_TIMER, V_TIMER);
	lapic_write(LAPIC_TMICT, COUNT);
	lapic_write(LAPIC_LVT_TIMER, LVT_PERIODIC | V_TIMER);
	ict = lapic_read(LAPIC_TMICT);
	cct = lapic_read(LAPIC_TMCCT);
	int three = wait_count(3);
	printf("one-shot -> periodic mid-count: tmict=%u counting=%s, reloads %s\n", ict, yesno(cct),
	       okfail(ict == COUNT && cct > 0 && three));

	/* A one-shot that reached 0, switched to periodic. */
	lapic_write(LAPIC_TMICT, 0);
	timer_count = 0;
	lapic_write(LAPIC_LVT_TIMER, V_TIMER);
	lapic_write(LAPIC_TMICT, 20000);
	int fired = wait_count(1);
	lapic_write(LAPIC_LVT_TIMER, LVT_PERIODIC | V_TIMER);
	ict = lapic_read(LAPIC_TMICT);
	cct = lapic_read(LAPIC_TMCCT);
	idle();
	uint32_t cct2 = lapic_read(LAPIC_TMCCT);
	printf("finished one-shot -> periodic: tmict=%u counting=%s, later %s, interrupts after the switch: %s %s\n",
	       ict, yesno(cct), yesno(cct2), how_many(timer_count - 1),
	       okfail(fired && ict == 20000 && cct == 0 && cct2 == 0 && timer_count == 1));
	lapic_write(LAPIC_TMICT, 0);
}

static void tsc_deadline(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	if (!(r[2] & (1u << 24))) {
		printf("tsc-deadline: not supported\n");
		return;
	}
	/* A running periodic count stops on the switch; TMICT reads 0. */
	timer_count = 0;
	lapic_write(LAPIC_LVT_TIMER, LVT_PERIODIC | V_TIMER);
	lapic_write(LAPIC_TMICT, COUNT);
	lapic_write(LAPIC_LVT_TIMER, LVT_TSC_DEADLINE | V_TIMER);
	uint32_t ict = lapic_read(LAPIC_TMICT);
	idle();
	printf("periodic -> tsc-deadline: tmict=%u interrupts %u %s\n", ict, timer_count,
	       okfail(ict == 0 && timer_count == 0));
	/* Linux 6.1: __setup_APIC_LVTT, then lapic_next_deadline with weak_wrmsr_fence. */
	lapic_write(LAPIC_LVT_TIMER, LVT_TSC_DEADLINE | V_TIMER);
	__asm__ volatile("mfence" ::: "memory");
	__asm__ volatile("mfence; lfence" ::: "memory");
	wrmsr(MSR_TSC_DEADLINE, rdtsc() + 20000);
	int fired = wait_count(1);
	printf("tsc-deadline armed as linux 6.1 does (mfence, then mfence; lfence; wrmsr): fires %s\n", okfail(fired));
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | V_TIMER);
}

static void base_enable(void)
{
	uint32_t base = (uint32_t)rdmsr(MSR_APIC_BASE);
	lapic_write(LAPIC_ID, 0x05000000u);
	uint32_t id = lapic_read(LAPIC_ID);
	printf("enabled: base=%08x cpuid.1:edx.apic=%u id=%08x (written) %s\n", base, cpuid_apic(), id,
	       okfail(base == 0xFEE00900u && cpuid_apic() == 1 && id == 0x05000000u));
	wrmsr(MSR_APIC_BASE, base & ~0x800u);
	uint32_t off = (uint32_t)rdmsr(MSR_APIC_BASE);
	uint32_t apic_off = cpuid_apic();
	printf("enable cleared: base=%08x cpuid.1:edx.apic=%u %s\n", off, apic_off,
	       okfail(off == 0xFEE00100u && apic_off == 0));
	wrmsr(MSR_APIC_BASE, base);
	uint32_t on = (uint32_t)rdmsr(MSR_APIC_BASE);
	uint32_t apic_on = cpuid_apic();
	id = lapic_read(LAPIC_ID);
	printf("enable set again: base=%08x cpuid.1:edx.apic=%u id=%08x (initial) %s\n", on, apic_on, id,
	       okfail(on == 0xFEE00900u && apic_on == 1 && id == 0));
}

int main(unsigned magic, struct multiboot_info *mbi)
{
	(void)magic;
	(void)mbi;
	serial_init();
	sys_init();
	pic_remap(0x20, 0x28);
	lapic_setup();
	set_handler(V_TIMER, timer_handler);
	set_handler(0xFF, spurious_handler);
	puts("apicmodes: start");
	timer_modes();
	tsc_deadline();
	base_enable();  /* last: QEMU cannot enable the APIC again */
	puts("apicmodes: done");
	return 0;
}
