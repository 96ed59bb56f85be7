/*
 * spin: prints `lines` numbered lines (default 100, about 4 KB), then exits; with forever=1 it spins
 * forever instead, as a guest that a test kills (SIGTERM, SIGINT) after its output appeared.
 * cmdline: lines=N forever=0|1
 */
#include "libg.h"

int main(unsigned magic, struct multiboot_info *mbi)
{
	serial_init();
	uint32_t lines = cmdline_uint(magic, mbi, "lines", 100);
	uint32_t forever = cmdline_uint(magic, mbi, "forever", 0);
	for (uint32_t i = 0; i < lines; i++) printf("spin: line %04u of %u, then %s\n", i, lines, forever ? "spin" : "exit");
	if (!forever) return 0;
	for (;;) __asm__ volatile("pause");
}
