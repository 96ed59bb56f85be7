// qemu: -smp 2 -icount shift=0
/*
 * timerslice: local APIC timers armed while another CPU keeps running. CPU 1 spins without ever
 * halting, so the CPUs share the processor in turns (godwit's round-robin quanta, QEMU's TCG
 * round-robin). CPU 0 arms its TSC-deadline timer a few thousand TSC ticks ahead, or its one-shot
 * timer at divide-by-1 for as many ticks, and spins reading the TSC until the interrupt comes; the
 * handler notes how far past the deadline it ran. A timer that comes due while CPU 0 is running
 * must interrupt it at that instruction, not when its turn ends: most rounds must be taken within
 * a few hundred ticks (a deadline falling into CPU 1's turn waits for CPU 0's next turn, so not
 * all). `verbose=1` prints the lateness of every round (virtual-time figures: deterministic in
 * godwit, not comparable with QEMU's).
 */
#include "sys.h"
#include "irqchip.h"

#define V_TIMER 0x80
#define PROMPT  500   /* ticks: "taken at once" */

static volatile uint32_t fired, stop_ap, ap_spins;
static volatile uint64_t deadline, fired_at;

static void timer_handler(struct frame *f)
{
	(void)f;
	fired_at = rdtsc();
	fired = 1;
	lapic_eoi();
}

static void ap_main(int id)
{
	(void)id;
	lapic_setup();
	while (!stop_ap) ap_spins++;
	for (;;) __asm__ volatile("cli; hlt");
}

static uint64_t wait_fired(void)
{
	sti();
	uint32_t spins = 0;
	while (!fired && spins < 2000000) spins++;
	cli();
	return fired ? fired_at - deadline : ~0ull;
}

int main(unsigned magic, struct multiboot_info *mbi)
{
	uint32_t rounds = cmdline_uint(magic, mbi, "rounds", 40);
	uint32_t verbose = cmdline_uint(magic, mbi, "verbose", 0);
	sys_init();
	lapic_setup();
	set_handler(V_TIMER, timer_handler);
	smp_prepare(ap_main);
	smp_init_sipi(-1);
	if (!wait_eq_hlt(&smp_arrivals, 1, 50000)) {
		printf("timerslice: CPU 1 did not start\n");
		return 1;
	}
	uint32_t tsc_deadline = 0;
	uint32_t regs[4];
	cpuid(1, 0, regs);
	tsc_deadline = (regs[2] >> 24) & 1;
	uint32_t prompt[2] = {0, 0}, done[2] = {0, 0};
	uint32_t seed = 12345;
	for (uint32_t r = 0; r < rounds; r++) {
		seed = seed * 1103515245u + 12345u;
		uint32_t ahead = 1000 + (seed >> 8) % 4000;
		int kind = (int)(r & 1);
		if (kind == 0 && !tsc_deadline) kind = 1;
		fired = 0;
		if (kind == 0) {
			lapic_write(LAPIC_LVT_TIMER, LVT_TSC_DEADLINE | V_TIMER);
			deadline = rdtsc() + ahead;
			wrmsr(MSR_TSC_DEADLINE, deadline);
		} else {
			lapic_write(LAPIC_TDCR, 0xB);
			lapic_write(LAPIC_LVT_TIMER, V_TIMER);
			deadline = rdtsc() + ahead;
			lapic_write(LAPIC_TMICT, ahead);
		}
		uint64_t late = wait_fired();
		lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
		lapic_write(LAPIC_TMICT, 0);
		done[kind]++;
		if (late < PROMPT) prompt[kind]++;
		if (verbose) printf("  round %u %s ahead %u: late %u\n", r, kind ? "one-shot" : "tsc-deadline", ahead, (uint32_t)late);
	}
	stop_ap = 1;
	uint32_t total = done[0] + done[1], quick = prompt[0] + prompt[1];
	printf("timerslice: %u rounds, CPU 1 ran meanwhile: %s\n", total, ap_spins > 0 ? "yes" : "no");
	printf("most timers taken at once: %s\n", quick * 4 >= total * 3 ? "yes" : "no");
	if (verbose) printf("prompt: tsc-deadline %u of %u, one-shot %u of %u\n", prompt[0], done[0], prompt[1], done[1]);
	return 0;
}
