/*
 * bench: a CPU-bound integer workload for the MIPS benchmark. Components: CRC32 over a buffer,
 * a sieve of Eratosthenes, quicksort of LCG data, a bytecode interpreter loop, and string ops
 * (rep movsd, memcmp, repne scasb). `rounds=N` on the multiboot command line sets the work
 * (default BENCH_DEFAULT_ROUNDS, about 200 million instructions). Output is one checksum line per
 * component and a final line; it depends only on N.
 */
#include "libg.h"

#define BENCH_DEFAULT_ROUNDS 21

#define CRC_LEN 65536
#define SIEVE_N 131072
#define SORT_N 8192
#define STR_LEN 65536

static uint8_t crc_buf[CRC_LEN];
static uint32_t crc_table[256];
static uint8_t sieve[SIEVE_N];
static uint32_t sort_a[SORT_N];
static uint32_t str_a[STR_LEN / 4];
static uint32_t str_b[STR_LEN / 4];

static uint32_t lcg_state;

static uint32_t lcg(void)
{
	lcg_state = lcg_state * 1664525u + 1013904223u;
	return lcg_state;
}

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t crc32(const uint8_t *p, uint32_t n, uint32_t crc)
{
	crc = ~crc;
	for (uint32_t i = 0; i < n; i++)
		crc = crc_table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
	return ~crc;
}

static uint32_t bench_crc(uint32_t round, uint32_t crc)
{
	lcg_state = 0x1234 + round;
	for (uint32_t i = 0; i < CRC_LEN; i += 4) {
		uint32_t v = lcg();
		crc_buf[i] = (uint8_t)v;
		crc_buf[i + 1] = (uint8_t)(v >> 8);
		crc_buf[i + 2] = (uint8_t)(v >> 16);
		crc_buf[i + 3] = (uint8_t)(v >> 24);
	}
	return crc32(crc_buf, CRC_LEN, crc);
}

/* Returns the number of primes below SIEVE_N - round and folds their sum into *sum. */
static uint32_t bench_sieve(uint32_t round, uint32_t *sum)
{
	uint32_t n = SIEVE_N - round, count = 0, s = 0;
	memset(sieve, 1, n);
	sieve[0] = sieve[1] = 0;
	for (uint32_t i = 2; i * i < n; i++)
		if (sieve[i])
			for (uint32_t j = i * i; j < n; j += i)
				sieve[j] = 0;
	for (uint32_t i = 0; i < n; i++)
		if (sieve[i]) {
			count++;
			s += i;
		}
	*sum ^= s;
	return count;
}

static void quicksort(uint32_t *a, int lo, int hi)
{
	while (lo < hi) {
		uint32_t pivot = a[lo + (hi - lo) / 2];
		int i = lo, j = hi;
		while (i <= j) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i <= j) {
				uint32_t t = a[i];
				a[i] = a[j];
				a[j] = t;
				i++;
				j--;
			}
		}
		/* recurse into the smaller half, loop on the larger */
		if (j - lo < hi - i) {
			quicksort(a, lo, j);
			lo = i;
		} else {
			quicksort(a, i, hi);
			hi = j;
		}
	}
}

static uint32_t bench_sort(uint32_t round)
{
	lcg_state = 0xC0FFEE + round * 7;
	for (int i = 0; i < SORT_N; i++)
		sort_a[i] = lcg() >> (round & 7);
	quicksort(sort_a, 0, SORT_N - 1);
	uint32_t h = 0;
	for (int i = 0; i < SORT_N; i++) {
		if (i > 0 && sort_a[i - 1] > sort_a[i])
			return 0xBAD50127;
		h = h * 31 + sort_a[i];
	}
	return h;
}

/* A small register VM: 8 registers, a code array of 32-bit words (op | a << 8 | b << 16 | c << 24). */
#define OP_HALT 0
#define OP_LI 1    /* r[a] = b | c << 8 */
#define OP_ADD 2   /* r[a] = r[b] + r[c] */
#define OP_SUB 3   /* r[a] = r[b] - r[c] */
#define OP_MUL 4   /* r[a] = r[b] * r[c] */
#define OP_XOR 5   /* r[a] = r[b] ^ r[c] */
#define OP_SHR 6   /* r[a] = r[b] >> (r[c] & 31) */
#define OP_AND 7   /* r[a] = r[b] & r[c] */
#define OP_JNZ 8   /* if r[a] != 0: pc = b */
#define OP_DEC 9   /* r[a] -= 1 */
#define OP_LD 10   /* r[a] = mem[r[b] & 255] */
#define OP_ST 11   /* mem[r[b] & 255] = r[a] */
#define OP_ADDI 12 /* r[a] = r[b] + c */

#define I(op, a, b, c) ((uint32_t)(op) | (uint32_t)(a) << 8 | (uint32_t)(b) << 16 | (uint32_t)(c) << 24)

static const uint32_t vm_prog[] = {
	/* r0 = loop count (set by caller), r1 = acc, r2 = i, r3 = 31, r4 = 3, r5/r6 temps, r7 = 255 */
	I(OP_LI, 3, 31, 0),   I(OP_LI, 4, 3, 0),    I(OP_LI, 7, 255, 0),
	/* 3: loop */
	I(OP_MUL, 1, 1, 3),   I(OP_SHR, 5, 2, 4),   I(OP_XOR, 5, 5, 2),   I(OP_ADD, 1, 1, 5),
	I(OP_AND, 6, 2, 7),   I(OP_LD, 5, 6, 0),    I(OP_ADD, 5, 5, 1),   I(OP_ST, 5, 6, 0),
	I(OP_ADDI, 2, 2, 1),  I(OP_SUB, 6, 1, 5),   I(OP_XOR, 1, 1, 6),   I(OP_DEC, 0, 0, 0),
	I(OP_JNZ, 0, 3, 0),   I(OP_HALT, 0, 0, 0),
};

static uint32_t vm_run(const uint32_t *code, uint32_t *r, uint32_t *mem)
{
	uint32_t pc = 0, steps = 0;
	for (;;) {
		uint32_t w = code[pc++];
		uint32_t a = (w >> 8) & 7, b = (w >> 16) & 0xFF, c = w >> 24;
		steps++;
		switch (w & 0xFF) {
		case OP_HALT:
			return steps;
		case OP_LI:
			r[a] = b | c << 8;
			break;
		case OP_ADD:
			r[a] = r[b & 7] + r[c & 7];
			break;
		case OP_SUB:
			r[a] = r[b & 7] - r[c & 7];
			break;
		case OP_MUL:
			r[a] = r[b & 7] * r[c & 7];
			break;
		case OP_XOR:
			r[a] = r[b & 7] ^ r[c & 7];
			break;
		case OP_SHR:
			r[a] = r[b & 7] >> (r[c & 7] & 31);
			break;
		case OP_AND:
			r[a] = r[b & 7] & r[c & 7];
			break;
		case OP_JNZ:
			if (r[a])
				pc = b;
			break;
		case OP_DEC:
			r[a]--;
			break;
		case OP_LD:
			r[a] = mem[r[b & 7] & 255];
			break;
		case OP_ST:
			mem[r[b & 7] & 255] = r[a];
			break;
		case OP_ADDI:
			r[a] = r[b & 7] + c;
			break;
		default:
			return steps | 0x80000000u;
		}
	}
}

static uint32_t bench_interp(uint32_t round, uint32_t *steps)
{
	static uint32_t mem[256];
	uint32_t r[8] = { 12000, round, 0, 0, 0, 0, 0, 0 };
	for (int i = 0; i < 256; i++)
		mem[i] = (uint32_t)i * 0x9E3779B9u;
	*steps += vm_run(vm_prog, r, mem);
	uint32_t h = r[1];
	for (int i = 0; i < 256; i++)
		h = h * 33 + mem[i];
	return h;
}

static uint32_t bench_string(uint32_t round)
{
	uint32_t h = round;
	lcg_state = 0xABCDEF + round;
	for (uint32_t i = 0; i < STR_LEN / 4; i++)
		str_a[i] = lcg() | 0x01010101u;  /* no zero bytes */
	for (int pass = 0; pass < 2; pass++) {
		void *d = str_b, *s = str_a;
		uint32_t n = STR_LEN / 4;
		__asm__ volatile("cld\n\trep movsl" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
		uint32_t idx = (lcg() >> 4) % (STR_LEN - 64);
		((uint8_t *)str_b)[idx] ^= 0x80;
		h = h * 7 + (uint32_t)(memcmp(str_a, str_b, STR_LEN) + 2) + idx;
		((uint8_t *)str_b)[idx] ^= 0x80;
		/* find a zero byte planted at a pseudo-random place with repne scasb */
		uint32_t z = (lcg() >> 3) % STR_LEN;
		((uint8_t *)str_b)[z] = 0;
		void *p = str_b;
		uint32_t c = STR_LEN;
		__asm__ volatile("cld\n\trepne scasb" : "+D"(p), "+c"(c) : "a"(0) : "memory", "cc");
		h = h * 13 + (STR_LEN - c) + (uint32_t)strlen((const char *)str_b);
	}
	return h;
}

int main(unsigned magic, struct multiboot_info *mbi)
{
	serial_init();
	uint32_t rounds = cmdline_uint(magic, mbi, "rounds", BENCH_DEFAULT_ROUNDS);
	uint32_t crc = 0, primes = 0, psum = 0, sorth = 0, vmh = 0, vmsteps = 0, strh = 0;
	crc_init();
	for (uint32_t r = 0; r < rounds; r++) {
		crc = bench_crc(r, crc);
		primes += bench_sieve(r, &psum);
		sorth = sorth * 3 + bench_sort(r);
		vmh = vmh * 5 + bench_interp(r, &vmsteps);
		strh = strh * 11 + bench_string(r);
	}
	printf("bench rounds=%u\n", rounds);
	printf("crc32 %08x\n", crc);
	printf("sieve %u %08x\n", primes, psum);
	printf("qsort %08x\n", sorth);
	printf("interp %08x steps=%u\n", vmh, vmsteps);
	printf("string %08x\n", strh);
	printf("bench done %08x\n", crc ^ psum ^ sorth ^ vmh ^ strh ^ primes);
	return 0;
}
