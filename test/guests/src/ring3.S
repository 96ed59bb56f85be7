/* ring3: snippets that run in ring 3 (u_*) and the ring-0 call-gate target. */
#define G(n) .globl n; n:

	.text
/* System call: EAX=1, EBX = ESP at the INT; the handler returns EAX = 0x600D. */
G(u_syscall)
	movl $1, %eax
	movl %esp, %ebx
	int $0x80
	movl %eax, sc_result
	ret

G(u_syscall81)
	movl $1, %eax
	movl %esp, %ebx
	int $0x81
	movl %eax, sc_result
	ret

/* POPF in ring 3: IF changes only with IOPL 3, IOPL never. */
G(u_popf)
	pushfl
	xorl $0x3200, (%esp)
	popfl
	pushfl
	popl popf_result
	ret

G(u_int30)
G(u_int30_at)
	int $0x30
	ret

G(u_int3)
G(u_int3_at)
	int3
	ret

/* Far call through the call gate at 0x40 (RPL 3) with two dword parameters. */
G(u_callgate)
	pushl $0x1111
	pushl $0x2222
	movl %esp, cg_user_esp_before
	lcall $0x43, $0
	movl %esp, cg_user_esp_after
	movw %cs, %ax
	movw %ax, cg_user_cs_after
	ret

G(cg_target)
	movl %esp, cg_esp
	movl 0(%esp), %eax
	movl %eax, cg_frame
	movl 4(%esp), %eax
	movl %eax, cg_frame+4
	movl 8(%esp), %eax
	movl %eax, cg_frame+8
	movl 12(%esp), %eax
	movl %eax, cg_frame+12
	movl 16(%esp), %eax
	movl %eax, cg_frame+16
	movl 20(%esp), %eax
	movl %eax, cg_frame+20
	movw %cs, %ax
	movw %ax, cg_cs
	lret $8

/* Segment registers as seen in ring 3 (DS may be null: store through SS). */
G(u_segs)
	movw %ds, %ax
	movw %ax, %ss:seg_seen
	movw %es, %ax
	movw %ax, %ss:seg_seen+2
	movw %fs, %ax
	movw %ax, %ss:seg_seen+4
	movw %gs, %ax
	movw %ax, %ss:seg_seen+6
	ret

G(u_out_e0)
	movl $0xCAFE0001, %eax
G(u_out_e0_at)
	outl %eax, $0xE0
	ret

G(u_inb_e0)
G(u_inb_e0_at)
	inb $0xE0, %al
	movb %al, io_byte
	ret

G(u_inb_80)
G(u_inb_80_at)
	inb $0x80, %al
	ret

G(u_inb_510)
	movw $0x510, %dx
G(u_inb_510_at)
	inb %dx, %al
	ret

	.data
	.globl sc_result, cg_user_esp_before, cg_user_esp_after, cg_user_cs_after, cg_esp, cg_frame, cg_cs
	.globl seg_seen, io_byte, popf_result
popf_result: .long 0
sc_result: .long 0
cg_user_esp_before: .long 0
cg_user_esp_after: .long 0
cg_user_cs_after: .long 0
cg_esp: .long 0
cg_frame: .fill 6, 4, 0
cg_cs: .long 0
seg_seen: .fill 4, 2, 0
io_byte: .long 0

	.section .note.GNU-stack, "", @progbits
