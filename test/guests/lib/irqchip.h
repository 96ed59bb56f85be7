/*
 * irqchip: local APIC, IOAPIC, fw_cfg CPU count, spinlocks and AP start-up (INIT/SIPI through a
 * real-mode trampoline) for the interrupt-controller guests. Linked into every guest that includes
 * irqchip.h (with lib/irqchip-asm.S); such guests include sys.h too and call sys_init() first.
 * See README-apic.md.
 */
#ifndef IRQCHIP_H
#define IRQCHIP_H

#include "sys.h"

/* Local APIC (xAPIC MMIO) registers. */
#define LAPIC_BASE       0xFEE00000u
#define LAPIC_ID         0x020
#define LAPIC_VER        0x030
#define LAPIC_TPR        0x080
#define LAPIC_PPR        0x0A0
#define LAPIC_EOI        0x0B0
#define LAPIC_LDR        0x0D0
#define LAPIC_DFR        0x0E0
#define LAPIC_SVR        0x0F0
#define LAPIC_ISR        0x100  /* 8 words, 0x10 apart */
#define LAPIC_TMR        0x180
#define LAPIC_IRR        0x200
#define LAPIC_ESR        0x280
#define LAPIC_ICR_LO     0x300
#define LAPIC_ICR_HI     0x310
#define LAPIC_LVT_TIMER  0x320
#define LAPIC_LVT_THERM  0x330
#define LAPIC_LVT_PERF   0x340
#define LAPIC_LVT_LINT0  0x350
#define LAPIC_LVT_LINT1  0x360
#define LAPIC_LVT_ERROR  0x370
#define LAPIC_TMICT      0x380
#define LAPIC_TMCCT      0x390
#define LAPIC_TDCR       0x3E0

#define SVR_ENABLE       0x100u     /* APIC software enable */
#define LVT_MASKED       0x10000u
#define LVT_LEVEL        0x8000u
#define LVT_PERIODIC     0x20000u   /* timer mode 01 */
#define LVT_TSC_DEADLINE 0x40000u   /* timer mode 10 */

/* Delivery modes (ICR, LVT, IOAPIC entries: bits 10:8). */
#define DM_FIXED   0x000u
#define DM_LOWPRI  0x100u
#define DM_SMI     0x200u
#define DM_NMI     0x400u
#define DM_INIT    0x500u
#define DM_SIPI    0x600u
#define DM_EXTINT  0x700u

#define ICR_LOGICAL  0x800u
#define ICR_BUSY     0x1000u
#define ICR_ASSERT   0x4000u
#define ICR_LEVEL    0x8000u
#define ICR_SELF     0x40000u
#define ICR_ALL      0x80000u
#define ICR_OTHERS   0xC0000u

#define MSR_APIC_BASE    0x1B
#define MSR_TSC_DEADLINE 0x6E0

/* IOAPIC. */
#define IOAPIC_BASE   0xFEC00000u
#define IOAPIC_ID     0x00
#define IOAPIC_VER    0x01
#define IOAPIC_REDTBL 0x10     /* + 2 * pin (low), + 2 * pin + 1 (high) */
#define IOAPIC_EOI    0x40     /* EOI register offset (version 0x20) */
#define IOA_DEST_LOGICAL 0x800u
#define IOA_BUSY      0x1000u  /* delivery status */
#define IOA_ACTIVE_LOW 0x2000u
#define IOA_REMOTE_IRR 0x4000u
#define IOA_LEVEL     0x8000u
#define IOA_MASKED    0x10000u

static inline uint32_t lapic_read(uint32_t reg) { return *(volatile uint32_t *)(LAPIC_BASE + reg); }
static inline void lapic_write(uint32_t reg, uint32_t v) { *(volatile uint32_t *)(LAPIC_BASE + reg) = v; }
static inline void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }
static inline uint32_t lapic_id(void) { return lapic_read(LAPIC_ID) >> 24; }
/* Bit `vec` of the 256-bit ISR / TMR / IRR bitmap starting at `base`. */
static inline int lapic_bit(uint32_t base, int vec)
{
	return (int)((lapic_read(base + 0x10u * (uint32_t)(vec >> 5)) >> (vec & 31)) & 1);
}
/* Write-then-read of the ESR (the write latches the errors seen since the last write). */
static inline uint32_t lapic_esr(void)
{
	lapic_write(LAPIC_ESR, 0);
	return lapic_read(LAPIC_ESR);
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

/* Software-enable the APIC (spurious vector 0xFF), TPR 0, flat model, LDR 0, every LVT masked,
   timer stopped with divide-by-1, ESR cleared. */
void lapic_setup(void);
/* Send an IPI: ICR high = dest << 24, then ICR low = lo; waits for the delivery status to clear
   (before and after). Returns 0, or -1 if the busy bit never cleared. */
int lapic_ipi(uint32_t dest, uint32_t lo);

uint32_t ioapic_read(uint32_t reg);
void ioapic_write(uint32_t reg, uint32_t v);
void ioapic_set(int pin, uint32_t lo, uint32_t hi);  /* writes high first, then low */
uint32_t ioapic_lo(int pin);
uint32_t ioapic_hi(int pin);
static inline void ioapic_eoi_reg(uint8_t vec) { *(volatile uint32_t *)(IOAPIC_BASE + IOAPIC_EOI) = vec; }

/* fw_cfg key 0x0005 (number of CPUs). */
uint32_t fwcfg_cpu_count(void);

/* Spinlocks (XCHG). */
void spin_lock(volatile uint32_t *l);
void spin_unlock(volatile uint32_t *l);
/* printf under the serial-output lock (any CPU). */
int lprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static inline void relax(void) { __asm__ volatile("" ::: "memory"); }
void delay(uint32_t loops);                /* busy loop; never timed, only "some time" */
/* Spin until *p == want (up to `loops` polls); returns 1 if seen. */
int wait_eq(volatile uint32_t *p, uint32_t want, uint32_t loops);
/* Wait until *p == want by halting, with the local APIC timer as a 20 us alarm (one-shot,
   vector TICK_VECTOR): other CPUs get to run under any scheduler (QEMU's round-robin TCG, godwit's
   quanta), and the waiting CPU takes its own interrupts. Up to max_waits alarms; returns 1 if
   seen. Uses (and afterwards masks and stops) the LVT timer; EFLAGS.IF is restored. */
#define TICK_VECTOR 0xEF
int wait_eq_hlt(volatile uint32_t *p, uint32_t want, uint32_t max_waits);
static inline uint32_t atomic_inc(volatile uint32_t *p)
{
	uint32_t v = 1;
	__asm__ volatile("lock xaddl %0, %1" : "+r"(v), "+m"(*p) : : "memory");
	return v + 1;
}

/* SMP start-up. The trampoline is copied to SMP_TRAMPOLINE (SIPI vector SMP_TRAMPOLINE >> 12);
   each AP switches to protected mode with the lib's GDT, takes an 8 KiB stack chosen by its APIC
   ID, loads the shared IDT and calls ap_main(apic_id) with IF=0; ap_main must not return. */
#define SMP_MAX_CPUS   8
#define SMP_TRAMPOLINE 0x8000u
typedef void (*ap_main_t)(int id);
extern volatile uint32_t smp_arrivals;     /* incremented by every AP entering C (atomic) */
void smp_prepare(ap_main_t fn);            /* copy the trampoline, set ap_main */
/* INIT (assert, then level de-assert), SIPI, SIPI: to all but self when dest < 0, else to APIC
   ID dest. */
void smp_init_sipi(int dest);

#endif
