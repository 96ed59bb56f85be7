/*
 * exceptions: code snippets that fault. Each `x_NAME` is a function; `x_NAME_at` marks the
 * instruction expected to fault, `x_NAME_end` the next one (where a trap leaves EIP).
 */
#define SNIP(n) .globl x_##n; x_##n:
#define AT(n) .globl x_##n##_at; x_##n##_at:
#define END(n) .globl x_##n##_end; x_##n##_end:

	.text
SNIP(div0)
	xorl %ecx, %ecx
	movl $1, %eax
	xorl %edx, %edx
AT(div0)	divl %ecx
END(div0)	ret

SNIP(idiv)
	movl $0x80000000, %eax
	cltd
	movl $-1, %ecx
AT(idiv)	idivl %ecx
END(idiv)	ret

SNIP(step)
	pushfl
	orl $0x100, (%esp)
	popfl
AT(step)	nop
	.globl x_step_2
x_step_2:	nop
	nop
END(step)	ret

SNIP(icebp)
AT(icebp)	.byte 0xF1
END(icebp)	ret

SNIP(int3)
AT(int3)	int3
END(int3)	ret

SNIP(into)
	movl $0x7FFFFFFF, %eax
	addl $1, %eax
AT(into)	into
END(into)	ret

SNIP(into_nof)
	movl $1, %eax
	addl $1, %eax
AT(into_nof)	into
END(into_nof)	ret

SNIP(bound)
	movl $10, %eax
AT(bound)	boundl %eax, bound_pair
END(bound)	ret

SNIP(bound_in)
	movl $5, %eax
AT(bound_in)	boundl %eax, bound_pair
END(bound_in)	ret

SNIP(ud2)
AT(ud2)	ud2
END(ud2)	ret

SNIP(ud0)
AT(ud0)	.byte 0x0F, 0xFF, 0xC0
END(ud0)	ret

SNIP(lockreg)
AT(lockreg)	.byte 0xF0, 0x01, 0xC3	/* lock add %eax, %ebx */
END(lockreg)	ret

SNIP(esc38)
AT(esc38)	.byte 0x0F, 0x38, 0xFF, 0xC0
END(esc38)	ret

SNIP(fpu)
AT(fpu)	.byte 0xD9, 0xE8	/* fld1 */
END(fpu)	ret

SNIP(wait)
AT(wait)	.byte 0x9B	/* wait */
END(wait)	ret

SNIP(cli)
AT(cli)	cli
END(cli)	ret

SNIP(hlt)
AT(hlt)	hlt
END(hlt)	ret

SNIP(movcr0)
AT(movcr0)	movl %cr0, %eax
END(movcr0)	ret

SNIP(nullss)
	xorl %eax, %eax
AT(nullss)	movw %ax, %ss
END(nullss)	ret

SNIP(gdtlim)
	movl $0x80, %eax
AT(gdtlim)	movw %ax, %ds
END(gdtlim)	ret

SNIP(ldtsel)
	movl $0x0C, %eax
AT(ldtsel)	movw %ax, %ds
END(ldtsel)	ret

SNIP(rodata)
	movl $0x40, %eax
	movw %ax, %es
AT(rodata)	movl $1, %es:scratch
END(rodata)	movl $0x10, %eax
	movw %ax, %es
	ret

SNIP(rodata_read)
	movl $0x40, %eax
	movw %ax, %es
AT(rodata_read)	movl %es:scratch, %eax
END(rodata_read)	movl $0x10, %eax
	movw %ax, %es
	ret

/* code segment 0x48: base = cslim_code, limit 1 */
SNIP(cslimit)
AT(cslimit)	ljmp $0x48, $0
END(cslimit)	ret
	.globl cslim_code
cslim_code:
	nop
	nop
	nop
	nop
	ud2

SNIP(jmpdata)
AT(jmpdata)	ljmp $0x10, $0
END(jmpdata)	ret

SNIP(len16)
AT(len16)	.fill 15, 1, 0x3E
	nop
END(len16)	ret

SNIP(len15)
AT(len15)	.fill 14, 1, 0x3E
	nop
END(len15)	ret

/* stack segment 0x50: expand-up, base 0, limit 2 MiB - 1 */
SNIP(sslimit)
	movl $0x50, %eax
	movw %ax, %ss
AT(sslimit)	movl %ss:0x01000000, %eax
END(sslimit)	movl $0x10, %eax
	movw %ax, %ss
	ret

/* data segment 0x58: not present */
SNIP(npseg)
	movl $0x58, %eax
AT(npseg)	movw %ax, %ds
END(npseg)	ret

/* Loading SS and DS with unsuitable descriptors. */
SNIP(ssnp)
	movl $0x58, %eax
AT(ssnp)	movw %ax, %ss
END(ssnp)	ret

SNIP(ssro)
	movl $0x40, %eax
AT(ssro)	movw %ax, %ss
END(ssro)	ret

SNIP(ssdpl)
	movl $0x20, %eax
AT(ssdpl)	movw %ax, %ss
END(ssdpl)	ret

SNIP(dsxo)
	movl $0x60, %eax
AT(dsxo)	movw %ax, %ds
END(dsxo)	ret

SNIP(npgate)
AT(npgate)	int $0x42
END(npgate)	ret

SNIP(ac)
	movl $scratch+1, %eax
AT(ac)	movl (%eax), %ecx
END(ac)	ret

SNIP(ac_ring0)
	movl $scratch+1, %eax
AT(ac_ring0)	movl (%eax), %ecx
END(ac_ring0)	ret

SNIP(extirq)
	sti
AT(extirq)	nop
	nop
	nop
	nop
END(extirq)	cli
	ret

	.data
	.balign 8
	.globl bound_pair
bound_pair:
	.long 0, 5
	.globl scratch
scratch:
	.long 0, 0, 0, 0

	.section .note.GNU-stack, "", @progbits
