/* insn: entry point and shared operand tables. */
#include "insn.h"

const uint32_t vals32[] = {
	0x00000000, 0x00000001, 0x0000007F, 0x00000080, 0x000000FF, 0x00007FFF, 0x00008000, 0x0000FFFF,
	0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x12345678, 0xDEADBEEF, 0x0F0F0F0F, 0x80000001, 0xFFFF8001,
};
const unsigned nvals32 = sizeof(vals32) / sizeof(vals32[0]);
const uint32_t vals16[] = {
	0x0000, 0x0001, 0x007F, 0x0080, 0x00FF, 0x7FFF, 0x8000, 0xFFFF, 0x5678, 0xBEEF, 0x8001, 0x0F0F,
};
const unsigned nvals16 = sizeof(vals16) / sizeof(vals16[0]);
const uint32_t vals8[] = {
	0x00, 0x01, 0x7F, 0x80, 0xFF, 0x78, 0xEF, 0x0F, 0x81, 0x5A, 0x09, 0xF9,
};
const unsigned nvals8 = sizeof(vals8) / sizeof(vals8[0]);

const uint32_t svals32[] = { 0x00000000, 0x00000001, 0x80000000, 0xFFFFFFFF, 0x12345678, 0xC0000001 };
const unsigned nsvals32 = sizeof(svals32) / sizeof(svals32[0]);
const uint32_t svals16[] = { 0x0000, 0x0001, 0x8000, 0xFFFF, 0x5678, 0xC001 };
const unsigned nsvals16 = sizeof(svals16) / sizeof(svals16[0]);
const uint32_t svals8[] = { 0x00, 0x01, 0x80, 0xFF, 0x5A, 0xC1 };
const unsigned nsvals8 = sizeof(svals8) / sizeof(svals8[0]);

int main(unsigned magic, struct multiboot_info *mbi)
{
	(void)magic;
	(void)mbi;
	serial_init();
	puts("insn: instruction semantics suite");
	test_alu();
	test_shift();
	test_muldiv();
	test_bits();
	test_bcd();
	test_lea();
	test_string();
	test_stack();
	test_misc();
	test_regs();
	test_smc();
	test_chain();
	test_cond();
	puts("insn: done");
	return 0;
}
