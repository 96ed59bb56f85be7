/* insn: result records and line printers. */
#ifndef INSN_REPORT_H
#define INSN_REPORT_H

#include "insn.h"

/* Results of one operation run twice: [0] with input flags clear, [1] with F_ARITH set. */
struct res2 {
	uint32_t r[2];
	uint32_t f[2];
};

#define FIN0 0x00000002u
#define FIN1 (0x00000002u | F_ARITH)

void pr2(const char *name, int bits, uint32_t a, uint32_t b, const struct res2 *r, uint32_t mask);
void pr1(const char *name, int bits, uint32_t a, const struct res2 *r, uint32_t mask);
/* Prints " = <result(s)> f=<flags>/<flags>\n" after a caller-printed operand list. */
void pr_tail(int bits, const struct res2 *r, uint32_t mask);
void mismatch(const char *what, int bits, uint32_t a, uint32_t b);
int res_eq(const struct res2 *x, const struct res2 *y, int bits, uint32_t mask);

/* Loads EFLAGS from a register operand, runs `body`, saves EFLAGS. */
#define FLAGS_IN "pushl %[fi]\n\tpopfl\n\t"
#define FLAGS_OUT "\n\tpushfl\n\tpopl %[fo]"

#endif
