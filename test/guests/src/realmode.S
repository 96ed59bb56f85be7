/*
 * realmode: a position-dependent 16-bit blob copied to 0x20000 (segment 0x2000). rm_run (32-bit)
 * goes through a 16-bit protected-mode segment to real mode, runs the tests with an own IVT,
 * prints through COM1, and comes back to 32-bit protected mode. Results are words at rm_res.
 */
#define BLOB 0x20000
#define O(x) ((x) - rm_blob)
#define R(n) (O(rm_res) + 2 * (n))

	.text
	.code32
	.globl rm_run
rm_run:
	pushal
	movl %esp, saved_esp32
	sidt saved_idtr
	sgdt BLOB + O(rm_gdtr)
	ljmp $0x30, $O(rm_pm16)

	.globl rm_blob, rm_blob_end, rm_res
	.code16
rm_blob:
	.fill 16, 1, 0x90
rm_pm16:
	movw $0x38, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	movl %cr0, %eax
	andl $~1, %eax
	movl %eax, %cr0
	ljmp $0x2000, $O(rm_real)
rm_real:
	movw $0x2000, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	movw $0xFFF0, %sp
	lidt O(rm_ivt_ptr)
	call rm_tests
	cli
	lgdtl O(rm_gdtr)
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x08, $rm_back32

rm_putc:
	pushw %dx
	pushw %ax
	movw $0x3FD, %dx
1:	inb %dx, %al
	testb $0x20, %al
	jz 1b
	popw %ax
	movw $0x3F8, %dx
	outb %al, %dx
	popw %dx
	ret

rm_puts:
	lodsb
	testb %al, %al
	jz 1f
	call rm_putc
	jmp rm_puts
1:	ret

rm_tests:
	movw $O(msg_hello), %si
	call rm_puts
	movl %cr0, %eax
	movw %ax, R(0)

	/* IVT: 0x30 and 13 (#GP) point into the blob. */
	xorw %ax, %ax
	movw %ax, %es
	movw $O(rm_int30), %es:0x30*4
	movw $0x2000, %es:0x30*4+2
	movw $O(rm_gp), %es:13*4
	movw $0x2000, %es:13*4+2
	movw %ds, %ax
	movw %ax, %es

	/* INT 0x30 / IRET: handler adds 1 to AX, sees IF=TF=0; CF survives. */
	movw $0x41, %ax
	sti
	stc
	int $0x30
rm_int30_ret:
	cli
	movw %ax, R(1)
	sbbw %ax, %ax
	movw %ax, R(2)

	/* 16-bit addressing forms over rm_data = 1111, 2222, ..., 9999 */
	movw $O(rm_data), %bx
	movw $2, %si
	movw (%bx,%si), %ax
	movw %ax, R(3)
	movw $4, %di
	movw (%bx,%di), %ax
	movw %ax, R(4)
	movw $O(rm_data), %bp
	movw $6, %si
	movw (%bp,%si), %ax
	movw %ax, R(5)
	movw $8, %di
	movw (%bp,%di), %ax
	movw %ax, R(6)
	movw $O(rm_data)+10, %si
	movw (%si), %ax
	movw %ax, R(7)
	movw $O(rm_data)+12, %di
	movw (%di), %ax
	movw %ax, R(8)
	movw 14(%bx), %ax
	movw %ax, R(9)
	xorw %di, %di
	movw 16(%bp,%di), %ax
	movw %ax, R(10)
	movw O(rm_data)+2, %ax
	movw %ax, R(11)
	/* 64 KiB wrap of the effective address */
	movw $0xFFFF, %bx
	movw $O(rm_data)+1, %si
	movw (%bx,%si), %ax
	movw %ax, R(12)
	movw $O(rm_data)+0x8000, %bx
	movw 0x8000(%bx), %ax
	movw %ax, R(13)
	/* BP defaults to SS: DS moved 16 bytes up */
	movw $0x2001, %ax
	movw %ax, %ds
	movw $O(rm_data), %bx
	movw (%bp), %cx
	movw (%bx), %dx
	movw %ds:(%bp), %si
	movw $0x2000, %ax
	movw %ax, %ds
	movw %cx, R(14)
	movw %dx, R(15)
	movw %si, R(16)

	/* far call / ret, directly and through an aliased segment (1FFF:off+10) */
	lcall $0x2000, $O(rm_far)
	movw %ax, R(17)
	lcall $0x1FFF, $O(rm_far)+0x10
	movw %ax, R(18)
	movw %bx, R(19)

	/* LOOP with CX (16-bit address size): 5 iterations; 0 -> 65536; upper ECX kept */
	movw $5, %cx
	xorw %dx, %dx
1:	incw %dx
	loop 1b
	movw %dx, R(20)
	xorw %cx, %cx
	xorl %ebx, %ebx
1:	incl %ebx
	loop 1b
	movl %ebx, R(21)
	movl $0x12340003, %ecx
	xorw %dx, %dx
1:	incw %dx
	loop 1b
	movw %dx, R(23)
	movl %ecx, R(24)

	/* Segment limits are 64 KiB: offsets above 0xFFFF raise #GP (int 13). */
	movw $0, R(26)
	movl $0x10000, %esi
rm_gp_at1:
	addr32 movb (%esi), %al
rm_gp_resume1:
	movw $0xFFFF, %bx
rm_gp_at2:
	movw (%bx), %ax
rm_gp_resume2:
	movw $O(msg_bye), %si
	call rm_puts
	ret

rm_far:
	movw %cs, %ax
	movw %sp, %bp
	movw 2(%bp), %bx
	lret

rm_int30:
	pushw %bp
	movw %sp, %bp
	pushfw
	popw %bx
	movw %bx, R(27)         /* FLAGS inside the handler */
	movw 2(%bp), %bx
	movw %bx, R(28)         /* pushed IP */
	movw 4(%bp), %bx
	movw %bx, R(29)         /* pushed CS */
	movw 6(%bp), %bx
	movw %bx, R(30)         /* pushed FLAGS */
	popw %bp
	incw %ax
	iret

/* #GP in real mode: count it, record the pushed IP and resume after the access. */
rm_gp:
	pushw %bp
	movw %sp, %bp
	incw R(26)
	movw 2(%bp), %bx
	cmpw $O(rm_gp_at1), %bx
	jne 1f
	movw %bx, R(31)
	movw $O(rm_gp_resume1), 2(%bp)
	jmp 2f
1:	movw %bx, R(32)
	movw $O(rm_gp_resume2), 2(%bp)
2:	popw %bp
	iret

msg_hello: .asciz "realmode: hello from real mode via COM1\n"
msg_bye: .asciz "realmode: leaving real mode\n"
	.balign 4
rm_ivt_ptr:
	.word 0x3FF
	.long 0
	.balign 4
rm_gdtr:
	.word 0
	.long 0
	.balign 16
rm_data:
	.word 0x1111, 0x2222, 0x3333, 0x4444, 0x5555, 0x6666, 0x7777, 0x8888, 0x9999
	.balign 16
rm_res:
	.fill 40, 2, 0
rm_blob_end:

	.code32
rm_back32:
	movl $0x10, %eax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	movl saved_esp32, %esp
	lidt saved_idtr
	popal
	ret

	.globl rm_off_int30_ret, rm_off_far, rm_off_gp_at1, rm_off_gp_at2
	.section .rodata
rm_off_int30_ret: .long O(rm_int30_ret)
rm_off_far: .long O(rm_far)
rm_off_gp_at1: .long O(rm_gp_at1)
rm_off_gp_at2: .long O(rm_gp_at2)

	.data
saved_esp32: .long 0
	.balign 4
	.word 0
saved_idtr: .word 0
	.long 0

	.section .note.GNU-stack, "", @progbits
