/*
 * fences: LFENCE, MFENCE and SFENCE (0F AE /5 /6 /7 with mod = 11, every r/m field) run without a
 * fault, and LOCK MFENCE raises #UD. Linux 6.1 executes MFENCE and LFENCE around every write of the
 * TSC-deadline timer (__setup_APIC_LVTT, weak_wrmsr_fence) without looking at CPUID.SSE2, so a CPU
 * that announces the TSC-deadline timer must run them; godwit does whatever its CPUID says.
 */
#include "sys.h"

extern char fence_table[], lock_mfence[];

static void fence_range(const char *name, int first)
{
	int ran = 0;
	for (int i = first; i < first + 8; i++)
		if (sys_try((void (*)(void))(fence_table + 4 * i), 0) < 0)
			ran++;
	printf("%s 0f ae %02x-%02x: %d of 8 ran %s\n", name, 0xe8 + first, 0xe8 + first + 7, ran, okfail(ran == 8));
}

int main(unsigned magic, struct multiboot_info *mbi)
{
	(void)magic;
	(void)mbi;
	serial_init();
	sys_init();
	puts("fences: start");
	fence_range("lfence", 0);
	fence_range("mfence", 8);
	fence_range("sfence", 16);
	int v = sys_try((void (*)(void))lock_mfence, 0);
	printf("lock mfence: vec=%02x %s\n", v & 0xFF, okfail(v == 6));
	puts("fences: done");
	return 0;
}
