// qemu: -smp 4
/*
 * smp: application processors started by INIT, SIPI, SIPI through a real-mode trampoline at
 * 0x8000; each AP's APIC ID, BSP flag and post-INIT register state; fixed IPIs to one CPU, to all
 * but self (from the BSP and from an AP), to all including self, and to a logical (flat) set; NMI
 * IPIs between CPUs; an AP halted in HLT woken by an IPI; an AP restarted by a second INIT/SIPI;
 * every AP then prints its own report line under the serial spinlock, and CPU 0 exits. Written for
 * 4 CPUs (the expected output); any count from 1 to 8 works. See README-apic.md.
 */
#include "sys.h"
#include "irqchip.h"

#define V_FIXED   0x50  /* directed fixed IPI */
#define V_OTHERS  0x51  /* all but self */
#define V_ALL     0x52  /* all including self */
#define V_LOGICAL 0x53  /* logical flat destination */
#define V_WAKE    0x54  /* command mailbox doorbell */
#define NV 5

#define CMD_SEND_OTHERS 1
#define CMD_NMI_CPU0    2
#define CMD_REPORT      3
#define CMD_SET_TPR     4

static uint32_t ncpu;
static volatile uint32_t cnt[NV][SMP_MAX_CPUS], nmis[SMP_MAX_CPUS];
static volatile uint32_t cmd[SMP_MAX_CPUS], cmd_arg[SMP_MAX_CPUS], cmd_done[SMP_MAX_CPUS];
static volatile uint32_t halted[SMP_MAX_CPUS], wakeups[SMP_MAX_CPUS], arrivals[SMP_MAX_CPUS];
static volatile uint32_t ent_svr[SMP_MAX_CPUS], ent_tpr[SMP_MAX_CPUS], ent_ldr[SMP_MAX_CPUS];
static volatile uint32_t ent_dfr[SMP_MAX_CPUS], ent_lvt[SMP_MAX_CPUS], ent_lint0[SMP_MAX_CPUS];
static volatile uint32_t apic_ids[SMP_MAX_CPUS], msr_base[SMP_MAX_CPUS];

static void ipi_handler(struct frame *f)
{
	uint32_t id = lapic_id();
	if (id < SMP_MAX_CPUS)
		atomic_inc(&cnt[f->vector - V_FIXED][id]);
	lapic_eoi();
}

static void nmi_handler(struct frame *f)
{
	(void)f;
	uint32_t id = lapic_id();
	if (id < SMP_MAX_CPUS)
		atomic_inc(&nmis[id]);
}

static void run_cmd(int id, uint32_t c)
{
	switch (c) {
	case CMD_SEND_OTHERS:
		lapic_ipi(0, ICR_OTHERS | DM_FIXED | V_OTHERS);
		break;
	case CMD_NMI_CPU0:
		lapic_ipi(0, DM_NMI | ICR_ASSERT);
		break;
	case CMD_SET_TPR:
		lapic_write(LAPIC_TPR, cmd_arg[id]);
		break;
	case CMD_REPORT:
		lprintf("cpu %d reports: apic id %02x, fixed %u, others %u, all %u, logical %u, nmi %u\n", id,
			lapic_id(), cnt[0][id], cnt[1][id], cnt[2][id], cnt[3][id], nmis[id]);
		break;
	}
}

static void ap_main(int id)
{
	ent_svr[id] = lapic_read(LAPIC_SVR);
	ent_tpr[id] = lapic_read(LAPIC_TPR);
	ent_ldr[id] = lapic_read(LAPIC_LDR);
	ent_dfr[id] = lapic_read(LAPIC_DFR);
	ent_lvt[id] = lapic_read(LAPIC_LVT_TIMER);
	ent_lint0[id] = lapic_read(LAPIC_LVT_LINT0);
	lapic_setup();
	lapic_write(LAPIC_LDR, (1u << id) << 24);
	apic_ids[id] = lapic_id();
	msr_base[id] = (uint32_t)rdmsr(MSR_APIC_BASE);
	atomic_inc(&arrivals[id]);
	for (;;) {
		cli();
		while (!cmd[id]) {
			halted[id] = 1;
			__asm__ volatile("sti; hlt; cli" ::: "memory");
			halted[id] = 0;
			wakeups[id]++;
		}
		run_cmd(id, cmd[id]);
		cmd[id] = 0;
		atomic_inc(&cmd_done[id]);
	}
}

/* Run a command on AP k and wait for it to finish. */
static int ap_cmd(uint32_t k, uint32_t c, uint32_t arg)
{
	uint32_t done = cmd_done[k];
	cmd_arg[k] = arg;
	cmd[k] = c;
	lapic_ipi(k, DM_FIXED | V_WAKE);
	return wait_eq_hlt(&cmd_done[k], done + 1, 50000);
}

/* Wait until cnt[v] equals want[] on every CPU; then give stray IPIs a moment. */
static int counts_are(int v, const uint32_t *want)
{
	int ok = 1;
	for (uint32_t k = 0; k < ncpu; k++)
		ok &= wait_eq_hlt(&cnt[v][k], want[k], 50000);
	delay(20000);
	__asm__ volatile("sti; nop; nop; cli" ::: "memory");
	for (uint32_t k = 0; k < ncpu; k++)
		ok &= cnt[v][k] == want[k];
	return ok;
}

static void print_counts(const char *what, int v, const uint32_t *want)
{
	int ok = counts_are(v, want);
	printf("%s: counts", what);
	for (uint32_t k = 0; k < ncpu; k++)
		printf(" %u", cnt[v][k]);
	printf(" %s\n", okfail(ok));
}

int main(unsigned magic, struct multiboot_info *mbi)
{
	(void)magic;
	(void)mbi;
	serial_init();
	sys_init();
	pic_remap(0x20, 0x28);
	lapic_setup();
	lapic_write(LAPIC_LDR, 0x01000000u);
	for (int v = V_FIXED; v < V_FIXED + NV; v++)
		set_handler(v, ipi_handler);
	set_handler(2, nmi_handler);
	cli();

	ncpu = fwcfg_cpu_count();
	printf("smp: %u CPUs (fw_cfg key 5)\n", ncpu);
	if (ncpu < 1 || ncpu > SMP_MAX_CPUS) {
		printf("cpu count out of range FAIL\n");
		return 1;
	}

	/* Start-up: INIT, INIT de-assert, SIPI, SIPI to all but self. */
	smp_prepare(ap_main);
	if (ncpu > 1)
		smp_init_sipi(-1);
	int started = wait_eq_hlt(&smp_arrivals, ncpu - 1, 50000);
	for (uint32_t k = 1; k < ncpu; k++)
		started &= wait_eq_hlt(&arrivals[k], 1, 50000);
	delay(20000);
	printf("aps started by init, sipi, sipi: %u %s\n", smp_arrivals, okfail(started && smp_arrivals == ncpu - 1));
	apic_ids[0] = lapic_id();
	msr_base[0] = (uint32_t)rdmsr(MSR_APIC_BASE);
	for (uint32_t k = 0; k < ncpu; k++)
		printf("cpu %u: apic id %02x, apic base msr %08x %s\n", k, apic_ids[k], msr_base[k] & 0xFFFFF900u,
		       okfail(apic_ids[k] == k && (msr_base[k] & 0xFFFFF900u) == (k ? 0xFEE00800u : 0xFEE00900u)));
	for (uint32_t k = 1; k < ncpu; k++)
		printf("cpu %u after init: svr %03x tpr %02x ldr %08x dfr %08x lvt timer %08x lint0 %08x %s\n", k,
		       ent_svr[k], ent_tpr[k], ent_ldr[k], ent_dfr[k], ent_lvt[k], ent_lint0[k],
		       okfail(ent_svr[k] == 0xFF && ent_tpr[k] == 0 && ent_ldr[k] == 0 && ent_dfr[k] == 0xFFFFFFFFu &&
			      ent_lvt[k] == LVT_MASKED && ent_lint0[k] == LVT_MASKED));

	/* Fixed IPIs to one CPU at a time. */
	uint32_t want[SMP_MAX_CPUS] = { 0 };
	for (uint32_t k = 1; k < ncpu; k++) {
		lapic_ipi(k, DM_FIXED | V_FIXED);
		want[k] = 1;
		char what[40] = "fixed ipi 50 to cpu N";
		what[20] = (char)('0' + k);
		print_counts(what, 0, want);
	}

	/* All but self, from the BSP and from CPU 2 (or 1). */
	memset(want, 0, sizeof(want));
	lapic_ipi(0, ICR_OTHERS | DM_FIXED | V_OTHERS);
	for (uint32_t k = 1; k < ncpu; k++)
		want[k] = 1;
	print_counts("all-but-self 51 from cpu 0", 1, want);
	uint32_t src = ncpu > 2 ? 2 : 1;
	if (ncpu > 1) {
		ap_cmd(src, CMD_SEND_OTHERS, 0);
		for (uint32_t k = 0; k < ncpu; k++)
			if (k != src)
				want[k]++;
		char what[40] = "all-but-self 51 from cpu N";
		what[25] = (char)('0' + src);
		print_counts(what, 1, want);
	}

	/* All including self. */
	lapic_ipi(0, ICR_ALL | DM_FIXED | V_ALL);
	__asm__ volatile("sti; nop; nop; cli" ::: "memory");
	for (uint32_t k = 0; k < ncpu; k++)
		want[k] = 1;
	print_counts("all-including-self 52 from cpu 0", 2, want);

	/* Logical flat destination 0x0A: CPUs 1 and 3 (LDR = 1 << id). */
	lapic_ipi(0x0A, ICR_LOGICAL | DM_FIXED | V_LOGICAL);
	for (uint32_t k = 0; k < ncpu; k++)
		want[k] = (k == 1 || k == 3) ? 1 : 0;
	print_counts("logical flat 53 to dest 0a (cpus 1, 3)", 3, want);

	/* NMI IPIs: CPU 0 -> CPU 2 (or 1), and CPU 3 (or the last) -> CPU 0 (CPU 0 waits in HLT). */
	if (ncpu > 1) {
		uint32_t t = ncpu > 2 ? 2 : 1, s = ncpu - 1;
		lapic_ipi(t, DM_NMI | ICR_ASSERT);
		int ok = wait_eq_hlt(&nmis[t], 1, 50000);
		printf("nmi ipi from cpu 0 to cpu %u %s\n", t, okfail(ok));
		ap_cmd(s, CMD_NMI_CPU0, 0);
		ok = wait_eq_hlt(&nmis[0], 1, 50000);
		printf("nmi ipi from cpu %u to cpu 0 %s\n", s, okfail(ok));
		delay(20000);
		int others = 1;
		for (uint32_t k = 0; k < ncpu; k++)
			if (k != t && k != 0)
				others &= nmis[k] == 0;
		printf("nmi only at the targets %s\n", okfail(others && nmis[t] == 1 && nmis[0] == 1));

		/* An AP halted in HLT wakes on a fixed IPI. */
		int h = wait_eq_hlt(&halted[1], 1, 50000);
		delay(5000);
		uint32_t w = wakeups[1], c = cnt[0][1];
		lapic_ipi(1, DM_FIXED | V_FIXED);
		int woke = wait_eq_hlt(&wakeups[1], w + 1, 50000) && wait_eq_hlt(&cnt[0][1], c + 1, 50000);
		printf("cpu 1 halted in hlt %s, woken by fixed ipi 50 %s\n", okfail(h), okfail(woke));
	}

	/* A second INIT / SIPI restarts the last AP with its APIC reset (its TPR set to 0x20 first). */
	if (ncpu > 1) {
		uint32_t k = ncpu - 1;
		ap_cmd(k, CMD_SET_TPR, 0x20);
		uint32_t tpr_before = 0x20;
		uint32_t a = arrivals[k];
		cnt[0][k] = cnt[1][k] = cnt[2][k] = cnt[3][k] = nmis[k] = 0;
		smp_init_sipi((int)k);
		int ok = wait_eq_hlt(&arrivals[k], a + 1, 50000);
		printf("cpu %u restarted by init, sipi, sipi %s\n", k, okfail(ok));
		printf("cpu %u after init: svr %03x tpr %02x (was %02x) ldr %08x lvt timer %08x %s\n", k, ent_svr[k],
		       ent_tpr[k], tpr_before, ent_ldr[k], ent_lvt[k],
		       okfail(ent_svr[k] == 0xFF && ent_tpr[k] == 0 && ent_ldr[k] == 0 && ent_lvt[k] == LVT_MASKED));
	}

	/* Every AP prints its own line (serial spinlock), in APIC ID order. */
	int rep = 1;
	for (uint32_t k = 1; k < ncpu; k++)
		rep &= ap_cmd(k, CMD_REPORT, 0);
	lprintf("cpu 0 reports: apic id %02x, fixed %u, others %u, all %u, logical %u, nmi %u\n", lapic_id(), cnt[0][0],
		cnt[1][0], cnt[2][0], cnt[3][0], nmis[0]);
	printf("all cpus reported %s\n", okfail(rep));
	puts("smp done");
	return 0;
}
