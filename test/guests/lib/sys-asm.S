/*
 * sys-asm: IDT stubs (256, 16 bytes apart), the common interrupt path, sys_try/sys_recover and the
 * ring-3 exit trampoline. See sys.h.
 */
	.text

/* Vectors whose exceptions push an error code: 8, 10-14, 17. */
	.balign 16
	.globl isr_stubs
isr_stubs:
	.set vec, 0
	.rept 256
	.balign 16
	.if (vec == 8) || (vec == 10) || (vec == 11) || (vec == 12) || (vec == 13) || (vec == 14) || (vec == 17)
	nop
	nop
	.else
	pushl $0
	.endif
	pushl $vec
	jmp isr_common
	.set vec, vec + 1
	.endr

isr_common:
	pusha
	pushl %ds
	pushl %es
	pushl %fs
	pushl %gs
	movl $0x10, %eax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	cld
	movl %esp, %eax
	pushl %eax
	call isr_dispatch
	addl $4, %esp
	.globl isr_return
isr_return:
	popl %gs
	popl %fs
	popl %es
	popl %ds
	popa
	addl $8, %esp
	iret

/* int sys_try(void (*fn)(void), int ring) */
	.globl sys_try
sys_try:
	pushl %ebp
	pushl %ebx
	pushl %esi
	pushl %edi
	pushfl
	movl %esp, recover_esp
	movl 24(%esp), %eax
	movl 28(%esp), %ecx
	movl $1, sys_try_active
	testl %ecx, %ecx
	jnz 1f
	call *%eax
	movl $0, sys_try_active
	movl $-1, %eax
	jmp sys_try_out
1:	/* ring 3: user stack gets the exit trampoline as return address */
	movl user_esp, %edx
	subl $4, %edx
	movl $user_exit, (%edx)
	movzwl user_seg, %ecx
	movw %cx, %ds
	movzwl %ss:user_seg+2, %ecx
	movw %cx, %es
	movzwl %ss:user_seg+4, %ecx
	movw %cx, %fs
	movzwl %ss:user_seg+6, %ecx
	movw %cx, %gs
	pushl $0x23
	pushl %edx
	pushfl
	popl %ecx
	andl $0x00000200, %ecx
	orl $0x2, %ecx
	orl %ss:user_eflags, %ecx
	pushl %ecx
	pushl $0x1B
	pushl %eax
	iret

/* void sys_recover(void): back to sys_try's caller with last_vector (from any stack). */
	.globl sys_recover
sys_recover:
	movl $0x10, %eax
	movw %ax, %ss
	movl recover_esp, %esp
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	movl $0, sys_try_active
	movl last_vector, %eax
sys_try_out:
	movl $0, user_eflags
	movl $0x00230023, user_seg
	movl $0x00230023, user_seg+4
	popfl
	popl %edi
	popl %esi
	popl %ebx
	popl %ebp
	ret

/* Ring-3 code returns here: leave through the system call gate. */
	.globl user_exit
user_exit:
	xorl %eax, %eax
	int $0x80
1:	jmp 1b

	.data
	.globl recover_esp
recover_esp:
	.long 0

	.section .note.GNU-stack, "", @progbits
