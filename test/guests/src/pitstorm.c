// qemu: -icount shift=0
/*
 * pitstorm: the 8254 abused while its interrupts are live. Channel 0 runs every mode (0-5) with the
 * tiny counts 0 (65536), 1, 2 and 3 and with 0xFFFF, its IRQ0 reaching the CPU through the 8259
 * (ioapic=0, the default) or through IOAPIC pin 2 (ioapic=1). Between short interrupt windows
 * (STI, a few NOPs, CLI) the guest latches the count, reads the status back and reads all three
 * counters, so counter reads and interrupt edges interleave at every possible instruction. Then
 * channel 2 is gated through port 0x61 in every mode, LSB-only writes switch modes half-way, and a
 * count-1 rate generator floods IRQ0 while interrupts open and close every third instruction.
 *
 * Everything read from the PIT and every interrupt count is folded into a hash: the value depends
 * on virtual time, so it is deterministic in godwit (and identical under every kernel-irqchip
 * setting, at every batch length and after a restore anywhere) but not comparable with QEMU's:
 * only `verbose=1` prints it, with the per-case counts. The plain output is the same under QEMU.
 */
#include "sys.h"
#include "irqchip.h"

#define V_PIC    0x20   /* 8259 master base: IRQ0 = 0x20 */
#define V_IOAPIC 0x31   /* IOAPIC pin 2 */

static volatile uint32_t irqs, spurious;
static uint32_t acc = 0x811c9dc5u;
static void mix(uint32_t v) { acc = (acc ^ v) * 0x01000193u; }

static void pic_irq0(struct frame *f) { (void)f; irqs++; outb(0x20, 0x20); }
static void ioapic_irq0(struct frame *f) { (void)f; irqs++; lapic_eoi(); }
static void other(struct frame *f) { (void)f; spurious++; lapic_eoi(); outb(0xA0, 0x20); outb(0x20, 0x20); }

static void pic_init(uint8_t mask)
{
	outb(0x20, 0x11); outb(0x21, V_PIC); outb(0x21, 4); outb(0x21, 1);
	outb(0xA0, 0x11); outb(0xA1, V_PIC + 8); outb(0xA1, 2); outb(0xA1, 1);
	outb(0x21, mask); outb(0xA1, 0xFF);
}

static void reads(void)
{
	outb(0x43, 0x00); mix(inb(0x40)); mix(inb(0x40));          /* latch channel 0 */
	outb(0x43, 0xE2); mix(inb(0x40));                            /* read-back status of channel 0 */
	outb(0x43, 0xDE); mix(inb(0x40)); mix(inb(0x41)); mix(inb(0x42)); /* read-back counts of all */
}

int main(unsigned magic, struct multiboot_info *mbi)
{
	uint32_t via_ioapic = cmdline_uint(magic, mbi, "ioapic", 0);
	uint32_t verbose = cmdline_uint(magic, mbi, "verbose", 0);
	uint32_t want = cmdline_uint(magic, mbi, "ticks", 12);
	sys_init();
	for (int v = 0x20; v < 256; v++) set_handler(v, other);
	lapic_setup();
	lapic_write(LAPIC_LVT_LINT0, DM_EXTINT);
	if (via_ioapic) {
		pic_init(0xFF);
		set_handler(V_IOAPIC, ioapic_irq0);
		ioapic_set(2, V_IOAPIC, 0);
	} else {
		pic_init(0xFE);
		set_handler(V_PIC, pic_irq0);
	}
	static const uint32_t counts[] = {0, 1, 2, 3, 0xFFFF};
	for (int mode = 0; mode < 6; mode++) {
		for (unsigned ci = 0; ci < sizeof(counts) / sizeof(counts[0]); ci++) {
			uint32_t c = counts[ci];
			cli();
			outb(0x43, (uint8_t)(0x30 | (mode << 1)));
			outb(0x40, (uint8_t)c);
			outb(0x40, (uint8_t)(c >> 8));
			uint32_t start = irqs, spins = 0;
			while (irqs - start < want && spins < 400) {
				__asm__ volatile("sti; nop; nop; nop; cli" ::: "memory");
				reads();
				spins++;
			}
			mix(irqs - start);
			mix(spins);
			if (verbose) printf("  mode %d count %u: irqs %u spins %u\n", mode, c, irqs - start, spins);
		}
	}
	printf("channel 0: every mode and count done\n");
	for (int i = 0; i < 120; i++) {
		outb(0x61, (uint8_t)(i & 3));
		outb(0x43, (uint8_t)(0xB0 | ((i % 6) << 1) | (i & 1)));
		outb(0x42, (uint8_t)(i * 37));
		outb(0x42, (uint8_t)(i & 1 ? 0x99 : 0));
		mix(inb(0x61));
		mix(inb(0x42));
	}
	printf("channel 2: gate and BCD done\n");
	for (int i = 0; i < 60; i++) {
		outb(0x43, 0x34);
		outb(0x40, 1);
		outb(0x43, (uint8_t)(0x10 | ((i % 6) << 1)));
		__asm__ volatile("sti; nop; nop; cli" ::: "memory");
		reads();
	}
	printf("half-written counts done\n");
	outb(0x43, 0x34); outb(0x40, 2); outb(0x40, 0);
	uint32_t s0 = irqs;
	for (int i = 0; i < 20000; i++) __asm__ volatile("sti; nop; cli" ::: "memory");
	mix(irqs - s0);
	outb(0x43, 0x30); outb(0x40, 0); outb(0x40, 0);
	if (verbose) printf("storm irqs=%u spurious=%u\n", irqs - s0, spurious);
	printf("storm done: interrupts %s\n", irqs - s0 > 0 ? "taken" : "MISSING");
	if (verbose) printf("pitstorm hash %08x\n", acc ^ spurious);
	return 0;
}
