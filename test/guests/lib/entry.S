/*
 * Multiboot v1 entry for godwit test guests.
 * Loads its own flat GDT (16 entries, symbol `gdt`; 0x08 code, 0x10 data, rest spare),
 * a 16 KiB stack, and calls main(magic, mbi), then exit(main's return value).
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.section .text.entry, "ax"
	.globl _start
	.type _start, @function
_start:
	cli
	cld
	movl $stack_top, %esp
	movl %eax, %esi		/* magic */
	movl %ebx, %edi		/* multiboot info */
	lgdt gdt_desc
	ljmp $0x08, $1f
1:	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	movl $stack_top, %esp
	/* Clear .bss (ELF loaders should, but do not rely on it); EBX/ESI survive. */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb
	movl %ebx, %edi
	movl $stack_top, %esp
	xorl %ebp, %ebp
	pushl $0		/* keep 16-byte alignment at the call */
	pushl $0
	pushl %edi		/* struct multiboot_info * */
	pushl %esi		/* magic */
	call main
	pushl %eax
	call exit
2:	cli
	hlt
	jmp 2b
	.size _start, . - _start

	.section .data
	.align 16
	.globl gdt
gdt:
	.quad 0x0000000000000000	/* 0x00 null */
	.quad 0x00CF9A000000FFFF	/* 0x08 code, ring 0, flat 4 GiB, 32-bit */
	.quad 0x00CF92000000FFFF	/* 0x10 data, ring 0, flat 4 GiB */
	.fill 13, 8, 0			/* 0x18..0x78 spare slots for guests */
gdt_end:
	.align 4
	.word 0
	.globl gdt_desc
gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt

	.section .bss
	.align 16
	.globl stack_bottom
stack_bottom:
	.skip 16384
	.globl stack_top
stack_top:

	.section .note.GNU-stack, "", @progbits
