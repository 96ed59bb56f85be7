/* tasks: task bodies, the main task's switch points, and the V86 entry and code. */
#define G(n) .globl n; n:
	.text
G(task_a_entry)
	call task_a_body
	ljmp $0x28, $0
	jmp task_a_entry

G(task_b_entry)
	call task_b_body
	iret
	jmp task_b_entry

G(task_c_entry)
	call task_c_body
	iret
	jmp task_c_entry

/* #GP handler task: the error code is on this task's stack. */
G(task_e_entry)
	popl task_e_err
	call task_e_body
	iret
	jmp task_e_entry

G(main_jmp_a)
	ljmp $0x40, $0
	ret
G(main_call_b)
	lcall $0x50, $0
	ret
G(main_int41)
	int $0x41
	ret
G(main_gp)
	movl $0x80, %eax
G(main_gp_at)
	movw %ax, %ds
G(main_gp_next)
	ret
G(main_call_busy)
G(main_call_busy_at)
	lcall $0x28, $0
	ret
G(main_jmp_busy)
G(main_jmp_busy_at)
	ljmp $0x28, $0
	ret

G(main_jmp_short)
G(main_jmp_short_at)
	ljmp $0x68, $0
	ret

/* IRET to virtual-8086 mode at 3000:0000, stack 3000:FFF0, DS..GS = 3001..3004. */
G(v86_enter)
	pushl $0x3004
	pushl $0x3003
	pushl $0x3001
	pushl $0x3002
	pushl $0x3000
	pushl $0xFFF0
	pushl v86_eflags
	pushl $0x3000
	pushl $0
	iret

	.code16
G(v86_code)
	movw $0x1234, %ax
G(v86_int)
	int $0x31
G(v86_after)
	jmp v86_after
G(v86_code_end)
	.code32

	.data
	.globl task_e_err, v86_eflags
task_e_err: .long 0
v86_eflags: .long 0

	.section .note.GNU-stack, "", @progbits
