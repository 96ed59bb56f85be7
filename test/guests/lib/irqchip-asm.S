/*
 * irqchip-asm: the real-mode AP trampoline (copied to SMP_TRAMPOLINE = 0x8000, SIPI vector 0x08)
 * and the 32-bit AP entry. See irqchip.h.
 */
#define TRAMP 0x8000
#define LAPIC_ID_REG 0xFEE00020
#define AP_STACK 8192
#define MAX_CPUS 8

	.section .rodata
	.code16
	.globl smp_trampoline_start, smp_trampoline_end
smp_trampoline_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	lgdtl tramp_gdtr - smp_trampoline_start
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x08, $ap_pm_entry
	.balign 4
tramp_gdtr:
	.word 16 * 8 - 1
	.long gdt
smp_trampoline_end:

	.text
	.code32
ap_pm_entry:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	movl LAPIC_ID_REG, %ebx
	shrl $24, %ebx
	cmpl $MAX_CPUS, %ebx
	jae 2f
	leal 1(%ebx), %eax
	shll $13, %eax
	leal smp_ap_stacks(%eax), %esp
	xorl %ebp, %ebp
	pushl $0
	pushl $0
	pushl $0
	pushl %ebx
	call ap_entry_c
2:	cli
	hlt
	jmp 2b

	.section .note.GNU-stack, "", @progbits
