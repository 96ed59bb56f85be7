/*
 * memfill: a guest for the snapshot benchmarks (bench/): fills a share of RAM with non-zero data,
 * then exits or idles, so that godwit, QEMU and v86 save and load the same guest.
 *
 * cmdline: fill=PERCENT (0..100, default 100) of the 4 KiB pages from 2 MiB to the end of the RAM
 * region that holds 1 MiB (from the multiboot memory map, else mem_upper), spread evenly; each
 * filled page holds one dword repeated (0x9E3779B9 times the page number: never zero).
 * forever=1 idles after the fill instead of exiting: a loop of `pause`, writing a line ".\n" every
 * `beacon` iterations (default 20000; 0: never), so that a restored guest shows on the serial port
 * within a few tens of thousands of instructions that it runs.
 * Output: "memfill: fill=P%" and "memfill: ready"; the page counts depend on the machine's memory
 * map and are not printed.
 */
#include "libg.h"

#define FILL_START 0x200000u
#define PAGE 4096u

/* End (exclusive) of the usable RAM region containing 1 MiB, capped below 4 GiB. */
static uint32_t ram_end(uint32_t magic, const struct multiboot_info *mbi)
{
	if (magic != MULTIBOOT_BOOTLOADER_MAGIC) return 0;
	if (mbi->flags & MB_INFO_MEM_MAP) {
		uint32_t p = mbi->mmap_addr, end = mbi->mmap_addr + mbi->mmap_length;
		while (p < end) {
			const struct multiboot_mmap_entry *e = (const void *)p;
			uint64_t top = e->addr + e->len;
			if (e->type == 1 && e->addr <= 0x100000u && top > 0x100000u) return top > 0xFFFFF000u ? 0xFFFFF000u : (uint32_t)top;
			p += e->size + 4;
		}
	}
	if (mbi->flags & MB_INFO_MEMORY) return 0x100000u + mbi->mem_upper * 1024u;
	return 0;
}

static void fill_page(uint32_t addr, uint32_t value)
{
	uint32_t count = PAGE / 4;
	__asm__ volatile("cld; rep stosl" : "+D"(addr), "+c"(count) : "a"(value) : "memory");
}

int main(unsigned magic, struct multiboot_info *mbi)
{
	serial_init();
	uint32_t percent = cmdline_uint(magic, mbi, "fill", 100);
	uint32_t forever = cmdline_uint(magic, mbi, "forever", 0);
	uint32_t beacon = cmdline_uint(magic, mbi, "beacon", 20000);
	if (percent > 100) percent = 100;
	uint32_t end = ram_end(magic, mbi) & ~(PAGE - 1);
	printf("memfill: fill=%u%%\n", percent);
	if (end <= FILL_START) {
		puts("memfill: no RAM above 2 MiB");
		return 1;
	}
	uint32_t pages = (end - FILL_START) / PAGE;
	/* Page i is filled when the running share i * percent / 100 steps up: evenly spread. */
	for (uint32_t i = 0; i < pages; i++) {
		uint32_t before = i * percent / 100;
		uint32_t after = (i + 1) * percent / 100;
		if (after != before) fill_page(FILL_START + i * PAGE, 0x9E3779B9u * (i + 1));
	}
	puts("memfill: ready");
	if (!forever) return 0;
	for (;;) {
		for (uint32_t i = 0; i < beacon || beacon == 0; i++) __asm__ volatile("pause");
		puts(".");
	}
}
