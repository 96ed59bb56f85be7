/*
 * cpuinfo: CPUID leaf 0 (vendor, max leaf) and leaf 1 (EAX, EDX features), RDTSC monotonicity and
 * RDMSR 0x10 (IA32_TIME_STAMP_COUNTER) agreeing with RDTSC. The values are CPU-specific: the
 * expected output is godwit's. Instructions the CPU does not announce are not executed.
 */
#include "libg.h"

#define EFLAGS_ID (1u << 21)   /* CPUID available if this bit can be toggled */
#define CPUID_TSC (1u << 4)    /* leaf 1 EDX: RDTSC */
#define CPUID_MSR (1u << 5)    /* leaf 1 EDX: RDMSR/WRMSR */
#define MSR_TSC 0x10

static int has_cpuid(void)
{
	uint32_t a, b;
	__asm__ volatile("pushfl\n\tpopl %0\n\tmovl %0, %1\n\txorl %2, %0\n\tpushl %0\n\tpopfl\n\t"
			 "pushfl\n\tpopl %0\n\tpushl %1\n\tpopfl"
			 : "=&r"(a), "=&r"(b)
			 : "i"(EFLAGS_ID)
			 : "cc");
	return ((a ^ b) & EFLAGS_ID) != 0;
}

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

int main(unsigned magic, struct multiboot_info *mbi)
{
	(void)magic;
	(void)mbi;
	serial_init();
	if (!has_cpuid()) {
		puts("no cpuid");
		return 0;
	}
	uint32_t r[4];
	char vendor[13];
	cpuid(0, 0, r);
	memcpy(vendor, &r[1], 4);
	memcpy(vendor + 4, &r[3], 4);
	memcpy(vendor + 8, &r[2], 4);
	vendor[12] = 0;
	printf("cpuid 0: max=%08x vendor=%s\n", r[0], vendor);
	uint32_t edx = 0;
	if (r[0] >= 1) {
		cpuid(1, 0, r);
		edx = r[3];
		printf("cpuid 1: eax=%08x edx=%08x\n", r[0], r[3]);
	}
	if (edx & CPUID_TSC) {
		uint64_t t1 = rdtsc();
		for (volatile int i = 0; i < 100; i++)
			;
		uint64_t t2 = rdtsc();
		puts(t2 > t1 ? "tsc ok" : "tsc BAD");
		if (edx & CPUID_MSR) {
			uint64_t a = rdtsc();
			uint64_t m = rdmsr(MSR_TSC);
			uint64_t b = rdtsc();
			puts(a <= m && m <= b ? "msr tsc ok" : "msr tsc BAD");
		} else {
			puts("no msr");
		}
	} else {
		puts("no tsc");
	}
	return 0;
}
