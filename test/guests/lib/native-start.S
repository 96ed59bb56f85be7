/*
 * _start for the native (-DNATIVE) build of a guest: an i386 Linux static program without libc.
 * Calls __native_main(argc, argv) (lib/libg.c), then exit with its return value.
 */
	.text
	.globl _start
	.type _start, @function
_start:
	xorl %ebp, %ebp
	movl (%esp), %eax	/* argc */
	leal 4(%esp), %edx	/* argv */
	andl $-16, %esp
	subl $8, %esp
	pushl %edx
	pushl %eax
	call __native_main
	pushl %eax
	call exit
	hlt
	.size _start, . - _start
	.section .note.GNU-stack, "", @progbits
