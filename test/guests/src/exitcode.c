/*
 * exitcode: ends through a dword OUT to isa-debug-exit (QEMU's iosize=4): outl(0xF4, 0x12345678)
 * must end the run with status (0x12345678 << 1) | 1 = 0x2468ACF1 (expected/exitcode.status; a
 * process exit status keeps the low 8 bits, 0xF1, which is what QEMU's process returns). A device
 * that takes only byte writes sees 0x78, 0x56, 0x34, 0x12 one after the other instead.
 */
#include "libg.h"

int main(unsigned magic, struct multiboot_info *mbi)
{
	(void)magic;
	(void)mbi;
	serial_init();
	puts("exitcode: outl(0xF4, 0x12345678)");
	outl(0xF4, 0x12345678);
	puts("exitcode: still running FAIL");
	for (;;)
		__asm__ volatile("cli; hlt");
}
