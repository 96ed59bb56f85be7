/*
 * realmode: protected mode -> 16-bit protected mode -> real mode with an own IVT (no BIOS) -> back
 * to 32-bit protected mode. Real mode prints through COM1 itself; the results it leaves in memory
 * are checked and printed from protected mode.
 */
#include "sys.h"

#define BLOB 0x20000u

extern char rm_blob[], rm_blob_end[], rm_res[];
extern const uint32_t rm_off_int30_ret, rm_off_far, rm_off_gp_at1, rm_off_gp_at2;
void rm_run(void);

static const uint16_t *res;

static void line(const char *name, int n, uint16_t want)
{
	printf("%s: %04x %s\n", name, res[n], okfail(res[n] == want));
}

int main(unsigned magic, struct multiboot_info *mbi)
{
	(void)magic;
	(void)mbi;
	serial_init();
	sys_init();
	puts("realmode: start");
	memcpy((void *)BLOB, rm_blob, (size_t)(rm_blob_end - rm_blob));
	gdt_set(SEL_CODE16, BLOB, 0xFFFF, ACC_CODE0, FLG_16);
	gdt_set(SEL_DATA16, BLOB, 0xFFFF, ACC_DATA0, FLG_16);
	pic_remap(0x20, 0x28);  /* every line masked: real mode runs a moment with IF=1 */
	rm_run();
	res = (const uint16_t *)(BLOB + (uint32_t)(rm_res - rm_blob));
	printf("back in protected mode: cr0.pe=%d %s\n", (int)(read_cr0() & 1), okfail(read_cr0() & 1));
	printf("real mode cr0.pe=%d %s\n", res[0] & 1, okfail((res[0] & 1) == 0));
	line("int 0x30 handler ax+1", 1, 0x42);
	line("iret restores CF (sbb)", 2, 0xFFFF);
	printf("int 0x30 frame: ip=%s cs=%04x %s\n", res[28] == rm_off_int30_ret ? "next" : "?", res[29],
	       okfail(res[28] == rm_off_int30_ret && res[29] == 0x2000));
	printf("int 0x30 flags: pushed cf=%d if=%d, in handler if=%d tf=%d %s\n", res[30] & 1, !!(res[30] & 0x200),
	       !!(res[27] & 0x200), !!(res[27] & 0x100), okfail((res[30] & 0x201) == 0x201 && !(res[27] & 0x300)));
	line("[bx+si]", 3, 0x2222);
	line("[bx+di]", 4, 0x3333);
	line("[bp+si]", 5, 0x4444);
	line("[bp+di]", 6, 0x5555);
	line("[si]", 7, 0x6666);
	line("[di]", 8, 0x7777);
	line("[bx+disp8]", 9, 0x8888);
	line("[bp+di+disp8]", 10, 0x9999);
	line("[disp16]", 11, 0x2222);
	line("[bx+si] wraps at 64 KiB", 12, 0x1111);
	line("[bx+disp16] wraps at 64 KiB", 13, 0x1111);
	line("[bp] uses ss", 14, 0x1111);
	line("[bx] uses ds 2001 (+16 bytes)", 15, 0x9999);
	line("ds:[bp] override", 16, 0x9999);
	line("far call: callee cs", 17, 0x2000);
	line("far call 1fff:off+10: callee cs", 18, 0x1FFF);
	line("far call: pushed cs", 19, 0x2000);
	line("loop cx=5 iterations", 20, 5);
	uint32_t n = res[21] | (uint32_t)res[22] << 16;
	printf("loop cx=0 iterations: %u %s\n", n, okfail(n == 65536));
	uint32_t ecx = res[24] | (uint32_t)res[25] << 16;
	printf("loop ecx=12340003: %u iterations, ecx=%08x %s\n", res[23], ecx, okfail(res[23] == 3 && ecx == 0x12340000u));
	printf("64 KiB limit: #GP count=%d %s\n", res[26], okfail(res[26] == 2));
	printf("#GP offset 0x10000: ip=%s %s\n", res[31] == rm_off_gp_at1 ? "at" : "?", okfail(res[31] == rm_off_gp_at1));
	printf("#GP word at 0xffff: ip=%s %s\n", res[32] == rm_off_gp_at2 ? "at" : "?", okfail(res[32] == rm_off_gp_at2));
	puts("realmode: done");
	return 0;
}
