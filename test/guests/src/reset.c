/*
 * reset: boots four times. Each boot counts itself in CMOS byte 0x40 (the RTC's NVRAM survives a
 * reset), prints whether fw_cfg holds a kernel (the image a reset boots), leaves
 * a pattern in RAM that depends on the boot, and resets the machine; the fourth boot exits.
 * cmdline: how=0 resets through port 0x92 (bit 0), how=1 through the reset control register at
 * 0xCF9 (0x02 first, read back, then 0x06), how=2 by a triple fault (int3 with an empty IDT).
 * Under QEMU it needs resets to reboot: scripts/qemu-guests.sh passes -no-reboot, which the line
 * below overrides.
 */
// qemu: -action reboot=reset
#include "libg.h"

#define CMOS_BOOTS 0x40
#define FW_CFG_SEL 0x510
#define FW_CFG_DATA 0x511
#define FW_CFG_KERNEL_SIZE 0x08

static uint8_t pattern[64 * 1024];

static uint32_t fw_cfg_u32(uint16_t key)
{
	uint32_t v = 0;
	outw(FW_CFG_SEL, key);
	for (int i = 0; i < 4; i++) v |= (uint32_t)inb(FW_CFG_DATA) << (8 * i);
	return v;
}

static void cmos_write(uint8_t reg, uint8_t v)
{
	outb(0x70, reg);
	outb(0x71, v);
}

static uint8_t cmos_read(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

int main(unsigned magic, struct multiboot_info *mbi)
{
	serial_init();
	uint32_t how = cmdline_uint(magic, mbi, "how", 0);
	uint8_t n = cmos_read(CMOS_BOOTS);
	cmos_write(CMOS_BOOTS, (uint8_t)(n + 1));

	printf("reset: boot %u (how=%u), fw_cfg kernel %s\n", n, how, fw_cfg_u32(FW_CFG_KERNEL_SIZE) > 0 ? "present" : "missing");

	uint32_t sum = 0x811c9dc5; /* FNV-1a */
	for (uint32_t i = 0; i < sizeof pattern; i++) {
		pattern[i] = (uint8_t)(i * (n + 3) + (i >> 8));
		sum = (sum ^ pattern[i]) * 0x01000193u;
	}
	printf("reset: pattern %08x\n", sum);
	if (n >= 3) {
		puts("reset: done after 3 resets");
		return 0;
	}
	if (how == 0) {
		outb(0x92, inb(0x92) | 1);
	} else if (how == 1) {
		outb(0xcf9, 0x02);
		printf("reset: rcr %02x\n", inb(0xcf9));
		outb(0xcf9, 0x06);
	} else {
		static const struct { uint16_t limit; uint32_t base; } __attribute__((packed)) empty = {0, 0};
		__asm__ volatile("lidt %0; int3" : : "m"(empty));
	}
	puts("reset: still running after the reset request");
	for (;;) __asm__ volatile("cli; hlt");
}
