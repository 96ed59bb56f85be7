/*
 * insn: the instruction-semantics suite. Every file prints lines of the form
 *   <op><width> <operands> = <result> f=<flags with fin=0>/<flags with fin=all>
 * with the flags the Intel SDM leaves undefined masked out. The same source builds natively
 * (-DNATIVE) to produce the expected output on a real CPU.
 */
#ifndef INSN_H
#define INSN_H

#include "libg.h"

#define F_CF 0x0001u  /* carry */
#define F_PF 0x0004u  /* parity */
#define F_AF 0x0010u  /* adjust */
#define F_ZF 0x0040u  /* zero */
#define F_SF 0x0080u  /* sign */
#define F_DF 0x0400u  /* direction */
#define F_OF 0x0800u  /* overflow */
#define F_ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)  /* 0x8D5 */
#define F_LOGIC (F_CF | F_PF | F_ZF | F_SF | F_OF)         /* AF undefined */

/* Operand values per width (edge values first, then random-looking ones). */
extern const uint32_t vals32[];
extern const unsigned nvals32;
extern const uint32_t vals16[];
extern const unsigned nvals16;
extern const uint32_t vals8[];
extern const unsigned nvals8;

/* Short value lists for the shift/rotate/multiply tables. */
extern const uint32_t svals32[];
extern const unsigned nsvals32;
extern const uint32_t svals16[];
extern const unsigned nsvals16;
extern const uint32_t svals8[];
extern const unsigned nsvals8;

/* Digits per width: 8 -> 2, 16 -> 4, 32 -> 8. */
static inline int hexw(int bits)
{
	return bits / 4;
}

static inline uint32_t wmask(int bits)
{
	return bits == 32 ? 0xFFFFFFFFu : (1u << bits) - 1;
}

void test_alu(void);
void test_shift(void);
void test_muldiv(void);
void test_bits(void);
void test_bcd(void);
void test_cond(void);
void test_string(void);
void test_stack(void);
void test_misc(void);
void test_lea(void);
void test_regs(void);
void test_smc(void);
void test_chain(void);

#endif
