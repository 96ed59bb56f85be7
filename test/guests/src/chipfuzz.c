// qemu: -smp 2
// qemu-skip: under QEMU 7.2 TCG with -smp 2 the run does not finish within the timeout (-smp 1 runs match)
/*
 * chipfuzz: seeded random programming of every interrupt source while interrupts come and go, on
 * every CPU the machine has. Each CPU runs `rounds` random steps: writes and reads of its local
 * APIC (TPR, EOI, LDR, DFR, SVR, ICR with IPIs to itself, to the others and to everyone, every LVT,
 * the timer in one-shot, periodic and TSC-deadline mode), the IOAPIC (select, window, EOI
 * register), the 8259 pair and ELCR, the PIT and port 0x61, the RTC, pc-testdev's IRQ lines, and
 * the instructions that open interrupt windows: STI (its shadow), POPF, IRET, MOV SS, and HLT with
 * its own timer armed. `wild=1` also lets NMIs, ExtINT, illegal vectors (0-15), odd register offsets
 * and toggles of the APIC's global enable through (never INIT, SIPI or SMI). A handler on every vector counts what arrives, EOIs the LAPIC and both 8259s, and
 * quiets every source if one floods the CPU.
 *
 * Everything read and every count goes into one hash per CPU. The values depend on virtual time:
 * deterministic in godwit, and required to be identical under every kernel-irqchip setting, at
 * every batch length and after a restore at any instruction (test/determinism), but not comparable
 * with QEMU's. The plain output says only that every CPU finished; `verbose=1` prints the hashes.
 * Command line: seed=N rounds=N wild=0|1 verbose=0|1.
 */
#include "sys.h"
#include "irqchip.h"

#define V_HALT 0xEE   /* the timer that wakes a CPU from its HLT step */
#define FLOOD  400    /* interrupts without a finished step before the handler quiets everything */

struct cpu_state {
	uint32_t rng, acc, irqs, nmis, flood, done;
	uint32_t per_vector[256];
};
static struct cpu_state st[SMP_MAX_CPUS];
static uint32_t ncpu, wild, rounds;
static volatile uint32_t finished;

static uint32_t rnd(struct cpu_state *s)
{
	uint32_t x = s->rng;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return s->rng = x;
}
static void mix(struct cpu_state *s, uint32_t v) { s->acc = (s->acc ^ v) * 0x01000193u; }
static struct cpu_state *me(void) { uint32_t id = lapic_id(); return &st[id < SMP_MAX_CPUS ? id : 0]; }

/* Mask every source this guest can program, and drop every pc-testdev line. */
static void quiet(void)
{
	for (int pin = 0; pin < 24; pin++) ioapic_set(pin, IOA_MASKED, 0);
	for (int line = 0; line < 16; line++) outb((uint16_t)(0x2000 + line), 0);
	outb(0x21, 0xFF);
	outb(0xA1, 0xFF);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_TMICT, 0);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT1, LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
	lapic_write(LAPIC_LVT_PERF, LVT_MASKED);
	lapic_write(LAPIC_LVT_THERM, LVT_MASKED);
}

static void any_handler(struct frame *f)
{
	struct cpu_state *s = me();
	s->per_vector[f->vector & 255]++;
	s->irqs++;
	if (f->vector == 2) s->nmis++;
	lapic_eoi();
	outb(0xA0, 0x20);
	outb(0x20, 0x20);
	if (++s->flood > FLOOD) {
		quiet();
		s->flood = 0;
	}
}

/* INIT (an LVT, an IOAPIC pin or an IPI can send one) would restart a CPU in the middle of its
   loop, and SMI has nowhere to go: every mode but those two stays possible in wild mode. Vectors
   16-31 become 0-15: an APIC refuses those (ESR), while 16-31 would reach the CPU's exception
   handlers, some of which expect an error code on the stack that an interrupt does not push. */
static uint32_t no_init(uint32_t v)
{
	uint32_t dm = v & 0x700;
	if (dm == DM_INIT || dm == DM_SIPI || dm == DM_SMI) v &= ~0x700u;
	if ((v & 0xF0) == 0x10) v &= ~0x10u;
	return v;
}

static uint32_t lvt_value(struct cpu_state *s, uint32_t v)
{
	if (wild) return no_init(v);
	if ((v & 0xFF) < 0x20) v |= 0x20;
	uint32_t dm = v & 0x700;
	if (dm != 0 && dm != DM_NMI) v &= ~0x700u;   /* fixed, and now and then NMI */
	if (dm == DM_NMI && (rnd(s) & 7)) v &= ~0x700u;
	return v;
}

static void lapic_step(struct cpu_state *s, uint32_t a, uint32_t v)
{
	static const uint16_t regs[] = {
		LAPIC_TPR, LAPIC_EOI, LAPIC_LDR, LAPIC_DFR, LAPIC_SVR, LAPIC_ESR, LAPIC_ICR_LO, LAPIC_ICR_HI,
		LAPIC_LVT_TIMER, LAPIC_LVT_THERM, LAPIC_LVT_PERF, LAPIC_LVT_LINT0, LAPIC_LVT_LINT1,
		LAPIC_LVT_ERROR, LAPIC_TMICT, LAPIC_TDCR,
	};
	uint32_t reg = wild && (a & 0x10000) ? (a >> 4) & 0x3FC : regs[(a >> 8) % (sizeof(regs) / sizeof(regs[0]))];
	switch (reg) {
	case LAPIC_SVR: if (!wild) v |= SVR_ENABLE; break;
	case LAPIC_TMICT: v &= (a & 0x20000) ? 0xFFFF : 0xFFF; break;
	case LAPIC_ICR_LO:
		if (!wild) {
			uint32_t dm = v & 0x700;
			if (dm != DM_FIXED && dm != DM_LOWPRI && !(dm == DM_NMI && (a & 0x40000))) v &= ~0x700u;
			if ((v & 0xFF) < 0x20) v |= 0x20;
			if ((v & 0x700) == DM_NMI) v &= ~ICR_OTHERS, v |= ICR_SELF;  /* NMIs only to itself */
		} else {
			v = no_init(v);
		}
		break;
	case LAPIC_LVT_TIMER: case LAPIC_LVT_THERM: case LAPIC_LVT_PERF:
	case LAPIC_LVT_LINT0: case LAPIC_LVT_LINT1: case LAPIC_LVT_ERROR:
		v = lvt_value(s, v);
		break;
	default: break;
	}
	lapic_write(reg, v);
}

static void ioapic_step(struct cpu_state *s, uint32_t a, uint32_t v)
{
	uint32_t sel = wild ? a >> 8 : (a >> 8) & 0x3F;
	*(volatile uint32_t *)IOAPIC_BASE = sel;
	if (a & 0x100000) {
		if (sel >= 0x10 && (sel & 1) == 0) {
			if (wild) {
				v = no_init(v);
			} else {
				if ((v & 0xFF) < 0x20) v |= 0x20;
				if ((v & 0x700) != DM_LOWPRI) v &= ~0x700u;
			}
		}
		*(volatile uint32_t *)(IOAPIC_BASE + 0x10) = v;
	} else {
		mix(s, *(volatile uint32_t *)(IOAPIC_BASE + 0x10));
	}
}

/* The instructions that open interrupt windows. */
static void window_step(struct cpu_state *s, uint32_t a)
{
	switch (a % 5) {
	case 0: __asm__ volatile("sti; nop; nop; nop; cli" ::: "memory"); break;
	case 1: __asm__ volatile("pushl $0x202; popf; nop; nop; cli" ::: "memory"); break;
	case 2: __asm__ volatile("pushl $0x202; pushl %%cs; pushl $1f; iret; 1: nop; cli" ::: "memory"); break;
	case 3: __asm__ volatile("movl %%ss, %%eax; sti; movl %%eax, %%ss; nop; movl %%eax, %%ss; nop; cli" ::: "eax", "memory"); break;
	default: {
		/* HLT, woken by its own timer (or anything earlier). */
		if (!(rdmsr(MSR_APIC_BASE) & (1u << 11))) break;
		lapic_write(LAPIC_TPR, 0);
		lapic_write(LAPIC_SVR, lapic_read(LAPIC_SVR) | SVR_ENABLE);
		lapic_write(LAPIC_TDCR, 0xB);
		lapic_write(LAPIC_LVT_TIMER, V_HALT);
		lapic_write(LAPIC_TMICT, 300 + (rnd(s) & 0x3FF));
		__asm__ volatile("sti; hlt; cli" ::: "memory");
		break;
	}
	}
}

static void step(struct cpu_state *s)
{
	uint32_t a = rnd(s), v = rnd(s);
	switch (a % 14) {
	case 0: case 1: lapic_step(s, a, v); break;
	case 2: { uint32_t reg = (a >> 8) & 0x3F0; mix(s, lapic_read(reg)); break; }
	case 3: ioapic_step(s, a, v); break;
	case 4: *(volatile uint32_t *)(IOAPIC_BASE + 0x40) = v & 0xFF; break;
	case 5: outb((uint16_t)(0x2000 + (a >> 8) % 16), (uint8_t)(v & 1)); break;
	case 6: {
		uint16_t port = (uint16_t)(0x40 + ((a >> 8) & 3));
		if (a & 0x10000) outb(port, (uint8_t)v); else mix(s, inb(port));
		break;
	}
	case 7: {
		static const uint16_t ports[6] = {0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1};
		uint16_t port = ports[(a >> 8) % 6];
		uint8_t b = (uint8_t)v;
		if (!(a & 0x10000)) {
			mix(s, inb(port));
		} else if ((port == 0x20 || port == 0xA0) && (b & 0x10)) {
			/* ICW1: the whole initialisation at once (an INTA half-way would use vector base 0). */
			if (!wild) break;
			outb(port, b | 0x01);
			outb((uint16_t)(port + 1), (uint8_t)(0x20 + (v >> 8) % 0xD8) & 0xF8);
			if (!(b & 0x02)) outb((uint16_t)(port + 1), port == 0x20 ? 4 : 2);
			outb((uint16_t)(port + 1), (uint8_t)(v >> 16) & 0x13);
		} else {
			if (!wild && (port == 0x21 || port == 0xA1) && (b & 0xF8) < 0x20) b |= 0x20;
			outb(port, b);
		}
		break;
	}
	case 8:
		outb(0x70, (uint8_t)((a >> 8) & 0x3F));  /* never the NMI-disable bit or the boot-count bytes */
		if (a & 0x10000 && ((a >> 8) & 0x3F) < 0x0E) outb(0x71, (uint8_t)v); else mix(s, inb(0x71));
		break;
	case 9: case 10: window_step(s, a >> 8); break;
	case 11: outb(0x61, (uint8_t)(v & 0x0F)); mix(s, inb(0x61)); break;
	case 12:
		if (ncpu > 1) lapic_ipi((a >> 8) % ncpu, DM_FIXED | (0x20 + (v & 0xDF)));
		break;
	default:
		if (wild && (a & 0x100)) {
			uint64_t base = rdmsr(MSR_APIC_BASE);
			wrmsr(MSR_APIC_BASE, base & ~(1ull << 11));   /* globally off, then on again */
			wrmsr(MSR_APIC_BASE, base | (1ull << 11));
			lapic_write(LAPIC_SVR, SVR_ENABLE | 0xFF);
		} else {
			mix(s, (uint32_t)rdtsc());
		}
		break;
	}
	mix(s, s->irqs);
	s->flood = 0;
}

static void fuzz(void)
{
	struct cpu_state *s = me();
	for (uint32_t r = 0; r < rounds; r++) step(s);
	cli();
	quiet();
	lapic_setup();
	s->done = 1;
	atomic_inc(&finished);
}

static void ap_main(int id)
{
	(void)id;
	lapic_setup();
	fuzz();
	for (;;) __asm__ volatile("cli; hlt");
}

int main(unsigned magic, struct multiboot_info *mbi)
{
	uint32_t seed = cmdline_uint(magic, mbi, "seed", 1);
	uint32_t verbose = cmdline_uint(magic, mbi, "verbose", 0);
	rounds = cmdline_uint(magic, mbi, "rounds", 2000);
	wild = cmdline_uint(magic, mbi, "wild", 0);
	sys_init();
	for (int v = 32; v < 256; v++) set_handler(v, any_handler);
	set_handler(15, any_handler);   /* wild SVRs: a spurious vector is xxxx1111, 0x0F and 0x1F too */
	set_handler(31, any_handler);
	set_handler(2, any_handler);
	lapic_setup();
	ncpu = fwcfg_cpu_count();
	if (ncpu < 1 || ncpu > SMP_MAX_CPUS) ncpu = 1;
	for (uint32_t c = 0; c < ncpu; c++) st[c].rng = (seed + 1) * 2654435761u + c * 40503u + 1;
	for (uint32_t c = 0; c < ncpu; c++) st[c].acc = 0x811c9dc5u;
	/* The 8259 pair at 0x20/0x28 behind LINT0, ExtINT. */
	outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 4); outb(0x21, 1);
	outb(0xA0, 0x11); outb(0xA1, 0x28); outb(0xA1, 2); outb(0xA1, 1);
	lapic_write(LAPIC_LVT_LINT0, DM_EXTINT);
	printf("chipfuzz: %u CPUs, %u rounds each%s\n", ncpu, rounds, wild ? ", wild" : "");
	if (ncpu > 1) {
		smp_prepare(ap_main);
		smp_init_sipi(-1);
		if (!wait_eq_hlt(&smp_arrivals, ncpu - 1, 50000)) printf("chipfuzz: not every CPU started\n");
		set_handler(TICK_VECTOR, any_handler);   /* wait_eq_hlt took it */
	}
	fuzz();
	if (!wait_eq_hlt(&finished, ncpu, 500000)) printf("chipfuzz: not every CPU finished\n");
	for (uint32_t c = 0; c < ncpu; c++) {
		uint32_t h = st[c].acc;
		for (int v = 0; v < 256; v++) h = (h ^ st[c].per_vector[v]) * 0x01000193u;
		if (verbose) printf("  cpu %u: irqs %u nmis %u hash %08x\n", c, st[c].irqs, st[c].nmis, h);
	}
	printf("chipfuzz: every CPU finished its rounds\n");
	return 0;
}
