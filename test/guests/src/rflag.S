/*
 * rflag: the snippets. `x_NAME` is a function, `x_NAME_at` the instruction expected to fault or be
 * interrupted, `x_NAME_end` the next one (where a trap leaves EIP).
 */
#define G(n) .globl n; n:
#define SNIP(n) G(x_##n)
#define AT(n) G(x_##n##_at)
#define END(n) G(x_##n##_end)

	.text
/* Faults. */
SNIP(div0)
	xorl %ecx, %ecx
	movl $1, %eax
	xorl %edx, %edx
AT(div0)	divl %ecx
END(div0)	ret

SNIP(ud2)
AT(ud2)	ud2
END(ud2)	ret

SNIP(gdtlim)
	movl $0x80, %eax
AT(gdtlim)	movw %ax, %ds
END(gdtlim)	ret

SNIP(npseg)
	movl $0x58, %eax
AT(npseg)	movw %ax, %ds
END(npseg)	ret

SNIP(bound)
	movl $10, %eax
AT(bound)	boundl %eax, bound_pair
END(bound)	ret

SNIP(pf)
	movl $0x3FF000, %ecx
AT(pf)	movl (%ecx), %eax
END(pf)	ret

/* Traps and software interrupts. */
SNIP(int3)
AT(int3)	int3
END(int3)	ret

SNIP(into)
	movb $0x7F, %al
	addb $1, %al
AT(into)	into
END(into)	ret

SNIP(int30)
AT(int30)	int $0x30
END(int30)	ret

/* Single-step two NOPs (POPF sets TF: the first trap follows the instruction after it). */
SNIP(step)
	pushfl
	orl $0x100, (%esp)
	popfl
AT(step)	nop
G(x_step_2)	nop
END(step)
	pushfl
	andl $~0x100, (%esp)
	popfl
	ret

/* Single-step REP MOVSB with ECX = 3. */
SNIP(steprep)
	pushl %esi
	pushl %edi
	movl $rep_src, %esi
	movl $rep_dst, %edi
	movl $3, %ecx
	pushfl
	orl $0x100, (%esp)
	popfl
AT(steprep)	rep movsb
END(steprep)
	pushfl
	andl $~0x100, (%esp)
	popfl
	popl %edi
	popl %esi
	ret

/* REP STOSB of ECX bytes at EDI with IF=1 (the LAPIC timer is armed by the caller). */
SNIP(irqrep)
	pushl %edi
	xorl %eax, %eax
	sti
	nop			/* the STI shadow ends before the REP */
AT(irqrep)	rep stosb
END(irqrep)
	cli
	popl %edi
	ret

/* IRET to `x_iret_at` with the EFLAGS image in EAX; there INT 0x31. */
SNIP(iret)
	pushl %eax
	pushl $0x08
	pushl $x_iret_at
	iret
AT(iret)	int $0x31
END(iret)
	cli
	ret

/* REP STOSB of 5 bytes under an execute breakpoint (DR0 = x_bprep_at). */
SNIP(bprep)
	pushl %edi
	movl $rep_dst, %edi
	movl $5, %ecx
	xorl %eax, %eax
AT(bprep)	rep stosb
END(bprep)
	popl %edi
	ret

/* #GP through a task gate (IDT 13 -> TSS 0x60). */
SNIP(taskgp)
	movl $0x80, %eax
AT(taskgp)	movw %ax, %ds
END(taskgp)	ret

/* JMP to task F (TSS 0x68), which runs INT 0x31 first and then jumps back to the main TSS. */
SNIP(jmpf)
	ljmp $0x68, $0
	ret

/* The #GP handler task: the error code is on its stack. */
G(task_e_entry)
	popl task_e_err
	call task_e_body
	iret
	jmp task_e_entry

G(task_f_entry)
	int $0x31
	ljmp $0x28, $0
	jmp task_f_entry

	.data
	.globl bound_pair, task_e_err, rep_src, rep_dst
bound_pair:
	.long 0, 5
task_e_err:
	.long 0
rep_src:
	.long 0x44332211, 0
rep_dst:
	.long 0, 0, 0, 0

	.section .note.GNU-stack, "", @progbits
