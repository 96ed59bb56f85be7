/* hello: the smallest guest. Prints a greeting, checks the multiboot magic and memory info. */
#include "libg.h"

int main(unsigned magic, struct multiboot_info *mbi)
{
	serial_init();
	puts("Hello from godwit guest!");
	printf("%s %s\n", magic == MULTIBOOT_BOOTLOADER_MAGIC ? "multiboot ok" : "multiboot BAD",
	       mbi && (mbi->flags & MB_INFO_MEMORY) && mbi->mem_upper ? "meminfo ok" : "meminfo missing");
	return 0;
}
