// qemu: -smp 2
/*
 * irqbench: an interrupt-heavy workload for the kernel-irqchip benchmark. The APIC timer runs
 * periodic at 10 us (divide by 1) on every CPU; each round CPU 0 sends 16 self-IPIs, plays 4
 * ping-pongs with CPU 1 (a fixed IPI there, answered by CPU 1's handler with an IPI back while
 * CPU 0 waits in HLT), broadcasts one all-but-self IPI and does a little arithmetic. `rounds=N`
 * on the command line sets the work (default 1000); `verbose=1` also prints the timer interrupt
 * counts, which depend on virtual time (deterministic in godwit, not under QEMU). Every other
 * count is exact. With one CPU the cross-CPU part is skipped. See README-apic.md.
 */
#include "sys.h"
#include "irqchip.h"

#define V_TIMER 0x40
#define V_SELF  0x60  /* 0x60..0x63 */
#define V_PING  0x70
#define V_PONG  0x71
#define V_BCAST 0x72
#define PERIOD  10000 /* timer ticks (ns at divide by 1) */

static uint32_t ncpu;
static volatile uint32_t timer_irqs[SMP_MAX_CPUS], self_rx, pings, pongs, bcasts[SMP_MAX_CPUS];
static volatile uint32_t ap_ready;

static void start_timer(void)
{
	lapic_write(LAPIC_TDCR, 0xB);
	lapic_write(LAPIC_LVT_TIMER, LVT_PERIODIC | V_TIMER);
	lapic_write(LAPIC_TMICT, PERIOD);
}

static void timer_handler(struct frame *f)
{
	(void)f;
	uint32_t id = lapic_id();
	if (id < SMP_MAX_CPUS)
		timer_irqs[id]++;
	lapic_eoi();
}

static void self_handler(struct frame *f) { (void)f; self_rx++; lapic_eoi(); }
static void pong_handler(struct frame *f) { (void)f; pongs++; lapic_eoi(); }

static void ping_handler(struct frame *f)
{
	(void)f;
	pings++;
	lapic_ipi(0, DM_FIXED | V_PONG);
	lapic_eoi();
}

static void bcast_handler(struct frame *f)
{
	(void)f;
	uint32_t id = lapic_id();
	if (id < SMP_MAX_CPUS)
		bcasts[id]++;
	lapic_eoi();
}

static void ap_main(int id)
{
	(void)id;
	lapic_setup();
	start_timer();
	ap_ready = 1;
	for (;;)
		__asm__ volatile("sti; hlt" ::: "memory");
}

static uint32_t work(uint32_t x)
{
	for (int i = 0; i < 200; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
	}
	return x;
}

int main(unsigned magic, struct multiboot_info *mbi)
{
	serial_init();
	sys_init();
	pic_remap(0x20, 0x28);
	lapic_setup();
	uint32_t rounds = cmdline_uint(magic, mbi, "rounds", 1000);
	uint32_t verbose = cmdline_uint(magic, mbi, "verbose", 0);
	set_handler(V_TIMER, timer_handler);
	for (int v = V_SELF; v < V_SELF + 4; v++)
		set_handler(v, self_handler);
	set_handler(V_PING, ping_handler);
	set_handler(V_PONG, pong_handler);
	set_handler(V_BCAST, bcast_handler);
	cli();
	ncpu = fwcfg_cpu_count();
	if (ncpu < 1 || ncpu > SMP_MAX_CPUS)
		ncpu = 1;
	printf("irqbench: rounds %u, cpus %u\n", rounds, ncpu);
	if (ncpu > 1) {
		smp_prepare(ap_main);
		smp_init_sipi(-1);
		int ok = wait_eq_hlt(&smp_arrivals, ncpu - 1, 50000) && wait_eq_hlt(&ap_ready, 1, 50000);
		printf("aps started %s\n", okfail(ok));
	}
	start_timer();

	uint32_t self_tx = 0, ping_tx = 0, bcast_tx = 0, sum = 1;
	for (uint32_t r = 0; r < rounds; r++) {
		sti();
		for (uint32_t i = 0; i < 16; i++) {
			lapic_ipi(0, ICR_SELF | DM_FIXED | (V_SELF + (i & 3)));
			self_tx++;
		}
		cli();
		if (ncpu > 1) {
			for (int i = 0; i < 4; i++) {
				lapic_ipi(1, DM_FIXED | V_PING);
				ping_tx++;
				while (pongs != ping_tx)
					__asm__ volatile("sti; hlt; cli" ::: "memory");
			}
			lapic_ipi(0, ICR_OTHERS | DM_FIXED | V_BCAST);
			bcast_tx++;
		}
		sum = work(sum + r);
	}
	__asm__ volatile("sti; nop; nop; cli" ::: "memory");
	lapic_write(LAPIC_TMICT, 0);
	int bc_ok = 1;
	for (uint32_t k = 1; k < ncpu; k++)
		bc_ok &= wait_eq_hlt(&bcasts[k], bcast_tx, 50000);

	printf("self ipis: sent %u, received %u %s\n", self_tx, self_rx, okfail(self_tx == self_rx));
	if (ncpu > 1) {
		printf("ping-pong with cpu 1: pings sent %u, received %u, pongs %u %s\n", ping_tx, pings, pongs,
		       okfail(ping_tx == pings && pings == pongs));
		printf("all-but-self broadcasts: sent %u, cpu 1 received %u %s\n", bcast_tx, bcasts[1],
		       okfail(bc_ok && bcasts[0] == 0));
	} else {
		printf("cross-cpu ipis: skipped (1 cpu)\n");
	}
	printf("work checksum %08x\n", sum);
	if (verbose)
		for (uint32_t k = 0; k < ncpu; k++)
			printf("cpu %u timer interrupts %u\n", k, timer_irqs[k]);
	printf("timer ran on cpu 0 %s\n", okfail(timer_irqs[0] > 0));
	puts("irqbench done");
	return 0;
}
