/* interrupts: `sti; hlt` with a label after the HLT (the interrupt shadow check). */
	.text
	.globl sti_hlt, sti_hlt_at, sti_hlt_after
sti_hlt:
	sti
sti_hlt_at:
	hlt
sti_hlt_after:
	cli
	ret

	.section .note.GNU-stack, "", @progbits
