/*
 * Entry of /init and the one system-call gate: i386 Linux, `int $0x80`, number in EAX, arguments in
 * EBX, ECX, EDX, ESI, EDI, EBP; a result in [-4095, -1] is -errno.
 */
	.text
	.globl _start
_start:
	xorl %ebp, %ebp
	movl (%esp), %eax          /* argc */
	leal 4(%esp), %ecx         /* argv */
	leal 8(%esp,%eax,4), %edx  /* envp: after argv's NULL */
	andl $-16, %esp
	subl $4, %esp
	pushl %edx
	pushl %ecx
	pushl %eax
	call main
	movl %eax, %ebx
1:	movl $252, %eax            /* exit_group(main's result); never returns */
	int $0x80
	jmp 1b

/* long sys_call6(long nr, long a, long b, long c, long d, long e, long f) */
	.globl sys_call6
sys_call6:
	pushl %ebp
	pushl %edi
	pushl %esi
	pushl %ebx
	movl 20(%esp), %eax
	movl 24(%esp), %ebx
	movl 28(%esp), %ecx
	movl 32(%esp), %edx
	movl 36(%esp), %esi
	movl 40(%esp), %edi
	movl 44(%esp), %ebp
	int $0x80
	popl %ebx
	popl %esi
	popl %edi
	popl %ebp
	ret

	.section .note.GNU-stack,"",@progbits
